"""CPU per act on the worker, the API and the dev server (issue 23, item 5), so that the next
optimisation is chosen from figures.

The worker and the API run as the deployment runs them, each in its own process (`exequatur
worker`, `exequatur api`, against the bench's dev server and register); member lifecycles go
through the API as a ministry sends them, a few at a time. Each process's CPU time (user +
system, psutil) before and after, divided by the acts: milliseconds of CPU per act. The dev
server's CPU per bare update (the baseline's lifecycles, run by the bench's own worker in the
same minute) is the engine's own cost per update beside it, and its CPU per act of the fair floor
(bench/baseline.py) is what the engine spends on the floor's lifecycle: ours against it says how
much of item 1's gap is the engine's work for our lifecycle's events rather than our processes'.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench import lifecycles as lc
from bench.baseline import BaselineWorkflow, FloorWorkflow
from bench.stack import BIN, Stack, free_port


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def dev_server(stack: Stack) -> psutil.Process:
    """The dev server the bench's WorkflowEnvironment started: a child process serving its port."""
    port = stack.target.rsplit(":", 1)[1]
    for process in psutil.Process().children(recursive=True):
        try:
            command = process.cmdline()
        except psutil.Error:
            continue
        if "start-dev" in command and port in command:
            return process
    raise RuntimeError("the dev server is not a child of this process")


async def _ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


async def measure(stack: Stack, lifecycles: int, concurrency: int) -> dict[str, Any]:
    queue = f"{stack.task_queue}-cpu"
    port = free_port()
    env = {**os.environ, "TEMPORAL_ADDRESS": stack.target, "CONSULAR_TASK_QUEUE": queue,
           "CONSULAR_SINGLE_HOST": "true", "CONSULAR_API_PORT": str(port),
           "CONSULAR_WORKER_METRICS_ADDRESS": "", "CONSULAR_WORKER_HEALTH_ADDRESS": "",
           "CONSULAR_API_METRICS_ADDRESS": ""}
    logs = Path(stack.scratch) / "cpu-logs"
    logs.mkdir(exist_ok=True)
    started = {name: subprocess.Popen([str(BIN / "exequatur"), name], env=env, stdout=open(logs / f"{name}.log", "wb"),
                                      stderr=subprocess.STDOUT) for name in ("worker", "api")}
    url = f"http://127.0.0.1:{port}"
    try:
        await _ready(url)
        processes = {name: psutil.Process(p.pid) for name, p in started.items()}
        processes["dev server"] = dev_server(stack)
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            posts = await lc.open_posts(http, concurrency)

            async def lanes(count: int) -> float:
                """`concurrency` lanes, each appointing its heads one after another on a post of its
                own (a post admits one head in functions at a time: VCCR 1(1)(c), 10(1))."""
                async def lane(j: int) -> None:
                    for i in range(j, count, concurrency):
                        await lc.api_lifecycle(http, posts, i)

                began = time.perf_counter()
                await asyncio.gather(*(lane(j) for j in range(concurrency)))
                return time.perf_counter() - began

            await lanes(concurrency)  # warm: imports, caches
            before = {name: _cpu(p) for name, p in processes.items()}
            seconds = await lanes(lifecycles)
            after = {name: _cpu(p) for name, p in processes.items()}
        acts = lifecycles * lc.ACTS_PER_LIFECYCLE
        per_act = {name: (after[name] - before[name]) * 1000 / acts for name in processes}
        # The engine alone: the dev server's CPU per bare update, and per act of the fair floor (an
        # update awaiting one local activity that writes the register), the bench's baseline worker
        # in this process: what the engine spends on a lifecycle of the same number of acts.
        for name, workflow in (("bare updates", BaselineWorkflow), ("fair floor", FloorWorkflow)):
            engine_before = _cpu(processes["dev server"])
            await lc.many(lambda i, kind=workflow: lc.baseline_lifecycle(stack.client, stack.baseline_queue, i,
                                                                         workflow=kind), lifecycles, concurrency)
            per_act[f"dev server, {name}"] = (_cpu(processes["dev server"]) - engine_before) * 1000 / acts
        return {"per_act_ms": per_act, "acts": acts, "seconds": seconds}
    finally:
        for process in started.values():
            process.terminate()
        for process in started.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def table(result: dict[str, Any]) -> str:
    per_act = result["per_act_ms"]
    lines = [f"Item 9, CPU per act ({result['acts']:,} acts through the API, {result['seconds']:.0f} s; "
             "user + system time of each process):", "", "| process | CPU ms per act |", "|---|---|"]
    lines += [f"| {name} | {ms:.2f} |" for name, ms in per_act.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit("run through `python -m bench` (item 9)")
