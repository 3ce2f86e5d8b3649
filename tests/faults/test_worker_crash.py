"""SIGKILL the worker in the middle of a lifecycle: during the Art. 14 notification and during
a register write. A new worker finishes the work within 10 s of starting; the webhook
acknowledges each notification once by id; the register holds each act once."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.processes import Stack, Webhook, ok, unless_unavailable, wait_until

pytestmark = pytest.mark.faults

TOKENS = {"t-prt": 'state = "PRT"', "t-cpv": 'state = "CPV"', "t-esp": 'state = "ESP"', "t-mar": 'state = "MAR"'}
HEAD = {"role": "head", "category": "career", "class": "consul",
        "person": {"full_name": "Ana Lopes Faria", "nationalities": ["PRT"]}}



def open_post(ss: httpx.Client, rs: httpx.Client, receiving: str, seat: str) -> str:
    relations = ok(ss.post("/v1/relations", json={"with_state": receiving}), 201)
    ok(rs.post(f"/v1/relations/{relations['id']}/acts/accept"))  # 2(1): by mutual consent
    post = ok(ss.post("/v1/posts", json={"receiving_state": receiving, "seat": seat, "classification": "consulate",
                                         "district": "All", "headed_by": "career"}), 201)
    ok(rs.post(f"/v1/posts/{post['id']}/acts/consent"))
    return post["id"]  # type: ignore[no-any-return]


def acts_in_register(stack: Stack, record_id: str) -> list[str]:
    with sqlite3.connect(stack.tmp / "register.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT act FROM acts WHERE record_id = ? ORDER BY record_seq", (record_id,))]


def notices_in_register(stack: Stack, record_id: str) -> set[str]:
    with sqlite3.connect(stack.tmp / "register.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT id FROM notifications WHERE record_id = ?", (record_id,))}


@pytest.fixture
def temporal_address(env) -> str:  # type: ignore[no-untyped-def]
    return str(env.client.service_client.config.target_host)


def test_worker_killed_during_the_art14_notification_each_notice_acknowledged_once(tmp_path: Path, temporal_address):  # type: ignore[no-untyped-def]
    webhook = Webhook()
    stack = Stack(tmp_path, temporal_address, TOKENS, CONSULAR_WEBHOOK_URL=webhook.url)
    try:
        stack.serve("worker-1")
        prt, cpv = stack.client("t-prt"), stack.client("t-cpv")
        post_id = open_post(prt, cpv, "CPV", "Praia")
        member = ok(prt.post(f"/v1/posts/{post_id}/members", json=HEAD), 201)
        ok(prt.post(f"/v1/members/{member['id']}/acts/present-instrument"))
        wait_until(lambda: len(webhook.counts()) == 2, 30, what="the two Art. 24 notices")

        # Provisional admission (Art. 13) queues the Art. 14 notice; hold its delivery and kill
        # the worker while the webhook call is in flight.
        webhook.hold()
        ok(cpv.post(f"/v1/members/{member['id']}/acts/admit-provisionally"))
        assert webhook.arrived.wait(30), "the Art. 14 delivery never started"
        stack.kill("worker-1")
        webhook.release()
        started = time.monotonic()
        stack.start("worker-2", "worker")
        notified = wait_until(lambda: ok(cpv.get(f"/v1/members/{member['id']}"))["district_authorities_notified_at"],
                              60, what="district_authorities_notified_at (Art. 14)")
        resumed_after = time.monotonic() - started
        assert notified and resumed_after < 10, f"resumed {resumed_after:.1f} s after the new worker started"

        expected = notices_in_register(stack, member["id"])
        assert len(expected) == 3  # appointment and instrument (Art. 24), district authorities (Art. 14)
        counts = webhook.counts()
        assert set(counts) == expected and set(counts.values()) == {1}, counts
        assert webhook.invalid == []  # each verified (Standard Webhooks) and valid against the served schema
        # The held delivery arrived twice (the first sender died unanswered) and was acknowledged once.
        assert Counter(webhook.seen).most_common(1)[0][1] == 2
        assert acts_in_register(stack, member["id"]) == [
            "appoint", "present-instrument", "admit-provisionally", "district-authorities-notified"]
    finally:
        stack.stop()
        webhook.close()


def test_worker_killed_during_a_register_write_the_act_is_recorded_once(tmp_path: Path, temporal_address):  # type: ignore[no-untyped-def]
    stack = Stack(tmp_path, temporal_address, TOKENS, CONSULAR_ACT_TIMEOUT_SECONDS="4")
    try:
        stack.serve("worker-1")
        esp, mar = stack.client("t-esp"), stack.client("t-mar")
        post_id = open_post(esp, mar, "MAR", "Tangier")
        member = ok(esp.post(f"/v1/posts/{post_id}/members", json={**HEAD, "person": {
            "full_name": "Lucia Ortega", "nationalities": ["ESP"]}}), 201)

        # Hold the register's write lock: the worker's register write (a local activity) waits on it.
        lock = sqlite3.connect(stack.tmp / "register.sqlite3", isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")
        answers: list[httpx.Response] = []
        key = {"Idempotency-Key": "instrument-lucia-ortega-1"}
        first = threading.Thread(target=lambda: answers.append(
            esp.post(f"/v1/members/{member['id']}/acts/present-instrument", headers=key)))
        first.start()
        time.sleep(1.5)  # validated and applied in memory; the register write now waits on the lock
        stack.kill("worker-1")
        lock.rollback()
        lock.close()
        first.join(30)
        started = time.monotonic()
        stack.start("worker-2", "worker")
        # The client retries with its key: the act is applied once, whatever the first answer was.
        retry = wait_until(lambda: unless_unavailable(esp.post(f"/v1/members/{member['id']}/acts/present-instrument",
                                                      headers=key)), 60, what="the retried act")
        resumed_after = time.monotonic() - started
        # No worker was there to finish it within the API's 4 s: a clear, retryable 503.
        assert answers and answers[0].status_code == 503, answers[0].text
        assert answers[0].headers["content-type"].startswith("application/problem+json")
        assert "Idempotency-Key" in answers[0].json()["detail"]
        assert [a["act"] for a in retry["acts"]] == ["appoint", "present-instrument"]
        assert resumed_after < 10, f"resumed {resumed_after:.1f} s after the new worker started"
        assert acts_in_register(stack, member["id"]) == ["appoint", "present-instrument"]
        # The next act goes on normally on the new worker.
        ok(mar.post(f"/v1/members/{member['id']}/acts/admit-provisionally"))
        assert acts_in_register(stack, member["id"])[:3] == ["appoint", "present-instrument", "admit-provisionally"]
    finally:
        stack.stop()


async def test_webhook_down_the_relay_retries_in_order_and_the_head_stays_open_until_art14_is_recorded(  # type: ignore[no-untyped-def]
        tmp_path: Path, temporal_address, env):
    """R14: the service notifies the district authorities itself, retries until delivered, and
    records when; R24.1: the foreign ministry gets every notice, in the order of the acts."""
    from temporalio.client import WorkflowExecutionStatus

    webhook = Webhook()
    webhook.refusing = True
    stack = Stack(tmp_path, temporal_address, TOKENS, CONSULAR_WEBHOOK_URL=webhook.url)
    try:
        stack.serve("worker-1")
        prt, mar = stack.client("t-prt"), stack.client("t-mar")
        post_id = open_post(prt, mar, "MAR", "Casablanca")
        member = ok(prt.post(f"/v1/posts/{post_id}/members", json={**HEAD, "person": {
            "full_name": "Rui Tavares", "nationalities": ["PRT"]}}), 201)
        url = f"/v1/members/{member['id']}/acts"
        ok(prt.post(f"{url}/present-instrument"))
        ok(mar.post(f"{url}/admit-provisionally"))
        for act in ("notify-arrival", "enter-duties", "notify-termination", "notify-departure"):
            ok(prt.post(f"{url}/{act}"))
        wait_until(lambda: len(webhook.seen) >= 2, 30, what="a retried delivery")
        assert webhook.counts() == Counter()  # nothing delivered while the receiver is down
        # The tenure is over in law, but the Art. 14 notice is not out: the lifecycle stays open.
        handle = env.client.get_workflow_handle(f"member-{member['id']}")
        assert ok(mar.get(f"/v1/members/{member['id']}"))["state"] == "departed"
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        # Operators see the backlog on the API's /metrics (an alert on its age catches a dead receiver).
        waiting = backlog(stack.url)
        assert waiting[("exequatur_notices_pending", "foreign-ministry")] == 6
        assert waiting[("exequatur_notices_pending", "district-authorities")] == 1
        assert waiting[("exequatur_notices_oldest_pending_seconds", "foreign-ministry")] > 0

        webhook.refusing = False
        expected = notices_in_register(stack, member["id"])
        assert len(expected) == 7  # six Art. 24 notices and the Art. 14 one
        wait_until(lambda: set(webhook.counts()) == expected, 60, what="every notice, after the receiver is back")
        assert set(webhook.counts().values()) == {1}
        with sqlite3.connect(stack.tmp / "register.sqlite3") as db:
            queued = [row[0] for row in db.execute(
                "SELECT id FROM notifications WHERE record_id = ? ORDER BY created_at, id", (member["id"],))]
            [(delivered_at,)] = db.execute("SELECT delivered_at FROM notifications WHERE record_id = ? AND "
                                           "recipient = 'district-authorities'", (member["id"],)).fetchall()
        assert webhook.acknowledged == queued  # in the order of the acts
        assert webhook.invalid == []
        final = wait_until(lambda: ok(mar.get(f"/v1/members/{member['id']}"))["district_authorities_notified_at"],
                           30, what="district_authorities_notified_at (Art. 14)")
        # The act records the delivery time the register kept, and the lifecycle then closes.
        assert datetime.fromisoformat(final) == datetime.fromisoformat(delivered_at).replace(tzinfo=UTC)
        for _ in range(150):  # the member's workflow closes once Art. 14 is recorded
            if (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED:
                break
            await asyncio.sleep(0.2)
        assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
        assert acts_in_register(stack, member["id"])[-1] == "district-authorities-notified"
        wait_until(lambda: not backlog(stack.url), 30, what="an empty backlog on /metrics")
    finally:
        stack.stop()
        webhook.close()


def backlog(api_url: str) -> dict[tuple[str, str], float]:
    """The notice backlog gauges of the API's /metrics, by (name, recipient)."""
    from prometheus_client.parser import text_string_to_metric_families

    response = httpx.get(f"{api_url}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    page = response.text
    return {(s.name, s.labels["recipient"]): s.value for family in text_string_to_metric_families(page)
            for s in family.samples if s.name.startswith("exequatur_notices_")}

