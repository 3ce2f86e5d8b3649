"""The consular post (VCCR Arts. 4 and 27)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from models.common import ActBody, Party, Person, StateCode, Strict
from models.lifecycle import Act, Context, Lifecycle, Route, Rule


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
    custody: dict[str, object] | None = None
    requested_on: date | None = None
    established_on: date | None = None
    acting_head: ActingHead | None = None
    past_acting_heads: list[ActingHead] = Field(default_factory=list)
    officer_order: list[OfficerOrder] = Field(default_factory=list)  # every notified order, dated
    # Facts of the relations pair, refreshed from the register with every act:
    ss_diplomatic_mission: bool = False  # does SS keep a diplomatic mission in RS (15(2), 21, 27)?
    acting_heads_need_consent: bool = True  # RS's choice under 15(2), from its profile
    relations_severed: bool = False  # consular relations of the pair severed (2(1), 27(1))
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


class ChangeRequest(ActBody, PostChange):
    """`request-change`: any of seat, classification, district (VCCR 4(3))."""

    @model_validator(mode="after")
    def _something_changes(self) -> ChangeRequest:
        if self.seat is None and self.classification is None and self.district is None:
            raise ValueError("name at least one of seat, classification, district (VCCR 4(3))")
        return self


class Designation(ActBody):
    """`designate-acting-head` (VCCR 15(1)-(2))."""

    person: Person
    from_: date = Field(alias="from", description="the date the acting head assumes functions")
    notified_by: Notifier
    is_diplomatic_agent: bool = False
    is_consular_officer: bool = False


class OfficerPrecedence(ActBody):
    """`notify-officer-precedence` (VCCR 21): member ids of the post's officers, in order."""

    order: list[str] = Field(min_length=1)
    notified_by: Literal["diplomatic-mission", "head-of-post"]


class HeadAdmitted(ActBody):
    member_id: str


def allowed_notifiers(post: Post) -> tuple[str, ...]:
    """15(2): SS's diplomatic mission; if none, the head of post, or if he cannot, any
    competent authority of SS."""
    return ("diplomatic-mission",) if post.ss_diplomatic_mission else ("head-of-post", "competent-authority")


def _notifier(article: str, allowed: Callable[[Post], tuple[str, ...]]):  # type: ignore[no-untyped-def]
    def check(post: Post, body: Designation | OfficerPrecedence) -> tuple[str, str] | None:
        if body.notified_by in allowed(post):
            return None
        where = "keeps" if post.ss_diplomatic_mission else "keeps no"
        return article, (f"The sending State {where} diplomatic mission in the receiving State: the notice "
                         f"comes from the {' or the '.join(allowed(post))}")
    return check


acting_head_notifier = _notifier("VCCR 15(2)", allowed_notifiers)
officer_order_notifier = _notifier(
    "VCCR 21", lambda post: ("diplomatic-mission",) if post.ss_diplomatic_mission else ("head-of-post",))


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
        post.changes.append({"field": name, "from": str(getattr(post, name)), "to": value, "on": ctx.effective_date.isoformat()})
        setattr(post, name, value)
    post.pending_change = None


def _change_refused(post: Post, body: ActBody, ctx: Context) -> None:
    post.pending_change = None  # VCCR 4(3): the old values stay


def _designate(post: Post, body: Designation, ctx: Context) -> None:
    consent = post.acting_heads_need_consent and not (body.is_diplomatic_agent or body.is_consular_officer)
    post.acting_head = ActingHead(
        person=body.person, assumed_on=body.from_, notified_on=ctx.effective_date, notified_by=body.notified_by,
        is_diplomatic_agent=body.is_diplomatic_agent, is_consular_officer=body.is_consular_officer,
        late_notice=body.from_ < ctx.effective_date, consent_required=consent,
        diplomatic_privileges=body.is_diplomatic_agent,  # 15(4), unless RS objects
    )


def _consent_acting(post: Post, body: ActBody, ctx: Context) -> None:
    assert post.acting_head is not None
    post.acting_head.consented_on = ctx.effective_date


def _object_privileges(post: Post, body: ActBody, ctx: Context) -> None:
    assert post.acting_head is not None
    post.acting_head.diplomatic_privileges = False


def _end_acting(basis: str):  # type: ignore[no-untyped-def]
    def effect(post: Post, body: ActBody, ctx: Context) -> None:
        assert post.acting_head is not None
        post.acting_head.ended_on, post.acting_head.end_basis = ctx.effective_date, basis
        post.past_acting_heads.append(post.acting_head)
        post.acting_head = None
    return effect


def _officer_order(post: Post, body: OfficerPrecedence, ctx: Context) -> None:
    post.officer_order.append(OfficerOrder(order=body.order, notified_by=body.notified_by, on=ctx.effective_date))


_relations_in_force = Rule("consular_relations_in_force", "VCCR 2(1)",
                           "Consular relations between the two States are severed", lambda p: not p.relations_severed)
_no_acting = Rule("no_acting_head", "VCCR 15(1)", "An acting head is already designated; end that period first",
                  lambda p: p.acting_head is None)
_acting = Rule("acting_head_designated", "VCCR 15(1)", "No acting head is designated", lambda p: p.acting_head is not None)
_awaiting_consent = Rule("acting_head_awaits_consent", "VCCR 15(2)",
                         "The acting head's admission is not conditional on consent, or consent is given",
                         lambda p: p.acting_head is not None and p.acting_head.consent_required
                         and p.acting_head.consented_on is None)
_keeps_privileges = Rule("acting_head_keeps_diplomatic_privileges", "VCCR 15(4)",
                         "The acting head is not a member of the diplomatic staff keeping diplomatic privileges",
                         lambda p: p.acting_head is not None and p.acting_head.diplomatic_privileges)

_no_pending = Rule("no_change_pending", "VCCR 4(3)", "A change already awaits the receiving State's consent", lambda p: p.pending_change is None)
_pending = Rule("change_pending", "VCCR 4(3)", "No change of seat, classification or district awaits consent", lambda p: p.pending_change is not None)

POST = Lifecycle(
    name="post",
    title="Consular post (VCCR Arts. 4, 27)",
    states=PostState,
    record=Post,
    acts=(
        Act("request-establishment", Party.SS, "VCCR 4(1)",
            "The sending State asks to establish a post; seat, classification and district "
            "are its proposal, subject to approval (4(2)).",
            (Route((), "awaiting-consent"),), body=PostRequest, effect=_requested, creates=True),
        Act("consent", Party.RS, "VCCR 4(1)", "The receiving State consents to the post.",
            (Route(("awaiting-consent",), "open", (_relations_in_force,)),), effect=_consented),
        Act("refuse", Party.RS, "VCCR 4(1)", "The receiving State refuses the post.",
            (Route(("awaiting-consent",), "refused"),)),
        Act("request-change", Party.SS, "VCCR 4(3)",
            "The sending State asks to change seat, classification or district; the old values "
            "stand until consent.",
            (Route(("open",), None, (_no_pending,)),), body=ChangeRequest, effect=_change_requested),
        Act("consent-change", Party.RS, "VCCR 4(3)", "The receiving State consents to the change.",
            (Route(("open",), None, (_pending,)),), effect=_change_consented),
        Act("refuse-change", Party.RS, "VCCR 4(3)", "The receiving State refuses the change; the old values stay.",
            (Route(("open",), None, (_pending,)),), effect=_change_refused),
        Act("designate-acting-head", Party.SS, "VCCR 15(1)",
            "An acting head acts provisionally while the head cannot act or the post is vacant; "
            "notified under 15(2), as a rule in advance.",
            (Route(("open",), None, (_no_acting,)),), body=Designation, effect=_designate,
            admissible=acting_head_notifier),
        Act("consent-acting-head", Party.RS, "VCCR 15(2)",
            "The receiving State consents to an acting head who is neither a diplomatic agent nor a "
            "consular officer of the sending State.",
            (Route(("open",), None, (_awaiting_consent,)),), effect=_consent_acting),
        Act("object-to-diplomatic-privileges", Party.RS, "VCCR 15(4)",
            "The receiving State objects to the acting head keeping diplomatic privileges.",
            (Route(("open",), None, (_keeps_privileges,)),), effect=_object_privileges),
        Act("end-acting-head", Party.SS, "VCCR 15(1)", "The head of post resumes: the acting period ends.",
            (Route(("open",), None, (_acting,)),), effect=_end_acting("VCCR 15(1): the head resumed")),
        Act("head-admitted", Party.RS, "VCCR 15(1)",
            "A new head of post is admitted: the acting period ends.",
            (Route(("open",), None, (_acting,)),), body=HeadAdmitted,
            effect=_end_acting("VCCR 15(1): a new head was admitted"), automatic=True),
        Act("notify-officer-precedence", Party.SS, "VCCR 21",
            "The order of precedence among the post's officers, or its change.",
            (Route(("open",)),), body=OfficerPrecedence, effect=_officer_order, admissible=officer_order_notifier),
    ),
    facts=("ss_diplomatic_mission", "acting_heads_need_consent", "relations_severed"),
)
