"""The consular list at 500 and 5,000 listed heads: register query plus sort, and their ratio.

n log n growth from 500 to 5,000 is a ratio of about 13.7; linear is 10. Run with
`python -m bench.precedence [--quick]` (or `make bench`); figures are ratios in one run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from exequatur.register.precedence import consular_list_entries
from exequatur.models.common import Person
from exequatur.models.member import HEAD_CLASSES, Member
from exequatur.models.post import Post
from exequatur.register.db import engine_for, migrate
from exequatur.models.messages import ActEntry
from exequatur.register.queries import record_act

SENDING = ["FRA", "JPN", "AUS", "USA", "DEU", "ITA", "ESP", "CHN", "IND", "BRA"]


def populate(url: str, heads: int) -> None:
    engine = engine_for(url)
    now = datetime.now(UTC)
    for i in range(heads):
        ss = SENDING[i % len(SENDING)]
        post = Post(id=f"{ss}-FJI-{i:06d}", sending_state=ss, receiving_state="FJI", seat=f"Seat {i}",
                    classification="consulate", district="d", headed_by="career", state="open")
        admitted = date(2020, 1, 1) + timedelta(days=i % 900)
        member = Member(id=f"M-{i:06d}", post_id=post.id, sending_state=ss, receiving_state="FJI", role="head",
                        category="career" if i % 7 else "honorary", class_=HEAD_CLASSES[i % 4],
                        person=Person(full_name=f"Head {i}", nationalities=[ss]), state="admitted",
                        exequatur_granted_on=admitted, precedence_date=admitted,
                        instrument_presented_on=admitted - timedelta(days=i % 5))
        for kind, record in (("post", post), ("member", member)):
            document = record.model_dump(mode="json", by_alias=True)
            record_act(engine, ActEntry(act_id=f"{record.id}:seed", kind=kind, record_id=record.id, act="seed",
                                        party="SS", principal="bench", article="-", effective_date=date(2020, 1, 1),
                                        recorded_at=now, body={}, document=document))


def time_list(url: str, repeats: int, heads: int) -> float:
    engine = engine_for(url)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        entries = consular_list_entries(engine, "FJI", date.today())  # as the API builds it
        samples.append(time.perf_counter() - started)
        assert len(entries) == heads
    return statistics.median(samples)


def run(small: int, large: int, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        figures = {}
        for n in (small, large):
            url = f"sqlite:///{Path(folder) / f'register-{n}.sqlite3'}"
            migrate(url)
            populate(url, n)
            figures[n] = time_list(url, repeats, n)
    ratio = figures[large] / figures[small]
    return {"small": small, "large": large, "small_s": figures[small], "large_s": figures[large], "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50 and 500 heads, 3 repeats")
    args = parser.parse_args()
    result = run(50, 500, 3) if args.quick else run(500, 5000, 5)
    print(f"| consular list | {result['small']} heads: {result['small_s'] * 1000:.1f} ms | "
          f"{result['large']} heads: {result['large_s'] * 1000:.1f} ms | ratio {result['ratio']:.1f} "
          f"(n log n: {result['large'] / result['small'] * 1.3:.1f}, target <= 12 for x10) |")


if __name__ == "__main__":
    main()
