"""Item 4: history events replayed per second by `Replayer`: the recorded corpus
(tests/histories) against this run's baseline histories, and the floor's (bench/baseline.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from bench.baseline import BaselineWorkflow, FloorWorkflow
from exequatur.core.codec import data_converter as service_converter
from bench.stack import baseline_runner, service_runner
from exequatur.worker.worker import WORKFLOWS

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "histories"


def corpus(limit: int | None = None) -> list[WorkflowHistory]:
    paths = sorted(CORPUS.glob("*.json"))[:limit]
    return [WorkflowHistory.from_json(p.stem.split("--", 1)[1], p.read_text()) for p in paths]


async def fetch(client: Client, workflow_ids: list[str]) -> list[WorkflowHistory]:
    return [await client.get_workflow_handle(i).fetch_history() for i in workflow_ids]


async def _each(histories: list[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history


async def events_per_second(replayer: Replayer, histories: list[WorkflowHistory], rounds: int = 1) -> float:
    """One replay worker for all the histories, as `exequatur histories replay` would want."""
    started = time.perf_counter()
    for _ in range(rounds):
        await replayer.replay_workflows(_each(histories), raise_on_replay_failure=True)
    return rounds * sum(len(h.events) for h in histories) / (time.perf_counter() - started)


async def run(client: Client, baseline_ids: list[str], floor_ids: list[str], data_converter: Any,
              limit: int | None) -> dict[str, float]:
    """The corpus is stored without the codec (the service's converter, no keys); this run's
    baseline and floor with it."""
    ours = Replayer(workflows=WORKFLOWS, data_converter=service_converter(None), workflow_runner=service_runner())
    baseline = Replayer(workflows=[BaselineWorkflow, FloorWorkflow], data_converter=data_converter,
                        workflow_runner=baseline_runner())
    recorded = corpus(limit)
    theirs, floors = await fetch(client, baseline_ids), await fetch(client, floor_ids)
    await events_per_second(ours, recorded[:3])  # warm: first imports are not a replay's cost
    await events_per_second(baseline, theirs[:3] + floors[:3])
    base = await events_per_second(baseline, theirs)
    rate = await events_per_second(ours, recorded)
    floor = await events_per_second(baseline, floors)
    base = (base + await events_per_second(baseline, theirs)) / 2  # both sides of ours, same minute
    return {"ours": rate, "baseline": base, "floor": floor, "histories": len(recorded),
            "events": sum(len(h.events) for h in recorded)}
