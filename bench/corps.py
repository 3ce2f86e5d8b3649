"""Item 6: `exequatur import` of a consular corps (onboarding.import_corps) on the bench's
stack: the time of a large file against a file a tenth its size (linear growth is a ratio of
10), and the same large file imported again, as an operator resumes an interrupted import:
every row already recorded is found unchanged, none is sent twice."""

from __future__ import annotations

import uuid
from typing import Any

from exequatur.onboarding import example_corps, import_corps, write_csv

MEMBERS_PER_POST = 4  # a head and three staff: five rows a post


async def measure_import(s: Any, rows: int) -> dict[str, Any]:
    """The import of a file of `rows` rows: its seconds, rows imported and acts sent; then the
    same file again (the resume): its seconds and the rows found unchanged."""
    corps = example_corps(max(1, rows // (1 + MEMBERS_PER_POST)), MEMBERS_PER_POST,
                          tag=f"bench-{uuid.uuid4().hex[:6]}")
    path = s.scratch / f"corps-{rows}.csv"
    write_csv(corps, path)  # the file an operator imports: its parsing is part of the figure
    report = await import_corps(s.client, s.settings, path, concurrency=16)
    again = await import_corps(s.client, s.settings, path, concurrency=16)
    return {"rows": len(corps), "seconds": report.seconds, "imported": report.counts["imported"],
            "acts": report.acts_sent, "resume_seconds": again.seconds, "unchanged": again.counts["unchanged"],
            "resent": again.acts_sent}
