"""The benchmark harness runs in its quick mode, so it cannot rot; its figures are not asserted
(speed is never a test's business), only that every item of issue 7 produced a figure."""

import json
import subprocess
import sys
from pathlib import Path

from bench.precedence import run

ROOT = Path(__file__).resolve().parent.parent


def test_bench_quick_mode_produces_every_row(tmp_path: Path):
    # Its own process: the bench points the settings at its own scratch register and server.
    out = tmp_path / "rows.json"
    subprocess.run([sys.executable, "-m", "bench", "--quick", "--no-write", "--json", str(out)],
                   cwd=ROOT, check=True, timeout=480, stdout=subprocess.DEVNULL)
    rows = json.loads(out.read_text())
    assert {row["item"] for row in rows} == {"1", "2", "3", "4", "5", "6", "7", "8", "9"}
    for row in rows:
        figures = [float(word) for word in row["ours"].replace("/", " ").replace("(", " ").split()
                   if word.replace(".", "", 1).isdigit()]
        assert figures and all(f > 0 for f in figures), row
        if row["target"] != "report":
            assert row["ratio"] > 0, row


def test_precedence_bench_quick_mode_runs():
    result = run(20, 200, 1)
    assert result["small_s"] > 0 and result["large_s"] > 0 and result["ratio"] > 0
