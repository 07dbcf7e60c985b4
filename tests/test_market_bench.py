"""The match benchmark runs end to end on a small city and reports its percentiles."""

from __future__ import annotations

from pathlib import Path

from reflow.bench.match import run


def test_the_match_benchmark_publishes_signed_proposals_and_times_queries(tmp_path: Path) -> None:
    out = run(f"sqlite:///{tmp_path / 'b.sqlite'}", 400, agents=20, queries=20, branching=2)
    assert (out["intents"], out["refused"], out["queries"]) == (400, 0, 20)
    assert 0 < out["p50_ms"] <= out["p95_ms"] <= out["max_ms"]
    assert out["mean_matches"] > 0
