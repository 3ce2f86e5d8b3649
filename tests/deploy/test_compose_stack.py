"""`make deploy-test`: the image built, deploy/compose.yaml brought up (derived for this machine,
tests/deploy/stack.py) with Temporal, the register on PostgreSQL, the migration job, two
workers and two APIs; the README's walk-through driven through both APIs alternately and 30
lifecycles at once; one worker container SIGKILLed in the middle and started again; then a
rolling restart of every worker and API under load. Checked: every act recorded exactly once,
every notice delivered, once by its id and in order per record, to a webhook receiver, and
departure windows ending by themselves (Arts. 26, 53(3)). Everything it started, it stops."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.helpers import verified_notice
from tests.deploy.stack import IMAGE, Stack, build_images, run

TOKENS = {"tok-fra": 'state = "FRA"', "tok-wsm": 'state = "WSM"', "tok-audit": 'role = "auditor"',
          "tok-admin": 'role = "admin"'}
LIFECYCLES = 30


class Receiver(BaseHTTPRequestHandler):
    """The ministry's webhook: verifies each delivery (Standard Webhooks signature, the served
    schema) and keeps it in arrival order, by its webhook-id."""

    received: list[tuple[str, dict]] = []
    lock = threading.Lock()
    secret = ""

    def do_POST(self) -> None:  # noqa: N802
        body = verified_notice(self.headers, self.rfile.read(int(self.headers["Content-Length"])),
                               self.secret)
        with self.lock:
            self.received.append((self.headers["webhook-id"], body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class Ministry:
    """A ministry's system: its calls alternate between the two APIs; a call that meets a
    restarting API or a 503 is retried with the same Idempotency-Key, as docs/api.md says."""

    def __init__(self, token: str, urls: list[str]) -> None:
        self.clients = [httpx.Client(base_url=u, headers={"Authorization": f"Bearer {token}"}, timeout=60)
                        for u in urls]
        self.turn = itertools.count()
        self.lock = threading.Lock()

    def call(self, method: str, path: str, body: dict | None = None, expect: tuple[int, ...] = (200, 201)) -> dict:
        key = uuid.uuid4().hex
        for _ in range(120):
            with self.lock:
                client = self.clients[next(self.turn) % len(self.clients)]
            try:
                response = client.request(method, path, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                time.sleep(0.5)
                continue
            if response.status_code in (502, 503, 504):
                time.sleep(0.5)
                continue
            assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text}"
            return response.json()  # type: ignore[no-any-return]
        raise AssertionError(f"{method} {path}: no API answered")

    def act(self, kind: str, record_id: str, act: str, body: dict | None = None) -> dict:
        return self.call("POST", f"/v1/{kind}/{record_id}/acts/{act}", body or {})


def head_lifecycle(fra: Ministry, wsm: Ministry, n: int, depart: bool) -> str:
    """A consulate, its head from commission to the end of functions (Arts. 4, 10-14, 24, 25);
    she leaves (53(3)) or the departure window is left to run out."""
    post = fra.call("POST", "/v1/posts", {"receiving_state": "WSM", "seat": f"Seat {n}", "district": f"District {n}",
                                          "classification": "consulate", "headed_by": "career"})
    wsm.act("posts", post["id"], "consent")
    member = fra.call("POST", f"/v1/posts/{post['id']}/members", {
        "role": "head", "category": "career", "class": "consul",
        "person": {"full_name": f"Head {n}", "nationalities": ["FRA"]}})
    fra.act("members", member["id"], "present-instrument")
    wsm.act("members", member["id"], "admit-provisionally")
    wsm.act("members", member["id"], "grant-exequatur")
    fra.act("members", member["id"], "notify-arrival")
    fra.act("members", member["id"], "enter-duties")
    fra.act("members", member["id"], "notify-termination")
    if depart:
        fra.act("members", member["id"], "notify-departure")
    return str(member["id"])


BEFORE_DEPARTURE = ["appoint", "present-instrument", "admit-provisionally", "district-authorities-notified",
                    "grant-exequatur", "notify-arrival", "enter-duties", "notify-termination"]


@pytest.fixture(scope="module")
def receiver():  # type: ignore[no-untyped-def]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_the_production_image_runs_as_a_user_with_what_the_code_needs_and_nothing_for_tests():
    build_images()
    inside = run("docker", "run", "--rm", "--network", "none", IMAGE, "sh", "-c",
                 "id -u; command -v temporal || echo no-temporal; ls /opt/exequatur/src; pip check; exequatur config",
                 timeout=120).stdout
    assert inside.startswith("10001\n") and "no-temporal" in inside, inside
    assert "bench" not in inside and "tests" not in inside.split("No broken requirements")[0], inside
    assert "No broken requirements found." in inside and "CONSULAR_MIGRATE_AT_START=False" in inside, inside
    # A command demands only what it uses: the migration with no Temporal certificate mounted.
    refused = run("docker", "run", "--rm", "--network", "none", "-e", "TEMPORAL_ADDRESS=temporal:7233", IMAGE,
                  "exequatur", "worker", check=False, timeout=120)
    assert refused.returncode == 2 and "CONSULAR_DATABASE_URL: not set" in refused.stderr, refused.stderr


def test_the_stack_keeps_every_act_and_notice_once_through_a_crash_and_a_rolling_restart(tmp_path: Path, receiver):
    build_images()
    stack = Stack(tmp_path, f"http://127.0.0.1:{receiver.server_port}/notices", TOKENS)
    Receiver.secret = stack.secrets["CONSULAR_WEBHOOK_SECRET"]
    try:
        stack.up("temporal", "register-db")
        stack.wait_port(stack.ports["temporal"])
        stack.wait_port(stack.ports["register"])
        time.sleep(2)  # PostgreSQL listens before it accepts
        assert "register migrated" in stack.one_shot("migrate")
        assert "search attributes" in stack.one_shot("search-attributes")
        stack.up("worker-1", "worker-2", "api-1", "api-2")
        for name in ("api-1", "api-2"):
            stack.wait_ready(f"{stack.api(name)}/readyz")
        for name in ("worker-1", "worker-2"):
            stack.wait_ready(f"http://127.0.0.1:{stack.ports[f'{name}-health']}/readyz")
        # Only the Job migrates: the workers and the APIs were told not to (CONSULAR_MIGRATE_AT_START).
        urls = [stack.api("api-1"), stack.api("api-2")]
        fra, wsm = Ministry("tok-fra", urls), Ministry("tok-wsm", urls)

        # The README's walk-through, alternating APIs call by call.
        fra.call("POST", "/v1/relations", {"with_state": "WSM", "diplomatic_missions": ["FRA"]})
        wsm.act("relations", "FRA-WSM", "accept")
        walked = head_lifecycle(fra, wsm, 0, depart=True)
        tomorrow = (date.today() + timedelta(days=1)).isoformat()  # privileges last through the day she left
        status = fra.call("GET", f"/v1/members/{walked}/status?on={tomorrow}")
        assert status["privileges"] is False and status["official_acts_immunity"] is True  # 53(3), 53(4)

        # 30 lifecycles at once; a worker container SIGKILLed a third of the way, then started again.
        departing = {n: n % 3 != 0 for n in range(1, LIFECYCLES + 1)}
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = {n: pool.submit(head_lifecycle, fra, wsm, n, departing[n]) for n in departing}
            while sum(f.done() for f in futures.values()) < LIFECYCLES // 3:
                time.sleep(0.2)
            killed = stack.container("worker-1")
            stack.compose_run("kill", "-s", "SIGKILL", "worker-1")
            members = {n: f.result(timeout=600) for n, f in futures.items()}
        stack.compose_run("start", "worker-1")
        stack.wait_ready(f"http://127.0.0.1:{stack.ports['worker-1-health']}/readyz")
        assert stack.container("worker-1") == killed  # the same container, started again

        # A rolling restart under load: each worker then each API stopped with SIGTERM (drained)
        # and started, one at a time, while the ministries go on acting.
        rolling: dict[int, str] = {}

        def keep_acting() -> None:
            for n in range(LIFECYCLES + 1, LIFECYCLES + 9):
                rolling[n] = head_lifecycle(fra, wsm, n, depart=True)

        load = threading.Thread(target=keep_acting)
        load.start()
        for name in ("worker-1", "worker-2", "api-1", "api-2"):
            container = stack.container(name)
            stack.compose_run("stop", "-t", "30", name, timeout=120)
            # Drained within the grace period: it exited by itself (0), not killed at its end (137).
            assert run("docker", "inspect", "-f", "{{.State.ExitCode}}", container).stdout.strip() == "0", name
            stack.compose_run("start", name, timeout=120)
            ready = stack.ports[f"{name}-health"] if name.startswith("worker") else stack.ports[name]
            stack.wait_ready(f"http://127.0.0.1:{ready}/readyz")
        load.join(timeout=600)
        assert len(rolling) == 8

        # The windows left to run out end by themselves: the workflows' own timers (moved on 31 days).
        waiting = [members[n] for n, leaves in departing.items() if not leaves]
        asyncio.run(_run_out(stack.temporal_address, stack.secrets["CONSULAR_CODEC_KEYS"], waiting))
        for member_id in waiting:
            member = fra.call("GET", f"/v1/members/{member_id}")
            assert member["state"] == "period-expired", member["state"]
            assert member["privileges"]["end_basis"] == "VCCR 53(3): reasonable period expired"

        # Every act once: the register's acts of each member, as the lifecycle performed them.
        engine = sa.create_engine(stack.register_url.replace("postgresql://", "postgresql+psycopg://"))
        everyone = {walked: True} | {members[n]: departing[n] for n in departing} | dict.fromkeys(rolling.values(), True)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select record_id, act from acts order by record_id, record_seq")).all()
            notices = dict(conn.execute(sa.text(  # in the order the acts queued them
                "select id, record_id from notifications order by created_at, id")).all())
            undelivered = conn.execute(sa.text("select count(*) from notifications where delivered_at is null")).scalar()
        engine.dispose()
        acts = defaultdict(list)
        for record_id, act in rows:
            acts[record_id].append(act)
        for member_id, departed in everyone.items():
            expected = BEFORE_DEPARTURE + (["notify-departure"] if departed else ["departure-period-expired"])
            assert Counter(acts[member_id]) == Counter(expected), (member_id, acts[member_id])

        # Every notice delivered, each by its id once, a record's in the order of its acts.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len({i for i, _ in Receiver.received}) < len(notices):
            time.sleep(0.5)
        assert undelivered == 0 or len({i for i, _ in Receiver.received}) == len(notices)
        arrivals = [notice_id for notice_id, _ in Receiver.received]
        assert set(arrivals) == set(notices)
        repeated = {i: c for i, c in Counter(arrivals).items() if c > 1}
        # A delivery cut by the SIGKILL between the receiver's answer and the register's record is
        # sent again with the same id (at least once, docs/webhooks.md): the receiver drops it.
        assert len(repeated) <= 8, repeated
        first_seen: dict[str, list[str]] = defaultdict(list)
        queued: dict[str, list[str]] = defaultdict(list)
        for notice_id in dict.fromkeys(arrivals):
            first_seen[notices[notice_id]].append(notice_id)
        for notice_id, record_id in notices.items():
            queued[record_id].append(notice_id)
        assert first_seen == queued  # each record's notices arrived in the order its acts queued them
        print(f"\n{len(rows)} acts, {len(notices)} notices, {len(arrivals)} deliveries, repeated: {repeated}")
    finally:
        stack.down()


async def _run_out(address: str, codec_keys: str, member_ids: list[str]) -> None:
    from temporalio.client import Client
    from temporalio.testing._timeskipping import TimeSkipper

    from exequatur.core.codec import data_converter, parse_keys

    client = await Client.connect(address, data_converter=data_converter(parse_keys(codec_keys)))
    skipper = TimeSkipper(client)
    for member_id in member_ids:
        await skipper.fast_forward(client.get_workflow_handle(f"member-{member_id}"), timedelta(days=31))
