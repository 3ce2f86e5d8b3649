"""Reads and idempotent writes of the register."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy import Connection, Engine, and_, bindparam, func, select, update

from exequatur.models.certificate import Restriction
from exequatur.models.household import Household
from exequatur.models.member import FUNCTIONS_ENDED, IN_FUNCTIONS, Member, staff_ceiling_refusal
from exequatur.models.messages import ActEntry, ListedAct
from exequatur.models.profile import Profile
from exequatur.models.relations import relations_id
from exequatur.register.schema import acts, notifications, profiles, records


def record_act(engine: Engine, entry: ActEntry) -> bool:
    """Append the act, update the record and queue its notices in one transaction.

    Idempotent by `act_id`: a retry after a crash appends nothing twice. The record's document
    is written every time: the workflow's latest view is the truth, and a retried write of an
    earlier act (its first result lost in a crash) comes with the newer document.
    The register numbers a record's acts in the order they are committed.
    """
    return record_acts(engine, [entry]) == 1


def record_acts(engine: Engine, entries: list[ActEntry]) -> int:
    """Append one record's acts, in order, in one transaction (an import's acts of a row,
    onboarding/): as `record_act` for each, the record's document written once, from the last.
    Returns how many were new."""
    written = 0
    with engine.begin() as conn:
        for entry in entries:
            written += _append(conn, entry)
        _upsert_record(conn, entries[-1])
    return written


# The write path's statements, built once: an act's write executes them with its values, and
# SQLAlchemy's construction and cache-key work is not repeated for every act.
_ACT_RECORDED = select(acts.c.seq).where(acts.c.act_id == bindparam("act_id"))
_LAST_RECORD_SEQ = select(func.max(acts.c.record_seq)).where(acts.c.record_id == bindparam("record_id"))
_INSERT_ACT = acts.insert()
_INSERT_NOTICE = notifications.insert()
_UPDATE_RECORD = update(records).where(records.c.id == bindparam("record_key"))  # SET: the values given
_INSERT_RECORD = records.insert()
# A member's appointment holds its post's row for the rest of the transaction (an UPDATE that
# changes nothing: a row lock on PostgreSQL, the write lock on SQLite, whose driver begins the
# transaction at the first write), so the count below sees every appointment committed before.
_HOLD_POST = update(records).where(records.c.id == bindparam("post_key")).values(updated_at=records.c.updated_at)
_MEMBERS_IN_FUNCTIONS = (
    select(func.count())
    .select_from(records)
    .where(
        records.c.kind == "member",
        records.c.post_id == bindparam("post_id"),
        records.c.state.not_in(FUNCTIONS_ENDED),
        func.coalesce(records.c.role, "") != "head",  # VCCR 20 limits the consular staff (1(1)(h)), not the head
    )
)
_PROFILE = select(profiles.c.document).where(profiles.c.state == bindparam("state"))


def _append(conn: Connection, entry: ActEntry) -> bool:
    if conn.execute(_ACT_RECORDED, {"act_id": entry.act_id}).first():
        return False
    doc = entry.document
    last = conn.execute(_LAST_RECORD_SEQ, {"record_id": entry.record_id}).scalar()
    if last is None and entry.kind == "member":
        _within_staff_ceiling(conn, doc)
    conn.execute(
        _INSERT_ACT,
        {
            "act_id": entry.act_id,
            "record_id": entry.record_id,
            "record_seq": (last or 0) + 1,
            "act": entry.act,
            "party": entry.party,
            "principal": entry.principal,
            "state_code": str(doc["state"]),
            "article": entry.article,
            "effective_date": entry.effective_date,
            "recorded_at": entry.recorded_at,
            "body": entry.body,
            "document": doc,
        },
    )
    if entry.notices:
        conn.execute(
            _INSERT_NOTICE,
            [
                {
                    "id": notice.id,
                    "record_id": notice.record_id,
                    "recipient": notice.recipient,
                    "article": notice.article,
                    "document": notice.model_dump(mode="json"),
                    "created_at": entry.recorded_at,
                }
                for notice in entry.notices
            ],
        )
    return True


def _within_staff_ceiling(conn: Connection, member: dict[str, Any]) -> None:
    """VCCR 20 where it cannot be raced: the API and the import refuse an appointment beyond the
    post's ceiling before its workflow starts, but two appointments at once both pass that check.
    Raises the Refusal; the transaction then records nothing."""
    if member["role"] == "head":
        return  # the ceiling is of the consular staff (VCCR 20 with 1(1)(h)): the head is not counted
    stored = conn.execute(_PROFILE, {"state": member["receiving_state"]}).scalar()
    profile = Profile.of(member["receiving_state"], stored)
    if member["post_id"] not in profile.staff_ceiling:
        return  # most posts have no ceiling: nothing to hold
    conn.execute(_HOLD_POST, {"post_key": member["post_id"]})
    in_functions = conn.execute(_MEMBERS_IN_FUNCTIONS, {"post_id": member["post_id"]}).scalar_one()
    refusal = staff_ceiling_refusal(member["post_id"], profile, in_functions)
    if refusal is not None:
        raise refusal


def _upsert_record(conn: Connection, entry: ActEntry) -> None:
    doc = entry.document
    values = dict(
        kind=entry.kind,
        sending_state=doc.get("sending_state"),
        receiving_state=doc.get("receiving_state"),
        post_id=doc.get("post_id"),
        role=doc.get("role"),
        member_id=doc.get("member_id"),
        state=str(doc["state"]),
        document=doc,
        updated_at=entry.recorded_at,
    )
    if entry.kind == "relations":
        values["sending_state"], values["receiving_state"] = doc["states"]
    if not conn.execute(_UPDATE_RECORD, {"record_key": entry.record_id, **values}).rowcount:
        conn.execute(_INSERT_RECORD, {"id": entry.record_id, **values})


# Reads take an engine, or the connection of a caller making several reads in one trip (the
# API's reads before an act, api/service.py): one checkout instead of one per read.
Bind: TypeAlias = Engine | Connection


@contextmanager
def _reading(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


# The reads every act makes, built once as the writes are.
_RECORD = select(records.c.document).where(records.c.id == bindparam("record_id"))
_RECORD_OF_KIND = _RECORD.where(records.c.kind == bindparam("kind"))
_ACTS_OF = (
    select(*(acts.c[name] for name in ListedAct.model_fields))
    .where(acts.c.record_id == bindparam("record_id"))
    .order_by(acts.c.record_seq)
)
_ACT_BY_ID = select(acts.c.record_id, acts.c.document).where(acts.c.act_id == bindparam("act_id"))


def get_record(bind: Bind, record_id: str, kind: str | None = None) -> dict[str, Any] | None:
    with _reading(bind) as conn:
        row = (
            conn.execute(_RECORD_OF_KIND, {"record_id": record_id, "kind": kind})
            if kind
            else conn.execute(_RECORD, {"record_id": record_id})
        ).first()
    return dict(row.document) if row else None


def list_records(bind: Bind, kind: str, **filters: str | tuple[str, ...] | None) -> list[dict[str, Any]]:
    """Records of a kind; a filter is a value, or a tuple of values any of which matches."""
    query = select(records.c.document).where(records.c.kind == kind)
    for name, value in filters.items():
        if isinstance(value, tuple):
            query = query.where(getattr(records.c, name).in_(value))
        elif value is not None:
            query = query.where(getattr(records.c, name) == value)
    with _reading(bind) as conn:
        return [dict(r.document) for r in conn.execute(query.order_by(records.c.id))]


def acts_of(bind: Bind, record_id: str) -> list[dict[str, Any]]:
    with _reading(bind) as conn:
        rows = [dict(r._mapping) for r in conn.execute(_ACTS_OF, {"record_id": record_id})]
    for row in rows:  # SQLite hands back naive datetimes; the register writes UTC
        if row["recorded_at"].tzinfo is None:
            row["recorded_at"] = row["recorded_at"].replace(tzinfo=UTC)
    return rows


def act_by_id(bind: Bind, act_id: str) -> dict[str, Any] | None:
    with _reading(bind) as conn:
        row = conn.execute(_ACT_BY_ID, {"act_id": act_id}).first()
    return dict(row._mapping) if row else None


def recorded_act_ids(engine: Engine, act_ids: list[str]) -> set[str]:
    """Which of these acts the register holds (the import skips them on a re-run)."""
    with engine.connect() as conn:
        return set(conn.execute(select(acts.c.act_id).where(acts.c.act_id.in_(act_ids))).scalars())


# A post's heads in functions (VCCR 1(1)(c), 10(1): one at a time), read before every act on a member.
_HEADS_IN_FUNCTIONS = select(records.c.id).where(
    records.c.kind == "member",
    records.c.post_id == bindparam("post_id"),
    records.c.role == "head",
    records.c.state.in_(IN_FUNCTIONS),
)


def heads_in_functions(bind: Bind, post_id: str) -> list[str]:
    """The ids of the post's heads whose functions run (admitted, provisionally or not, and not
    yet ended): ids only, since the facts ask only whether another head serves."""
    with _reading(bind) as conn:
        return list(conn.execute(_HEADS_IN_FUNCTIONS, {"post_id": post_id}).scalars())


# The sending State's open posts in the receiving State (27(2)(a): which post may take another's
# archives), read before every act on a post.
_OPEN_POSTS_OF_PAIR = select(records.c.id).where(
    records.c.kind == "post",
    records.c.receiving_state == bindparam("receiving_state"),
    records.c.sending_state == bindparam("sending_state"),
    records.c.state == "open",
)


def open_posts(bind: Bind, sending_state: str, receiving_state: str) -> list[str]:
    """The ids of the sending State's open posts in the receiving State, in id order: ids only,
    since a post's facts name them, and a State may keep dozens of posts in another."""
    parameters = {"sending_state": sending_state, "receiving_state": receiving_state}
    with _reading(bind) as conn:
        return sorted(conn.execute(_OPEN_POSTS_OF_PAIR, parameters).scalars())


def count_members_in_functions(bind: Bind, post_id: str) -> int:
    """The post's consular staff whose functions have not ended (VCCR 20's ceiling counts them:
    members other than the head, 1(1)(h))."""
    with _reading(bind) as conn:
        return int(conn.execute(_MEMBERS_IN_FUNCTIONS, {"post_id": post_id}).scalar_one())


def get_profile(bind: Bind, state: str) -> dict[str, Any] | None:
    with _reading(bind) as conn:
        row = conn.execute(_PROFILE, {"state": state}).first()
    return dict(row.document) if row else None


def put_profile(engine: Engine, state: str, document: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if not conn.execute(
            update(profiles).where(profiles.c.state == state).values(document=document, updated_at=now)
        ).rowcount:
            conn.execute(profiles.insert().values(state=state, document=document, updated_at=now))


def delivered(engine: Engine, record_id: str) -> list[dict[str, Any]]:
    query = (
        select(notifications.c.id, notifications.c.recipient, notifications.c.delivered_at)
        .where(and_(notifications.c.record_id == record_id, notifications.c.delivered_at.is_not(None)))
        .order_by(notifications.c.delivered_at, notifications.c.id)
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        if row["delivered_at"].tzinfo is None:
            row["delivered_at"] = row["delivered_at"].replace(tzinfo=UTC)
    return rows


def notification(engine: Engine, notice_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(notifications).where(notifications.c.id == notice_id)).first()
    return dict(row._mapping) if row else None


_MARK_DELIVERED = (
    update(notifications)
    .where(and_(notifications.c.id == bindparam("notice_id"), notifications.c.delivered_at.is_(None)))
    .values(delivered_at=bindparam("at"), channel=bindparam("via"))
)
_DELIVERED_AT = select(notifications.c.delivered_at).where(notifications.c.id == bindparam("notice_id"))


def mark_delivered(engine: Engine, notice_id: str, channel: str, at: datetime) -> datetime:
    """Record the first delivery; a second call keeps and returns the first time."""
    with engine.begin() as conn:
        conn.execute(_MARK_DELIVERED, {"notice_id": notice_id, "at": at, "via": channel})
        stored: datetime = conn.execute(_DELIVERED_AT, {"notice_id": notice_id}).scalar_one()
    return stored if stored.tzinfo else stored.replace(tzinfo=UTC)


MEMBER_LIST_FIELDS = (
    "seat",
    ("person", "full_name"),
    "class",
    "category",
    "diplomatic_acts",
    "provisionally_admitted_on",
    "exequatur_granted_on",
    "instrument_presented_on",
    "entered_duties_on",
    "functions_ended_on",
)
POST_LIST_FIELDS = (
    "seat",
    "officer_order",
    "acting_head",
    "past_acting_heads",
    "changes",
    "closure",
    "closed_on",
    "severed_on",
)


def consular_list_rows(engine: Engine, receiving_state: str) -> tuple[list[Any], list[Any]]:
    """What the consular list (VCCR 16) reads of every head and officer, and of every post, in a
    receiving State: only those fields, extracted by the database as text, not whole documents
    (decoding and validating 10,000 documents in Python was most of the list's time).

    Members: id, post_id, sending_state, role, then MEMBER_LIST_FIELDS. Posts: id, sending_state,
    then POST_LIST_FIELDS. Dates come as ISO text, lists and objects as their JSON text, a missing
    or null field as None. Each ordered by id, as `list_records` orders them.
    """
    doc = records.c.document
    members = (
        select(
            records.c.id,
            records.c.post_id,
            records.c.sending_state,
            records.c.role,
            *(doc[f].as_string() for f in MEMBER_LIST_FIELDS),
        )
        .where(
            and_(
                records.c.kind == "member",
                records.c.receiving_state == receiving_state,
                records.c.role.in_(("head", "officer")),
            )
        )
        .order_by(records.c.id)
    )
    posts = (
        select(records.c.id, records.c.sending_state, *(doc[f].as_string() for f in POST_LIST_FIELDS))
        .where(and_(records.c.kind == "post", records.c.receiving_state == receiving_state))
        .order_by(records.c.id)
    )
    with engine.connect() as conn:
        return list(conn.execute(members).all()), list(conn.execute(posts).all())  # rows unpack as tuples


def certificate_facts(bind: Bind, member_id: str) -> tuple[Member, Profile, list[Restriction]] | None:
    """What a status certificate reads, in one trip: the member, the receiving State's profile
    (force of law, s.15) and the reciprocity orders on the pair's relations (s.16)."""
    with _reading(bind) as conn:
        document = get_record(conn, member_id, "member")
        if document is None:
            return None
        member = Member.model_validate(document)
        profile = Profile.of(member.receiving_state, get_profile(conn, member.receiving_state))
        relations = get_record(conn, relations_id(member.sending_state, member.receiving_state), "relations") or {}
    return member, profile, [Restriction.model_validate(r) for r in relations.get("restrictions", [])]


def household_certificate_facts(
    bind: Bind, household_id: str
) -> tuple[Household, Member, Profile, list[Restriction]] | None:
    """What a household's certificate reads: the person, the member, the profile and the orders."""
    with _reading(bind) as conn:
        document = get_record(conn, household_id, "household")
        if document is None:
            return None
        household = Household.model_validate(document)
        facts = certificate_facts(conn, household.member_id)
    assert facts is not None  # a household is created on a recorded member
    member, profile, restrictions = facts
    return household, member, profile, restrictions
