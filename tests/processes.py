"""The service as separate OS processes, for tests that stop, kill and restart its parts:
a Temporal dev server on a SQLite file, `exequatur worker`s, `exequatur api`, and a webhook
receiver that counts what it acknowledged."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from exequatur.workflows.search import dev_server_args
from tests.helpers import WEBHOOK_SECRET, verified_notice

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate, seconds: float = 60, every: float = 0.2, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll until predicate() is truthy; return its value or fail naming what was awaited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


class DevServer:
    """`temporal server start-dev` on a SQLite file, so it can be killed and started again."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.database = folder / "temporal.sqlite"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.folder / "temporal.log").open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
             "--port", str(self.port), "--db-filename", str(self.database), "--log-level", "warn",
             *dev_server_args()],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        # The frontend answers before the namespace is usable: wait for a real call to succeed.
        wait_until(self._serves, 60, 0.3, f"the dev server on {self.address}")

    def _serves(self) -> bool:
        probe = subprocess.run(
            [str(BIN / "temporal"), "operator", "namespace", "describe", "--namespace", "default",
             "--address", self.address], capture_output=True, timeout=30)
        return probe.returncode == 0

    def kill(self) -> None:
        """kill -9: no shutdown hook runs, whatever was in flight is cut."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class Stack:
    """Workers and the API as `exequatur` processes against a Temporal server."""

    def __init__(self, tmp: Path, temporal: str, tokens: dict[str, str], **extra: str):
        self.tmp, self.port, self.processes = tmp, free_port(), {}
        tokens_file = tmp / "tokens.toml"
        tokens_file.write_text("[tokens]\n" + "".join(f'"{k}" = {{ {v} }}\n' for k, v in tokens.items()))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULAR_", "TEMPORAL_"))}
        self.env.update(TEMPORAL_ADDRESS=temporal, CONSULAR_VAR_DIR=str(tmp / "var"), CONSULAR_SINGLE_HOST="true",
                        CONSULAR_TOKENS_FILE=str(tokens_file),
                        CONSULAR_DATABASE_URL=f"sqlite:///{tmp / 'register.sqlite3'}",
                        CONSULAR_API_PORT=str(self.port), CONSULAR_TASK_QUEUE=f"stack-{tmp.name}",
                        CONSULAR_WORKER_GRACE_SECONDS="10", CONSULAR_LOG_FORMAT="json",
                        CONSULAR_WORKER_METRICS_ADDRESS="",  # several workers at once: no port to share
                        CONSULAR_WEBHOOK_SECRET=WEBHOOK_SECRET)  # what Webhook below verifies
        self.env.update(extra)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, name: str, *command: str, **variables: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("ab")
        env = {**self.env, **variables}
        self.processes[name] = subprocess.Popen([str(BIN / "exequatur"), *command], env=env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
        return self.processes[name]

    def serve(self, worker: str = "worker") -> None:
        """A worker and the API, the API ready."""
        self.start(worker, "worker")
        self.start("api", "api")
        self.ready()

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str) -> None:
        """SIGKILL: the process gets no chance to drain or answer."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def ready(self, seconds: float = 60) -> None:
        def answers() -> bool:
            try:
                return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_until(answers, seconds, 0.3, "the API's /readyz")
        except AssertionError:
            raise AssertionError(self.log("api")) from None

    def client(self, token: str, timeout: float = 60) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def unless_unavailable(response: httpx.Response) -> dict | None:
    """None for a 503 (retry later, same Idempotency-Key), else the 200's body."""
    return None if response.status_code == 503 else ok(response)


def persist(client: httpx.Client, path: str, body: dict | None = None, key: str = "", seconds: float = 60) -> dict:
    """POST as a careful ministry system does: on 503, retry with the same Idempotency-Key."""
    headers = {"Idempotency-Key": key or f"{path}|{json.dumps(body, sort_keys=True)}"}
    deadline = time.monotonic() + seconds
    while True:
        response = client.post(path, json=body, headers=headers)
        if response.status_code != 503 or time.monotonic() > deadline:
            assert response.status_code in (200, 201), response.text
            return response.json()  # type: ignore[no-any-return]
        time.sleep(0.5)


class Webhook:
    """A real local HTTP receiver. A notification counts as delivered (acknowledged) when the
    receiver answered 204 on a connection whose sender was still there; with `hold()` set,
    requests stay open (a delivery in flight) until `release()`."""

    def __init__(self) -> None:
        self.seen: list[str] = []  # every id whose body arrived, answered or not
        self.acknowledged: list[str] = []  # ids answered 204 to a live sender
        self.bodies: dict[str, dict] = {}
        self.invalid: list[str] = []  # deliveries whose signature or body failed the receiver's checks
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.released.set()
        self.refusing = False  # while set, every request gets a 503 (the receiver is down)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                notice_id = self.headers["webhook-id"]
                try:
                    verified_notice(self.headers, body)  # signed, and as the served schema says
                except Exception as exc:
                    receiver.invalid.append(f"{notice_id}: {exc!r}")
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.seen.append(notice_id)
                    receiver.bodies[notice_id] = json.loads(body)
                receiver.arrived.set()
                if receiver.refusing:
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.released.wait(timeout=120)
                if _peer_closed(self.connection):
                    return  # the sender died while we held it: it never learns of a delivery
                self.send_response(204)
                self.end_headers()
                with receiver.lock:
                    receiver.acknowledged.append(notice_id)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def hold(self) -> None:
        self.arrived.clear()
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.acknowledged)

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()


def _peer_closed(connection: socket.socket) -> bool:
    """True when the other end has gone (a killed process's sockets are closed by its kernel)."""
    connection.setblocking(False)
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        connection.setblocking(True)
