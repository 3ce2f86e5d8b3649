"""What operators and integrators see of a running service, on real processes: `exequatur worker`
and `exequatur api` against the session's dev server, a webhook receiver over HTTP.

The Web UI's metadata through the same calls the UI makes (describe, the metadata query),
Prometheus metrics scraped from the API and the worker, the health endpoints, JSON logs that
name the workflow, act and article and no person, and a delivered webhook notification checked
against the schema docs/webhooks.md publishes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jsonschema_rs
import pytest
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks.webhooks import WebhookVerificationError
from temporalio.api.sdk.v1 import WorkflowMetadata

from exequatur.models.member import MEMBER
from tests.helpers import WEBHOOK_SECRET, WEBHOOK_SECRET_OLD, verified_notice
from tests.processes import BIN, DevServer, Stack, free_port, ok, wait_until
from exequatur.workflows import search

# A pair of States no other test acts for: workflow ids are unique in the shared namespace.
SS, RS = "CYP", "GRC"
TOKENS = {"t-cyp": f'state = "{SS}"', "t-grc": f'state = "{RS}"'}
NAME = "Zephyrine Quaglia"  # must appear in no log line, search attribute, summary or notice
DOCS = Path(__file__).resolve().parent.parent / "docs"


class Receiver:
    """A webhook receiver that keeps the raw body and the headers (to check the signature)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def stack(tmp_path: Path, env) -> Iterator[tuple[Stack, Receiver, str]]:  # type: ignore[no-untyped-def]
    receiver = Receiver()
    worker_metrics = f"127.0.0.1:{free_port()}"
    running = Stack(tmp_path, str(env.client.service_client.config.target_host), TOKENS,
                    CONSULAR_WEBHOOK_URL=receiver.url, CONSULAR_WEBHOOK_SECRET=f"{WEBHOOK_SECRET},{WEBHOOK_SECRET_OLD}",
                    CONSULAR_WORKER_METRICS_ADDRESS=worker_metrics)
    try:
        running.serve()
        yield running, receiver, worker_metrics
    finally:
        running.stop()
        receiver.server.shutdown()


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page by (name, sorted labels)."""
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(page.text) for s in family.samples}


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def metadata(env, workflow_id: str) -> WorkflowMetadata:  # type: ignore[no-untyped-def]
    """What the Web UI asks a workflow for: its current details and its handlers' descriptions."""
    return await env.client.get_workflow_handle(workflow_id).query(  # type: ignore[no-any-return]
        "__temporal_workflow_metadata", result_type=WorkflowMetadata)


async def test_operators_and_integrators_see_the_service(stack, env):  # type: ignore[no-untyped-def]
    service, receiver, worker_metrics = stack
    cyp, grc = service.client("t-cyp"), service.client("t-grc")

    # Health: the process is up; ready when Temporal and the register answer.
    assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{service.url}/readyz").json() == {"status": "ready"}

    before = scrape(f"{service.url}/metrics")
    ok(cyp.post("/v1/relations", json={"with_state": RS}), 201)
    ok(grc.post(f"/v1/relations/{'-'.join(sorted((SS, RS)))}/acts/accept"))  # 2(1): by mutual consent
    post = ok(cyp.post("/v1/posts", json={"receiving_state": RS, "seat": "Thessaloniki",
                                          "classification": "consulate-general", "district": "Macedonia",
                                          "headed_by": "career"}), 201)
    ok(grc.post(f"/v1/posts/{post['id']}/acts/consent"))
    member = ok(cyp.post(f"/v1/posts/{post['id']}/members", json={
        "role": "head", "category": "career", "class": "consul-general",
        "person": {"full_name": NAME, "nationalities": [SS]}}), 201)
    mid = member["id"]
    acts = f"/v1/members/{mid}/acts"
    refused = cyp.post(f"{acts}/enter-duties")  # before admission: 12(3)
    assert refused.status_code == 409 and refused.json()["article"] == "VCCR 12(3)"
    assert grc.post(f"{acts}/present-instrument").status_code == 403  # the sending State's act
    ok(cyp.post(f"{acts}/present-instrument"))
    ok(grc.post(f"{acts}/admit-provisionally"))
    ok(cyp.post(f"{acts}/notify-arrival"))
    ok(cyp.post(f"{acts}/enter-duties"))
    answered = cyp.post(f"{acts}/notify-termination")
    terminated = ok(answered)
    # The caller sees where its act's time went (W3C Server-Timing, milliseconds): the register's
    # reads, the workflow's update, the whole answer; a request that is no act carries none.
    timing = dict(part.strip().split(";dur=") for part in answered.headers["server-timing"].split(","))
    assert set(timing) == {"register", "workflow", "app"}
    assert 0 < float(timing["register"]) + float(timing["workflow"]) <= float(timing["app"])
    assert "server-timing" not in refused.headers or "workflow" not in refused.headers["server-timing"]
    assert "server-timing" not in httpx.get(f"{service.url}/healthz").headers

    # ---- API metrics: each count moved by exactly what was asked ----
    after = scrape(f"{service.url}/metrics")
    acts_total = "exequatur_acts_total"
    assert moved(before, after, acts_total, kind="relations", act="establish", outcome="accepted") == 1
    assert moved(before, after, acts_total, kind="post", act="request-establishment", outcome="accepted") == 1
    assert moved(before, after, acts_total, kind="member", act="appoint", outcome="accepted") == 1
    assert moved(before, after, acts_total, kind="member", act="enter-duties", outcome="refused") == 1
    assert moved(before, after, acts_total, kind="member", act="enter-duties", outcome="accepted") == 1
    assert moved(before, after, acts_total, kind="member", act="present-instrument", outcome="refused") == 1
    assert moved(before, after, acts_total, kind="member", act="present-instrument", outcome="accepted") == 1
    assert moved(before, after, acts_total, kind="member", act="grant-exequatur", outcome="accepted") == 0
    route = "/v1/members/{record_id}/acts/enter-duties"
    requests = "exequatur_http_requests_total"
    assert moved(before, after, requests, method="POST", route=route, status="409") == 1
    assert moved(before, after, requests, method="POST", route=route, status="200") == 1
    assert moved(before, after, "exequatur_http_request_duration_seconds_count", method="POST", route=route) == 2
    assert moved(before, after, requests, method="GET", route="/metrics", status="200") == 1
    # Where the member's acts spent their time: the register's reads before each (the appointment,
    # the two refused before any update, the five accepted), and the workflow's update of the six
    # that reached it; refusals the API makes itself never wait on the workflow.
    phases = "exequatur_act_phase_duration_seconds_count"
    assert moved(before, after, phases, kind="member", phase="register") == 8
    assert moved(before, after, phases, kind="member", phase="workflow") == 6
    assert moved(before, after, "exequatur_act_phase_duration_seconds_sum", kind="member", phase="workflow") > 0
    assert not any(mid in str(key) or post["id"] in str(key) for key in after)  # templates, never ids

    # ---- the Web UI's view: summaries, search attributes, current details, update descriptions ----
    described = await env.client.get_workflow_handle(f"member-{mid}").describe()
    assert await described.static_summary() == f"Member {mid} (head) of post {post['id']}"
    attributes = described.search_attributes
    assert attributes["SendingState"] == [SS] and attributes["ReceivingState"] == [RS]
    assert attributes["MemberRole"] == ["head"] and attributes["PostId"] == [post["id"]]
    assert attributes["LifecycleState"] == ["terminated"]
    deadline = datetime.fromisoformat(terminated["departure_deadline"])
    assert attributes["NextDeadline"] == [deadline]
    shown = await metadata(env, f"member-{mid}")
    details = shown.current_details
    assert "State: **terminated**" in details and "`notify-departure`" in details
    assert f"Departure period (VCCR 26, 53(3)) ends {deadline:%Y-%m-%d %H:%M} UTC" in details
    descriptions = {u.name: u.description for u in shown.definition.update_definitions}
    for act in MEMBER.acts:
        if not act.automatic:
            assert act.name in descriptions[act.name] and act.article in descriptions[act.name], act.name
    assert descriptions["grant-exequatur"] == ("grant-exequatur: The receiving State admits the member by an "
                                               "exequatur. (the receiving State, VCCR 12(1))")

    post_view = await env.client.get_workflow_handle(f"post-{post['id']}").describe()
    assert await post_view.static_summary() == f"Post {post['id']} (consulate-general, {SS} in {RS})"
    assert post_view.search_attributes["PostClassification"] == ["consulate-general"]
    assert post_view.search_attributes["LifecycleState"] == ["open"]
    assert "NextDeadline" not in post_view.search_attributes  # a post has no deadline running
    post_details = (await metadata(env, f"post-{post['id']}")).current_details
    assert "Whose move:" in post_details and "`close`" in post_details and "Next deadline" not in post_details
    # What an operator types in the UI's filter: a post's workflows, and the periods running out.
    async def listed(query: str) -> set[str]:
        return {w.id async for w in env.client.list_workflows(query)}

    together = {f"post-{post['id']}", f"member-{mid}"}
    for _ in range(50):  # visibility is eventually consistent
        if await listed(f'PostId = "{post["id"]}"') == together:
            break
        await asyncio.sleep(0.2)
    assert await listed(f'PostId = "{post["id"]}"') == together
    soon = f'NextDeadline < "{(deadline + timedelta(minutes=1)).isoformat()}" AND SendingState = "{SS}"'
    assert await listed(soon) == {f"member-{mid}"}
    assert await listed(f'PostClassification = "consulate-general" AND SendingState = "{SS}"') == {f"post-{post['id']}"}
    relations = await env.client.get_workflow_handle(f"relations-{SS}-{RS}").describe()
    assert await relations.static_summary() == f"Consular relations {SS}-{RS}"
    for text in (str(attributes), await described.static_summary(), details, post_details):
        assert NAME.split()[1] not in text

    # ---- the worker's Prometheus endpoint: the SDK's metrics for this task queue ----
    worker = scrape(f"http://{worker_metrics}/metrics")
    queue = service.env["CONSULAR_TASK_QUEUE"]
    names = {name for (name, labels) in worker if ("task_queue", queue) in labels}
    assert {"temporal_workflow_task_execution_latency_count", "temporal_request"} & names, sorted(names)[:20]
    completed = [value for (name, labels), value in worker.items()
                 if name == "temporal_workflow_task_execution_latency_count" and ("task_queue", queue) in labels]
    assert completed and sum(completed) >= 10  # at least one workflow task per act above

    # ---- webhooks: the Art. 14 notice and the Art. 24 ones, signed, as docs/webhooks.md says ----
    published = json.loads((DOCS / "webhooks.md").read_text().split("```json\n")[-1].split("```")[0])
    assert published == httpx.get(f"{service.url}/v1/notices/schema").json()  # the served schema, documented
    schema = jsonschema_rs.validator_for(published)
    # The relay delivers a record's notices in order: notify-arrival's (Art. 24) comes after Art. 14's.
    wait_until(lambda: any(b"district-authorities" in body for _, body in receiver.received)
               and any(b'"notify-arrival"' in body for _, body in receiver.received), 60,
               what="the Art. 14 notification and the Art. 24 one of the arrival")
    notices = []
    for headers, body in receiver.received:
        # Signed with both secrets of a rotation (Standard Webhooks): either one verifies it.
        assert len(headers["webhook-signature"].split(" ")) == 2
        document = verified_notice(headers, body, WEBHOOK_SECRET)
        assert verified_notice(headers, body, WEBHOOK_SECRET_OLD) == document
        with pytest.raises(WebhookVerificationError):
            verified_notice(headers, body + b" ", WEBHOOK_SECRET)
        assert NAME.encode() not in body
        notices.append(document)
    art14 = [n for n in notices if n["recipient"] == "district-authorities"]
    assert len(art14) == 1 and art14[0]["article"] == "VCCR 14" and art14[0]["subject"]["post_id"] == post["id"]
    assert any(n["recipient"] == "foreign-ministry" and n["act"] == "notify-arrival" for n in notices)
    with pytest.raises(jsonschema_rs.ValidationError):  # the published schema does check
        schema.validate({**art14[0], "subject": {"role": "head"}})

    # ---- logs: JSON lines naming workflow, act and article; no person ----
    service.stop()
    worker_lines = [json.loads(line) for line in service.log("worker").splitlines() if line.startswith("{")]
    api_lines = [json.loads(line) for line in service.log("api").splitlines() if line.startswith("{")]
    recorded = [line for line in worker_lines if line["event"] == "act recorded" and line.get("act") == "enter-duties"]
    assert recorded and recorded[0]["workflow_id"] == f"member-{mid}" and recorded[0]["article"] == "VCCR 12(3)"
    assert recorded[0]["workflow_type"] == "Member" and recorded[0]["update_name"] == "enter-duties"
    accepted = [line for line in api_lines if line["event"] == "act accepted" and line.get("act") == "enter-duties"]
    assert accepted == [{**accepted[0], "workflow_id": f"member-{mid}", "article": "VCCR 12(3)"}]
    assert all("(" not in line["event"] for line in worker_lines if "workflow_id" in line)  # fields, not text
    for log in ("worker", "api"):
        assert NAME.split()[0] not in service.log(log) and NAME.split()[1] not in service.log(log)


def test_search_attributes_command_registers_every_attribute_on_a_bare_server(tmp_path: Path):
    """`exequatur search-attributes` on a server that knows none of ours (a cluster's case):
    every attribute the workflows set is registered, and a second run adds nothing."""
    port = free_port()
    server = subprocess.Popen([str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
                               "--port", str(port), "--log-level", "error"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    address = f"127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULAR_", "TEMPORAL_"))}
    env.update(TEMPORAL_ADDRESS=address, CONSULAR_VAR_DIR=str(tmp_path))

    def listing() -> dict | None:  # type: ignore[type-arg]
        shown = subprocess.run([str(BIN / "temporal"), "operator", "search-attribute", "list", "--address", address,
                                "--output", "json"], capture_output=True, text=True, timeout=30)
        return json.loads(shown.stdout) if shown.returncode == 0 else None

    def registered() -> set[str]:
        return set((listing() or {}).get("customAttributes", {}))

    try:
        wait_until(listing, 60, 0.5, "the bare dev server")
        assert not {key.name for key in search.ALL} & registered()
        first = subprocess.run([str(BIN / "exequatur"), "search-attributes"], env=env, capture_output=True,
                               text=True, timeout=60)
        assert first.returncode == 0 and f"({len(search.ALL)} added)" in first.stdout, first.stderr
        assert {"PostClassification", "MemberRole", "PostId", "NextDeadline"} <= registered()
        assert {key.name for key in search.ALL} <= registered()
        again = subprocess.run([str(BIN / "exequatur"), "search-attributes"], env=env, capture_output=True,
                               text=True, timeout=60)
        assert again.returncode == 0 and "(0 added)" in again.stdout
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_ready_only_while_temporal_answers_alive_throughout(tmp_path: Path):
    """/healthz says the process is up; /readyz says whether it can serve acts: Temporal killed,
    not ready (503, quickly: a load balancer must not hang); Temporal back, ready again."""
    server = DevServer(tmp_path)
    server.start()
    service = Stack(tmp_path, server.address, TOKENS)
    try:
        service.start("api", "api")
        service.ready()
        server.kill()
        started = time.monotonic()
        answer = wait_until(lambda: (r := httpx.get(f"{service.url}/readyz", timeout=30)).status_code == 503 and r,
                            60, 0.5, "/readyz to notice Temporal is gone")
        assert answer.json()["status"] == "unavailable" and time.monotonic() - started < 30
        assert httpx.get(f"{service.url}/healthz", timeout=5).json() == {"status": "ok"}
        server.start()  # the same port and SQLite file
        service.ready()
    finally:
        service.stop()
        server.stop()
