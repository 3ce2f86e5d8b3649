"""kill -9 the Temporal dev server (SQLite file) while departure periods are pending and in
the middle of a severance fan-out (27(1)): restarted on the same file, every workflow
resumes, every deadline fires once, nothing is lost or doubled. The same run checks that
what Temporal stores holds no personal name in clear (payload codec, failures included)."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from temporalio.api.failure.v1 import Failure
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer

from exequatur.core.codec import data_converter, new_key, parse_keys
from exequatur.worker.worker import WORKFLOWS
from tests.processes import BIN, DevServer, Stack, ok, wait_until

pytestmark = pytest.mark.faults

TOKENS = {"t-ita": 'state = "ITA"', "t-mlt": 'state = "MLT"', "t-audit": 'role = "auditor"'}
NAMES = ["Giulia Ferrante", "Marco Santoro", "Paola Deluca", "Bruno Vitale"]



def register_acts(stack: Stack) -> list[tuple[str, str]]:
    with sqlite3.connect(stack.tmp / "register.sqlite3") as db:
        return list(db.execute("SELECT record_id, act FROM acts ORDER BY record_id, record_seq"))


async def replay_encrypted(address: str, members: list[str], converter) -> list[str]:  # type: ignore[no-untyped-def]
    """Replay the members' (encrypted) histories against this build, decrypting with the keys."""
    client = await Client.connect(address, data_converter=converter)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=converter)
    failed = []
    for member_id in members:
        history = await client.get_workflow_handle(f"member-{member_id}").fetch_history()
        if (await replayer.replay_workflow(history, raise_on_replay_failure=False)).replay_failure is not None:
            failed.append(member_id)
    return failed


def test_dev_server_killed_with_pending_deadlines_and_mid_severance_loses_and_doubles_nothing(tmp_path: Path):
    server = DevServer(tmp_path)
    server.start()
    keys = f"k1:{new_key()}"
    stack = Stack(tmp_path, server.address, TOKENS, CONSULAR_CODEC_KEYS=keys,
                  CONSULAR_ACT_TIMEOUT_SECONDS="20")
    try:
        stack.serve()
        ita, mlt = stack.client("t-ita"), stack.client("t-mlt")
        # Malta's reasonable period for departure (Arts. 26, 53(3)): 25 seconds, for the test.
        ok(mlt.put("/v1/profiles/MLT", json={"departure_period": "PT25S"}))
        ok(ita.post("/v1/relations", json={"with_state": "MLT"}), 201)
        ok(mlt.post("/v1/relations/ITA-MLT/acts/accept"))  # 2(1): by mutual consent
        members: list[str] = []
        for seat in ("Valletta", "Victoria"):
            post = ok(ita.post("/v1/posts", json={"receiving_state": "MLT", "seat": seat, "classification": "consulate",
                                                  "district": seat, "headed_by": "career"}), 201)
            ok(mlt.post(f"/v1/posts/{post['id']}/acts/consent"))
            for role in ("head", "employee"):
                name = NAMES[len(members)]
                body = {"role": role, "category": "career", "person": {"full_name": name, "nationalities": ["ITA"]}}
                if role == "head":
                    body["class"] = "consul"
                member = ok(ita.post(f"/v1/posts/{post['id']}/members", json=body), 201)
                if role == "head":
                    ok(ita.post(f"/v1/members/{member['id']}/acts/present-instrument"))
                    ok(mlt.post(f"/v1/members/{member['id']}/acts/admit-provisionally"))
                ok(ita.post(f"/v1/members/{member['id']}/acts/notify-arrival"))
                members.append(member["id"])
        # One departure period is pending (25 s) when the server dies...
        ended = ok(ita.post(f"/v1/members/{members[0]}/acts/notify-termination"))
        assert ended["departure_deadline"]
        # ... and the severance has just been recorded: its fan-out to posts and members is in flight.
        ok(ita.post("/v1/relations/ITA-MLT/acts/sever"))
        server.kill()
        time.sleep(2)
        server.start()

        def settled() -> bool:
            acts = Counter(act for _, act in register_acts(stack))
            return acts["departure-period-expired"] == len(members)

        wait_until(settled, 90, 0.5, "every departure period (53(3)) to run out once")
        time.sleep(3)  # anything doubled would show now
        acts = register_acts(stack)
        per_record = Counter((record, act) for record, act in acts)
        doubled = {key: n for key, n in per_record.items() if n > 1}
        assert not doubled, doubled
        posts = {record for record, act in acts if act == "relations-severed"}
        assert len(posts) == 2  # each post told once (27(1))
        ended_by_severance = {record for record, act in acts if act == "functions-ended"}
        assert ended_by_severance == set(members[1:])  # the first had already ended (25(a))
        for member_id in members:
            member = ok(ita.get(f"/v1/members/{member_id}"))
            assert member["state"] == "period-expired", member
            assert [a["act"] for a in member["acts"]].count("departure-period-expired") == 1

        # Nothing Temporal keeps shows a personal name: not the SQLite file, not `temporal workflow show`.
        stored = server.database.read_bytes()
        for path in server.folder.glob("temporal.sqlite*"):
            stored += path.read_bytes()
        shown = b""
        for member_id in members:
            shown += subprocess.run([str(BIN / "temporal"), "workflow", "show", "--address", server.address,
                                     "--workflow-id", f"member-{member_id}", "--output", "json"],
                                    capture_output=True, timeout=60, check=True).stdout
        for name in NAMES:
            for part in name.split():
                assert part.encode() not in stored and part.encode() not in shown, part
        assert b"full_name" not in shown
        assert base64.b64encode(b"binary/encrypted") in shown  # the codec's encoding, in the metadata

        # The encrypted histories replay against this build with the keys (what a rollout checks).
        converter = data_converter(parse_keys(keys))
        failures = asyncio.run(replay_encrypted(server.address, members, converter))
        assert failures == []
        # Failure messages (refusals name what was refused) travel encoded as well.
        failure = Failure()
        asyncio.run(converter.encode_failure(ApplicationError(f"Refused: {NAMES[0]}"), failure))
        assert NAMES[0].encode() not in failure.SerializeToString() and failure.message == "Encoded failure"
    finally:
        stack.stop()
        server.stop()
