"""The register on SQLite always, and on PostgreSQL when CONSULAR_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from exequatur.models.common import Notice
from exequatur.models.lifecycle import Refusal
from exequatur.register import queries
from exequatur.register.db import engine_for, migrate
from exequatur.models.messages import ActEntry



def entry(seq: int, act: str, state: str, act_id: str | None = None, notices: list[Notice] | None = None) -> ActEntry:
    document = {"id": "M-1", "post_id": "P-1", "sending_state": "FRA", "receiving_state": "WSM",
                "role": "head", "state": state, "acts_count": seq}
    return ActEntry(
        act_id=act_id or f"u-{seq}", kind="member", record_id="M-1", act=act, party="SS",
        principal="state:FRA", article="VCCR 11(2)", effective_date=date(2026, 1, seq),
        recorded_at=datetime(2026, 1, seq, tzinfo=UTC), body={}, document=document, notices=notices or [],
    )


def notice(seq: int) -> Notice:
    return Notice(id=f"M-1-{seq:04d}-foreign-ministry", recipient="foreign-ministry", article="VCCR 24(1)(a)",
                  record_id="M-1", act="appoint", state="appointed", receiving_state="WSM", subject={})


def test_an_act_is_recorded_once_with_its_notices(engine):
    assert queries.record_act(engine, entry(1, "appoint", "appointed", notices=[notice(1)])) is True
    # A retry after a crash (same update id) changes nothing: no second act, no second notice.
    assert queries.record_act(engine, entry(1, "appoint", "appointed", notices=[notice(1)])) is False
    assert queries.record_act(engine, entry(2, "present-instrument", "awaiting-exequatur")) is True
    acts = queries.acts_of(engine, "M-1")
    assert [a["act"] for a in acts] == ["appoint", "present-instrument"]
    assert acts[0]["recorded_at"].tzinfo is not None
    assert queries.get_record(engine, "M-1", "member")["state"] == "awaiting-exequatur"
    assert queries.get_record(engine, "M-1", "post") is None
    assert [r["id"] for r in queries.list_records(engine, "member", post_id="P-1")] == ["M-1"]
    assert [r["id"] for r in queries.list_records(engine, "member", receiving_state="WSM", role=("head", "officer"))] == ["M-1"]
    assert queries.list_records(engine, "member", role=("employee",)) == []
    assert queries.act_by_id(engine, "u-1")["document"]["state"] == "appointed"  # the first answer
    # An earlier act written again after a crash brings the workflow's newer document along.
    newer = entry(1, "appoint", "admitted")
    assert queries.record_act(engine, newer) is False
    assert queries.get_record(engine, "M-1")["state"] == "admitted"
    assert [a["act"] for a in queries.acts_of(engine, "M-1")] == ["appoint", "present-instrument"]


def test_a_rows_past_acts_are_recorded_in_order_in_one_transaction_once(engine):
    """The import's `record-past-acts`: each act its own entry, numbered in order, the record's
    document the last act's; a retry (a crash after the commit) or a re-run with some already
    recorded appends only what is missing."""
    row = [entry(1, "appoint", "appointed", notices=[notice(1)]), entry(2, "present-instrument", "awaiting-exequatur"),
           entry(3, "grant-exequatur", "admitted")]
    assert queries.record_acts(engine, row[:2]) == 2
    assert queries.record_acts(engine, row) == 1  # the first two were recorded: only the third is new
    assert queries.record_acts(engine, row) == 0
    assert [a["act"] for a in queries.acts_of(engine, "M-1")] == ["appoint", "present-instrument", "grant-exequatur"]
    assert queries.get_record(engine, "M-1")["state"] == "admitted"
    assert queries.recorded_act_ids(engine, ["u-1", "u-3", "u-9"]) == {"u-1", "u-3"}
    with engine.connect() as conn:  # the appointment's notice, queued once
        assert conn.execute(sa.text("select count(*) from notifications where record_id = 'M-1'")).scalar() == 1


def test_notices_are_delivered_once(engine):
    from datetime import timedelta

    from exequatur.register import outbox

    queries.record_act(engine, entry(1, "appoint", "appointed", notices=[notice(1)]))
    now = datetime(2026, 1, 1, 8, tzinfo=UTC)
    pending = outbox.claim(engine, "relay-a", now, timedelta(seconds=5), 10)
    assert [n["id"] for n in pending] == ["M-1-0001-foreign-ministry"]
    first = queries.mark_delivered(engine, pending[0]["id"], "outbox", datetime(2026, 1, 1, 9, tzinfo=UTC))
    second = queries.mark_delivered(engine, pending[0]["id"], "outbox", datetime(2026, 1, 1, 10, tzinfo=UTC))
    assert first == second == datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert outbox.claim(engine, "relay-b", now + timedelta(minutes=5), timedelta(seconds=5), 10) == []


def test_profiles_and_members_in_functions(engine):
    assert queries.get_profile(engine, "WSM") is None
    queries.put_profile(engine, "WSM", {"recall_period": "P10D"})
    queries.put_profile(engine, "WSM", {"recall_period": "P20D"})
    assert queries.get_profile(engine, "WSM") == {"recall_period": "P20D"}
    queries.record_act(engine, entry(1, "appoint", "appointed"))
    assert queries.count_members_in_functions(engine, "P-1") == 0  # the head is not of the staff (VCCR 20, 1(1)(h))
    queries.record_act(engine, appointment("M-2"))
    assert queries.count_members_in_functions(engine, "P-1") == 1
    queries.record_act(engine, appointment("M-2", "departed", act_id="depart-M-2"))
    assert queries.count_members_in_functions(engine, "P-1") == 0  # functions ended (VCCR 20 counts no more)


def appointment(member_id: str, state: str = "appointed", act_id: str | None = None) -> ActEntry:
    document = {"id": member_id, "post_id": "P-1", "sending_state": "FRA", "receiving_state": "WSM",
                "role": "employee", "state": state, "acts_count": 1}
    return ActEntry(act_id=act_id or f"appoint-{member_id}", kind="member", record_id=member_id, act="appoint",
                    party="SS", principal="state:FRA", article="VCCR 19(1)", effective_date=date(2026, 1, 1),
                    recorded_at=datetime(2026, 1, 1, tzinfo=UTC), body={}, document=document)


def a_post_with_a_ceiling(engine, ceiling: int) -> None:  # type: ignore[no-untyped-def]
    post = {"id": "P-1", "sending_state": "FRA", "receiving_state": "WSM", "state": "open"}
    queries.record_act(engine, ActEntry(
        act_id="establish-P-1", kind="post", record_id="P-1", act="request-post", party="SS", principal="state:FRA",
        article="VCCR 4(1)", effective_date=date(2026, 1, 1), recorded_at=datetime(2026, 1, 1, tzinfo=UTC), body={},
        document=post))
    queries.put_profile(engine, "WSM", {"staff_ceiling": {"P-1": ceiling}})


def test_the_register_refuses_an_appointment_beyond_the_staff_ceiling(engine):
    """VCCR 20, checked again as the appointment is recorded: nothing of the refused member is
    written; a retried write of an appointment already recorded is not refused; a member whose
    functions ended frees the place."""
    a_post_with_a_ceiling(engine, 1)
    assert queries.record_act(engine, appointment("M-1")) is True
    with pytest.raises(Refusal) as refused:
        queries.record_act(engine, appointment("M-2"))
    assert refused.value.article == "VCCR 20" and "ceiling of 1" in refused.value.detail
    assert queries.get_record(engine, "M-2") is None and queries.acts_of(engine, "M-2") == []
    assert queries.record_act(engine, appointment("M-1")) is False  # a retry after a crash
    queries.record_act(engine, appointment("M-1", "withdrawn", act_id="withdraw-M-1"))
    assert queries.record_act(engine, appointment("M-2")) is True


def test_appointments_at_once_stay_within_the_staff_ceiling(engine):
    """Two ministries' clerks, or two API processes, appointing at the same moment: each passed
    the API's check before either was recorded; the register lets only the ceiling's number in."""
    a_post_with_a_ceiling(engine, 2)
    clerks = 6
    start = threading.Barrier(clerks)

    def appoint(n: int) -> str:
        start.wait()
        try:
            return "recorded" if queries.record_act(engine, appointment(f"M-{n}")) else "repeated"
        except Refusal as refusal:
            return refusal.article

    with ThreadPoolExecutor(clerks) as pool:
        outcomes = list(pool.map(appoint, range(clerks)))
    assert sorted(outcomes) == ["VCCR 20"] * 4 + ["recorded"] * 2
    assert queries.count_members_in_functions(engine, "P-1") == 2


def test_migrations_are_idempotent(engine):
    migrate(str(engine.url.render_as_string(hide_password=False)).replace("+psycopg", ""))
    with engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar_one() == "0007"


def test_migration_0002_fills_the_role_of_existing_members(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate(url, "0001")
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "insert into records (id, kind, sending_state, receiving_state, post_id, state, document, updated_at) "
            "values ('M-9', 'member', 'FRA', 'WSM', 'P-1', 'admitted', '{\"role\": \"head\"}', '2026-01-01')"))
    migrate(url)
    assert [r["role"] for r in queries.list_records(engine, "member", role=("head",))] == ["head"]


def _migrate_in_child(url: str) -> None:
    migrate(url)


def test_worker_and_api_migrating_at_once_do_not_collide(tmp_path):
    """`exequatur run` starts the worker and the API together; both migrate a fresh register."""
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_migrate_in_child, args=(url,)) for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0, 0, 0]


# ---- the relay's queue (register/outbox.py, worker/relay.py) ------------------------------

def district_notice(seq: int) -> Notice:
    return Notice(id=f"M-1-{seq:04d}-district-authorities", recipient="district-authorities", article="VCCR 14",
                  record_id="M-1", act="admit-provisionally", state="provisionally-admitted", receiving_state="WSM",
                  subject={})


def test_relays_share_the_queue_by_lease_a_record_in_order(engine):
    from datetime import timedelta

    from exequatur.register import outbox

    queries.record_act(engine, entry(1, "appoint", "appointed", notices=[notice(1)]))
    queries.record_act(engine, entry(2, "present-instrument", "awaiting-exequatur", notices=[notice(2)]))
    now, lease = datetime(2026, 2, 1, 9, tzinfo=UTC), timedelta(seconds=5)
    first = outbox.claim(engine, "relay-a", now, lease, 10)
    assert [n["id"] for n in first] == ["M-1-0001-foreign-ministry", "M-1-0002-foreign-ministry"]
    assert {n["kind"] for n in first} == {"member"}
    # Another relay gets nothing while the lease runs, not even a notice queued since: the
    # record's notices stay with the relay delivering its earlier ones (order, R24.1).
    queries.record_act(engine, entry(3, "notify-arrival", "awaiting-exequatur", notices=[notice(3)]))
    assert outbox.claim(engine, "relay-b", now + timedelta(seconds=4), lease, 10) == []
    outbox.renew(engine, "relay-a", now + timedelta(seconds=9))
    assert outbox.claim(engine, "relay-b", now + timedelta(seconds=8), lease, 10) == []
    # relay-a delivered the first and failed on the second: it gives the rest back with a backoff.
    queries.mark_delivered(engine, "M-1-0001-foreign-ministry", "outbox", now)
    outbox.release(engine, "relay-a", ["M-1-0002-foreign-ministry"], now + timedelta(seconds=20))
    assert outbox.claim(engine, "relay-b", now + timedelta(seconds=10), lease, 10) == []  # backing off
    later = outbox.claim(engine, "relay-b", now + timedelta(seconds=21), lease, 10)
    assert [(n["id"], n["attempts"]) for n in later] == [("M-1-0002-foreign-ministry", 1), ("M-1-0003-foreign-ministry", 0)]
    assert outbox.backoff(0) == timedelta(seconds=1) and outbox.backoff(30) == timedelta(minutes=5)
    # The delivery activity of workflows started before the relay claims one record's notices the
    # same way: none while a relay holds them, and only that record's.
    assert outbox.claim(engine, "activity-1", now + timedelta(seconds=22), lease, 10, record_id="M-1") == []
    assert outbox.claim(engine, "activity-2", now + timedelta(seconds=40), lease, 10, record_id="M-9") == []
    taken = outbox.claim(engine, "activity-3", now + timedelta(seconds=40), lease, 10, record_id="M-1")
    assert [n["id"] for n in taken] == ["M-1-0002-foreign-ministry", "M-1-0003-foreign-ministry"]


def test_a_delivery_the_record_records_stays_pending_until_reported(engine):
    """R14: the service records when the district authorities were notified."""
    from datetime import timedelta

    from exequatur.register import outbox

    queries.record_act(engine, entry(1, "admit-provisionally", "provisionally-admitted", notices=[district_notice(1)]))
    now, lease = datetime(2026, 2, 1, 9, tzinfo=UTC), timedelta(seconds=5)
    reported = ("district-authorities",)
    [claimed] = outbox.claim(engine, "relay-a", now, lease, 10, reported)
    queries.mark_delivered(engine, claimed["id"], "outbox", now)
    # The relay died before telling the workflow: after the lease another relay tells it.
    [again] = outbox.claim(engine, "relay-b", now + timedelta(seconds=6), lease, 10, reported)
    assert again["delivered_at"] == now and again["reported_at"] is None
    outbox.mark_reported(engine, again["id"], now + timedelta(seconds=7))
    assert outbox.claim(engine, "relay-c", now + timedelta(seconds=20), lease, 10, reported) == []


def test_migration_0003_counts_notices_delivered_before_it_as_reported(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate(url, "0002")
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "insert into notifications (id, record_id, recipient, article, document, created_at, delivered_at, channel) "
            "values ('N-1', 'M-9', 'district-authorities', 'VCCR 14', '{}', '2026-01-01', '2026-01-02', 'outbox'),"
            "       ('N-2', 'M-9', 'foreign-ministry', 'VCCR 24(1)(a)', '{}', '2026-01-01', null, null)"))
    migrate(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("select id, reported_at is not null from notifications")).all())
    assert rows == {"N-1": 1, "N-2": 0}


def test_a_claim_reads_the_pending_notices_by_index(tmp_path):
    """A claim follows every act that queues a notice: it must not scan the table (migration
    0004), which grows by a notice or two an act and keeps each document."""
    from exequatur.register import outbox

    url = f"sqlite:///{tmp_path / 'register.sqlite3'}"
    migrate(url)
    engine = engine_for(url)
    query = outbox.claimable(datetime(2026, 1, 1, tzinfo=UTC), 200, ("district-authorities",))
    with engine.connect() as conn:
        plan = [row[3] for row in conn.execute(sa.text(
            "EXPLAIN QUERY PLAN " + str(query.compile(engine, compile_kwargs={"literal_binds": True}))))]
    assert not [step for step in plan if step.startswith("SCAN notifications")], plan
    assert any("ix_notifications_to_report" in step for step in plan), plan


def another_record_with_a_notice(engine) -> None:  # type: ignore[no-untyped-def]
    act = entry(1, "appoint", "appointed").model_copy(update={"record_id": "M-2", "act_id": "u-m2-1"})
    act.document = {**act.document, "id": "M-2"}
    act.notices = [notice(1).model_copy(update={"id": "M-2-0001-foreign-ministry", "record_id": "M-2"})]
    queries.record_act(engine, act)


def test_a_notice_that_keeps_failing_is_parked_holding_its_record_back_until_sent_again(engine):
    """Dead letter: after CONSULAR_NOTICE_MAX_ATTEMPTS failures a notice is parked with its last
    error; its record's later notices wait behind it (a receiver sees a record's notices in
    order, R24.1); `exequatur notices retry` sends it again, the later ones behind it."""
    from datetime import timedelta

    from exequatur.register import outbox

    for seq in (1, 2):
        queries.record_act(engine, entry(seq, "notify-arrival", "appointed", notices=[notice(seq)]))
    another_record_with_a_notice(engine)
    ids = ["M-1-0001-foreign-ministry", "M-1-0002-foreign-ministry"]
    soon = datetime.now(UTC)
    for attempt in (1, 2, 3):
        claimed = outbox.claim(engine, f"relay-{attempt}", soon + timedelta(hours=attempt), limit=10, record_id="M-1")
        assert [n["id"] for n in claimed] == ids
        parked = outbox.release(engine, f"relay-{attempt}", ids, error="HTTPStatusError('503')", max_attempts=3)
        assert parked is (attempt == 3)
    # Parked: neither it nor the record's later notice is claimed, however late; other records are.
    later = soon + timedelta(days=1)
    assert [n["record_id"] for n in outbox.claim(engine, "relay-x", later, limit=10)] == ["M-2"]
    [row] = outbox.parked(engine)
    assert (row["id"], row["attempts"], row["last_error"]) == (ids[0], 3, "HTTPStatusError('503')")
    assert [(r, n, p) for r, n, p, _ in outbox.backlog(engine) if r == "foreign-ministry"] == [("foreign-ministry", 3, 1)]
    # Sent again: the parked one first, then the one behind it, attempts counted afresh.
    assert outbox.retry(engine, ["M-1-0009-foreign-ministry"]) == []
    assert outbox.retry(engine) == [ids[0]]
    again = outbox.claim(engine, "relay-y", later, limit=10, record_id="M-1")
    assert [(n["id"], n["attempts"]) for n in again] == [(ids[0], 0), (ids[1], 0)]
    assert outbox.parked(engine) == []


def test_a_claim_never_takes_a_records_later_notice_while_another_relay_is_taking_an_earlier(engine):
    """Several relays on PostgreSQL: a relay in the middle of its claim holds the row lock of a
    record's first notice (FOR UPDATE); another relay claiming at that moment skips it (SKIP
    LOCKED) and must then leave the record's later notices too, or the receiver would get the
    third before the first. On SQLite one writer at a time makes the case impossible."""
    from datetime import timedelta

    from sqlalchemy import select

    from exequatur.register import outbox
    from exequatur.register.schema import notifications

    for seq in (1, 2, 3):
        queries.record_act(engine, entry(seq, "notify-arrival", "appointed", notices=[notice(seq)]))
    another_record_with_a_notice(engine)
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises writers)")
    now = datetime.now(UTC) + timedelta(seconds=1)
    with engine.connect() as other:
        other.begin()
        other.execute(select(notifications.c.id).where(notifications.c.id == "M-1-0001-foreign-ministry")
                      .with_for_update())
        taken = outbox.claim(engine, "relay-b", now, limit=10)
        assert [n["record_id"] for n in taken] == ["M-2"]  # nothing of M-1: its first is being claimed
        other.rollback()
    taken = outbox.claim(engine, "relay-c", now, limit=10)
    assert [n["id"] for n in taken] == [f"M-1-000{seq}-foreign-ministry" for seq in (1, 2, 3)]
