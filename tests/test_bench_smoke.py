"""The benchmark harness runs (quick mode), so it cannot rot; its figures are not asserted."""

from bench.precedence import run


def test_precedence_bench_quick_mode_runs():
    result = run(20, 200, 1)
    assert result["small_s"] > 0 and result["large_s"] > 0 and result["ratio"] > 0
