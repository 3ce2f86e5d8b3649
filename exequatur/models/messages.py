"""The records workflows exchange: the inputs and results of every workflow, update, signal,
query and activity (pydantic data converter), and the register's entry of an act."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from exequatur.models.common import Notice, Party
from exequatur.models.profile import Profile


class ActEntry(BaseModel):
    """One accepted act and the record as it left it."""

    act_id: str
    kind: str
    record_id: str
    act: str
    party: str
    principal: str
    article: str
    effective_date: date
    recorded_at: datetime
    body: dict[str, Any]
    document: dict[str, Any]
    notices: list[Notice] = []


class ListedAct(BaseModel):
    """An act as a record's answer lists it (`acts_of`): what, by whom, under which article,
    the state it left the record in, and when."""

    act: str
    party: str
    principal: str
    state_code: str
    article: str
    effective_date: date
    recorded_at: datetime

    @classmethod
    def of(cls, entry: ActEntry) -> ListedAct:
        """The entry as `acts_of` will list it once recorded."""
        return cls(
            act=entry.act,
            party=entry.party,
            principal=entry.principal,
            state_code=str(entry.document["state"]),
            article=entry.article,
            effective_date=entry.effective_date,
            recorded_at=entry.recorded_at,
        )


class StartInput(BaseModel):
    """A lifecycle's record at start; `created` once the creation act is recorded
    (continue-as-new carries the record on)."""

    record: dict[str, Any]
    created: bool = False
    deliveries_due: bool = False
    open_itself: bool = False  # started by another workflow: perform the creating act at once


class ActRequest(BaseModel):
    """An act as a caller performs it: the party the API established and the principal."""

    party: Party
    principal: str = Field(max_length=64)
    body: dict[str, Any] = Field(default_factory=dict)
    facts: dict[str, Any] = Field(default_factory=dict)  # the lifecycle's `facts`, from the register
    # The State the caller speaks for (the API's principal): an effect that depends on which State
    # of a pair acts reads it (docs/domain.md, Art. 2). None from builds before it was sent.
    state: str | None = None
    # The receiving State's profile as the caller read it with the facts, for an act whose effect
    # sets a deadline (its periods): the workflow then need not read it (one activity fewer).
    profile: Profile | None = None


class PastAct(BaseModel):
    """One act of a record's past, with the id the register keeps it under."""

    act: str
    body: dict[str, Any] = Field(default_factory=dict)
    act_id: str = Field(min_length=1, max_length=64)


class PastActs(BaseModel):
    """A record's acts performed before this service kept its register (the import,
    onboarding/): each by the party the Convention gives it to, in order, in one Update."""

    principal: str = Field(max_length=64)
    facts: dict[str, Any] = Field(default_factory=dict)
    profile: Profile | None = None  # as in ActRequest
    acts: list[PastAct] = Field(min_length=1, max_length=16)


# The Update that records a record's past acts (not offered by the API: the operators' import).
PAST_ACTS_UPDATE = "record-past-acts"


class AutomaticAct(BaseModel):
    """An act the service performs on a record because of another record's act (e.g. a new
    head admitted ends the post's acting period, VCCR 15(1))."""

    act: str
    body: dict[str, Any] = Field(default_factory=dict)


class ActOutcome(BaseModel):
    record_id: str
    state: str
    record_seq: int
    # The record as the act left it and the act as the record's answer lists it: the API answers
    # from these instead of reading the register again. None for a record's past
    # acts (the import reads nothing back) and from builds before they were sent.
    document: dict[str, Any] | None = None
    act: ListedAct | None = None


# ApplicationError types the API maps onto HTTP statuses.
REFUSED = "ActRefused"  # the status it carries (403, 404, 409), with article and state
INVALID = "InvalidInput"  # 422, with the fields
REGISTER_UNAVAILABLE = "RegisterUnavailable"  # 503, retry with the same Idempotency-Key


# ---- activities ----------------------------------------------------------------------


class RelatedQuery(BaseModel):
    kind: str
    filters: dict[str, str | list[str]]


class RelatedIds(BaseModel):
    ids: list[str]


class Delivered(BaseModel):
    id: str
    recipient: str
    delivered_at: datetime


class DeliveryResult(BaseModel):
    delivered: list[Delivered]
