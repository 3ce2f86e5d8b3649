"""The notice relay (exequatur/worker/relay.py) against the session's worker: the register queues a
notice with its act, the relay delivers it, and the member's workflow records the Art. 14
delivery it is told of, with the time the register kept (R14). Its histories are in the
replay corpus (patch "notices-by-relay")."""

from __future__ import annotations

from datetime import datetime

from temporalio.api.enums.v1 import EventType

from exequatur.register.db import register_engine
from exequatur.register import queries
from tests.helpers import Ministry, days_ago, provisionally_admitted_head
from tests.test_api_scenarios import outbox, wait_for


async def test_the_relay_delivers_the_notices_and_the_head_records_art14(http, env):
    """VCCR 13, 14, 24(1)(a)."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    mid = await provisionally_admitted_head(fra, wsm, appointed_days_ago=20)
    member = await wait_for(lambda m: m["district_authorities_notified_at"], lambda: wsm.get(f"/v1/members/{mid}"))

    # The act records the delivery time the register kept for the notice.
    [art14] = [n for n in queries.delivered(register_engine(), mid) if n["recipient"] == "district-authorities"]
    assert datetime.fromisoformat(member["district_authorities_notified_at"]) == art14["delivered_at"]
    assert member["acts"][-1]["act"] == "district-authorities-notified"
    delivered = {n["act"]: n["recipient"] for n in outbox(mid).values()}
    assert delivered == {"appoint": "foreign-ministry", "present-instrument": "foreign-ministry",
                         "admit-provisionally": "district-authorities"}

    # The workflow scheduled no delivery: it was told by the relay's signal.
    history = await env.client.get_workflow_handle(f"member-{mid}").fetch_history()
    kinds = [EventType.Name(e.event_type) for e in history.events]
    assert "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" not in kinds
    assert "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED" in kinds

    # The tenure ends before privileges began (no departure period): the lifecycle closes, and
    # the relay still delivers the last notice.
    await fra.act("members", mid, "notify-termination", {"effective_date": days_ago(2)})
    await env.client.get_workflow_handle(f"member-{mid}").result()
    await wait_for(lambda n: n == 4, lambda: _count(mid))


async def _count(record_id: str) -> int:
    return len(outbox(record_id))


async def test_a_failed_delivery_holds_the_records_later_notices_in_order(engine):
    """R24.1, VCCR 14: a receiver sees a record's notices in the order of its acts. The relay
    delivers a record's notices in one trip; a delivery that fails (here a real one: the outbox
    file cannot be written) leaves it and the record's later notices undelivered and given back
    with a backoff, the earlier ones delivered and recorded; the next pass delivers the rest in order."""
    import uuid
    from datetime import UTC, timedelta

    from exequatur.models.common import Notice
    from exequatur.register import outbox as queue
    from exequatur.worker.relay import NoticeRelay, _deliver_in_order
    from exequatur.core.settings import get_settings
    from tests.test_register import entry

    record_id = f"M-R{uuid.uuid4().hex[:8].upper()}"
    ids = [f"{record_id}-{seq:04d}-foreign-ministry" for seq in (1, 2, 3)]
    for seq, notice_id in enumerate(ids, start=1):
        act = entry(seq, "notify-arrival", "appointed").model_copy(update={"record_id": record_id})
        act.document["id"] = record_id
        act.notices = [Notice(id=notice_id, recipient="foreign-ministry", article="VCCR 24(1)(a)", record_id=record_id,
                              act="notify-arrival", state="appointed", receiving_state="WSM", subject={})]
        queries.record_act(engine, act)
    folder = get_settings().outbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    blocker = folder / f".{ids[1]}.tmp"
    blocker.mkdir()  # the second notice's file cannot be written
    try:
        now = datetime.now(UTC)
        claimed = queue.claim(engine, "relay-t", now, queue.LEASE, 10, record_id=record_id)
        assert isinstance(_deliver_in_order(engine, "relay-t", queue.LEASE, claimed), IsADirectoryError)
        assert [n["id"] for n in queries.delivered(engine, record_id)] == ids[:1]
        assert outbox(record_id).keys() == {ids[0]}

        # The relay's pass over the same record: it gives the failed one and the later ones back.
        relay = NoticeRelay(client=None)  # type: ignore[arg-type]  # no report is owed for these
        claimed = queue.claim(engine, "relay-u", now + timedelta(seconds=6), queue.LEASE, 10, record_id=record_id)
        await relay._deliver_record(engine, "relay-u", claimed)
        assert outbox(record_id).keys() == {ids[0]}  # nothing after the failed one
        # Given back, backing off: free again only after the retry time, which is later than `now`.
        assert queue.claim(engine, "relay-v", now, queue.LEASE, 10, record_id=record_id) == []
    finally:
        blocker.rmdir()
    later = queue.claim(engine, "relay-w", datetime.now(UTC) + timedelta(minutes=5), queue.LEASE, 10, record_id=record_id)
    assert [(n["id"], n["attempts"]) for n in later] == [(ids[1], 1), (ids[2], 0)]  # only the failed one counts
    assert _deliver_in_order(engine, "relay-w", queue.LEASE, later) is None
    assert [n["id"] for n in queries.delivered(engine, record_id)] == ids
    assert outbox(record_id).keys() == set(ids)


async def test_parked_notices_are_read_by_auditors_and_sent_again_by_an_admin(http, settings):
    """Dead letter through the API: GET /v1/notices/parked (auditor, admin; a State is refused:
    operators' business), POST /v1/notices/{id}/retry (admin), and the relay then delivers it."""
    import uuid

    from exequatur.models.common import Notice
    from exequatur.register import outbox as queue
    from tests.helpers import Ministry
    from tests.test_register import entry

    engine = register_engine()
    record_id = f"M-D{uuid.uuid4().hex[:8].upper()}"
    notice_id = f"{record_id}-0001-foreign-ministry"
    act = entry(1, "notify-arrival", "appointed", act_id=f"{record_id}-1").model_copy(update={"record_id": record_id})
    act.document = {**act.document, "id": record_id}
    act.notices = [Notice(id=notice_id, recipient="foreign-ministry", article="VCCR 24(1)(a)", record_id=record_id,
                          act="notify-arrival", state="appointed", receiving_state="WSM", subject={})]
    queries.record_act(engine, act)
    # The session's relay may take it first: park it from whichever claim holds it.
    with engine.begin() as conn:
        from sqlalchemy import update

        from exequatur.register.schema import notifications
        conn.execute(update(notifications).where(notifications.c.id == notice_id).values(
            claimed_by="test-relay", claimed_until=datetime(2999, 1, 1)))
    assert queue.release(engine, "test-relay", [notice_id], datetime(2999, 1, 1), error="ConnectError()", max_attempts=1)

    auditor, admin, fra = Ministry(http, "tok-audit"), Ministry(http, "tok-admin"), Ministry(http, "tok-fra")
    parked = await auditor.get("/v1/notices/parked")
    [row] = [p for p in parked if p["id"] == notice_id]
    assert (row["attempts"], row["last_error"], row["recipient"]) == (1, "ConnectError()", "foreign-ministry")
    refused = await fra.get("/v1/notices/parked", expect=403)
    assert refused["status"] == 403
    await auditor.post(f"/v1/notices/{notice_id}/retry", expect=403)
    await admin.post("/v1/notices/M-NONE-0001-foreign-ministry/retry", expect=404)
    assert (await admin.post(f"/v1/notices/{notice_id}/retry")) == {"retried": [notice_id]}
    await wait_for(lambda delivered: notice_id in delivered, lambda: _delivered(record_id))


async def _delivered(record_id: str) -> list[str]:
    return [n["id"] for n in queries.delivered(register_engine(), record_id)]
