"""Register writes and reads done on behalf of workflows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity
from temporalio.exceptions import ApplicationError

from exequatur.models.lifecycle import Refusal
from exequatur.models.messages import ActEntry, RelatedIds, RelatedQuery
from exequatur.models.profile import Profile
from exequatur.register import outbox, queries
from exequatur.register.db import register_engine

# The type of a refusal the register makes as it records (VCCR 20's ceiling, register/queries.py):
# not retried, and the workflow refuses the act with its article as it refuses any other.
REGISTER_REFUSED = "RegisterRefused"


@contextmanager
def refusals_not_retried() -> Iterator[None]:
    try:
        yield
    except Refusal as refusal:
        raise ApplicationError(
            refusal.detail,
            {"status": refusal.status, "article": refusal.article, "state": refusal.state},
            type=REGISTER_REFUSED,
            non_retryable=True,
        ) from None


@activity.defn(name="record-act")
def record_act(entry: ActEntry) -> bool:
    """Append an accepted act to the register (idempotent by the update id)."""
    with refusals_not_retried():
        written = queries.record_act(register_engine(), entry)
    if written and entry.notices:
        outbox.queued()  # this process's relay delivers them now rather than at its next look
    return written


@activity.defn(name="record-acts")
def record_acts(entries: list[ActEntry]) -> int:
    """Append one record's acts in order in one transaction (an import's row; idempotent by
    each act's id)."""
    with refusals_not_retried():
        written = queries.record_acts(register_engine(), entries)
    if written and any(entry.notices for entry in entries):
        outbox.queued()
    return written


@activity.defn(name="read-profile")
def read_profile(receiving_state: str) -> Profile:
    """The receiving State's profile now (defaults where it has set none, docs/api.md)."""
    stored = queries.get_profile(register_engine(), receiving_state)
    return Profile.of(receiving_state, stored)


@activity.defn(name="related-records")
def related_records(query: RelatedQuery) -> RelatedIds:
    """Ids of the records of a kind that an act fans out to (a post's members, a pair's posts)."""
    filters = {k: tuple(v) if isinstance(v, list) else v for k, v in query.filters.items()}
    return RelatedIds(ids=[r["id"] for r in queries.list_records(register_engine(), query.kind, **filters)])
