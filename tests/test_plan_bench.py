"""The planning benchmark runs end to end at a small scale and reports every phase."""

from __future__ import annotations

from reflow.bench.plan import run


def test_bench_plan_reports_phases_and_solver_status() -> None:
    out = run(resources=300, agents=40, skills=5, quantity=2, seconds=2.0)
    assert out["recipeProcesses"] == 187
    assert set(out["phases"]) == {
        "read",
        "explode_and_net",
        "schedule",
        "assign",
        "draft",
        "record",
    }
    assert out["solver"]["status"] in ("OPTIMAL", "FEASIBLE", "FEASIBLE (greedy)")
    assert out["plannedProcesses"] >= 1 and out["commitments"] > out["plannedProcesses"]
