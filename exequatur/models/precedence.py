"""Precedence of heads of consular posts (VCCR Art. 16): the consular list of a receiving
State, as one pure function over facts read from the register."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

from exequatur.models.common import STATE_NAMES
from exequatur.models.member import HEAD_CLASSES, Member
from exequatur.models.post import ActingHead, OfficerOrder, Post

Standing = Literal["head", "acting", "officer"]


class Listed(BaseModel):
    """One person on the consular list on a date, with the facts Art. 16 orders by."""

    member_id: str | None  # None for an acting head who is not a member of the post
    post_id: str
    sending_state: str
    seat: str
    standing: Standing
    class_: str | None = None
    category: str | None = None
    full_name: str
    precedence_date: date | None = None  # heads: 16(1)-(2); acting heads: date assumed (16(4))
    instrument_presented_on: date | None = None  # 16(3)
    officer_position: int | None = None  # Art. 21 order within the post
    diplomatic_acts: bool = False  # 17(1), consented

    model_config = {"populate_by_name": True}


class Entry(Listed):
    rank: int
    acting: bool
    tie_break: str | None = None  # set where the profile's last resort decided (16, usage)


CLASS_RANK: dict[str | None, int] = {name: rank for rank, name in enumerate(HEAD_CLASSES)}  # 16(1), Art. 9 order


def _head_key(item: Listed, tie_break: str) -> tuple[Any, ...]:
    return (
        CLASS_RANK[item.class_],  # 16(1), Art. 9 order
        0 if item.category == "career" else 1,  # 16(5)
        item.precedence_date,  # 16(1)-(2)
        item.instrument_presented_on or date.max,  # 16(3)
    )


def _last_resort(item: Listed, tie_break: str) -> tuple:
    # Ids, then the name, make the order total even for two acting heads of one post.
    if tie_break == "sending-state-name":
        return (
            STATE_NAMES.get(item.sending_state, item.sending_state),
            item.post_id,
            item.member_id or "",
            item.full_name,
        )
    return (item.post_id, item.member_id or "", item.full_name)


def order(listed: Iterable[Listed], tie_break: str = "sending-state-name") -> list[Entry]:
    """The consular list: heads by 16(1), 16(5), 16(2), 16(3) and the last resort; then acting
    heads by the date they assumed functions (16(4)); then officers who are not heads (16(6)),
    post by post in the order of their heads, each post's in its Art. 21 order."""
    items = list(listed)
    # Each key once per item: the sort, the ties and the entries all read it.
    heads = sorted(
        ((_head_key(i, tie_break), i) for i in items if i.standing == "head"),
        key=lambda pair: (pair[0], _last_resort(pair[1], tie_break)),
    )
    acting = sorted(
        (i for i in items if i.standing == "acting"), key=lambda i: (i.precedence_date, _last_resort(i, tie_break))
    )
    post_rank: dict[str, int] = {}
    for position, item in enumerate([*(i for _, i in heads), *acting]):
        post_rank.setdefault(item.post_id, position)
    officers = sorted(
        (i for i in items if i.standing == "officer"),
        key=lambda i: (
            post_rank.get(i.post_id, len(items)),
            i.post_id,
            i.officer_position if i.officer_position is not None else len(items),
            i.precedence_date or date.max,
            i.member_id or "",
            i.full_name,
        ),
    )
    head_keys: dict[tuple, int] = {}
    for key, _ in heads:
        head_keys[key] = head_keys.get(key, 0) + 1
    acting_keys: dict[date | None, int] = {}
    for head in acting:
        acting_keys[head.precedence_date] = acting_keys.get(head.precedence_date, 0) + 1

    # Validated from validated fields: pydantic-core builds an Entry faster than model_construct's
    # Python loop (about 5 against 30 microseconds here), and the list may hold thousands.
    entries = [
        Entry(**item.__dict__, rank=rank, acting=False, tie_break=tie_break if head_keys[key] > 1 else None)
        for rank, (key, item) in enumerate(heads, start=1)
    ]
    for item in acting:
        entries.append(
            Entry(
                **item.__dict__,
                rank=len(entries) + 1,
                acting=True,
                tie_break=tie_break if acting_keys[item.precedence_date] > 1 else None,
            )
        )
    for item in officers:
        entries.append(Entry(**item.__dict__, rank=len(entries) + 1, acting=False, tie_break=None))
    return entries


class MemberFacts(NamedTuple):
    """What the list reads of a member's record (`MemberFacts.of(member)`, or the register's
    `consular_list_rows`): a few fields, not the whole record."""

    id: str
    post_id: str
    sending_state: str
    role: str
    seat: str | None
    full_name: str
    class_: str | None
    category: str | None
    diplomatic_acts: str | None
    provisionally_admitted_on: date | None
    exequatur_granted_on: date | None
    instrument_presented_on: date | None
    entered_duties_on: date | None
    functions_ended_on: date | None

    @classmethod
    def of(cls, m: Member) -> MemberFacts:
        return cls(
            m.id,
            m.post_id,
            m.sending_state,
            m.role,
            m.seat,
            m.person.full_name,
            m.class_,
            m.category,
            m.diplomatic_acts,
            m.provisionally_admitted_on,
            m.exequatur_granted_on,
            m.instrument_presented_on,
            m.entered_duties_on,
            m.functions_ended_on,
        )


class PostFacts(NamedTuple):
    """What the list reads of a post's record: its seat, its Art. 21 orders and acting heads."""

    id: str
    sending_state: str
    seat: str
    officer_order: tuple[OfficerOrder, ...]
    acting_heads: tuple[ActingHead, ...]
    # Consented changes of seat, oldest first: (from the date, the seat before) (VCCR 4(3)).
    seat_moves: tuple[tuple[date, str], ...] = ()
    # When the post closed or was severed: no acting head acts for it from then on (VCCR 15, 27).
    ended_on: date | None = None

    @classmethod
    def of(cls, p: Post) -> PostFacts:
        ends = [d for d in (p.closed_on if p.closure else None, p.severed_on) if d is not None]  # reopened: open
        return cls(
            p.id,
            p.sending_state,
            p.seat,
            tuple(p.officer_order),
            tuple(p.acting_heads()),
            seat_changes(p.changes),
            min(ends) if ends else None,
        )

    def seat_of(self, member_seat: str | None, on: date) -> str:
        """A member's seat on a date: his own where he has one apart from the post's, else the post's."""
        return member_seat if member_seat and member_seat != self.seat else self.seat_on(on)

    def seat_on(self, on: date) -> str:
        """The seat as it stood on a date: a consented change shows from its date (4(3))."""
        seat = self.seat
        for changed_on, before in reversed(self.seat_moves):
            if on < changed_on:
                seat = before
        return seat


def in_functions_on(member: Member | MemberFacts, on: date) -> bool:
    ended = member.functions_ended_on
    return ended is None or ended > on


def seat_changes(changes: Iterable[dict[str, str]]) -> tuple[tuple[date, str], ...]:
    return tuple((date.fromisoformat(c["on"]), c["from"]) for c in changes if c["field"] == "seat")


def listed_on(members: Iterable[Member | MemberFacts], posts: Iterable[Post | PostFacts], on: date) -> list[Listed]:
    """Who the list holds on a date: admitted heads whose functions have not ended, acting
    heads while they act, officers in functions (all from the register's records)."""
    by_id = {p.id: p if isinstance(p, PostFacts) else PostFacts.of(p) for p in posts}
    out: list[Listed] = []
    for member in members:
        m = member if isinstance(member, MemberFacts) else MemberFacts.of(member)
        post = by_id.get(m.post_id)
        if post is None or not in_functions_on(m, on):
            continue
        if m.role == "head":
            admitted = [d for d in (m.provisionally_admitted_on, m.exequatur_granted_on) if d and d <= on]
            if admitted:
                out.append(
                    Listed(
                        member_id=m.id,
                        post_id=m.post_id,
                        sending_state=m.sending_state,
                        seat=post.seat_of(m.seat, on),
                        full_name=m.full_name,
                        category=m.category,
                        diplomatic_acts=m.diplomatic_acts == "consented",
                        standing="head",
                        class_=m.class_,
                        precedence_date=min(admitted),
                        officer_position=None,
                        instrument_presented_on=m.instrument_presented_on,
                    )
                )
        elif m.role == "officer":
            began = [d for d in (m.entered_duties_on, m.exequatur_granted_on) if d and d <= on]
            if began:
                notified = [o for o in post.officer_order if o.on <= on]
                order_ = notified[-1].order if notified else []
                out.append(
                    Listed(
                        member_id=m.id,
                        post_id=m.post_id,
                        sending_state=m.sending_state,
                        seat=post.seat_of(m.seat, on),
                        full_name=m.full_name,
                        category=m.category,
                        diplomatic_acts=m.diplomatic_acts == "consented",
                        standing="officer",
                        precedence_date=min(began),
                        officer_position=order_.index(m.id) if m.id in order_ else None,
                    )
                )
    for post in by_id.values():
        for head in post.acting_heads:
            consented = not head.consent_required or (head.consented_on is not None and head.consented_on <= on)
            post_open = post.ended_on is None or on < post.ended_on  # records closed before 15 ended them too
            if head.assumed_on <= on and (head.ended_on is None or head.ended_on > on) and consented and post_open:
                out.append(
                    Listed(
                        member_id=None,
                        post_id=post.id,
                        sending_state=post.sending_state,
                        seat=post.seat_on(on),
                        standing="acting",
                        full_name=head.person.full_name,
                        precedence_date=head.assumed_on,
                    )
                )
    return out
