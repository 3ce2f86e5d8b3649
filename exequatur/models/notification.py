"""The body of every outbound notification (a webhook POST, or a file in var/outbox/): the
contract receivers build against. docs/webhooks.md publishes its JSON Schema."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID = "https://exequatur.example/schemas/notification-v1.json"


class NotificationSubject(BaseModel):
    """What the notification is about, by id: never a name."""

    post_id: str | None = Field(
        description="the post concerned: a member's or a custody's (null for a post's own notice)"
    )
    role: str | None = Field(description="the member's role: head, officer, employee, service (null if not a member)")
    effective_date: date = Field(description="the legal date of the act that caused the notice")


class Notification(BaseModel):
    """One notification of an act to the authority the Convention names. Receivers ignore fields
    they do not know: fields may be added, none is renamed or removed within version 1."""

    model_config = ConfigDict(title="Exequatur notification (v1)", json_schema_extra={"$id": SCHEMA_ID})

    notification_id: str = Field(
        description="stable id: the same notice always carries the same id (also the "
        "`webhook-id` header); drop a repeat, deliveries are at least once"
    )
    id: str = Field(description="the same as notification_id")
    recipient: str = Field(
        description="`district-authorities` (VCCR 14), `foreign-ministry` (VCCR 24), or "
        "`<party>-reminder` (custody, VCCR 27) for receiving-state, third-state, sending-state",
        examples=["district-authorities"],
    )
    article: str = Field(description="the article that requires the notice", examples=["VCCR 14"])
    record_id: str = Field(
        description="the member, post or custody the act was performed on", examples=["M-0123456789AB"]
    )
    act: str = Field(
        description="the act that caused the notice (GET /v1/lifecycles lists them)", examples=["admit-provisionally"]
    )
    state: str = Field(description="the record's state after the act", examples=["provisionally-admitted"])
    receiving_state: str = Field(description="ISO 3166-1 alpha-3 code of the receiving State", examples=["WSM"])
    subject: NotificationSubject


def json_schema() -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **Notification.model_json_schema()}
