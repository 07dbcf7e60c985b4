"""Exports: CSV columns, and a Sankey that stays readable when a city has thousands of processes."""

from __future__ import annotations

import csv
import io

from reflow.report.export import _keep_top, to_csv


def test_sankey_keeps_the_biggest_processes_and_merges_the_rest() -> None:
    links = [
        ("from A", "process:p1", 10.0),
        ("from A", "process:p2", 5.0),
        ("from B", "process:p3", 1.0),
        ("process:p2", "product:x", 5.0),
        ("process:p3", "product:x", 1.0),
    ]
    kept = sorted(_keep_top(links, "process:", 1))
    assert kept == [
        ("from A", "other processes", 5.0),
        ("from A", "process:p1", 10.0),
        ("from B", "other processes", 1.0),
        ("other processes", "product:x", 6.0),
    ]
    assert _keep_top(links, "process:", 3) == links


def test_csv_writes_nested_parts_as_text_and_unknowns_empty() -> None:
    rows = [
        {"district": "A", "material": "m", "inflow_kg": 1.5, "reuse_rate": None,
         "unconverted": [{"flow": "inflow", "unit": "om2:one", "events": 2}],
         "events": {"inflow": 3}},
    ]  # fmt: skip
    (row,) = csv.DictReader(io.StringIO(to_csv(rows)))
    assert row == {"district": "A", "material": "m", "inflow_kg": "1.5", "reuse_rate": "",
                   "unconverted": "inflow:om2:one:2"}  # fmt: skip
