"""Regenerate the JSON Schema block of docs/webhooks.md from the model (models/notification.py):
`.venv/bin/python docs/webhook_schema.py`. tests/test_openapi.py fails when they differ."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exequatur.models.notification import json_schema  # noqa: E402

DOC = ROOT / "docs" / "webhooks.md"
BEGIN, END = "<!-- schema:begin -->\n```json\n", "```\n<!-- schema:end -->"


def rendered() -> str:
    return json.dumps(json_schema(), indent=2) + "\n"


def documented(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0]


if __name__ == "__main__":
    text = DOC.read_text()
    head, rest = text.split(BEGIN, 1)
    DOC.write_text(head + BEGIN + rendered() + END + rest.split(END, 1)[1])
    print(f"{DOC}: schema rewritten")
