"""The consular list of a receiving State on a date (VCCR 16), read from the register: two
queries for the whole list and the order of precedence (models/precedence.py). Rendered by the
API (api/consular_list.py: JSON, HTML, CSV) and by `exequatur precedence`."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from exequatur.models.post import ActingHead, OfficerOrder
from exequatur.models.precedence import Entry, MemberFacts, PostFacts, listed_on, order, seat_changes
from exequatur.models.profile import Profile
from exequatur.register import queries


def consular_list_entries(engine: Any, receiving_state: str, on: date) -> list[Entry]:
    """The consular list of a receiving State on a date (VCCR 16): the register's reads and the
    order, for the API, `exequatur precedence` and the bench alike."""
    with collection_paused():
        members, posts, profile = consular_list_facts(engine, receiving_state)
        return order(listed_on(members, posts, on), profile.tie_break)


_pause_lock = threading.Lock()
_pauses = 0
_collecting = True


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a list is built. A list of 5,000 heads
    allocates some 50,000 objects, none in a cycle (reference counting frees them all), and in a
    process with a small heap (the API alone) they set off full collections that cost as much as
    the list itself. Counted, so overlapping requests in the API's
    threads resume collection only when the last one ends."""
    global _pauses, _collecting
    with _pause_lock:
        if _pauses == 0:
            _collecting = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collecting:
                gc.enable()


def consular_list_facts(engine: Any, receiving_state: str) -> tuple[list[MemberFacts], list[PostFacts], Profile]:
    """Two queries for the whole list, however large the corps: heads and officers, and posts,
    each only the fields the list reads (no record is decoded or validated whole)."""
    members, posts = queries.consular_list_rows(engine, receiving_state)
    return (
        [_member_facts(row) for row in members],
        [_post_facts(row) for row in posts],
        Profile.of(receiving_state, queries.get_profile(engine, receiving_state)),
    )


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _member_facts(row: tuple[Any, ...]) -> MemberFacts:
    (
        id_,
        post_id,
        sending_state,
        role,
        seat,
        full_name,
        class_,
        category,
        diplomatic_acts,
        provisional,
        exequatur,
        presented,
        entered,
        ended,
    ) = row
    return MemberFacts(
        id_,
        post_id,
        sending_state,
        role,
        seat,
        full_name,
        class_,
        category,
        diplomatic_acts,
        _day(provisional),
        _day(exequatur),
        _day(presented),
        _day(entered),
        _day(ended),
    )


def _post_facts(row: tuple[Any, ...]) -> PostFacts:
    id_, sending_state, seat, officer_order, acting_head, past_acting_heads, changes, closure, closed_on, severed_on = (
        row
    )
    # Most posts have neither an Art. 21 order nor an acting head: nothing to decode, and the
    # empty tuple is shared, not one more object per post for the garbage collector to scan.
    orders = (
        tuple(OfficerOrder.model_validate(o) for o in json.loads(officer_order))
        if officer_order not in (None, "[]")
        else ()
    )
    acting = (
        tuple(ActingHead.model_validate(h) for h in json.loads(past_acting_heads))
        if past_acting_heads not in (None, "[]")
        else ()
    )
    if acting_head is not None:
        acting += (ActingHead.model_validate_json(acting_head),)
    moves = seat_changes(json.loads(changes)) if changes not in (None, "[]") else ()
    ends = [date.fromisoformat(d) for d in (closed_on if closure else None, severed_on) if d]  # reopened: open
    return PostFacts(id_, sending_state, seat, orders, acting, moves, min(ends) if ends else None)
