"""The compose stack of tests/deploy, derived from deploy/compose.yaml (the production file, one
source of truth) for a machine that may pull nothing: every service on the host network with
ports of its own on 127.0.0.1, Temporal's server and the PostgreSQL images replaced by stand-ins
built here (the Temporal dev server in our image's `dev-server` target; Debian's PostgreSQL).
Our own services keep the production definitions: command, read-only root, dropped
capabilities, secrets as files, environment, with only addresses changed."""

from __future__ import annotations

import base64
import copy
import os
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
IMAGE, DEV_SERVER, POSTGRES = "exequatur:0.1.0", "exequatur-dev-server:test", "exequatur-test-postgres:15"
REPLACED = {"temporal-db", "temporal-ui"}  # the dev server keeps its own SQLite and serves no UI here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(*command: str, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} -> {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def build_images() -> None:
    subprocess.run(["bash", str(HERE / "engine.sh")], check=True, timeout=900)
    for target, tag in (("production", IMAGE), ("dev-server", DEV_SERVER)):
        run("docker", "build", "-q", "--network", "host", "-f", "deploy/Dockerfile", "--target", target, "-t", tag,
            str(ROOT))
    run("docker", "build", "-q", "--network", "host", "-f", str(HERE / "postgres.Dockerfile"), "-t", POSTGRES,
        str(HERE))


class Stack:
    def __init__(self, folder: Path, webhook_url: str, tokens: dict[str, str]) -> None:
        self.folder = folder
        self.project = f"exequatur-deploy-{uuid.uuid4().hex[:6]}"
        self.ports = {name: free_port() for name in (
            "temporal", "register", "api-1", "api-2", "worker-1-health", "worker-2-health",
            "worker-1-metrics", "worker-2-metrics", "api-1-metrics", "api-2-metrics")}
        self.register_url = f"postgresql://exequatur@127.0.0.1:{self.ports['register']}/postgres"
        self.temporal_address = f"127.0.0.1:{self.ports['temporal']}"
        self.compose = ["docker-compose"] if shutil.which("docker-compose") else ["docker", "compose"]
        secrets_folder = folder / "secrets"
        secrets_folder.mkdir()
        files = {
            "CONSULAR_DATABASE_URL": self.register_url,
            "CONSULAR_WEBHOOK_SECRET": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "CONSULAR_CODEC_KEYS": f"k1:{__import__('exequatur.core.codec', fromlist=['new_key']).new_key()}",
            "tokens.toml": "[tokens]\n" + "".join(f'"{k}" = {{ {v} }}\n' for k, v in tokens.items()),
            "temporal_db_password": "unused", "register_db_password": "unused",
        }
        for name, content in files.items():
            path = secrets_folder / name
            path.write_text(content)
            path.chmod(0o644)  # read by uid 10001 in the containers (bind-mounted as they are)
        self.secrets = files
        self.file = folder / "compose.yaml"
        self.file.write_text(yaml.safe_dump(self.derive(webhook_url), sort_keys=False))

    def derive(self, webhook_url: str) -> dict[str, Any]:
        production = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
        services: dict[str, Any] = {}
        for name, service in production["services"].items():
            if name in REPLACED:
                continue
            service = copy.deepcopy(service)
            for key in ("networks", "ports", "build", "healthcheck"):
                service.pop(key, None)
            service["network_mode"] = "host"
            service["restart"] = "no"  # the test kills and starts containers itself
            if isinstance(service.get("depends_on"), list):
                service["depends_on"] = [d for d in service["depends_on"] if d not in REPLACED]
            env = dict(service.get("environment") or {})
            if "TEMPORAL_ADDRESS" in env:
                env["TEMPORAL_ADDRESS"] = self.temporal_address
            if "CONSULAR_WEBHOOK_URL" in env:
                env["CONSULAR_WEBHOOK_URL"] = webhook_url
            if name.startswith("worker-"):
                env["CONSULAR_WORKER_HEALTH_ADDRESS"] = f"127.0.0.1:{self.ports[f'{name}-health']}"
                env["CONSULAR_WORKER_METRICS_ADDRESS"] = f"127.0.0.1:{self.ports[f'{name}-metrics']}"
                env["CONSULAR_WORKER_GRACE_SECONDS"] = "20"
                service["stop_grace_period"] = "30s"
            if name.startswith("api-"):
                env["CONSULAR_API_HOST"] = "127.0.0.1"
                env["CONSULAR_API_PORT"] = str(self.ports[name])
                env["CONSULAR_API_METRICS_ADDRESS"] = f"127.0.0.1:{self.ports[f'{name}-metrics']}"
            if env:
                service["environment"] = env
            services[name] = service
        services["temporal"] = {
            "image": DEV_SERVER,
            "network_mode": "host",
            "read_only": True,
            "tmpfs": ["/tmp"],
            "command": ["temporal", "server", "start-dev", "--headless", "--ip", "127.0.0.1",
                        "--port", str(self.ports["temporal"]), "--ui-port", str(free_port()),
                        "--db-filename", "/tmp/temporal.sqlite", "--log-level", "error",
                        # the test moves a departure window's clock (tests/test_timers.py does the same)
                        "--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"],
        }
        services["register-db"] = {
            "image": POSTGRES,
            "network_mode": "host",
            "tmpfs": ["/tmp"],
            "environment": {"PGPORT": str(self.ports["register"])},
        }
        secrets_section = {name: {"file": str(self.folder / "secrets" / name)} for name in self.secrets}
        return {"services": services, "secrets": secrets_section}

    # ---- compose ------------------------------------------------------------------------------
    def compose_run(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(*self.compose, "-p", self.project, "-f", str(self.file), *args, timeout=timeout, check=check)

    def container(self, service: str) -> str:
        return self.compose_run("ps", "-q", service).stdout.strip()

    def up(self, *services: str) -> None:
        self.compose_run("up", "-d", "--no-deps", *services)

    def one_shot(self, service: str) -> str:
        """Run a job to its end (the migration, the search attributes); its output."""
        return self.compose_run("run", "--rm", "--no-deps", service, timeout=180).stdout

    def logs(self) -> str:
        return self.compose_run("logs", "--no-color", "--tail", "200", timeout=60, check=False).stdout

    def down(self) -> None:
        self.compose_run("down", "-v", "--remove-orphans", "-t", "5", timeout=180, check=False)

    # ---- readiness ----------------------------------------------------------------------------
    def api(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def wait_ready(self, url: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{url} not ready in {seconds} s\n{self.logs()[-6000:]}")

    def wait_port(self, port: int, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.3)
        raise AssertionError(f"nothing on 127.0.0.1:{port}\n{self.logs()[-6000:]}")


def environment_without_ours() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("CONSULAR_", "TEMPORAL_"))}
