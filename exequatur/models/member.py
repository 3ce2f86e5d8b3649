"""A member of a consular post: one tenure of one person (VCCR Arts. 10-14, 19-26, 53)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, GetJsonSchemaHandler, StrictBool, ValidationInfo, field_validator
from pydantic.json_schema import JsonSchemaValue

from exequatur.models.common import GIVEN, ActBody, Day, FieldRule, Notice, Party, Person, Ruled, StateCode
from exequatur.models.lifecycle import Act, Context, Lifecycle, Refusal, Route, Rule, Tell, Timer, notice
from exequatur.models.post import Post
from exequatur.models.profile import Profile


class MemberState(StrEnum):
    APPOINTED = "appointed"
    AWAITING_EXEQUATUR = "awaiting-exequatur"
    PROVISIONALLY_ADMITTED = "provisionally-admitted"
    ADMITTED = "admitted"
    REFUSED = "refused"
    UNACCEPTABLE = "unacceptable"
    WITHDRAWN = "withdrawn"
    RECALL_REQUESTED = "recall-requested"
    TERMINATED = "terminated"
    DEPARTED = "departed"
    PERIOD_EXPIRED = "period-expired"


Role = Literal["head", "officer", "employee", "service"]
Category = Literal["career", "honorary"]
HeadClass = Literal["consul-general", "consul", "vice-consul", "consular-agent"]
HEAD_CLASSES: tuple[HeadClass, ...] = ("consul-general", "consul", "vice-consul", "consular-agent")  # Art. 9 order


class Privileges(BaseModel):
    """When privileges and immunities began and ended, with the act and article (Art. 53)."""

    began_on: date | None = None
    began_act: str | None = None
    began_article: str | None = None
    ended_on: date | None = None
    ended_act: str | None = None
    ended_article: str | None = None
    end_basis: str | None = None


class Particulars(BaseModel):
    """What the sending State states on appointment (VCCR 11(1), 19(2))."""

    role: Role
    category: Category
    class_: HeadClass | None = Field(None, alias="class")
    person: Person
    instrument: Literal["commission", "notification"] | None = None
    request_exequatur: StrictBool = False
    appointed_also_by: list[StateCode] = Field(
        default_factory=list, description="other States appointing the same person as consular officer (18)"
    )
    designation: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="the officer's title beside the class, e.g. deputy consul-general (VCCR 9(2))",
    )


class Member(Particulars):
    """The register's record of a member (one tenure of one person at one post)."""

    id: str
    post_id: str
    sending_state: str
    receiving_state: str
    seat: str | None = None
    district: str | None = None
    state: MemberState = MemberState.APPOINTED
    appointed_on: date | None = None
    needs_nationality_consent: str | None = None  # the article requiring it: 22(2) or 22(3)
    nationality_consent: bool = False
    instrument_presented_on: date | None = None
    instrument_particulars: dict[str, str | None] | None = None
    provisionally_admitted_on: date | None = None
    exequatur_granted_on: date | None = None
    precedence_date: date | None = None
    arrived_on: date | None = None
    arrival_prior_notice_on: date | None = None
    departure_prior_notice_on: date | None = None
    entered_duties_on: date | None = None
    late_notice: bool = False
    recall_deadline: datetime | None = None
    recall_refused: bool = False
    recall_period_expired: bool = False
    declared_unacceptable_on: date | None = None  # 23(3)
    died_on: date | None = None  # the household keeps its privileges for a while (53(5))
    functions_ended_on: date | None = None
    end_ground: str | None = None
    departure_deadline: datetime | None = None
    departed_on: date | None = None
    privileges: Privileges = Field(default_factory=Privileges)
    diplomatic_acts: Literal["authorized", "consented"] | None = None  # 17(1)
    igo_representation: list[dict[str, str]] = Field(default_factory=list)  # 17(2)
    joint_appointment_consented_on: date | None = None  # 18
    ss_diplomatic_mission: bool = False  # a fact of the relations pair, refreshed with every act
    other_head_in_functions: bool = False  # a fact of the post: another head admitted and in functions
    ss_represented: bool = False  # a fact of the relations: a third State's mission represents SS (17(1))
    district_notification_due: bool = False
    district_authorities_notified_at: datetime | None = None
    last_effective_date: date | None = None
    acts_count: int = 0

    model_config = {"populate_by_name": True}

    @property
    def admitted_by_exequatur(self) -> bool:
        """Heads always, other officers when SS asked for an exequatur (12, 19(3))."""
        return self.role == "head" or self.request_exequatur


class Appointment(ActBody, Particulars, Ruled):
    """`POST /v1/posts/{post_id}/members` by the sending State (VCCR 10, 11, 19)."""

    RULES = (
        FieldRule(
            {"role": ("head", "employee", "service")},
            "request_exequatur",
            (False,),
            "request_exequatur: only for a consular officer other than the head (VCCR 19(3))",
        ),
        FieldRule(
            {"role": ("officer", "employee", "service"), "request_exequatur": (False,)},
            "instrument",
            (None,),
            "instrument: a commission or notification is for a head of post (VCCR 11) "
            "or an officer with an exequatur requested (19(3))",
        ),
    )


# VCCR 19(2) with 11(1) and 9(1): a consular officer is notified with his class; only consular
# officers have one. Named on the field `class` (AppointmentRequest), stated in the schema.
CLASS_RULES = (
    FieldRule(
        {"role": ("head", "officer")},
        "class_",
        GIVEN,
        "a consular officer is notified with his class (VCCR 19(2), 11(1), 9(1))",
    ),
    FieldRule(
        {"role": ("employee", "service")}, "class_", (None,), "only a consular officer has a class (VCCR 9(1), 1(1)(d))"
    ),
)


class AppointmentRequest(Appointment):
    """An appointment as the API and the import take it, with the rules on its particulars that
    came after the first appointments were recorded. The workflow reads the act's body as
    `Appointment`, as it always did, so that every recorded history replays; a new appointment
    reaches it only through this model."""

    class_: HeadClass | None = Field(None, alias="class", validate_default=True)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = super().__get_pydantic_json_schema__(core_schema, handler)
        target = handler.resolve_ref_schema(schema)
        target.setdefault("allOf", []).extend(rule.json_schema({"class_": "class"}) for rule in CLASS_RULES)
        return schema

    @field_validator("class_", mode="after")
    @classmethod
    def _officers_have_a_class(cls, value: HeadClass | None, info: ValidationInfo) -> HeadClass | None:
        role = info.data.get("role")
        for rule in CLASS_RULES:
            if role in rule.when["role"] and (value is None if rule.must == GIVEN else value not in rule.must):
                raise ValueError(rule.message)
        return value


def appointment_refusal(post: Post, profile: Profile, active_members: int, request: Appointment) -> Refusal | None:
    """Rules an appointment must meet before its workflow starts (the post and the profile)."""
    state = str(post.state)
    if post.relations_severed:
        return Refusal("Consular relations between the two States are severed", "VCCR 2(1)", state)
    if state != "open":
        return Refusal(
            "The post is not established with the receiving State's consent; it cannot receive members",
            "VCCR 4(1)",
            state,
        )
    if request.category == "honorary" and not profile.receives_honorary:
        return Refusal("The receiving State does not receive honorary consular officers", "VCCR 68", state)
    if request.role == "head" and request.category != post.headed_by:
        return Refusal(f"The post is headed by a {post.headed_by} officer", "VCCR 1(2)", state)
    if (request.instrument == "notification") and not profile.notification_replaces_commission:
        return Refusal(
            "The receiving State has not agreed that a notification replaces the commission", "VCCR 11(3)", state
        )
    if request.role == "head":
        return None  # VCCR 20 limits the consular staff, of which the head is not (1(1)(h))
    return staff_ceiling_refusal(post.id, profile, active_members, state)


# Members whose functions have ended: they no longer count against a staff ceiling (VCCR 20).
FUNCTIONS_ENDED: tuple[str, ...] = tuple(
    s.value
    for s in (
        MemberState.REFUSED,
        MemberState.UNACCEPTABLE,
        MemberState.WITHDRAWN,
        MemberState.TERMINATED,
        MemberState.DEPARTED,
        MemberState.PERIOD_EXPIRED,
    )
)


def staff_ceiling_refusal(
    post_id: str, profile: Profile, members_in_functions: int, state: str = "open"
) -> Refusal | None:
    """VCCR 20: a new member of the consular staff beyond the receiving State's ceiling for the
    post is refused; the ceiling counts the consular staff, not the head (1(1)(h)). Asked
    before the workflow starts (`appointment_refusal`) and again by the register as it records
    the appointment, where two appointments at once cannot both pass (register/queries.py)."""
    ceiling = profile.staff_ceiling.get(post_id)
    if ceiling is not None and members_in_functions >= ceiling:
        return Refusal(f"The post's staff is at the ceiling of {ceiling} set by the receiving State", "VCCR 20", state)
    return None


def new_member(member_id: str, post: Post, profile: Profile, request: Appointment) -> Member:
    is_officer = request.role in ("head", "officer")
    nationalities = set(request.person.nationalities)
    consent_article = None
    if is_officer and post.receiving_state in nationalities:
        consent_article = "VCCR 22(2)"  # 22(2): a national of the receiving State, with its express consent
    elif is_officer and profile.third_state_nationals_need_consent and post.sending_state not in nationalities:
        consent_article = "VCCR 22(3)"
    instrument = request.instrument
    if request.role == "head" or request.request_exequatur:
        instrument = instrument or "commission"
    particulars = {name: getattr(request, name) for name in Particulars.model_fields}
    return Member(
        **{**particulars, "instrument": instrument},
        id=member_id,
        post_id=post.id,
        sending_state=post.sending_state,
        receiving_state=post.receiving_state,
        needs_nationality_consent=consent_article,
        seat=post.seat,
        district=post.district,
    )


# ---- acts' bodies -------------------------------------------------------------------


class PresentInstrument(ActBody):
    presented_on: Day | None = Field(None, description="date presented to RS (11(2)); default: the act's date")


class Arrival(ActBody):
    arrived_on: Day | None = Field(None, description="date of entry into RS (24(1)(a), 53(1))")
    prior_notice_on: Day | None = Field(None, description="when prior notice of the arrival was given (24(2))")


class Departure(ActBody):
    departed_on: Day | None = Field(None, description="date of final departure from RS (53(3))")
    prior_notice_on: Day | None = Field(None, description="when prior notice of the departure was given (24(2))")


class IgoRepresentation(ActBody):
    organization: str = Field(min_length=1, max_length=200, description="the intergovernmental organization")


class FunctionsEnded(ActBody):
    ground: str = Field(description="the article under which the functions ended")


class PostChanged(ActBody):
    """`post-changed`: the post's seat and district after a consented change (VCCR 4(3))."""

    seat: str | None = None
    district: str | None = None


class Delivery(ActBody):
    delivered_at: datetime


# ---- rules --------------------------------------------------------------------------


def _rule(name: str, article: str, explanation: str, holds: Callable[[Member], bool]) -> Rule:
    return Rule(name, article, explanation, holds)


by_exequatur = _rule(
    "admitted_by_exequatur",
    "VCCR 11(2)",
    "Only a head of post, or an officer for whom an exequatur is requested (19(3)), "
    "presents a commission or notification",
    lambda m: m.admitted_by_exequatur,
)
is_head = _rule("is_head", "VCCR 13", "Provisional admission is for a head of post", lambda m: m.role == "head")
one_head = _rule(
    "one_head_in_functions",
    "VCCR 1(1)(c), 10(1)",
    "The post has a head whose functions continue: a second head cannot be admitted until they end",
    lambda m: m.role != "head" or not m.other_head_in_functions,
)
no_admission_needed = _rule(
    "no_admission_needed",
    "VCCR 12(3)",
    "A head of post (or an officer admitted by exequatur, 19(3)) may not enter "
    "upon duties before the exequatur or provisional admission",
    lambda m: not m.admitted_by_exequatur,
)
nationality_consented = _rule(
    "nationality_consented",
    "VCCR 22",
    "The receiving State's express consent is required for an officer of its "
    "nationality (22(2)) or, where it reserves the right, a third State's (22(3))",
    lambda m: m.needs_nationality_consent is None or m.nationality_consent,
)
consent_needed = _rule(
    "consent_needed",
    "VCCR 22",
    "No consent under Art. 22 is required or it is already given",
    lambda m: m.needs_nationality_consent is not None and not m.nationality_consent,
)
consent_given = _rule(
    "consent_given", "VCCR 22", "No consent under Art. 22 has been given", lambda m: m.nationality_consent
)
not_on_duty = _rule(
    "not_on_duty", "VCCR 12(3)", "The member has already entered upon duties", lambda m: m.entered_duties_on is None
)
not_arrived = _rule("not_arrived", "VCCR 24(1)(a)", "The arrival is already notified", lambda m: m.arrived_on is None)
arrived = _rule("arrived", "VCCR 24(1)(a)", "The member has not arrived", lambda m: m.arrived_on is not None)
before_duties = _rule(
    "unacceptable_window",
    "VCCR 23(3)",
    "A person may be declared not acceptable only before arriving or, if already in the "
    "receiving State, before entering upon duties; after that only 23(1) is open",
    lambda m: m.entered_duties_on is None,
)
recall_not_refused = _rule(
    "recall_not_refused",
    "VCCR 23(2)",
    "The sending State has already refused the recall",
    lambda m: not m.recall_refused,
)
recall_grounds = _rule(
    "recall_period_over_or_refused",
    "VCCR 23(2)",
    "The sending State has neither refused nor failed to recall within the reasonable "
    "period: the receiving State may not yet withdraw the exequatur or cease to consider "
    "the person a member",
    lambda m: m.recall_refused or m.recall_period_expired,
)
recall_running = _rule(
    "recall_running",
    "VCCR 23(2)",
    "The recall period has already run out",
    lambda m: m.recall_deadline is not None and not m.recall_period_expired,
)
has_exequatur = _rule(
    "has_exequatur",
    "VCCR 25(b)",
    "The member holds no exequatur to withdraw; use cease-to-consider (25(c))",
    lambda m: m.exequatur_granted_on is not None,
)
window_open = _rule(
    "departure_window_open",
    "VCCR 53(3)",
    "No departure period runs: privileges never began or the member is a national of the receiving State (Art. 26)",
    lambda m: m.departure_deadline is not None and m.departed_on is None,
)
is_officer = _rule(
    "consular_officer",
    "VCCR 17(1)",
    "Only a consular officer (head or officer) may be so authorized",
    lambda m: m.role in ("head", "officer"),
)
# 17(2) asks only that the representative be a consular officer; it needs no authorization.
represents_igo = _rule(
    "consular_officer_representative",
    "VCCR 17(2)",
    "Only a consular officer (head or officer) may act as representative to an intergovernmental organization",
    lambda m: m.role in ("head", "officer"),
)
no_mission = _rule(
    "no_diplomatic_mission",
    "VCCR 17(1)",
    "The sending State has a diplomatic mission in the receiving State: diplomatic acts are its mission's",
    lambda m: not m.ss_diplomatic_mission,
)
not_represented = _rule(
    "not_represented_by_a_third_state",
    "VCCR 17(1)",
    "The sending State is represented by a third State's diplomatic mission: diplomatic acts are that mission's",
    lambda m: not m.ss_represented,
)
not_authorized = _rule(
    "diplomatic_acts_not_authorized",
    "VCCR 17(1)",
    "Diplomatic acts are already authorized",
    lambda m: m.diplomatic_acts is None,
)
authorized = _rule(
    "diplomatic_acts_authorized",
    "VCCR 17(1)",
    "The sending State has not authorized diplomatic acts, or consent is already given",
    lambda m: m.diplomatic_acts == "authorized",
)
joint_consented = _rule(
    "joint_appointment_consented",
    "VCCR 18",
    "The person is also appointed by another State: the receiving State's consent is needed "
    "before entering upon duties",
    lambda m: not m.appointed_also_by or m.joint_appointment_consented_on is not None,
)
joint_pending = _rule(
    "joint_appointment_pending",
    "VCCR 18",
    "No joint appointment awaits consent",
    lambda m: bool(m.appointed_also_by) and m.joint_appointment_consented_on is None,
)
notification_due = _rule(
    "district_notification_due",
    "VCCR 14",
    "No notification to the district authorities is due",
    lambda m: m.district_notification_due,
)

SERVING = ("appointed", "awaiting-exequatur", "provisionally-admitted", "admitted")
IN_FUNCTIONS = ("provisionally-admitted", "admitted", "recall-requested")
ENDED = ("terminated", "refused", "withdrawn")
ALL = tuple(s.value for s in MemberState)


# ---- effects ------------------------------------------------------------------------


def _period_start(ctx: Context) -> datetime:
    """A period runs from the act: now if the act is today's, else from its legal date."""
    if ctx.effective_date >= ctx.now.date():
        return ctx.now
    return datetime.combine(ctx.effective_date, time(), UTC)


def _begin_privileges(m: Member, on: date, act: str, article: str) -> None:
    if m.privileges.began_on is None:
        m.privileges = Privileges(began_on=on, began_act=act, began_article=article)


def _end_functions(m: Member, ctx: Context, ground: str) -> None:
    """Art. 25 ends functions; Arts. 26 and 53(3) give a departure window if privileges began."""
    m.functions_ended_on, m.end_ground = ctx.effective_date, ground
    m.recall_deadline = None if not m.recall_period_expired else m.recall_deadline
    if m.privileges.began_on is None or m.privileges.ended_on is not None:
        return
    if m.receiving_state in m.person.nationalities:
        # Art. 26 grants the departure window to members other than RS nationals (cf. Art. 71).
        m.privileges.ended_on, m.privileges.ended_act = ctx.effective_date, ctx.act
        m.privileges.ended_article = m.privileges.end_basis = f"{ground}; VCCR 26, 71"
        return
    m.departure_deadline = _period_start(ctx) + ctx.periods["departure_period"]


def _appointed(m: Member, body: Appointment, ctx: Context) -> None:
    m.appointed_on = ctx.effective_date


def _instrument(m: Member, body: PresentInstrument, ctx: Context) -> None:
    m.instrument_presented_on = body.presented_on or ctx.effective_date
    # Art. 11(1): the instrument shows full name, category and class, district and seat.
    m.instrument_particulars = {
        "kind": m.instrument,
        "full_name": m.person.full_name,
        "category": m.category,
        "class": m.class_,
        "district": m.district,
        "seat": m.seat,
    }


def _admit_provisionally(m: Member, body: ActBody, ctx: Context) -> list[Notice]:
    m.provisionally_admitted_on = m.precedence_date = ctx.effective_date
    return _due_art14(m, ctx)


def _grant_exequatur(m: Member, body: ActBody, ctx: Context) -> list[Notice]:
    m.exequatur_granted_on = ctx.effective_date
    m.precedence_date = m.provisionally_admitted_on or ctx.effective_date  # Art. 16(2)
    return _due_art14(m, ctx)


def _grant_unrequested(m: Member, body: ActBody, ctx: Context) -> None:
    m.exequatur_granted_on = ctx.effective_date  # 19(4): it changes nothing of the officer's admission


_officer_unrequested = Rule(
    "officer_without_exequatur_requested",
    "VCCR 19(4)",
    "An exequatur on the receiving State's own initiative is for a consular officer other than the head "
    "for whom none was requested",
    lambda m: m.role == "officer" and not m.request_exequatur,
)
_no_exequatur_yet = Rule(
    "no_exequatur_yet", "VCCR 19(4)", "The officer holds an exequatur already", lambda m: m.exequatur_granted_on is None
)


def _due_art14(m: Member, ctx: Context) -> list[Notice]:
    # Art. 14: notify the district authorities as soon as the head is admitted, even provisionally.
    if m.role != "head" or m.district_notification_due or m.district_authorities_notified_at:
        return []
    m.district_notification_due = True
    return [notice(m, ctx, "district-authorities", "VCCR 14")]


def _refuse_exequatur(m: Member, body: ActBody, ctx: Context) -> None:
    if m.state == MemberState.TERMINATED:  # refused after provisional admission: functions end (13, 25)
        _end_functions(m, ctx, "VCCR 12(2), 13, 25")
    else:
        _end_functions(m, ctx, "VCCR 12(2)")


def _arrival(m: Member, body: Arrival, ctx: Context) -> None:
    m.arrived_on = body.arrived_on or ctx.effective_date
    m.arrival_prior_notice_on = body.prior_notice_on  # Art. 24(2): given when possible, recorded
    if m.role == "officer" and m.appointed_on is not None:
        # Art. 19(2): notice in time for 23(3); late notice is recorded, not refused.
        m.late_notice = m.arrived_on < m.appointed_on + ctx.periods["staff_notice_period"]
    if not m.person.permanent_resident and m.receiving_state not in m.person.nationalities:
        # A national or permanent resident is in the territory already: the window opens when the
        # duties begin (53(1)), and Art. 71 decides what it holds (models/certificate.py).
        _begin_privileges(m, m.arrived_on, "notify-arrival", "VCCR 53(1)")


def _enter_duties(m: Member, body: ActBody, ctx: Context) -> None:
    m.entered_duties_on = ctx.effective_date
    _begin_privileges(m, ctx.effective_date, "enter-duties", "VCCR 53(1)")  # already in RS


def _ended(ground: str) -> Callable[[Member, ActBody, Context], None]:
    def effect(m: Member, body: ActBody, ctx: Context) -> None:
        _end_functions(m, ctx, ground)

    return effect


def _withdrawn(m: Member, body: ActBody, ctx: Context) -> None:
    # Art. 25 by the ground the withdrawal has: the receiving State's 23(3) declaration, if made;
    # else the sending State's own decision, notified (25(a)).
    _end_functions(m, ctx, "VCCR 23(3)" if m.declared_unacceptable_on else "VCCR 25(a)")


def _post_changed(m: Member, body: PostChanged, ctx: Context) -> list[Notice]:
    """4(3): the member's seat and district are the post's. 14: a head already admitted is
    notified to the authorities of the new district, as he was to the former's."""
    moved_district = body.district is not None and body.district != m.district
    m.seat, m.district = body.seat or m.seat, body.district or m.district
    admitted = m.provisionally_admitted_on is not None or m.exequatur_granted_on is not None
    if not (moved_district and m.role == "head" and admitted):
        return []
    m.district_authorities_notified_at, m.district_notification_due = None, False
    return _due_art14(m, ctx)


def _unacceptable(m: Member, body: ActBody, ctx: Context) -> None:
    m.declared_unacceptable_on = ctx.effective_date


def _non_grata(m: Member, body: ActBody, ctx: Context) -> None:
    # 23(2): the sending State's reasonable period to recall runs from when the declaration is made
    # (recorded), so a declaration dated in the past never opens a period already run out.
    start = ctx.now if "recall-period-from-declaration" in ctx.revisions else _period_start(ctx)
    m.recall_deadline = start + ctx.periods["recall_period"]


def _recall_refused(m: Member, body: ActBody, ctx: Context) -> None:
    m.recall_refused = True


def _recall_expired(m: Member, body: ActBody, ctx: Context) -> None:
    m.recall_period_expired = True


def _departure(m: Member, body: Departure, ctx: Context) -> None:
    m.departed_on = body.departed_on or ctx.effective_date
    m.departure_prior_notice_on = body.prior_notice_on  # Art. 24(2)
    assert m.departure_deadline is not None
    if m.departed_on > m.departure_deadline.date():  # 53(3): whichever is sooner
        m.privileges.ended_on, m.privileges.ended_act = m.departure_deadline.date(), "notify-departure"
        m.privileges.ended_article = m.privileges.end_basis = "VCCR 53(3): reasonable period expired"
        return
    m.privileges.ended_on, m.privileges.ended_act = m.departed_on, "notify-departure"
    m.privileges.ended_article = m.privileges.end_basis = "VCCR 53(3): departure"


def _departure_dated(m: Member, body: Departure) -> tuple[str, str] | None:
    departed = body.departed_on or body.effective_date
    if departed and m.functions_ended_on and departed < m.functions_ended_on:
        return "VCCR 53(3)", f"The final departure cannot precede the end of functions ({m.functions_ended_on})"
    return None


def _after_recall_grounds(m: Member, body: ActBody) -> tuple[str, str] | None:
    """23(2): on expiry grounds the act cannot be dated inside the recall period."""
    if m.recall_refused or m.recall_deadline is None or body.effective_date is None:
        return None
    if body.effective_date < m.recall_deadline.date():
        return "VCCR 23(2)", f"The recall period ran until {m.recall_deadline.date()}; the act cannot be dated before"
    return None


def _arrival_dated(m: Member, body: Arrival) -> tuple[str, str] | None:
    arrived = body.arrived_on or body.effective_date
    if arrived and m.appointed_on and arrived < m.appointed_on:
        return "VCCR 24(1)(a)", f"The arrival cannot precede the appointment ({m.appointed_on})"
    return None


def _period_expired(m: Member, body: ActBody, ctx: Context) -> None:
    assert m.departure_deadline is not None
    m.privileges.ended_on, m.privileges.ended_act = m.departure_deadline.date(), "departure-period-expired"
    m.privileges.ended_article = m.privileges.end_basis = "VCCR 53(3): reasonable period expired"


def _consent_nationality(m: Member, body: ActBody, ctx: Context) -> None:
    m.nationality_consent = True


def _withdraw_nationality_consent(m: Member, body: ActBody, ctx: Context) -> None:
    m.nationality_consent = False
    if m.state == MemberState.TERMINATED:
        _end_functions(m, ctx, f"{m.needs_nationality_consent or 'VCCR 22(2)'}, 25(c)")


def _authorize_diplomatic(m: Member, body: ActBody, ctx: Context) -> None:
    m.diplomatic_acts = "authorized"


def _consent_diplomatic(m: Member, body: ActBody, ctx: Context) -> None:
    m.diplomatic_acts = "consented"


def _igo(m: Member, body: IgoRepresentation, ctx: Context) -> None:
    m.igo_representation.append({"organization": body.organization, "on": ctx.effective_date.isoformat()})


def _joint_consent(m: Member, body: ActBody, ctx: Context) -> None:
    m.joint_appointment_consented_on = ctx.effective_date


def _functions_ended(m: Member, body: FunctionsEnded, ctx: Context) -> None:
    _end_functions(m, ctx, body.ground)


def _district_notified(m: Member, body: Delivery, ctx: Context) -> None:
    m.district_authorities_notified_at, m.district_notification_due = body.delivered_at, False


# 53(3), 53(5): whenever a member's functions end, on any ground, each person of his household
# is told, durably, and runs its own window (models/household.py).
TELL_HOUSEHOLDS = Tell(
    "household",
    "member-functions-ended",
    related=lambda m: {"member_id": m.id},
    when=lambda m: m.functions_ended_on is not None,
    body=lambda m: {
        "ground": m.end_ground or "VCCR 25",
        "death": m.died_on is not None,
        "window_ends": m.departure_deadline.isoformat() if m.departure_deadline else None,
    },
    since="household-windows",
)


def _death(m: Member, body: ActBody, ctx: Context) -> None:
    """The member's death ends his functions and his privileges (his household's go on, 53(5))."""
    m.died_on = m.functions_ended_on = ctx.effective_date
    m.end_ground = "death"
    if m.privileges.began_on is not None and m.privileges.ended_on is None:
        m.privileges.ended_on, m.privileges.ended_act = ctx.effective_date, "notify-death"
        m.privileges.ended_article = m.privileges.end_basis = "death (VCCR 53(5))"
    m.recall_deadline = None


DEPARTURE = ("departure_period",)
MEMBER = Lifecycle(
    name="member",
    title="Member of a consular post (VCCR Arts. 10-26, 53)",
    states=MemberState,
    record=Member,
    acts=(
        Act(
            "appoint",
            Party.SS,
            "VCCR 10(1), 19(1)",
            "The sending State appoints a member of the post.",
            (Route((), "appointed"),),
            body=Appointment,
            effect=_appointed,
            creates=True,
        ),
        Act(
            "present-instrument",
            Party.SS,
            "VCCR 11(2)",
            "The commission (or notification, 11(3)) is presented to the receiving State.",
            (Route(("appointed",), "awaiting-exequatur", (by_exequatur,)),),
            body=PresentInstrument,
            effect=_instrument,
        ),
        Act(
            "admit-provisionally",
            Party.RS,
            "VCCR 13",
            "Provisional admission pending the exequatur; starts the Art. 14 notification.",
            (Route(("awaiting-exequatur",), "provisionally-admitted", (is_head, one_head)),),
            effect=_admit_provisionally,
            tells=Tell("post", "head-admitted", field="post_id", when=lambda m: m.role == "head"),
        ),
        Act(
            "grant-exequatur",
            Party.RS,
            "VCCR 12(1)",
            "The receiving State admits the member by an exequatur.",
            (
                Route(("awaiting-exequatur",), "admitted", (one_head,)),
                Route(("provisionally-admitted",), "admitted"),
            ),
            effect=_grant_exequatur,
            # A head is admitted once (15(1)): after a provisional admission (Art. 13) the post was
            # told then, and an acting head designated since stays until the head resumes.
            tells=Tell(
                "post",
                "head-admitted",
                field="post_id",
                when=lambda m: m.role == "head" and m.provisionally_admitted_on is None,
                formerly=lambda m: m.role == "head",
            ),
        ),
        Act(
            "grant-exequatur-unrequested",
            Party.RS,
            "VCCR 19(4)",
            "The receiving State grants an exequatur, on its own initiative, to a consular officer for whom "
            "none was requested.",
            (Route(("appointed", "admitted"), None, (_officer_unrequested, _no_exequatur_yet)),),
            effect=_grant_unrequested,
        ),
        Act(
            "refuse-exequatur",
            Party.RS,
            "VCCR 12(2)",
            "The receiving State refuses the exequatur; it need give no reasons.",
            (Route(("awaiting-exequatur",), "refused"), Route(("provisionally-admitted",), "terminated")),
            effect=_refuse_exequatur,
            tells=TELL_HOUSEHOLDS,
            periods=DEPARTURE,
        ),
        Act(
            "notify-arrival",
            Party.SS,
            "VCCR 24(1)(a)",
            "Arrival in the receiving State; privileges begin (53(1)).",
            (Route(SERVING, None, (not_arrived,)),),
            body=Arrival,
            effect=_arrival,
            periods=("staff_notice_period",),
            admissible=_arrival_dated,
        ),
        Act(
            "enter-duties",
            Party.SS,
            "VCCR 12(3)",
            "The member enters upon consular duties.",
            (
                Route(
                    ("appointed",),
                    "admitted",
                    (no_admission_needed, nationality_consented, joint_consented, not_on_duty),
                ),
                Route(
                    ("provisionally-admitted", "admitted"), None, (nationality_consented, joint_consented, not_on_duty)
                ),
            ),
            effect=_enter_duties,
        ),
        Act(
            "declare-unacceptable",
            Party.RS,
            "VCCR 23(3)",
            "Declared not acceptable before arrival or, if already in the receiving State, before "
            "entering upon duties; no reasons need be given (23(4)).",
            (Route(SERVING, "unacceptable", (before_duties,)),),
            effect=_unacceptable,
        ),
        Act(
            "withdraw-appointment",
            Party.SS,
            "VCCR 25(a)",
            "The sending State withdraws the appointment before the member enters upon duties; after a "
            "declaration of non-acceptability the ground is 23(3).",
            (Route(("appointed", "awaiting-exequatur", "unacceptable"), "withdrawn", (not_on_duty,)),),
            effect=_withdrawn,
            tells=TELL_HOUSEHOLDS,
            periods=DEPARTURE,
        ),
        Act(
            "declare-non-grata",
            Party.RS,
            "VCCR 23(1)",
            "Persona non grata (officer) or not acceptable (other staff), at any time and without "
            "reasons (23(4)); the recall period starts.",
            (Route(SERVING, "recall-requested"),),
            effect=_non_grata,
            periods=("recall_period",),
            revisions=("recall-period-from-declaration",),
        ),
        Act(
            "refuse-recall",
            Party.SS,
            "VCCR 23(2)",
            "The sending State refuses to recall the member.",
            (Route(("recall-requested",), None, (recall_not_refused,)),),
            effect=_recall_refused,
        ),
        Act(
            "recall-period-expired",
            Party.RS,
            "VCCR 23(2)",
            "The reasonable period for the recall ran out.",
            (Route(("recall-requested",), None, (recall_running,)),),
            effect=_recall_expired,
            automatic=True,
        ),
        Act(
            "notify-termination",
            Party.SS,
            "VCCR 25(a)",
            "The sending State notifies the end of functions, also of a member who has arrived and not yet "
            "entered upon duties.",
            (Route(IN_FUNCTIONS, "terminated"), Route(("appointed", "awaiting-exequatur"), "terminated", (arrived,))),
            effect=_ended("VCCR 25(a)"),
            tells=TELL_HOUSEHOLDS,
            periods=DEPARTURE,
        ),
        Act(
            "notify-death",
            Party.SS,
            "VCCR 53(5)",
            "The sending State notifies the member's death: his functions end; his household keeps its "
            "privileges until it leaves or the receiving State's period runs out (53(5)).",
            (
                Route(
                    ("appointed", "awaiting-exequatur", "provisionally-admitted", "admitted", "recall-requested"),
                    "terminated",
                ),
            ),
            effect=_death,
            tells=TELL_HOUSEHOLDS,
        ),
        Act(
            "withdraw-exequatur",
            Party.RS,
            "VCCR 25(b)",
            "The receiving State withdraws the exequatur.",
            (Route(("recall-requested",), "terminated", (has_exequatur, recall_grounds)),),
            effect=_ended("VCCR 23(2), 25(b)"),
            tells=TELL_HOUSEHOLDS,
            periods=DEPARTURE,
            admissible=_after_recall_grounds,
        ),
        Act(
            "cease-to-consider",
            Party.RS,
            "VCCR 25(c)",
            "The receiving State ceases to consider the person a member of the consular staff.",
            (Route(("recall-requested",), "terminated", (recall_grounds,)),),
            effect=_ended("VCCR 23(2), 25(c)"),
            tells=TELL_HOUSEHOLDS,
            periods=DEPARTURE,
            admissible=_after_recall_grounds,
        ),
        Act(
            "notify-departure",
            Party.SS,
            "VCCR 53(3)",
            "Final departure; privileges end (53(3)).",
            (Route(ENDED, "departed", (window_open,)),),
            body=Departure,
            effect=_departure,
            admissible=_departure_dated,
        ),
        Act(
            "departure-period-expired",
            Party.RS,
            "VCCR 53(3)",
            "The reasonable period to leave ran out; privileges end (53(3)).",
            (Route(ENDED, "period-expired", (window_open,)),),
            effect=_period_expired,
            automatic=True,
        ),
        Act(
            "consent-nationality",
            Party.RS,
            "VCCR 22(2)",
            "Express consent to an officer of the receiving State's (or a third State's, 22(3)) nationality.",
            (Route(SERVING, None, (consent_needed,)),),
            effect=_consent_nationality,
        ),
        Act(
            "withdraw-nationality-consent",
            Party.RS,
            "VCCR 22(2)",
            "The consent is withdrawn: a member in functions ceases to be one (25(c)).",
            (
                Route(("provisionally-admitted", "admitted", "recall-requested"), "terminated", (consent_given,)),
                Route(("appointed", "awaiting-exequatur"), None, (consent_given,)),
            ),
            effect=_withdraw_nationality_consent,
            tells=TELL_HOUSEHOLDS,
            periods=DEPARTURE,
        ),
        Act(
            "authorize-diplomatic-acts",
            Party.SS,
            "VCCR 17(1)",
            "Where the sending State has no diplomatic mission, a consular officer is authorized to "
            "perform diplomatic acts, with the receiving State's consent.",
            (
                Route(
                    ("provisionally-admitted", "admitted"),
                    None,
                    (is_officer, no_mission, not_represented, not_authorized),
                ),
            ),
            effect=_authorize_diplomatic,
        ),
        Act(
            "consent-diplomatic-acts",
            Party.RS,
            "VCCR 17(1)",
            "The receiving State consents to the diplomatic acts.",
            (Route(("provisionally-admitted", "admitted"), None, (no_mission, not_represented, authorized)),),
            effect=_consent_diplomatic,
        ),
        Act(
            "notify-igo-representation",
            Party.SS,
            "VCCR 17(2)",
            "The consular officer acts as representative to an intergovernmental organization.",
            (Route(SERVING, None, (represents_igo,)),),
            body=IgoRepresentation,
            effect=_igo,
        ),
        Act(
            "consent-joint-appointment",
            Party.RS,
            "VCCR 18",
            "Consent to the same person being consular officer of two or more States.",
            (Route(SERVING, None, (joint_pending,)),),
            effect=_joint_consent,
        ),
        Act(
            "functions-ended",
            Party.RS,
            "VCCR 25",
            "The post closed or consular relations were severed: the member's functions end "
            "(25 'inter alia', 27) and the departure period runs, even in armed conflict (26).",
            (Route((*SERVING, "recall-requested", "unacceptable"), "terminated"),),
            body=FunctionsEnded,
            effect=_functions_ended,
            tells=TELL_HOUSEHOLDS,
            periods=DEPARTURE,
            automatic=True,
        ),
        Act(
            "post-changed",
            Party.RS,
            "VCCR 4(3)",
            "The post's consented change of seat or district reaches the member (and, for an admitted head, "
            "the new district's authorities, Art. 14).",
            (Route(("appointed", "awaiting-exequatur", "provisionally-admitted", "admitted", "recall-requested")),),
            body=PostChanged,
            effect=_post_changed,
            automatic=True,
        ),
        Act(
            "district-authorities-notified",
            Party.RS,
            "VCCR 14",
            "The competent authorities of the consular district were notified of the head's admission.",
            (Route(ALL, None, (notification_due,)),),
            body=Delivery,
            effect=_district_notified,
            automatic=True,
        ),
    ),
    timers=(
        Timer("recall_deadline", "recall-period-expired", "VCCR 23(2)", "Recall period"),
        Timer("departure_deadline", "departure-period-expired", "VCCR 26, 53(3)", "Departure period"),
    ),
    # R24.1: appointments, arrivals, departures, ends of functions and other changes made by
    # the sending State are notified to the receiving State's foreign ministry.
    notify=(Party.SS, "foreign-ministry", "VCCR 24(1)(a)"),
    reports=(("district-authorities", "district-authorities-notified"),),  # R14: records when
    facts=("ss_diplomatic_mission", "other_head_in_functions", "ss_represented"),
    final=lambda m: (
        (
            m.state in (MemberState.DEPARTED, MemberState.PERIOD_EXPIRED)
            or (m.state in ENDED and m.departure_deadline is None)
        )
        and not m.district_notification_due
    ),
)
