"""structlog for the whole service: readable in a terminal, JSON with CONSULAR_LOG_FORMAT=json.

Standard-library loggers (the Temporal SDK's `workflow.logger` and `activity.logger`,
uvicorn) are routed through the same processors, so every line has one shape: the SDK's
workflow and activity details become fields (`workflow_id`, `update_name`, ...) and the
`extra` of a call (`act`, `article`, `record_id`) fields beside them. Only ids are logged,
never personal data: a field that could hold a name is dropped before rendering.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Fields of the SDK's `temporal_workflow` / `temporal_activity` extra kept as top-level fields.
TEMPORAL_FIELDS = (
    "workflow_id",
    "run_id",
    "workflow_type",
    "update_id",
    "update_name",
    "activity_id",
    "activity_type",
    "attempt",
)
# Keys that carry a person's particulars somewhere in the service's models (models/member.py).
PERSONAL = frozenset({"person", "full_name", "nationalities", "name"})


def lift_temporal_details(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The SDK puts its details in one nested dict; operators filter on flat fields."""
    for key in ("temporal_workflow", "temporal_activity"):
        details = event.pop(key, None)
        if isinstance(details, dict):
            for name in TEMPORAL_FIELDS:
                if name in details:
                    event.setdefault(name, details[name])
    event.pop("workflow_info", None)
    return event


def drop_personal_data(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in PERSONAL & event.keys():
        event[key] = "[removed]"
    return event


def configure_logging(fmt: str = "console", level: int = logging.INFO) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        lift_temporal_details,
        drop_personal_data,
    ]
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                # The console renderer formats tracebacks itself; JSON wants them as a string.
                *([structlog.processors.format_exc_info] if fmt == "json" else []),
                renderer,
            ],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("transitions").setLevel(logging.WARNING)  # not replay-aware (docs/design.md)
    _temporal_details_as_fields()


def _temporal_details_as_fields() -> None:
    """The SDK appends its details to the message too ("act recorded ({'workflow_id': ...})");
    they are fields here, so the message stays the event's name."""
    from temporalio import activity, workflow

    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
