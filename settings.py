"""Every environment variable the service reads, in one pydantic-settings model."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    temporal_address: str | None = Field(None, alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", alias="TEMPORAL_NAMESPACE")
    task_queue: str = Field("exequatur", alias="CONSULAR_TASK_QUEUE")
    var_dir: Path = Field(ROOT / "var", alias="CONSULAR_VAR_DIR")
    database_url: str | None = Field(None, alias="CONSULAR_DATABASE_URL")
    tokens_file: Path | None = Field(None, alias="CONSULAR_TOKENS_FILE")
    webhook_url: str | None = Field(None, alias="CONSULAR_WEBHOOK_URL")
    log_format: str = Field("console", alias="CONSULAR_LOG_FORMAT")
    act_timeout_seconds: float = Field(30, alias="CONSULAR_ACT_TIMEOUT_SECONDS", gt=0)
    api_host: str = Field("127.0.0.1", alias="CONSULAR_API_HOST")
    api_port: int = Field(8000, alias="CONSULAR_API_PORT")
    temporal_port: int = Field(7233, alias="CONSULAR_TEMPORAL_PORT")
    temporal_ui_port: int = Field(8233, alias="CONSULAR_TEMPORAL_UI_PORT")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'register.sqlite3'}"

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"


@lru_cache
def get_settings() -> Settings:
    return Settings()
