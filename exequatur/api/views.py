"""The answers' shapes, read from the registry of kinds: a record as the API shows it is its
lifecycle's record model, the acts it has had and the acts the caller may perform next (a post
also names its head). Routes declare these as their response models, so FastAPI checks every
answer against them and the OpenAPI document gives integrators the answers' real schemas."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from exequatur.models.kinds import KINDS
from exequatur.models.member import HeadClass
from exequatur.models.messages import ListedAct


class HeadOfPost(BaseModel):
    """The post's current head (VCCR 10-12): who, of which class (Art. 9), in which state."""

    model_config = ConfigDict(populate_by_name=True)

    member_id: str
    class_: HeadClass | None = Field(None, alias="class")
    state: str


def _view(kind_name: str) -> type[BaseModel]:
    record = KINDS[kind_name].lifecycle.record
    fields: dict[str, Any] = {
        "acts": (list[ListedAct], Field(description="every act the record has had, in order")),
        "allowed_acts": (list[str], Field(description="the acts this caller may perform now")),
    }
    if kind_name == "post":
        fields["head"] = (HeadOfPost | None, Field(None, description="the head of post, if one is appointed"))
    return create_model(f"{record.__name__}View", __base__=record, __doc__=record.__doc__, **fields)


VIEWS: dict[str, type[BaseModel]] = {name: _view(name) for name in KINDS}
"""A record with its acts and the caller's next acts: what reading or acting on it answers."""

RECORDS: dict[str, type[BaseModel]] = {name: kind.lifecycle.record for name, kind in KINDS.items()}
"""A record as listed (without its acts)."""

LISTS: dict[str, Any] = {name: list[model] for name, model in RECORDS.items()}  # type: ignore[valid-type]
"""The records of a kind as a list route answers them."""


class Deadline(BaseModel):
    field: str = Field(description="the record's field holding the deadline")
    at: Any = Field(None, description="when it falls, as the record would hold it")
    act: str = Field(description="the act the service performs when it falls")
    article: str


class Effect(BaseModel):
    """An act the service would perform on another record in consequence (a severance closes the
    posts, their closure ends the members' functions, and so on), with what that act would do."""

    model_config = ConfigDict(extra="allow")

    kind: str
    record_id: str
    act: str
    article: str


class Started(BaseModel):
    kind: str
    record: dict[str, Any]


def _what_if(kind_name: str) -> type[BaseModel]:
    return create_model(
        f"{RECORDS[kind_name].__name__}WhatIf",
        __doc__="What the act would do (`?dry_run=true`), recording nothing.",
        dry_run=(Literal[True], ...),
        act=(str, ...),
        article=(str, ...),
        answer=(VIEWS[kind_name], Field(description="the record as the act would leave it")),
        state=(str, Field(description="the state the act would leave the record in")),
        notices=(list[dict[str, Any]], Field(description="the notices it would send (GET /v1/notices/schema)")),
        deadlines=(list[Deadline], ...),
        effects=(list[Effect], ...),
        starts=(list[Started], Field(description="the records it would open (a custody, say)")),
    )


WHAT_IFS: dict[str, type[BaseModel]] = {name: _what_if(name) for name in KINDS}


def act_answer(kind_name: str, dry_run_kind: str | None = None) -> Any:
    """An act answers the record as it left it, or with `?dry_run=true` what it would do."""
    return VIEWS[kind_name] | WHAT_IFS[dry_run_kind or kind_name]
