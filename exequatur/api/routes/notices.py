"""Parked notices (dead letter): what the relays gave up on after CONSULAR_NOTICE_MAX_ATTEMPTS
failed deliveries, and sending one again. Operators' business, not a State's: an auditor or an
admin reads them, an admin sends them again (`exequatur notices` does the same)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header
from pydantic import BaseModel

from exequatur.api.dependencies import Caller, ServiceDep
from exequatur.api.problems import Problem
from exequatur.models.notification import Notification, json_schema
from exequatur.register import outbox

router = APIRouter()


class ParkedNotice(BaseModel):
    id: str
    record_id: str
    recipient: str
    article: str
    created_at: datetime
    attempts: int
    last_error: str | None
    parked_at: datetime


@router.get("/v1/notices/parked", tags=["notices"])
async def parked_notices(principal: Caller, service: ServiceDep) -> list[ParkedNotice]:
    """The notices parked after failing every attempt, oldest first, with the last error; each
    holds back its record's later notices, so that a receiver still gets them in order."""
    if not principal.reads_everything:
        raise Problem(403, "Parked notices are read by an auditor or an admin")
    return [ParkedNotice(**row) for row in await service.db(outbox.parked)]


@router.post("/v1/notices/{notice_id}/retry", tags=["notices"])
async def retry_notice(principal: Caller, service: ServiceDep, notice_id: str) -> dict[str, list[str]]:
    """Send a parked notice again: its attempts start over and the next relay pass takes it."""
    if principal.role != "admin":
        raise Problem(403, "A parked notice is sent again by an admin")
    retried = await service.db(outbox.retry, [notice_id])
    if not retried:
        raise Problem(404, f"No parked notice {notice_id}")
    return {"retried": retried}


@router.get("/v1/notices/schema", tags=["notices"])
async def notice_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the body of every notice the service POSTs to
    CONSULAR_WEBHOOK_URL; public, like this document: it is the receivers' contract."""
    return json_schema()


def install_webhooks(app: FastAPI) -> None:
    """The notices in the OpenAPI document's `webhooks` (OpenAPI 3.1): what the service sends,
    with the Standard Webhooks headers, so that a receiver can be generated from it too."""

    @app.webhooks.post("notice", tags=["notices"])
    def notice(
        body: Notification,
        webhook_id: Annotated[str, Header(alias="webhook-id", description="the notice's id, the same on a retry")],
        webhook_timestamp: Annotated[
            str, Header(alias="webhook-timestamp", description="Unix seconds when this attempt was sent")
        ],
        webhook_signature: Annotated[
            str,
            Header(
                alias="webhook-signature",
                description="`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per secret, space-separated",
            ),
        ],
    ) -> None:
        """A notice of an act to the authority the Convention names (VCCR 14, 24, 27), delivered at
        least once, in order per record, signed under the Standard Webhooks specification
        (docs/webhooks.md). Answer 2xx within 10 s; anything else is retried."""
