"""Settings checked per command, secrets from a configurable folder, and the production guards:
against a Temporal cluster the service refuses a register or notices that would stay in one
container, naming the variable, unless CONSULAR_SINGLE_HOST says this is one host."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def _run(*command: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULAR_", "TEMPORAL_"))}
    env.update(variables)
    return subprocess.run([str(BIN / "exequatur"), *command], env=env, capture_output=True, text=True, timeout=60)


def test_a_command_demands_only_the_files_it_uses(tmp_path):
    """The migration Job mounts no Temporal certificate: `migrate` does not ask for one, while
    the worker, which connects to Temporal, stops naming the variable."""
    missing = {"TEMPORAL_TLS_CERT": str(tmp_path / "tls.crt"), "TEMPORAL_TLS_KEY": str(tmp_path / "tls.key"),
               "CONSULAR_DATABASE_URL": f"sqlite:///{tmp_path / 'register.sqlite3'}"}
    migrated = _run("migrate", **missing)
    assert migrated.returncode == 0 and "register migrated" in migrated.stdout, migrated.stderr
    worker = _run("worker", **missing)
    assert worker.returncode == 2 and f"TEMPORAL_TLS_CERT: no file at {tmp_path / 'tls.crt'}" in worker.stderr
    api = _run("api", CONSULAR_TOKENS_FILE=str(tmp_path / "tokens.toml"))
    assert api.returncode == 2 and "CONSULAR_TOKENS_FILE: no file at" in api.stderr


def test_secrets_come_from_the_folder_the_settings_name(tmp_path):
    """Kubernetes mounts its service-account token under /run/secrets: the manifests mount the
    service's secrets elsewhere and name the folder (CONSULAR_SECRETS_DIR), one file a variable."""
    (tmp_path / "CONSULAR_WEBHOOK_SECRET").write_text("whsec_ZnJvbS1hLWZpbGU=")
    shown = _run("config", CONSULAR_SECRETS_DIR=str(tmp_path))
    assert shown.returncode == 0 and "CONSULAR_WEBHOOK_SECRET=********" in shown.stdout, shown.stderr
    assert "ZnJvbS1hLWZpbGU" not in shown.stdout
    assert "CONSULAR_WEBHOOK_SECRET=\n" in _run("config").stdout  # without the folder: not set


def test_against_a_cluster_the_service_refuses_state_that_would_stay_in_one_container(tmp_path):
    cluster = {"TEMPORAL_ADDRESS": "temporal.example.org:7233", "CONSULAR_VAR_DIR": str(tmp_path)}
    worker = _run("worker", **cluster)
    assert worker.returncode == 2
    assert "CONSULAR_DATABASE_URL: not set, so the register would be a SQLite file" in worker.stderr
    assert "CONSULAR_WEBHOOK_URL: not set, so notices would be written to files" in worker.stderr
    api = _run("api", **cluster)  # the API delivers nothing: only the register is its concern
    assert api.returncode == 2 and "CONSULAR_DATABASE_URL" in api.stderr and "WEBHOOK" not in api.stderr
    # Said explicitly, one host is allowed: the worker gets past its settings (and then finds no server).
    allowed = _run("config", CONSULAR_SINGLE_HOST="true", **cluster)
    assert allowed.returncode == 0 and "CONSULAR_SINGLE_HOST=True" in allowed.stdout
    single = _run("migrate", CONSULAR_SINGLE_HOST="true", **cluster)
    assert single.returncode == 0, single.stderr


def test_a_webhook_secret_is_standard_webhooks_and_required_beside_a_cluster(tmp_path):
    malformed = _run("config", CONSULAR_WEBHOOK_SECRET="s3cret")
    assert malformed.returncode == 2 and "CONSULAR_WEBHOOK_SECRET: each secret is whsec_" in malformed.stderr
    rotating = _run("config", CONSULAR_WEBHOOK_SECRET="whsec_bmV3LXNlY3JldA==,whsec_b2xkLXNlY3JldA==")
    assert rotating.returncode == 0 and "CONSULAR_WEBHOOK_SECRET=********" in rotating.stdout
    unsigned = _run("worker", TEMPORAL_ADDRESS="temporal.example.org:7233", CONSULAR_VAR_DIR=str(tmp_path),
                    CONSULAR_DATABASE_URL="postgresql://exequatur@db.example.org/register",
                    CONSULAR_WEBHOOK_URL="https://notices.example.org/")
    assert unsigned.returncode == 2 and "CONSULAR_WEBHOOK_SECRET: not set" in unsigned.stderr
