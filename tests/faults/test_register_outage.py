"""The register away for a while, and the API restarted between a request and its retry: an
act waits for the register, the client gets a clear 503 it can retry with its Idempotency-Key,
and the act is applied once. Nothing is half-applied: the workflow and the register agree."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.processes import Stack, free_port, ok, persist, unless_unavailable, wait_until

pytestmark = pytest.mark.faults

# Each test has its own pair of States: workflow ids are deterministic, and the tests share a server.
PAIRS = {"postgres": ("NOR", "ISL"), "sqlite": ("EST", "LVA"), "restart": ("LTU", "POL")}
TOKENS = {f"t-{state.lower()}": f'state = "{state}"' for pair in PAIRS.values() for state in pair}
HEAD = {"role": "head", "category": "career", "class": "consul",
        "person": {"full_name": "Ingrid Solberg", "nationalities": ["NOR"]}}
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)



def unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Idempotency-Key" in response.json()["detail"] and response.headers["retry-after"]


def head_of_new_post(stack: Stack, test: str) -> tuple[httpx.Client, httpx.Client, str]:
    """The two ministries of the test's pair and the head of a new, consented post."""
    sending, receiving = PAIRS[test]
    ss, rs = stack.client(f"t-{sending.lower()}"), stack.client(f"t-{receiving.lower()}")
    # With a short API timeout a busy machine may answer 503: the setup retries as clients do.
    relations = persist(ss, "/v1/relations", {"with_state": receiving})
    persist(rs, f"/v1/relations/{relations['id']}/acts/accept")  # 2(1): by mutual consent
    post = persist(ss, "/v1/posts", {"receiving_state": receiving, "seat": "Capital", "classification": "consulate",
                                     "district": "North", "headed_by": "career"})
    persist(rs, f"/v1/posts/{post['id']}/acts/consent")
    head = {**HEAD, "person": {**HEAD["person"], "nationalities": [sending]}}
    return ss, rs, persist(ss, f"/v1/posts/{post['id']}/members", head)["id"]


async def workflow_state(env, member_id: str) -> str:  # type: ignore[no-untyped-def]
    record = await env.client.get_workflow_handle(f"member-{member_id}").query("record")
    return record["state"]  # type: ignore[no-any-return]


@pytest.fixture
def temporal_address(env) -> str:  # type: ignore[no-untyped-def]
    return str(env.client.service_client.config.target_host)


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (the machine's shared server is never stopped)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="exequatur-pg-"))
        self.data, self.port = self.folder / "data", free_port()
        shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                          "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start")

    def crash(self) -> None:
        """`pg_ctl stop -m immediate`: the server goes away without a clean shutdown."""
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def remove(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data),
                        "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    if PG_BIN is None or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs PostgreSQL's binaries and root (to run a private cluster as postgres)")
    cluster = PrivatePostgres()
    cluster.start()
    yield cluster
    cluster.remove()


async def test_postgresql_crashes_during_a_register_write_the_act_waits_and_is_applied_once(
        tmp_path: Path, temporal_address, postgres, env):  # type: ignore[no-untyped-def]
    stack = Stack(tmp_path, temporal_address, TOKENS, CONSULAR_DATABASE_URL=postgres.url,
                  CONSULAR_ACT_TIMEOUT_SECONDS="3")
    try:
        stack.serve()
        nor, _, member_id = head_of_new_post(stack, "postgres")
        key = {"Idempotency-Key": "commission-ingrid-solberg"}

        # Hold the acts table so the worker's write is in flight, then crash PostgreSQL under it.
        holder = psycopg.connect(postgres.url, autocommit=False)
        holder.execute("LOCK TABLE acts IN EXCLUSIVE MODE")
        answers: list[httpx.Response] = []
        request = threading.Thread(target=lambda: answers.append(
            nor.post(f"/v1/members/{member_id}/acts/present-instrument", headers=key)))
        request.start()
        time.sleep(1.5)  # the API has read the register; the workflow's write waits on the lock
        postgres.crash()
        holder.close()
        request.join(30)
        unavailable(answers[0])
        # While it is away, reads and retries get the same clear 503, and nothing else happens.
        unavailable(nor.get(f"/v1/members/{member_id}"))
        unavailable(nor.post(f"/v1/members/{member_id}/acts/present-instrument", headers=key))

        postgres.start()
        # The act went on waiting in the workflow; the retry finds it applied, once.
        retried = wait_until(lambda: unless_unavailable(nor.post(f"/v1/members/{member_id}/acts/present-instrument",
                                                        headers=key)), 60, 0.5, "the retried act")
        assert [a["act"] for a in retried["acts"]] == ["appoint", "present-instrument"]
        assert await workflow_state(env, member_id) == retried["state"]
        with psycopg.connect(postgres.url) as db:
            count = db.execute("SELECT count(*) FROM acts WHERE record_id = %s AND act = 'present-instrument'",
                               (member_id,)).fetchone()
        assert count == (1,)
    finally:
        stack.stop()


async def test_sqlite_locked_past_the_api_timeout_gives_503_then_the_retry_applies_once(
        tmp_path: Path, temporal_address, env):  # type: ignore[no-untyped-def]
    stack = Stack(tmp_path, temporal_address, TOKENS, CONSULAR_ACT_TIMEOUT_SECONDS="3")
    try:
        stack.serve()
        nor, _, member_id = head_of_new_post(stack, "sqlite")
        key = {"Idempotency-Key": "commission-1"}
        lock = sqlite3.connect(stack.tmp / "register.sqlite3", isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")  # another writer holds the register for 6 s
        unavailable(nor.post(f"/v1/members/{member_id}/acts/present-instrument", headers=key))
        # Readers are not blocked (WAL), and the register does not show the act yet: nothing half-applied.
        assert [a["act"] for a in ok(nor.get(f"/v1/members/{member_id}"))["acts"]] == ["appoint"]
        time.sleep(3)
        lock.rollback()
        lock.close()
        retried = wait_until(lambda: unless_unavailable(nor.post(f"/v1/members/{member_id}/acts/present-instrument",
                                                        headers=key)), 30, 0.5, "the retried act")
        assert [a["act"] for a in retried["acts"]] == ["appoint", "present-instrument"]
        assert await workflow_state(env, member_id) == retried["state"]
    finally:
        stack.stop()


async def test_api_restarted_between_a_request_and_its_retry_the_act_is_applied_once(
        tmp_path: Path, temporal_address, env):  # type: ignore[no-untyped-def]
    stack = Stack(tmp_path, temporal_address, TOKENS, CONSULAR_ACT_TIMEOUT_SECONDS="20")
    try:
        stack.serve()
        nor, isl, member_id = head_of_new_post(stack, "restart")
        key = {"Idempotency-Key": "admission-after-restart"}
        persist(nor, f"/v1/members/{member_id}/acts/present-instrument")
        # The act is in flight (its register write held) when the API process dies.
        lock = sqlite3.connect(stack.tmp / "register.sqlite3", isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")
        answers: list[object] = []

        def send() -> None:
            try:
                answers.append(isl.post(f"/v1/members/{member_id}/acts/admit-provisionally", headers=key))
            except httpx.TransportError as exc:
                answers.append(exc)

        request = threading.Thread(target=send)
        request.start()
        time.sleep(1.5)
        stack.kill("api")
        request.join(30)
        assert isinstance(answers[0], httpx.TransportError)  # the client never got an answer
        lock.rollback()
        lock.close()
        stack.start("api", "api")
        stack.ready()
        retried = ok(isl.post(f"/v1/members/{member_id}/acts/admit-provisionally", headers=key))
        again = ok(isl.post(f"/v1/members/{member_id}/acts/admit-provisionally", headers=key))
        acts = [a["act"] for a in retried["acts"]]
        assert acts.count("admit-provisionally") == 1 and acts[:3] == ["appoint", "present-instrument",
                                                                       "admit-provisionally"]
        assert [a["act"] for a in again["acts"]].count("admit-provisionally") == 1
        assert await workflow_state(env, member_id) == retried["state"] == "provisionally-admitted"
    finally:
        stack.stop()
