"""Member lifecycles, appointment to departure, driven three ways: through the Temporal
client (as the API sends them: update-with-start, then one update per act), through the
HTTP API, and as the baseline's bare updates. Items 1-3 of the bench."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from bench.baseline import BaselineWorkflow, FloorWorkflow
from exequatur.models.common import Party
from exequatur.models.member import MEMBER, Appointment, new_member
from exequatur.models.post import Post
from exequatur.models.profile import Profile
from exequatur.workflows.lifecycles import MemberWorkflow
from exequatur.models.messages import ActRequest, StartInput

FRA = {"Authorization": "Bearer tok-fra"}
WSM = {"Authorization": "Bearer tok-wsm"}
APPOINTMENT = {"role": "head", "category": "career", "class": "consul",
               "person": {"full_name": "Jeanne Martin", "nationalities": ["FRA"]}}
# The README's walk-through: the acts after the appointment, by the party that performs each.
ACTS: list[tuple[str, Party]] = [
    ("present-instrument", Party.SS), ("admit-provisionally", Party.RS), ("grant-exequatur", Party.RS),
    ("notify-arrival", Party.SS), ("enter-duties", Party.SS), ("notify-termination", Party.SS),
    ("notify-departure", Party.SS),
]
ACTS_PER_LIFECYCLE = 1 + len(ACTS)


@dataclass
class Posts:
    """Open posts of FRA in WSM to appoint heads to, with what the API would send along."""

    records: list[Post]
    profile: Profile
    facts: dict[str, Any]


async def open_posts(http: httpx.AsyncClient, count: int) -> Posts:
    response = await http.post("/v1/relations", headers=FRA, json={"with_state": "WSM", "diplomatic_missions": ["FRA"]})
    established = response.status_code == 409 and response.json().get("state") == "established"  # a second stack
    assert response.status_code == 201 or established, response.text
    if not established and response.json()["state"] == "proposed":  # 2(1): Samoa consents
        accepted = await http.post("/v1/relations/FRA-WSM/acts/accept", headers=WSM)
        assert accepted.status_code == 200, accepted.text
    records = []
    for i in range(count):
        response = await http.post("/v1/posts", headers=FRA, json={
            "receiving_state": "WSM", "seat": f"Seat {i}", "classification": "consulate", "district": f"District {i}",
            "headed_by": "career"})
        assert response.status_code == 201, response.text
        response = await http.post(f"/v1/posts/{response.json()['id']}/acts/consent", headers=WSM)
        assert response.status_code == 200, response.text
        body = response.json()
        records.append(Post.model_validate({k: v for k, v in body.items() if k in Post.model_fields}))
    return Posts(records, Profile(), {"ss_diplomatic_mission": True})


Latencies = list[float] | None


async def _timed(latencies: Latencies, call: Awaitable[Any]) -> Any:
    started = time.perf_counter()
    result = await call
    if latencies is not None:
        latencies.append(time.perf_counter() - started)
    return result


async def client_lifecycle(client: Client, task_queue: str, posts: Posts, i: int, latencies: Latencies = None) -> str:
    """One head of post, commission to departure, through the Temporal client as the API sends it."""
    post = posts.records[i % len(posts.records)]
    appointment = Appointment.model_validate(APPOINTMENT)
    member = new_member(f"M-B{uuid.uuid4().hex[:11].upper()}", post, posts.profile, appointment)
    record = {**member.model_dump(mode="json", by_alias=True), **posts.facts}
    start = WithStartWorkflowOperation(
        MemberWorkflow.run, StartInput(record=record), id=f"member-{member.id}", task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, static_summary=f"Member: {member.id}")
    request = ActRequest(party=Party.SS, principal="bench",
                         body=appointment.model_dump(mode="json", exclude_none=True, by_alias=True))
    await _timed(latencies, client.execute_update_with_start_workflow(
        "appoint", request, start_workflow_operation=start, id=uuid.uuid4().hex))
    handle = client.get_workflow_handle(f"member-{member.id}")
    for act, party in ACTS:
        # As the API sends it: the profile the facts were read with, where the act sets a deadline.
        periods = MEMBER.act(act).periods  # type: ignore[union-attr]
        request = ActRequest(party=party, principal="bench", facts=posts.facts, profile=posts.profile if periods else None)
        await _timed(latencies, handle.execute_update(act, request, id=uuid.uuid4().hex))
    await handle.result()  # its deliveries done, the workflow closes
    return handle.id


async def api_lifecycle(http: httpx.AsyncClient, posts: Posts, i: int, latencies: Latencies = None,
                        timings: list[dict[str, float]] | None = None) -> str:
    """The same lifecycle through the HTTP API; with `timings`, each act's Server-Timing phases."""
    post = posts.records[i % len(posts.records)]
    response = await _timed(latencies, http.post(f"/v1/posts/{post.id}/members", headers=FRA, json=APPOINTMENT))
    assert response.status_code == 201, response.text
    member_id = response.json()["id"]
    answers = [response]
    for act, party in ACTS:
        response = await _timed(latencies, http.post(f"/v1/members/{member_id}/acts/{act}",
                                                     headers=FRA if party is Party.SS else WSM))
        assert response.status_code == 200, response.text
        answers.append(response)
    if timings is not None:
        timings.extend(server_timing(answer) for answer in answers)
    return f"member-{member_id}"


def server_timing(response: httpx.Response) -> dict[str, float]:
    """The phases the API reports for an act (its Server-Timing header), in seconds."""
    parts = (part.strip().split(";dur=") for part in response.headers.get("server-timing", "").split(",") if part)
    return {name: float(ms) / 1000 for name, ms in parts}


async def http_hop(http: httpx.AsyncClient, latencies: list[float], count: int) -> None:
    """The HTTP hop alone: `GET /healthz` through the same client, server and middleware as an
    act, with no register and no Temporal behind it (item 2's floor for the API)."""
    for _ in range(count):
        response = await _timed(latencies, http.get("/healthz"))
        assert response.status_code == 200, response.text


async def baseline_lifecycle(client: Client, task_queue: str, i: int, latencies: Latencies = None,
                             workflow: type[BaselineWorkflow] = BaselineWorkflow) -> str:
    """As many bare updates as a lifecycle has acts, the first with the start (or as many of
    the floor's, `workflow=FloorWorkflow`)."""
    workflow_id = f"{'floor' if workflow is FloorWorkflow else 'baseline'}-{uuid.uuid4().hex[:12]}"
    start = WithStartWorkflowOperation(workflow.run, ACTS_PER_LIFECYCLE, id=workflow_id, task_queue=task_queue,
                                       id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)
    await _timed(latencies, client.execute_update_with_start_workflow(
        workflow.act, {}, start_workflow_operation=start, id=uuid.uuid4().hex))
    handle = client.get_workflow_handle(workflow_id)
    for _ in ACTS:
        await _timed(latencies, handle.execute_update(workflow.act, {}, id=uuid.uuid4().hex))
    await handle.result()
    return workflow_id


async def many(lifecycle: Callable[[int], Awaitable[str]], count: int, concurrency: int) -> tuple[float, list[str]]:
    """Run `count` lifecycles, `concurrency` at a time; the seconds it took and the workflow ids."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with gate:
            return await lifecycle(i)

    started = time.perf_counter()
    ids = await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - started, list(ids)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def history_events(client: Client, workflow_ids: list[str]) -> tuple[float, dict[str, float]]:
    """Mean number of history events of these workflows, in all and by event type."""
    from temporalio.api.enums.v1 import EventType

    counts = []
    by_type: dict[str, int] = {}
    for workflow_id in workflow_ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        counts.append(len(history.events))
        for event in history.events:
            name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
            by_type[name] = by_type.get(name, 0) + 1
    return statistics.mean(counts), {k: v / len(workflow_ids) for k, v in by_type.items()}


async def open_member(client: Client, task_queue: str, posts: Posts, i: int) -> str:
    """A member workflow that is open and waiting (appointed), for the memory figures."""
    post = posts.records[i % len(posts.records)]
    member = new_member(f"M-R{uuid.uuid4().hex[:11].upper()}", post, posts.profile,
                        Appointment.model_validate(APPOINTMENT))
    record = {**member.model_dump(mode="json", by_alias=True), **posts.facts}
    await client.start_workflow(MemberWorkflow.run, StartInput(record=record, created=True),
                                id=f"member-{member.id}", task_queue=task_queue)
    return f"member-{member.id}"


async def one_act(client: Client, workflow_id: str, posts: Posts) -> float:
    """The seconds of one act (the sending State presents the commission, 11(2)) on an open member."""
    request = ActRequest(party=Party.SS, principal="bench", facts=posts.facts)
    started = time.perf_counter()
    await client.get_workflow_handle(workflow_id).execute_update("present-instrument", request, id=uuid.uuid4().hex)
    return time.perf_counter() - started


async def open_baseline(client: Client, task_queue: str, i: int) -> None:
    await client.start_workflow(BaselineWorkflow.run, ACTS_PER_LIFECYCLE, id=f"baseline-{uuid.uuid4().hex[:12]}",
                                task_queue=task_queue)
