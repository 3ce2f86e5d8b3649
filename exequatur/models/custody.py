"""Custody of a closed post's premises, property and archives by a third State (VCCR 27(1)(b),
27(2)(b)): its own lifecycle, a handover in four moves, each wait reminded."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from exequatur.models.common import ActBody, Notice, Party, Strict
from exequatur.models.lifecycle import Act, Context, Lifecycle, Route, Rule, Tell, Timer, notice


class CustodyState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED_BY_RECEIVING_STATE = "accepted-by-receiving-state"
    REJECTED = "rejected"
    ACCEPTED_BY_THIRD_STATE = "accepted-by-third-state"
    DECLINED = "declined"
    ACTIVE = "active"


class Inventory(Strict):
    """What is handed over. Archives are inviolable (Art. 33): counted as sealed units, never
    opened or listed by content, so the model has no field that could hold their content."""

    premises: list[str] = Field(default_factory=list)
    property: list[str] = Field(default_factory=list)
    archives_sealed_units: int = Field(ge=0)


class HandOver(ActBody):
    inventory: Inventory


class Custody(BaseModel):
    """The register's record of one proposed third-State custodian of one post."""

    id: str
    post_id: str
    sending_state: str
    receiving_state: str
    third_state: str
    state: CustodyState = CustodyState.PROPOSED
    proposed_on: date | None = None
    inventory: Inventory | None = None
    handed_over_on: date | None = None
    reminder_at: datetime | None = None
    reminders: int = 0
    last_effective_date: date | None = None
    acts_count: int = 0


WAITING_FOR = {
    "proposed": "receiving-state",
    "accepted-by-receiving-state": "third-state",
    "accepted-by-third-state": "sending-state",
}


def _next_reminder(c: Custody, body: ActBody, ctx: Context) -> list[Notice]:
    waiting = WAITING_FOR.get(str(c.state))
    c.reminder_at = ctx.now + ctx.periods["custody_response_period"] if waiting else None
    return []


def _opened(c: Custody, body: ActBody, ctx: Context) -> list[Notice]:
    c.proposed_on = ctx.effective_date
    return _next_reminder(c, body, ctx)


def _remind(c: Custody, body: ActBody, ctx: Context) -> list[Notice]:
    c.reminders += 1
    waiting = WAITING_FOR[str(c.state)]
    reminder = notice(c, ctx, f"{waiting}-reminder", "VCCR 27")
    _next_reminder(c, body, ctx)
    return [reminder]


def _handed_over(c: Custody, body: HandOver, ctx: Context) -> list[Notice]:
    c.inventory, c.handed_over_on = body.inventory, ctx.effective_date
    return _next_reminder(c, body, ctx)


_reminder_due = Rule("reminder_due", "VCCR 27", "No reply is awaited", lambda c: c.reminder_at is not None)
TELL_POST = Tell(
    "post",
    "custody-changed",
    field="post_id",
    body=lambda c: {
        "custody": {
            "id": c.id,
            "custodian": {"kind": "third-state", "state": c.third_state},
            "state": str(c.state),
            "reminders": c.reminders,
            "inventory": c.inventory.model_dump() if c.inventory else None,
        }
    },
)


def _move(
    name: str, party: Party, article: str, summary: str, source: str, dest: str, body: type[ActBody] = ActBody
) -> Act:
    return Act(
        name,
        party,
        article,
        summary,
        (Route((source,), dest),),
        body=body,
        effect=_handed_over if body is HandOver else _next_reminder,
        tells=TELL_POST,
        periods=("custody_response_period",),
    )


CUSTODY = Lifecycle(
    name="custody",
    title="Custody by a third State (VCCR 27(1)(b), 27(2)(b))",
    states=CustodyState,
    record=Custody,
    acts=(
        Act(
            "propose-custodian",
            Party.SS,
            "VCCR 27(1)(b)",
            "The sending State proposes a third State as custodian of the premises, property and archives.",
            (Route((), "proposed"),),
            effect=_opened,
            creates=True,
            automatic=True,
            tells=TELL_POST,
            periods=("custody_response_period",),
        ),
        _move(
            "accept-custodian",
            Party.RS,
            "VCCR 27(1)(b)",
            "The receiving State finds the third State acceptable.",
            "proposed",
            "accepted-by-receiving-state",
        ),
        _move(
            "reject-custodian",
            Party.RS,
            "VCCR 27(1)(b)",
            "The receiving State does not accept the third State; the sending State may propose another.",
            "proposed",
            "rejected",
        ),
        _move(
            "accept-custody",
            Party.TS,
            "VCCR 27(1)(b)",
            "The third State accepts the custody.",
            "accepted-by-receiving-state",
            "accepted-by-third-state",
        ),
        _move(
            "decline-custody",
            Party.TS,
            "VCCR 27(1)(b)",
            "The third State declines; the sending State may propose another.",
            "accepted-by-receiving-state",
            "declined",
        ),
        _move(
            "hand-over",
            Party.SS,
            "VCCR 27(1)(b), 33",
            "Premises, property and sealed archives are handed over, with an inventory (archives by "
            "sealed units only, Art. 33).",
            "accepted-by-third-state",
            "active",
            body=HandOver,
        ),
        Act(
            "remind",
            Party.RS,
            "VCCR 27",
            "A reply is overdue: the party whose move it is is reminded, and the wait goes on.",
            (Route(tuple(WAITING_FOR), None, (_reminder_due,)),),
            effect=_remind,
            automatic=True,
            periods=("custody_response_period",),
            tells=TELL_POST,
        ),
    ),
    timers=(Timer("reminder_at", "remind", "VCCR 27", "Reply awaited"),),
    final=lambda c: c.state in (CustodyState.ACTIVE, CustodyState.REJECTED, CustodyState.DECLINED),
)
