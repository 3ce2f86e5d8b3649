"""The consular post (VCCR Arts. 4 and 27)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from models.common import ActBody, Party, StateCode, Strict
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
    last_effective_date: date | None = None
    acts_count: int = 0


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
            (Route(("awaiting-consent",), "open"),), effect=_consented),
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
    ),
)
