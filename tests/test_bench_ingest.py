"""The ingest benchmark measures records a node has not seen: it refuses a database that holds
some (they would come back as duplicates, and the figure would not be ingest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reflow.bench.ingest import run
from reflow.errors import StoreError


def test_the_benchmark_appends_its_workload_and_reports_the_ratio(tmp_path: Path) -> None:
    out = run(f"sqlite:///{tmp_path / 'b.sqlite'}", 300, agents=10)
    assert out["records"] == 300 and out["applied"] + out["rejected"] == 300
    assert out["applied"] > 250  # a few invalid records are mixed in, on purpose
    assert out["ratio"] == pytest.approx(out["ingest_records_per_s"] / out["raw_verify_per_s"],
                                         abs=0.001)  # fmt: skip
    before, after = out["raw_verify_before_after_per_s"]  # bracketing the run: the drift
    assert before > 0 and after > 0
    assert out["raw_verify_per_s"] == pytest.approx((before + after) / 2, abs=1)


def test_a_database_that_holds_records_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.sqlite'}"
    run(url, 50, agents=5)
    with pytest.raises(StoreError) as refused:
        run(url, 50, agents=5)
    assert (refused.value.field, refused.value.rule) == ("db", "empty-database")
