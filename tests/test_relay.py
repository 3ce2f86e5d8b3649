"""The notice relay (relay.py) against the session's worker: the register queues a
notice with its act, the relay delivers it, and the member's workflow records the Art. 14
delivery it is told of, with the time the register kept (R14). Its histories are in the
replay corpus (patch "notices-by-relay")."""

from __future__ import annotations

from datetime import datetime

from temporalio.api.enums.v1 import EventType

from activities.register import _engine
from register import queries
from tests.helpers import Ministry, days_ago, provisionally_admitted_head
from tests.test_api_scenarios import outbox, wait_for


async def test_the_relay_delivers_the_notices_and_the_head_records_art14(http, env):
    """VCCR 13, 14, 24(1)(a)."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    mid = await provisionally_admitted_head(fra, wsm, appointed_days_ago=20)
    member = await wait_for(lambda m: m["district_authorities_notified_at"], lambda: wsm.get(f"/v1/members/{mid}"))

    # The act records the delivery time the register kept for the notice.
    [art14] = [n for n in queries.delivered(_engine(), mid) if n["recipient"] == "district-authorities"]
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
