"""Every environment variable the service reads, in one pydantic-settings model.

`exequatur config` prints the effective settings with secrets masked; a bad setting stops
startup with a message naming the variable.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, StringConstraints, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]  # the checkout: `make run` keeps its files in var/ there


# Secrets come as files, one per variable, named after it: compose mounts them at /run/secrets;
# on Kubernetes that folder is the service-account token's, so the manifests mount theirs
# elsewhere and say where with CONSULAR_SECRETS_DIR (read from the environment only).
SECRETS_DIR = Path("/run/secrets")

# host:port a process listens on beside its main work (metrics, health); empty: not served.
Address = Annotated[str, StringConstraints(pattern=r"^$|^[^\s:]+:\d{1,5}$")]

# What each command reads, so that it demands only the files it uses (a migration Job mounts
# no Temporal certificate; the search-attributes Job no register).
Uses = Literal["temporal", "register", "tokens", "notices"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # Temporal: the dev server `exequatur run` starts, or a cluster.
    temporal_address: str | None = Field(None, alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", alias="TEMPORAL_NAMESPACE")
    temporal_tls_cert: Path | None = Field(None, alias="TEMPORAL_TLS_CERT", description="client certificate (mTLS)")
    temporal_tls_key: Path | None = Field(None, alias="TEMPORAL_TLS_KEY", description="client private key (mTLS)")
    temporal_tls_ca: Path | None = Field(None, alias="TEMPORAL_TLS_CA", description="CA of the server certificate")
    temporal_tls_server_name: str | None = Field(None, alias="TEMPORAL_TLS_SERVER_NAME")
    task_queue: str = Field("exequatur", alias="CONSULAR_TASK_QUEUE")
    # The register and the service's own files.
    var_dir: Path = Field(ROOT / "var", alias="CONSULAR_VAR_DIR")
    database_url: SecretStr | None = Field(None, alias="CONSULAR_DATABASE_URL")
    tokens_file: Path | None = Field(None, alias="CONSULAR_TOKENS_FILE")
    webhook_url: str | None = Field(None, alias="CONSULAR_WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(
        None,
        alias="CONSULAR_WEBHOOK_SECRET",
        description="`whsec_<base64>[,whsec_...]`: signs each notification (Standard Webhooks); "
        "during a rotation, list the new secret and the old one: each delivery carries both signatures",
    )
    codec_keys: SecretStr | None = Field(
        None, alias="CONSULAR_CODEC_KEYS", description="`kid:base64key,...`: payloads to Temporal encrypted (AES-GCM)"
    )
    codec_cors_origins: str | None = Field(
        None,
        alias="CONSULAR_CODEC_CORS_ORIGINS",
        description="Temporal Web UI origins allowed to call /codec "
        "(comma-separated; default: the dev server's UI port on this host)",
    )
    log_format: Literal["console", "json"] = Field("console", alias="CONSULAR_LOG_FORMAT")
    act_timeout_seconds: float = Field(30, alias="CONSULAR_ACT_TIMEOUT_SECONDS", gt=0)
    worker_grace_seconds: float = Field(
        30,
        alias="CONSULAR_WORKER_GRACE_SECONDS",
        ge=0,
        description="SIGTERM: in-flight activities get this long to finish",
    )
    api_grace_seconds: float = Field(30, alias="CONSULAR_API_GRACE_SECONDS", ge=0)
    worker_metrics_address: Address = Field(
        "127.0.0.1:9464",
        alias="CONSULAR_WORKER_METRICS_ADDRESS",
        description="host:port where `exequatur worker` serves the Temporal SDK's Prometheus metrics (empty: none)",
    )
    worker_health_address: Address = Field(
        "",
        alias="CONSULAR_WORKER_HEALTH_ADDRESS",
        description="host:port where `exequatur worker` answers /healthz and /readyz (empty: none)",
    )
    api_metrics_address: Address = Field(
        "",
        alias="CONSULAR_API_METRICS_ADDRESS",
        description="host:port where `exequatur api` serves /metrics apart from the API (empty: on the API's port)",
    )
    migrate_at_start: bool = Field(
        True,
        alias="CONSULAR_MIGRATE_AT_START",
        description="the worker and the API migrate the register as they start (false: only `exequatur migrate`)",
    )
    single_host: bool = Field(
        False,
        alias="CONSULAR_SINGLE_HOST",
        description="with TEMPORAL_ADDRESS set, allow a SQLite register and notices written to files",
    )
    notice_max_attempts: int = Field(
        25,
        alias="CONSULAR_NOTICE_MAX_ATTEMPTS",
        ge=1,
        description="deliveries of a notice before it is parked (dead letter) until `exequatur notices retry`",
    )
    worker_cached_workflows: int = Field(
        1000,
        alias="CONSULAR_WORKER_CACHED_WORKFLOWS",
        ge=1,
        description="open workflows the worker keeps in memory (about 90 KB each: bench/RESULTS.md item 7); "
        "beyond, the least recently used is evicted and replayed from its history at its next act",
    )
    api_max_body_bytes: int = Field(
        1_048_576,
        alias="CONSULAR_API_MAX_BODY_BYTES",
        ge=1024,
        description="a request body larger than this is refused (413) before it is read",
    )
    codec_logins_per_minute: int = Field(
        10, alias="CONSULAR_CODEC_LOGINS_PER_MINUTE", ge=1, description="codec sign-ins per client address (429 beyond)"
    )
    api_host: str = Field("127.0.0.1", alias="CONSULAR_API_HOST")
    api_port: int = Field(8000, alias="CONSULAR_API_PORT", ge=1, le=65535)
    temporal_port: int = Field(7233, alias="CONSULAR_TEMPORAL_PORT", ge=1, le=65535)
    temporal_ui_port: int = Field(8233, alias="CONSULAR_TEMPORAL_UI_PORT", ge=1, le=65535)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS client certificate)")
        self.codec_key_map()  # raises naming CONSULAR_CODEC_KEYS when malformed
        self.webhook_signers()  # raises naming CONSULAR_WEBHOOK_SECRET when malformed
        url = self.effective_database_url
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("CONSULAR_DATABASE_URL: use sqlite:///... or postgresql://...")
        return self

    def problems(self, uses: tuple[Uses, ...]) -> list[str]:
        """What stops a command that uses these parts, each naming its variable: a file it
        needs that is not there, and, against a Temporal cluster (TEMPORAL_ADDRESS), a register
        or notices that would stay on this one host unless CONSULAR_SINGLE_HOST says so."""
        found = []
        files = {
            "temporal": ("temporal_tls_cert", "temporal_tls_key", "temporal_tls_ca"),
            "tokens": ("tokens_file",),
        }
        for name in (name for part in uses for name in files.get(part, ())):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                found.append(f"{type(self).model_fields[name].alias}: no file at {path}")
        if self.temporal_address and not self.single_host:
            if "register" in uses and self.effective_database_url.startswith("sqlite"):
                found.append(
                    "CONSULAR_DATABASE_URL: not set, so the register would be a SQLite file in this container "
                    "alone; name the shared PostgreSQL (or set CONSULAR_SINGLE_HOST=true)"
                )
            if "notices" in uses and not self.webhook_url:
                found.append(
                    "CONSULAR_WEBHOOK_URL: not set, so notices would be written to files in this container "
                    "and counted delivered; name the receiver (or set CONSULAR_SINGLE_HOST=true)"
                )
            if "notices" in uses and self.webhook_url and not self.webhook_secret:
                found.append(
                    "CONSULAR_WEBHOOK_SECRET: not set, so the receiver could not tell the service's notices "
                    "from anyone's; give it a whsec_ secret (docs/webhooks.md)"
                )
        return found

    @property
    def effective_database_url(self) -> str:
        return (
            self.database_url.get_secret_value()
            if self.database_url
            else f"sqlite:///{self.var_dir / 'register.sqlite3'}"
        )

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    def cors_origins(self) -> list[str]:
        if self.codec_cors_origins:
            return [origin.strip() for origin in self.codec_cors_origins.split(",") if origin.strip()]
        return [f"http://{host}:{self.temporal_ui_port}" for host in ("127.0.0.1", "localhost")]

    def webhook_signers(self) -> list[Any]:
        """One Standard Webhooks signer per secret (`standardwebhooks.Webhook`), newest first."""
        from standardwebhooks.webhooks import Webhook

        if not self.webhook_secret:
            return []
        signers = []
        for secret in self.webhook_secret.get_secret_value().split(","):
            secret = secret.strip()
            try:
                if not secret.startswith("whsec_"):
                    raise ValueError
                signers.append(Webhook(secret))
            except Exception:  # the library's own errors: not base64, empty
                raise ValueError(
                    "CONSULAR_WEBHOOK_SECRET: each secret is whsec_ followed by base64 (Standard Webhooks), "
                    "comma-separated during a rotation"
                ) from None
        return signers

    def codec_key_map(self) -> dict[str, bytes] | None:
        from exequatur.core.codec import parse_keys

        return parse_keys(self.codec_keys.get_secret_value()) if self.codec_keys else None

    def data_converter(self) -> Any:
        from exequatur.core.codec import data_converter

        return data_converter(self.codec_key_map())

    def client_options(self) -> dict[str, Any]:
        """What `Client.connect` needs, TLS included: one place for the worker, the API and the CLI."""
        from temporalio.client import TLSConfig

        tls: TLSConfig | bool = False
        if self.temporal_tls_ca or self.temporal_tls_cert:
            tls = TLSConfig(
                server_root_ca_cert=self.temporal_tls_ca.read_bytes() if self.temporal_tls_ca else None,
                client_cert=self.temporal_tls_cert.read_bytes() if self.temporal_tls_cert else None,
                client_private_key=self.temporal_tls_key.read_bytes() if self.temporal_tls_key else None,
                domain=self.temporal_tls_server_name,
            )
        return {
            "target_host": self.temporal_target,
            "namespace": self.temporal_namespace,
            "tls": tls,
            "data_converter": self.data_converter(),
        }

    def masked(self) -> dict[str, str]:
        """The effective settings by variable name, secrets masked (`exequatur config`)."""
        out = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            shown = "********" if isinstance(value, SecretStr) else ("" if value is None else str(value))
            out[field.alias or name] = shown
        return out


def known_variables() -> set[str]:
    return {field.alias for field in Settings.model_fields.values() if field.alias} | {"CONSULAR_SECRETS_DIR"}


def explain(error: ValidationError) -> str:
    """Name the variable in each error, as the operator wrote it."""
    lines = []
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        alias = Settings.model_fields[field].alias if field in Settings.model_fields else field
        lines.append(f"{alias}: {item['msg']}" if alias else item["msg"].removeprefix("Value error, "))
    return "invalid settings:\n  " + "\n  ".join(lines)


@lru_cache
def get_settings() -> Settings:
    folder = Path(os.environ.get("CONSULAR_SECRETS_DIR") or SECRETS_DIR)
    return Settings(_secrets_dir=folder if folder.is_dir() else None)
