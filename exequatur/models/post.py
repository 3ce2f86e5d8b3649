"""The consular post (VCCR Arts. 4 and 27)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool

from exequatur.models.common import GIVEN, ActBody, Day, FieldRule, OneGiven, Party, Person, Ruled, StateCode, Strict
from exequatur.models.lifecycle import Act, Context, Lifecycle, Route, Rule, Start, Tell


class PostState(StrEnum):
    AWAITING_CONSENT = "awaiting-consent"
    OPEN = "open"
    REFUSED = "refused"
    CLOSED_TEMPORARILY = "closed-temporarily"
    CLOSED = "closed"
    SEVERED = "severed"


Classification = Literal["consulate-general", "consulate", "vice-consulate", "consular-agency"]
HeadedBy = Literal["career", "honorary"]


class PostChange(Strict):
    """A change of seat, classification or district awaiting RS consent (VCCR 4(3))."""

    seat: str | None = Field(None, min_length=1, max_length=200)
    classification: Classification | None = None
    district: str | None = Field(None, min_length=1, max_length=500)


Notifier = Literal["diplomatic-mission", "head-of-post", "competent-authority"]


class ActingHead(BaseModel):
    """An acting head of post (VCCR 15) and the acting period."""

    person: Person
    assumed_on: date  # the date functions were assumed, as notified (16(4))
    notified_on: date
    notified_by: Notifier
    is_diplomatic_agent: bool
    is_consular_officer: bool
    late_notice: bool = False  # 15(2): "as a rule in advance"; late notice is recorded
    consent_required: bool = False
    consented_on: date | None = None
    diplomatic_privileges: bool = False  # 15(4)
    ended_on: date | None = None
    end_basis: str | None = None

    @property
    def acting(self) -> bool:
        return self.ended_on is None and (not self.consent_required or self.consented_on is not None)


class OfficerOrder(BaseModel):
    """The order of precedence among a post's officers as notified (VCCR 21)."""

    order: list[str]
    notified_by: Notifier
    on: date


class Post(BaseModel):
    """The register's record of a post."""

    id: str
    sending_state: str
    receiving_state: str
    seat: str
    classification: Classification
    district: str
    headed_by: HeadedBy
    parent_post_id: str | None = None
    state: PostState = PostState.AWAITING_CONSENT
    pending_change: PostChange | None = None
    changes: list[dict[str, str]] = Field(default_factory=list)
    protected_by_receiving_state: bool = False
    custody: dict[str, Any] | None = None
    protection: dict[str, Any] | None = None  # protection of SS's interests by a third State (27(1)(c))
    closure: Literal["temporary", "permanent"] | None = None
    closed_on: date | None = None
    severed_on: date | None = None
    requested_on: date | None = None
    established_on: date | None = None
    acting_head: ActingHead | None = None
    past_acting_heads: list[ActingHead] = Field(default_factory=list)
    officer_order: list[OfficerOrder] = Field(default_factory=list)  # every notified order, dated
    # Facts of the relations pair, refreshed from the register with every act:
    ss_diplomatic_mission: bool = False  # does SS keep a diplomatic mission in RS (15(2), 21, 27)?
    acting_heads_need_consent: bool = True  # RS's choice under 15(2), from its profile
    relations_severed: bool = False  # consular relations of the pair severed (2(1), 27(1))
    ss_open_posts: list[str] = Field(default_factory=list)  # SS's other open posts in RS (27(2)(a))
    last_effective_date: date | None = None
    acts_count: int = 0

    def acting_heads(self) -> list[ActingHead]:
        return [*self.past_acting_heads, *([self.acting_head] if self.acting_head else [])]


class PostRequest(ActBody):
    """`POST /v1/posts` by the sending State (VCCR 4(1)-(2), 4(4))."""

    receiving_state: StateCode
    seat: str = Field(min_length=1, max_length=200)
    classification: Classification
    district: str = Field(min_length=1, max_length=500)
    headed_by: HeadedBy
    parent_post_id: str | None = None


class ChangeRequest(ActBody, PostChange, Ruled):
    """`request-change`: any of seat, classification, district (VCCR 4(3))."""

    RULES = (
        OneGiven(
            ("seat", "classification", "district"), "name at least one of seat, classification, district (VCCR 4(3))"
        ),
    )


class Designation(ActBody):
    """`designate-acting-head` (VCCR 15(1)-(2))."""

    person: Person
    from_: Day = Field(alias="from", description="the date the acting head assumes functions")
    notified_by: Notifier
    is_diplomatic_agent: StrictBool = False
    is_consular_officer: StrictBool = False


class OfficerPrecedence(ActBody):
    """`notify-officer-precedence` (VCCR 21): member ids of the post's officers, in order."""

    order: list[str] = Field(min_length=1)
    notified_by: Literal["diplomatic-mission", "head-of-post"]


class HeadAdmitted(ActBody):
    member_id: str


class Closure(ActBody):
    kind: Literal["temporary", "permanent"]


class Custodian(Ruled):
    """Who takes custody of a closed post's premises, property and archives (VCCR 27(1))."""

    kind: Literal["diplomatic-mission", "consular-post", "third-state"]
    post_id: str | None = None
    state: StateCode | None = None

    RULES = (
        FieldRule({"kind": ("consular-post",)}, "post_id", GIVEN, "post_id: name the consular post that takes custody"),
        FieldRule({"kind": ("third-state",)}, "state", GIVEN, "state: name the third State"),
    )


class CustodianProposal(ActBody):
    custodian: Custodian


class ProtectingState(ActBody):
    state: StateCode


class CustodyChanged(ActBody):
    custody: dict[str, Any]


class RelationsSevered(ActBody):
    pass


def allowed_notifiers(post: Post) -> tuple[str, ...]:
    """15(2): SS's diplomatic mission; if none, the head of post, or if he cannot, any
    competent authority of SS."""
    return ("diplomatic-mission",) if post.ss_diplomatic_mission else ("head-of-post", "competent-authority")


def _notifier(
    article: str, allowed: Callable[[Post], tuple[str, ...]]
) -> Callable[[Post, Designation | OfficerPrecedence], tuple[str, str] | None]:
    def check(post: Post, body: Designation | OfficerPrecedence) -> tuple[str, str] | None:
        if body.notified_by in allowed(post):
            return None
        where = "keeps" if post.ss_diplomatic_mission else "keeps no"
        return article, (
            f"The sending State {where} diplomatic mission in the receiving State: the notice "
            f"comes from the {' or the '.join(allowed(post))}"
        )

    return check


acting_head_notifier = _notifier("VCCR 15(2)", allowed_notifiers)


def _designation_admissible(post: Post, body: Designation) -> tuple[str, str] | None:
    """15(2): who notifies; 15(4): a diplomatic agent of the sending State's mission can act only
    where the sending State keeps one in the receiving State."""
    if body.is_diplomatic_agent and not post.ss_diplomatic_mission:
        return "VCCR 15(4)", (
            "The sending State keeps no diplomatic mission in the receiving State: no member of one can be "
            "designated acting head"
        )
    return acting_head_notifier(post, body)


officer_order_notifier = _notifier(
    "VCCR 21", lambda post: ("diplomatic-mission",) if post.ss_diplomatic_mission else ("head-of-post",)
)


CHILD_CLASSIFICATIONS = ("vice-consulate", "consular-agency")
PARENT_CLASSIFICATIONS = ("consulate-general", "consulate")


def _requested(post: Post, body: PostRequest, ctx: Context) -> None:
    post.requested_on = ctx.effective_date


def _consented(post: Post, body: ActBody, ctx: Context) -> None:
    post.established_on = ctx.effective_date


def _change_requested(post: Post, body: ChangeRequest, ctx: Context) -> None:
    post.pending_change = PostChange(seat=body.seat, classification=body.classification, district=body.district)


def _change_consented(post: Post, body: ActBody, ctx: Context) -> None:
    change = post.pending_change
    assert change is not None
    for name, value in change.model_dump(exclude_none=True).items():
        post.changes.append(
            {"field": name, "from": str(getattr(post, name)), "to": value, "on": ctx.effective_date.isoformat()}
        )
        setattr(post, name, value)
    post.pending_change = None


def _moved(post: Post) -> bool:
    """The change consented last moved the seat or the district (4(3)): the members follow it. A
    consent changes at most three fields, appended together with its date."""
    if not post.changes:
        return False
    last = post.changes[-1]["on"]
    return any(c["field"] in ("seat", "district") for c in post.changes[-3:] if c["on"] == last)


def _change_refused(post: Post, body: ActBody, ctx: Context) -> None:
    post.pending_change = None  # VCCR 4(3): the old values stay


def _designate(post: Post, body: Designation, ctx: Context) -> None:
    consent = post.acting_heads_need_consent and not (body.is_diplomatic_agent or body.is_consular_officer)
    post.acting_head = ActingHead(
        person=body.person,
        assumed_on=body.from_,
        notified_on=ctx.effective_date,
        notified_by=body.notified_by,
        is_diplomatic_agent=body.is_diplomatic_agent,
        is_consular_officer=body.is_consular_officer,
        late_notice=body.from_ < ctx.effective_date,
        consent_required=consent,
        diplomatic_privileges=body.is_diplomatic_agent,  # 15(4), unless RS objects
    )


def _consent_acting(post: Post, body: ActBody, ctx: Context) -> None:
    assert post.acting_head is not None
    post.acting_head.consented_on = ctx.effective_date


def _object_privileges(post: Post, body: ActBody, ctx: Context) -> None:
    assert post.acting_head is not None
    post.acting_head.diplomatic_privileges = False


def _end_acting(basis: str) -> Callable[[Post, ActBody, Context], None]:
    def effect(post: Post, body: ActBody, ctx: Context) -> None:
        assert post.acting_head is not None
        post.acting_head.ended_on, post.acting_head.end_basis = ctx.effective_date, basis
        post.past_acting_heads.append(post.acting_head)
        post.acting_head = None

    return effect


def _officer_order(post: Post, body: OfficerPrecedence, ctx: Context) -> None:
    post.officer_order.append(OfficerOrder(order=body.order, notified_by=body.notified_by, on=ctx.effective_date))


def _end_acting_with_the_post(post: Post, ctx: Context, basis: str) -> None:
    """VCCR 15: an acting head acts for a post; when the post closes or is severed, so do his functions."""
    if post.acting_head is not None:
        post.acting_head.ended_on, post.acting_head.end_basis = ctx.effective_date, basis
        post.past_acting_heads.append(post.acting_head)
        post.acting_head = None


def _close(post: Post, body: Closure, ctx: Context) -> None:
    post.closure, post.closed_on = body.kind, ctx.effective_date
    post.protected_by_receiving_state = True  # 27(1)(a), applied by 27(2)
    _end_acting_with_the_post(post, ctx, "VCCR 15: the post closed")


def _reopen(post: Post, body: ActBody, ctx: Context) -> None:
    post.closure, post.protected_by_receiving_state, post.custody = None, False, None


def _severed(post: Post, body: ActBody, ctx: Context) -> None:
    post.severed_on, post.protected_by_receiving_state = ctx.effective_date, True  # 27(1)(a)
    _end_acting_with_the_post(post, ctx, "VCCR 15, 27(1): consular relations severed")


def custody_options(post: Post) -> tuple[str, ...]:
    """27(1)(b): after a severance of consular relations, a third State acceptable to RS (or SS's
    diplomatic mission, where it keeps one). 27(2), a closure: the mission where SS keeps one
    (usage); else another of its consular posts in RS; else a third State acceptable to RS."""
    if post.severed_on is not None:
        return ("third-state", "diplomatic-mission") if post.ss_diplomatic_mission else ("third-state",)
    if post.ss_diplomatic_mission:
        return ("diplomatic-mission",)
    if post.ss_open_posts:
        return ("consular-post",)
    return ("third-state",)


def _custodian_allowed(post: Post, body: CustodianProposal) -> tuple[str, str] | None:
    custodian, allowed = body.custodian, custody_options(post)
    if custodian.kind not in allowed:
        return ("VCCR 27(1)(b)" if post.severed_on is not None else "VCCR 27(2)"), (
            f"The sending State's representation in the receiving State leaves as custodian: {' or '.join(allowed)}"
        )
    if custodian.kind == "consular-post" and custodian.post_id not in post.ss_open_posts:
        return "VCCR 27(2)(a)", "The custodian post must be another open consular post of the sending State here"
    if custodian.kind == "third-state" and custodian.state in (post.sending_state, post.receiving_state):
        return "VCCR 27(1)(b)", "A third State is neither the sending nor the receiving State"
    return None


def _propose_custodian(post: Post, body: CustodianProposal, ctx: Context) -> None:
    custodian = body.custodian.model_dump(exclude_none=True)
    if body.custodian.kind == "third-state":
        # The handover runs as its own lifecycle (models/custody.py); the post mirrors it.
        post.custody = {"id": custody_id(post, ctx), "custodian": custodian, "state": "proposed"}
    else:
        post.custody = {
            "custodian": custodian,
            "state": "active",
            "since": ctx.effective_date.isoformat(),
            "district_functions_consented": False if body.custodian.kind == "consular-post" else None,
        }


def custody_id(post: Post, ctx: Context) -> str:
    return f"{post.id}-C{post.acts_count + 1}"


def _custody_changed(post: Post, body: CustodyChanged, ctx: Context) -> None:
    if post.custody and post.custody.get("id") == body.custody.get("id"):
        post.custody = {**post.custody, **body.custody}


def _district_functions(post: Post, body: ActBody, ctx: Context) -> None:
    assert post.custody is not None
    post.custody = {**post.custody, "district_functions_consented": True}


_no_custody = Rule(
    "no_custody_pending",
    "VCCR 27(2)",
    "A custodian is already proposed or in charge",
    lambda p: p.custody is None or p.custody.get("state") in ("rejected", "declined"),
)
_post_custodian = Rule(
    "custody_by_consular_post",
    "VCCR 27(2)(a)",
    "No other consular post holds custody awaiting consent to act in the district",
    lambda p: (
        p.custody is not None
        and p.custody["custodian"]["kind"] == "consular-post"
        and p.custody.get("district_functions_consented") is False
    ),
)
CLOSED = ("closed-temporarily", "closed", "severed")
END_MEMBERS = "VCCR 27(2), 25"


def third_state_custody(post: Post) -> Any:
    from exequatur.models.custody import Custody

    assert post.custody is not None
    return Custody(
        id=post.custody["id"],
        post_id=post.id,
        sending_state=post.sending_state,
        receiving_state=post.receiving_state,
        third_state=post.custody["custodian"]["state"],
    )


def _protection_proposed(post: Post, body: ProtectingState, ctx: Context) -> None:
    post.protection = {"state": body.state, "status": "proposed", "on": ctx.effective_date.isoformat()}


def _protection_answered(status: str) -> Callable[[Post, ActBody, Context], None]:
    def effect(post: Post, body: ActBody, ctx: Context) -> None:
        assert post.protection is not None
        post.protection = {**post.protection, "status": status, "answered_on": ctx.effective_date.isoformat()}

    return effect


def _protecting_state_allowed(post: Post, body: ProtectingState) -> tuple[str, str] | None:
    if body.state in (post.sending_state, post.receiving_state):
        return "VCCR 27(1)(c)", "The protecting State is a third State"
    return None


_no_protection = Rule(
    "no_protection_pending",
    "VCCR 27(1)(c)",
    "A protecting State is already proposed or accepted",
    lambda p: p.protection is None or p.protection["status"] == "rejected",
)
_protection_proposed_rule = Rule(
    "protection_proposed",
    "VCCR 27(1)(c)",
    "No protecting State awaits acceptance",
    lambda p: p.protection is not None and p.protection["status"] == "proposed",
)

_relations_in_force = Rule(
    "consular_relations_in_force",
    "VCCR 2(1)",
    "Consular relations between the two States are severed",
    lambda p: not p.relations_severed,
)
_no_acting = Rule(
    "no_acting_head",
    "VCCR 15(1)",
    "An acting head is already designated; end that period first",
    lambda p: p.acting_head is None,
)
_acting = Rule(
    "acting_head_designated", "VCCR 15(1)", "No acting head is designated", lambda p: p.acting_head is not None
)
_awaiting_consent = Rule(
    "acting_head_awaits_consent",
    "VCCR 15(2)",
    "The acting head's admission is not conditional on consent, or consent is given",
    lambda p: p.acting_head is not None and p.acting_head.consent_required and p.acting_head.consented_on is None,
)
_keeps_privileges = Rule(
    "acting_head_keeps_diplomatic_privileges",
    "VCCR 15(4)",
    "The acting head is not a member of the diplomatic staff keeping diplomatic privileges",
    lambda p: p.acting_head is not None and p.acting_head.diplomatic_privileges,
)

_no_pending = Rule(
    "no_change_pending",
    "VCCR 4(3)",
    "A change already awaits the receiving State's consent",
    lambda p: p.pending_change is None,
)
_pending = Rule(
    "change_pending",
    "VCCR 4(3)",
    "No change of seat, classification or district awaits consent",
    lambda p: p.pending_change is not None,
)

POST = Lifecycle(
    name="post",
    title="Consular post (VCCR Arts. 4, 27)",
    states=PostState,
    record=Post,
    acts=(
        Act(
            "request-establishment",
            Party.SS,
            "VCCR 4(1)",
            "The sending State asks to establish a post; seat, classification and district "
            "are its proposal, subject to approval (4(2)).",
            (Route((), "awaiting-consent"),),
            body=PostRequest,
            effect=_requested,
            creates=True,
        ),
        Act(
            "consent",
            Party.RS,
            "VCCR 4(1)",
            "The receiving State consents to the post.",
            (Route(("awaiting-consent",), "open", (_relations_in_force,)),),
            effect=_consented,
        ),
        Act(
            "refuse",
            Party.RS,
            "VCCR 4(1)",
            "The receiving State refuses the post.",
            (Route(("awaiting-consent",), "refused"),),
        ),
        Act(
            "request-change",
            Party.SS,
            "VCCR 4(3)",
            "The sending State asks to change seat, classification or district; the old values stand until consent.",
            (Route(("open",), None, (_no_pending,)),),
            body=ChangeRequest,
            effect=_change_requested,
        ),
        Act(
            "consent-change",
            Party.RS,
            "VCCR 4(3)",
            "The receiving State consents to the change.",
            (Route(("open",), None, (_pending,)),),
            effect=_change_consented,
            tells=Tell(
                "member",
                "post-changed",
                related=lambda p: {"post_id": p.id},
                when=_moved,
                body=lambda p: {"seat": p.seat, "district": p.district},
                since="post-changes-reach-members",
            ),
        ),
        Act(
            "refuse-change",
            Party.RS,
            "VCCR 4(3)",
            "The receiving State refuses the change; the old values stay.",
            (Route(("open",), None, (_pending,)),),
            effect=_change_refused,
        ),
        Act(
            "designate-acting-head",
            Party.SS,
            "VCCR 15(1)",
            "An acting head acts provisionally while the head cannot act or the post is vacant; "
            "notified under 15(2), as a rule in advance.",
            (Route(("open",), None, (_no_acting,)),),
            body=Designation,
            effect=_designate,
            admissible=_designation_admissible,
        ),
        Act(
            "consent-acting-head",
            Party.RS,
            "VCCR 15(2)",
            "The receiving State consents to an acting head who is neither a diplomatic agent nor a "
            "consular officer of the sending State.",
            (Route(("open",), None, (_awaiting_consent,)),),
            effect=_consent_acting,
        ),
        Act(
            "object-to-diplomatic-privileges",
            Party.RS,
            "VCCR 15(4)",
            "The receiving State objects to the acting head keeping diplomatic privileges.",
            (Route(("open",), None, (_keeps_privileges,)),),
            effect=_object_privileges,
        ),
        Act(
            "end-acting-head",
            Party.SS,
            "VCCR 15(1)",
            "The head of post resumes: the acting period ends.",
            (Route(("open",), None, (_acting,)),),
            effect=_end_acting("VCCR 15(1): the head resumed"),
        ),
        Act(
            "head-admitted",
            Party.RS,
            "VCCR 15(1)",
            "A new head of post is admitted: the acting period ends.",
            (Route(("open",), None, (_acting,)),),
            body=HeadAdmitted,
            effect=_end_acting("VCCR 15(1): a new head was admitted"),
            automatic=True,
        ),
        Act(
            "close",
            Party.SS,
            "VCCR 27(2)",
            "The sending State closes the post, temporarily or permanently; the receiving State protects "
            "premises, property and archives (27(1)(a)) and the members' functions end.",
            (
                Route(("open",), "closed-temporarily", when_body=lambda b: b.kind == "temporary"),
                Route(("open",), "closed", when_body=lambda b: b.kind == "permanent"),
            ),
            body=Closure,
            effect=_close,
            tells=Tell(
                "member",
                "functions-ended",
                related=lambda p: {"post_id": p.id},
                body=lambda p: {"ground": "VCCR 27(2), 25"},
            ),
        ),
        Act(
            "reopen",
            Party.RS,
            "VCCR 4(1), 27(2)",
            "The receiving State consents to reopen a temporarily closed post.",
            (Route(("closed-temporarily",), "open", (_relations_in_force,)),),
            effect=_reopen,
        ),
        Act(
            "relations-severed",
            Party.RS,
            "VCCR 27(1)",
            "Consular relations between the two States were severed: the post is severed, the receiving "
            "State protects it (27(1)(a)), and every member's functions end.",
            (Route(("awaiting-consent", "open", "closed-temporarily"), "severed"),),
            body=RelationsSevered,
            effect=_severed,
            automatic=True,
            tells=Tell(
                "member",
                "functions-ended",
                related=lambda p: {"post_id": p.id},
                body=lambda p: {"ground": "VCCR 27(1), 25"},
            ),
        ),
        Act(
            "propose-custodian",
            Party.SS,
            "VCCR 27(2)",
            "The sending State entrusts the premises, property and archives: to its mission, else another of its "
            "posts, else a third State acceptable to the receiving State.",
            (Route(CLOSED, None, (_no_custody,)),),
            body=CustodianProposal,
            effect=_propose_custodian,
            admissible=_custodian_allowed,
            starts=Start(
                "custody",
                third_state_custody,
                when=lambda p: p.custody is not None and p.custody.get("state") == "proposed",
            ),
        ),
        Act(
            "propose-protecting-state",
            Party.SS,
            "VCCR 27(1)(c)",
            "The sending State entrusts the protection of its interests to a third State.",
            (Route(CLOSED, None, (_no_protection,)),),
            body=ProtectingState,
            effect=_protection_proposed,
            admissible=_protecting_state_allowed,
        ),
        Act(
            "accept-protecting-state",
            Party.RS,
            "VCCR 27(1)(c)",
            "The receiving State finds the protecting State acceptable.",
            (Route(CLOSED, None, (_protection_proposed_rule,)),),
            effect=_protection_answered("accepted"),
        ),
        Act(
            "reject-protecting-state",
            Party.RS,
            "VCCR 27(1)(c)",
            "The receiving State does not accept the protecting State; the sending State may propose another.",
            (Route(CLOSED, None, (_protection_proposed_rule,)),),
            effect=_protection_answered("rejected"),
        ),
        Act(
            "consent-district-functions",
            Party.RS,
            "VCCR 27(2)(a)",
            "The receiving State consents to the custodian post exercising functions in the closed post's district.",
            (Route(CLOSED, None, (_post_custodian,)),),
            effect=_district_functions,
        ),
        Act(
            "custody-changed",
            Party.RS,
            "VCCR 27(1)(b)",
            "The third-State handover moved on.",
            (Route(CLOSED),),
            body=CustodyChanged,
            effect=_custody_changed,
            automatic=True,
        ),
        Act(
            "notify-officer-precedence",
            Party.SS,
            "VCCR 21",
            "The order of precedence among the post's officers, or its change.",
            (Route(("open",)),),
            body=OfficerPrecedence,
            effect=_officer_order,
            admissible=officer_order_notifier,
        ),
    ),
    facts=("ss_diplomatic_mission", "acting_heads_need_consent", "relations_severed", "ss_open_posts"),
)
