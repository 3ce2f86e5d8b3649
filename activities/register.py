"""Register writes and reads done on behalf of workflows."""

from __future__ import annotations

from temporalio import activity

from models.profile import Profile
from register import queries
from register.db import engine_for
from register.queries import ActEntry
from settings import get_settings


def _engine():  # type: ignore[no-untyped-def]
    return engine_for(get_settings().effective_database_url)


@activity.defn(name="record-act")
def record_act(entry: ActEntry) -> bool:
    """Append an accepted act to the register (idempotent by the update id)."""
    return queries.record_act(_engine(), entry)


@activity.defn(name="read-profile")
def read_profile(receiving_state: str) -> Profile:
    """The receiving State's profile now (defaults where it has set none, API.md)."""
    stored = queries.get_profile(_engine(), receiving_state)
    return Profile.model_validate(stored or {})
