"""Two measurements behind bench/RESULTS.md's "Issue 23, continued", kept so they can be run
again; not part of `make bench` (each answers one question, at the sizes given).

    python -m bench.investigate split [--rounds 3] [--lifecycles 100] [--unsandboxed]
        CPU per act of this process (workers, relay, client) and of the dev server, member
        lifecycles against the fair floor's, alternated: where item 1's gap is.
    python -m bench.investigate rss [--cache 1000] [--step 3000] [--steps 5]
        A worker process's RSS as open member workflows grow past its cache: whether it is flat
        once the cache has turned over (item 7).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from typing import Any

from bench.stack import cleanup, prepare


async def split(rounds: int, lifecycles: int, unsandboxed: bool) -> None:
    import httpx
    import psutil

    from bench import cpu, stack
    from bench import lifecycles as lc
    from bench.baseline import FloorWorkflow

    options: dict[str, Any] | None = None
    if unsandboxed:  # what the sandbox costs: both kinds without it
        from temporalio.worker import UnsandboxedWorkflowRunner

        options = {"workflow_runner": UnsandboxedWorkflowRunner()}
        stack.baseline_runner = UnsandboxedWorkflowRunner
    async with stack.stack(scratch, options) as s, httpx.AsyncClient(base_url=s.api_url, timeout=120) as http:
        posts = await lc.open_posts(http, 10)
        me, dev = psutil.Process(), cpu.dev_server(s)
        kinds = {"ours": lambda i: lc.client_lifecycle(s.client, s.task_queue, posts, i),
                 "floor": lambda i: lc.baseline_lifecycle(s.client, s.baseline_queue, i, workflow=FloorWorkflow)}
        for lifecycle in kinds.values():
            await lc.many(lifecycle, 8, 4)
        for _ in range(rounds):
            for kind, lifecycle in kinds.items():
                process, engine = cpu._cpu(me), cpu._cpu(dev)
                seconds, _ = await lc.many(lifecycle, lifecycles, 20)
                await asyncio.sleep(1.0)
                acts = lifecycles * lc.ACTS_PER_LIFECYCLE
                spent = [(cpu._cpu(p) - before) * 1000 / acts for p, before in ((me, process), (dev, engine))]
                ours_ms, engine_ms = spent
                print(f"{kind:6s} {acts / seconds:6.1f} acts/s  this process {ours_ms:6.2f} ms/act  "
                      f"dev server {engine_ms:6.2f} ms/act", flush=True)


async def rss(cache: int, step: int, steps: int) -> None:
    import httpx

    from bench import lifecycles as lc
    from bench import memory
    from bench.stack import stack

    async with stack(scratch) as s, httpx.AsyncClient(base_url=s.api_url, timeout=120) as http:
        posts = await lc.open_posts(http, 4)
        task_queue = f"bench-rss-{uuid.uuid4().hex[:6]}"
        async with memory.worker_process(s.target, task_queue, "member", cache) as process:
            gate = asyncio.Semaphore(64)

            async def one(i: int) -> None:
                async with gate:
                    await lc.open_member(s.client, task_queue, posts, i)

            opened = 0
            for _ in range(steps):
                started = time.perf_counter()
                await asyncio.gather(*(one(opened + i) for i in range(step)))
                opened += step
                settled = await memory._settled(process, s.client, task_queue, timeout=900)
                print(f"{opened:7,} open  RSS {settled / memory.MB:7.1f} MB  ({time.perf_counter() - started:.0f} s)",
                      flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("question", choices=("split", "rss"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lifecycles", type=int, default=100)
    parser.add_argument("--unsandboxed", action="store_true")
    parser.add_argument("--cache", type=int, default=1000)
    parser.add_argument("--step", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    scratch = prepare()
    try:
        if args.question == "split":
            asyncio.run(split(args.rounds, args.lifecycles, args.unsandboxed))
        else:
            asyncio.run(rss(args.cache, args.step, args.steps))
    finally:
        cleanup(scratch)
    sys.stdout.flush()
    os._exit(0)  # a process that used a Temporal client can abort at exit
