"""Item 6: `exequatur import` of a consular corps (onboarding.import_corps) on the bench's
stack: rows per second, compared with the act rate of item 1 by bench/run.py."""

from __future__ import annotations

import uuid
from typing import Any

from exequatur.onboarding import example_corps, import_corps, write_csv

MEMBERS_PER_POST = 4  # a head and three staff: five rows a post


async def measure_import(s: Any, rows: int) -> tuple[float, int, int]:
    """Rows per second, the rows imported, and the acts the import sent."""
    corps = example_corps(max(1, rows // (1 + MEMBERS_PER_POST)), MEMBERS_PER_POST,
                          tag=f"bench-{uuid.uuid4().hex[:6]}")
    path = s.scratch / "corps.csv"
    write_csv(corps, path)  # the file an operator imports: its parsing is part of the figure
    report = await import_corps(s.client, s.settings, path, concurrency=16)
    imported = report.counts["imported"]
    return len(corps) / report.seconds, imported, report.acts_sent
