"""Item 7: the worker's resident memory with open member workflows cached, against the same
number of baseline workflows; and the register's size per 1,000 members.

Each worker runs as its own process (`python -m bench.memory <target> <task queue> <kind>
<cache>`), so its RSS is its own: measured with psutil before and after the workflows are
started and the task queue's backlog has drained.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

MB = 1024 * 1024


async def _backlog(client: Client, task_queue: str) -> int:
    try:
        response = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, report_stats=True), timeout=timedelta(seconds=30))
    except RPCError:  # a busy dev server: ask again
        return -1
    return int(response.stats.approximate_backlog_count)


async def _settled(process: psutil.Process, client: Client, task_queue: str, timeout: float = 600) -> int:
    """RSS once the backlog is empty and the process has stopped growing."""
    deadline = time.monotonic() + timeout
    while await _backlog(client, task_queue) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    last = process.memory_info().rss
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        rss = process.memory_info().rss
        if abs(rss - last) < MB:
            return rss
        last = rss
    return last


@asynccontextmanager
async def worker_process(target: str, task_queue: str, kind: str, cache: int) -> AsyncIterator[psutil.Process]:
    """A worker of `kind` in its own process (`_worker` below), its cache of `cache` workflows,
    ready to poll; stopped on leaving."""
    child = subprocess.Popen([sys.executable, "-m", "bench.memory", target, task_queue, kind, str(cache)],
                             stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent)
    try:
        assert child.stdout is not None
        ready = await asyncio.to_thread(child.stdout.readline)
        assert ready.strip() == b"ready", ready
        yield psutil.Process(child.pid)
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def measure(client: Client, target: str, kind: str, count: int, starter: Any) -> dict[str, float]:
    """Start a worker process of `kind`, then `count` workflows it keeps cached; its RSS growth."""
    task_queue = f"bench-memory-{kind}-{uuid.uuid4().hex[:6]}"
    async with worker_process(target, task_queue, kind, count + 100) as process:
        await asyncio.sleep(1.0)
        idle = process.memory_info().rss
        gate = asyncio.Semaphore(64)

        async def one(i: int) -> None:
            async with gate:
                await starter(task_queue, i)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        loaded = await _settled(process, client, task_queue)
        return {"idle_mb": idle / MB, "loaded_mb": loaded / MB, "per_workflow_kb": (loaded - idle) / count / 1024,
                "seconds": time.perf_counter() - started}


async def measure_eviction(client: Client, target: str, cache: int, count: int, samples: int,
                           starter: Any, act: Any) -> dict[str, float]:
    """A worker process whose cache holds `cache` workflows (CONSULAR_WORKER_CACHED_WORKFLOWS), and
    `count` open member workflows: its RSS once the cache is full, once it has turned over once
    (twice its size opened: the first evictions' churn sets the allocator's high-water mark) and
    once all are open; then an act on a workflow still cached (among the last started) against an
    act on one evicted long ago, which the worker replays from its history before it can decide it."""
    task_queue = f"bench-eviction-{uuid.uuid4().hex[:6]}"
    async with worker_process(target, task_queue, "member", cache) as process:
        gate = asyncio.Semaphore(64)

        async def one(i: int) -> str:
            async with gate:
                return str(await starter(task_queue, i))

        started = time.perf_counter()
        ids = list(await asyncio.gather(*(one(i) for i in range(cache))))
        full = await _settled(process, client, task_queue, timeout=3600)
        turned_over = min(2 * cache, count)
        ids += await asyncio.gather(*(one(i) for i in range(cache, turned_over)))
        turned = await _settled(process, client, task_queue, timeout=3600)
        ids += await asyncio.gather(*(one(i) for i in range(turned_over, count)))
        everyone = await _settled(process, client, task_queue, timeout=3600)
        opened = time.perf_counter() - started
        cached, evicted = [], []
        recent, oldest = ids[-samples:], ids[:samples]
        for warm, cold in zip(recent, oldest, strict=True):  # alternate: the same minute for both
            cached.append(await act(warm))
            evicted.append(await act(cold))
        return {"full_mb": full / MB, "turned_mb": turned / MB, "turned_over": turned_over, "all_mb": everyone / MB,
                "cached_p50": statistics.median(cached),
                "evicted_p50": statistics.median(evicted), "open_seconds": opened}


def register_size(database: Path, members: int) -> dict[str, float]:
    """The SQLite register's size and rows per 1,000 members (after a WAL checkpoint)."""
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in ("records", "acts", "notifications")}
    size = database.stat().st_size
    return {"mb_per_1000": size / MB / members * 1000, "members": members,
            **{f"{table}_per_1000": n / members * 1000 for table, n in rows.items()}}


async def _worker(target: str, task_queue: str, kind: str, cache: int) -> None:
    from bench.baseline import BaselineWorkflow
    from bench.stack import baseline_runner
    from exequatur.core.settings import get_settings
    from exequatur.worker.worker import build_worker

    settings = get_settings()
    client = await Client.connect(target, namespace=settings.temporal_namespace,
                                  data_converter=settings.data_converter())
    overrides: dict[str, Any] = {"max_cached_workflows": cache}
    if kind == "member-default-runner":  # before/after figure of worker.WORKFLOW_RUNNER
        from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

        overrides["workflow_runner"] = SandboxedWorkflowRunner()
    if kind == "baseline":
        overrides.update(workflows=[BaselineWorkflow], activities=[], activity_executor=None,
                         workflow_runner=baseline_runner())
    async with build_worker(client, task_queue, **overrides):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    import logging

    logging.disable(logging.CRITICAL)
    asyncio.run(_worker(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
