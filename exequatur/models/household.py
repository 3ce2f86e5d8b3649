"""A member's household: a member of his family or of his private staff (VCCR 1(1)(i)), one
person, notified to the receiving State (24(1)(b)-(c)), from joining to leaving.

When the person's privileges begin and end is the member's affair as much as the person's
(53(2), 53(3), 53(5)); the status certificate reads both records (models/certificate.py). The
member's workflow tells each household when the member's functions end, and the household runs
its own window: the member's departure period, or, after the member's death, the receiving
State's departure period from the death (53(5)), whichever the household leaves before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from exequatur.models.common import ActBody, FieldRule, Party, Person, Ruled
from exequatur.models.lifecycle import Act, Context, Lifecycle, Route, Rule, Timer
from exequatur.models.member import Arrival, Departure, Member, Privileges


class HouseholdState(StrEnum):
    NOTIFIED = "notified"
    ARRIVED = "arrived"
    LEFT_HOUSEHOLD = "left-household"
    DEPARTED = "departed"
    PERIOD_EXPIRED = "period-expired"


Kind = Literal["family", "private-staff"]
Relationship = Literal["spouse", "child", "other"]


class HouseholdRequest(ActBody, Ruled):
    """`POST /v1/members/{member_id}/household` by the sending State (VCCR 24(1)(b)-(c))."""

    kind: Kind
    relationship: Relationship | None = Field(None, description="family only: spouse, child or other")
    person: Person

    RULES = (
        FieldRule(
            {"kind": ("private-staff",)},
            "relationship",
            (None,),
            "relationship: only a member of the family has one (VCCR 1(1)(i))",
        ),
    )


class Household(BaseModel):
    """The register's record of one person of a member's household."""

    id: str
    member_id: str
    post_id: str
    sending_state: str
    receiving_state: str
    kind: Kind
    relationship: Relationship | None = None
    person: Person
    # The member as he was when the person was notified (the certificate reads him again).
    member_role: str
    member_category: str
    state: HouseholdState = HouseholdState.NOTIFIED
    joined_on: date | None = None
    arrived_on: date | None = None
    left_on: date | None = None
    discharged_on: date | None = None
    departed_on: date | None = None
    # Told by the member's workflow when his functions end (any ground, death included).
    member_functions_ended_on: date | None = None
    member_end_ground: str | None = None
    member_died_on: date | None = None
    departure_deadline: datetime | None = None  # the window's end: 53(3), or 53(5) after a death
    privileges: Privileges = Field(default_factory=Privileges)  # the window's end, once it ended
    last_effective_date: date | None = None
    acts_count: int = 0


class MemberFunctionsEnded(ActBody):
    """`member-functions-ended`: the member's functions ended on `effective_date` on `ground`;
    his own departure period ends at `window_ends` (none where his privileges had ended)."""

    ground: str
    death: StrictBool = False
    window_ends: datetime | None = None


def _start(at: date, ctx: Context) -> datetime:
    return ctx.now if at >= ctx.now.date() else datetime.combine(at, time(), UTC)


def _joined(h: Household, body: HouseholdRequest, ctx: Context) -> None:
    h.joined_on = ctx.effective_date


def _arrived(h: Household, body: Arrival, ctx: Context) -> None:
    h.arrived_on = body.arrived_on or ctx.effective_date


def _left(h: Household, body: ActBody, ctx: Context) -> None:
    h.left_on = ctx.effective_date
    _window_ended(h, ctx.effective_date, ctx.act, "VCCR 53(3): ceased to form part of the household")


def _discharged(h: Household, body: ActBody, ctx: Context) -> None:
    h.discharged_on = h.left_on = ctx.effective_date
    _window_ended(h, ctx.effective_date, ctx.act, "VCCR 53(3): left the member's private service")


def _departed(h: Household, body: Departure, ctx: Context) -> None:
    h.departed_on = body.departed_on or ctx.effective_date
    _window_ended(h, h.departed_on, ctx.act, "VCCR 53(3): final departure")


def _window_ended(h: Household, on: date, act: str, basis: str) -> None:
    if h.privileges.ended_on is None:
        h.privileges = Privileges(ended_on=on, ended_act=act, ended_article=basis, end_basis=basis)
    h.departure_deadline = None


def _member_ended(h: Household, body: MemberFunctionsEnded, ctx: Context) -> None:
    """53(3): the household's privileges end with the member's; 53(5): after his death, when the
    household leaves or the receiving State's departure period from the death runs out."""
    h.member_functions_ended_on, h.member_end_ground = ctx.effective_date, body.ground
    if body.death:
        h.member_died_on = ctx.effective_date
        h.departure_deadline = _start(ctx.effective_date, ctx) + ctx.periods["departure_period"]
    else:
        h.departure_deadline = body.window_ends or _start(ctx.effective_date, ctx)


def _period_expired(h: Household, body: ActBody, ctx: Context) -> None:
    assert h.departure_deadline is not None
    basis = "VCCR 53(5): reasonable period after the member's death" if h.member_died_on else "VCCR 53(3)"
    _window_ended(h, h.departure_deadline.date(), "departure-period-expired", basis)


_private_staff = Rule(
    "private_staff",
    "VCCR 24(1)(c)",
    "Only a member of the private staff is discharged",
    lambda h: h.kind == "private-staff",
)
_window_open = Rule(
    "member_window_open",
    "VCCR 53(3)",
    "The household's window has not ended (the member's functions ended and his period ran on)",
    lambda h: h.departure_deadline is not None,
)

IN_HOUSEHOLD = ("notified", "arrived")
HOUSEHOLD = Lifecycle(
    name="household",
    title="A member's household: family and private staff (VCCR Arts. 1(1)(i), 24(1)(b)-(c), 53(2)-(5))",
    states=HouseholdState,
    record=Household,
    acts=(
        Act(
            "notify-household",
            Party.SS,
            "VCCR 24(1)(b)",
            "The sending State notifies a person forming part of a member's household: family, or private "
            "staff (24(1)(c)).",
            (Route((), "notified"),),
            body=HouseholdRequest,
            effect=_joined,
            creates=True,
        ),
        Act(
            "notify-arrival",
            Party.SS,
            "VCCR 24(1)(b)",
            "The person's arrival in the receiving State (privileges may begin, 53(2)).",
            (Route(("notified",), "arrived"),),
            body=Arrival,
            effect=_arrived,
        ),
        Act(
            "notify-leaving-household",
            Party.SS,
            "VCCR 24(1)(b)",
            "The person ceases to form part of the member's household (privileges end, 53(3)).",
            (Route(IN_HOUSEHOLD, "left-household"),),
            effect=_left,
        ),
        Act(
            "notify-discharge",
            Party.SS,
            "VCCR 24(1)(c)",
            "A member of the private staff is discharged (privileges end, 53(3)).",
            (Route(IN_HOUSEHOLD, "left-household", (_private_staff,)),),
            effect=_discharged,
        ),
        Act(
            "notify-departure",
            Party.SS,
            "VCCR 24(1)(b)",
            "The person's final departure from the receiving State (privileges end, 53(3)).",
            (Route(IN_HOUSEHOLD, "departed"),),
            body=Departure,
            effect=_departed,
        ),
        Act(
            "member-functions-ended",
            Party.RS,
            "VCCR 53(3), 53(5)",
            "The member's functions ended: the household's window runs to the member's (53(3)) or, after his "
            "death, to the receiving State's departure period (53(5)).",
            (Route(IN_HOUSEHOLD),),
            body=MemberFunctionsEnded,
            effect=_member_ended,
            automatic=True,
            periods=("departure_period",),
        ),
        Act(
            "departure-period-expired",
            Party.RS,
            "VCCR 53(3), 53(5)",
            "The household's reasonable period ran out.",
            (Route(IN_HOUSEHOLD, "period-expired", (_window_open,)),),
            effect=_period_expired,
            automatic=True,
        ),
    ),
    timers=(
        Timer("departure_deadline", "departure-period-expired", "VCCR 53(3), 53(5)", "Household's departure period"),
    ),
    final=lambda h: h.state in ("left-household", "departed", "period-expired"),
    notify=(Party.SS, "foreign-ministry", "VCCR 24(1)(b)"),
)


def new_household(household_id: str, m: Member, request: HouseholdRequest) -> Household:
    return Household(
        id=household_id,
        member_id=m.id,
        post_id=m.post_id,
        sending_state=m.sending_state,
        receiving_state=m.receiving_state,
        kind=request.kind,
        relationship=request.relationship,
        person=request.person,
        member_role=m.role,
        member_category=m.category,
    )
