"""`exequatur run` (what `make run` starts) as a user gets it: dev server with a SQLite
file under var/, worker, API and demo tokens; the README walk-through; Ctrl-C stops all."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port


def test_run_serves_the_walk_through_and_stops_cleanly(tmp_path: Path):
    ports = {"CONSULAR_TEMPORAL_PORT": free_port(), "CONSULAR_TEMPORAL_UI_PORT": free_port(),
             "CONSULAR_API_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULAR_", "TEMPORAL_"))}
    env.update({k: str(v) for k, v in ports.items()}, CONSULAR_VAR_DIR=str(tmp_path / "var"))
    log = (tmp_path / "run.log").open("wb")
    service = subprocess.Popen([str(Path(sys.executable).parent / "exequatur"), "run"], env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{ports['CONSULAR_API_PORT']}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert service.poll() is None and time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.5)
        assert (tmp_path / "var" / "temporal.sqlite").exists()
        tokens = dict((state, tok) for tok, state in re.findall(r'"(tok-[\w-]+)" = \{ state = "(\w+)" \}',
                                                                (tmp_path / "var" / "tokens.toml").read_text()))
        fra = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['FRA']}"}, timeout=30)
        wsm = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['WSM']}"}, timeout=30)

        # The README walk-through, step by step.
        assert fra.post("/v1/relations", json={"with_state": "WSM", "diplomatic_missions": ["FRA"]}).status_code == 201
        assert wsm.post("/v1/relations/FRA-WSM/acts/accept").json()["state"] == "established"
        post = fra.post("/v1/posts", json={"receiving_state": "WSM", "seat": "Apia", "classification": "consulate",
                                           "district": "Samoa", "headed_by": "career"}).json()
        assert wsm.post(f"/v1/posts/{post['id']}/acts/consent").json()["state"] == "open"
        member = fra.post(f"/v1/posts/{post['id']}/members", json={
            "role": "head", "category": "career", "class": "consul",
            "person": {"full_name": "Jeanne Martin", "nationalities": ["FRA"]}}).json()
        steps = [(fra, "present-instrument"), (wsm, "admit-provisionally"), (wsm, "grant-exequatur"),
                 (fra, "notify-arrival"), (fra, "enter-duties"), (fra, "notify-termination"),
                 (fra, "notify-departure")]
        for ministry, act in steps:
            response = ministry.post(f"/v1/members/{member['id']}/acts/{act}")
            assert response.status_code == 200, (act, response.text)
        final = wsm.get(f"/v1/members/{member['id']}").json()
        assert final["state"] == "departed" and final["privileges"]["ended_on"]
        outbox = tmp_path / "var" / "outbox"
        deadline = time.monotonic() + 30  # the worker's relay delivers beside the workflow
        while not any(outbox.glob(f"{member['id']}-*-district-authorities.json")) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert any(outbox.glob(f"{member['id']}-*-district-authorities.json"))
        _the_web_ui_decrypts_for_a_signed_in_auditor(tmp_path, ports, base, member["id"])
    finally:
        os.killpg(service.pid, signal.SIGINT)  # what Ctrl-C sends to the whole group
        assert service.wait(timeout=40) == 0
        log.close()
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert leftovers == []


def _the_web_ui_decrypts_for_a_signed_in_auditor(tmp_path: Path, ports: dict, base: str, member_id: str) -> None:
    """Payloads reach Temporal encrypted; the Web UI is pointed at the API's codec server, which
    decrypts for an auditor signed in by cookie (what the browser sends with credentials)."""
    ui = f"http://127.0.0.1:{ports['CONSULAR_TEMPORAL_UI_PORT']}"
    assert httpx.get(f"{ui}/api/v1/settings", timeout=10).json()["Codec"]["Endpoint"] == f"{base}/codec"
    shown = subprocess.run([str(Path(sys.executable).parent / "temporal"), "workflow", "show", "--output", "json",
                            "--address", f"127.0.0.1:{ports['CONSULAR_TEMPORAL_PORT']}",
                            "--workflow-id", f"member-{member_id}"], capture_output=True, timeout=60, check=True)
    assert b"Jeanne" not in shown.stdout and b"Martin" not in shown.stdout
    payload = json.loads(shown.stdout)["events"][0]["workflowExecutionStartedEventAttributes"]["input"]
    auditor = re.search(r'"(tok-auditor-\w+)"', (tmp_path / "var" / "tokens.toml").read_text()).group(1)
    preflight = httpx.options(f"{base}/codec/decode", headers={
        "Origin": ui, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.headers["access-control-allow-origin"] == ui
    assert preflight.headers["access-control-allow-credentials"] == "true"
    browser = httpx.Client(base_url=base, timeout=30)
    assert browser.post("/codec/decode", json=payload).status_code == 401
    assert browser.post("/codec/login", data={"token": "tok-wrong"}).status_code == 401
    assert browser.post("/codec/login", data={"token": auditor}).status_code == 200
    session = browser.cookies["exequatur_codec"]  # a signed session: never the token itself
    assert auditor not in session and session.startswith("v1.")
    signed, signature = session.rsplit(".", 1)
    forged = f"{signed}.{'1' if signature[0] == '0' else '0'}{signature[1:]}"
    assert httpx.post(f"{base}/codec/decode", json=payload, cookies={"exequatur_codec": forged}).status_code == 401
    decoded = browser.post("/codec/decode", json=payload, headers={"Origin": ui})
    assert decoded.status_code == 200 and decoded.headers["access-control-allow-origin"] == ui
    plain = b"".join(base64.b64decode(p["data"]) for p in decoded.json()["payloads"])
    assert b"Jeanne Martin" in plain
