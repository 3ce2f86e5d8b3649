"""Three relays in three processes on one PostgreSQL register, a receiver that fails at random,
and acts queuing notices while they run: every notice reaches the receiver exactly once, and a
record's notices in the order of its acts (R24.1, VCCR 14). The relays race for real: their
claims lock rows FOR UPDATE SKIP LOCKED and their leases run on the database's clock."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from exequatur.models.common import Notice
from exequatur.register import queries
from exequatur.register.db import engine_for, migrate
from tests.conftest import POSTGRES, postgres_database
from tests.helpers import WEBHOOK_SECRET, verified_notice
from tests.test_register import entry

pytestmark = pytest.mark.skipif(not POSTGRES, reason="needs PostgreSQL (CONSULAR_TEST_POSTGRES_URL)")

RELAY = """
import asyncio
from exequatur.worker.relay import NoticeRelay

async def main():
    await NoticeRelay(client=None, poll_seconds=0.2, batch=7).run()  # no report is owed for these notices

asyncio.run(main())
"""
RECORDS, ACTS = 24, 5


class FlakyReceiver(BaseHTTPRequestHandler):
    accepted: list[str] = []
    refused = 0
    lock = threading.Lock()
    chance = random.Random(1963)

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        verified_notice(self.headers, body)  # a receiver's checks: signature and the served schema
        with self.lock:
            fail = self.chance.random() < 0.3
            pause = self.chance.random() / 50
        time.sleep(pause)  # deliveries of several relays overlap
        if fail:
            with self.lock:
                FlakyReceiver.refused += 1
            self.send_response(503)
        else:
            with self.lock:
                self.accepted.append(self.headers["webhook-id"])
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _act(record_id: str, seq: int):  # type: ignore[no-untyped-def]
    act = entry(seq, "notify-arrival", "appointed", act_id=f"{record_id}-{seq}")
    act = act.model_copy(update={"record_id": record_id})
    act.document = {**act.document, "id": record_id}
    act.notices = [Notice(id=f"{record_id}-{seq:04d}-foreign-ministry", recipient="foreign-ministry",
                          article="VCCR 24(1)(a)", record_id=record_id, act="notify-arrival", state="appointed",
                          receiving_state="WSM",
                          subject={"post_id": "P-1", "role": "head", "effective_date": "2026-01-01"})]
    return act


def test_three_relays_deliver_each_notice_once_and_each_records_in_order():
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), FlakyReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    with postgres_database() as url:
        migrate(url)
        engine = engine_for(url)
        env = {**os.environ, "CONSULAR_DATABASE_URL": url, "CONSULAR_NOTICE_MAX_ATTEMPTS": "1000",
               "CONSULAR_WEBHOOK_URL": f"http://127.0.0.1:{receiver.server_port}/notices",
               "CONSULAR_WEBHOOK_SECRET": WEBHOOK_SECRET}
        relays = [subprocess.Popen([sys.executable, "-c", RELAY], env=env) for _ in range(3)]
        try:
            records = [f"M-PG{n:03d}" for n in range(RECORDS)]
            expected = []
            for seq in range(1, ACTS + 1):  # the acts arrive while the relays deliver the earlier ones
                for record_id in records:
                    queries.record_act(engine, _act(record_id, seq))
                    expected.append(f"{record_id}-{seq:04d}-foreign-ministry")
                time.sleep(0.3)
            deadline = time.monotonic() + 120
            while len(set(FlakyReceiver.accepted)) < len(expected) and time.monotonic() < deadline:
                assert all(relay.poll() is None for relay in relays), "a relay died"
                time.sleep(0.2)
            time.sleep(1)  # a late duplicate would show now
        finally:
            for relay in relays:
                relay.kill()
                relay.wait()
            engine.dispose()
        receiver.shutdown()

    accepted = list(FlakyReceiver.accepted)
    assert FlakyReceiver.refused > 20  # the receiver did fail, often
    assert Counter(accepted) == Counter(expected), "each notice exactly once"
    by_record: dict[str, list[int]] = defaultdict(list)
    for notice_id in accepted:
        record_id, seq = notice_id.rsplit("-", 3)[0], int(notice_id.rsplit("-", 3)[1])
        by_record[record_id].append(seq)
    out_of_order = {r: s for r, s in by_record.items() if s != sorted(s)}
    assert not out_of_order, json.dumps(out_of_order)
