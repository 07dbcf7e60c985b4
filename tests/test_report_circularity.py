"""The Material Circularity Indicator (EMF method) per product specification.

Hand-computed for the test city (``report_world``), X = 1 and efficiencies 1 unless said:

============  ===  ===  ===  =====  ===  =====  ======  ======
spec          M    F_R  F_U  C_R    V    W      LFI     MCI
============  ===  ===  ===  =====  ===  =====  ======  ======
felt panel    80   0    0    0      80   80     1       0.1
scraps        20   0    0    0.25   20   15     0.875   0.2125
filling       5    1    0    0      0    5      0.5     0.55
============  ===  ===  ===  =====  ===  =====  ======  ======

filling with E_F = 0.8: W_F = 5·1·0.2/0.8 = 1.25, W = 5 + 0.625, LFI = 5.625/10.625,
MCI = 1 − 0.9·LFI = 0.523529. Panels with utility X = 2: MCI = 1 − 1·0.45 = 0.55.
"""

from __future__ import annotations

import pytest
from report_world import (
    City,
    city_fixture,  # noqa: F401  (the module-scoped fixture)
)

from reflow.report.circularity import circularity, explain_mci, mci
from reflow.report.scope import Scope


def _by_name(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    return {r["name"]: r for r in rows}


@pytest.mark.parametrize(
    ("name", "m", "f_r", "c_r", "v", "w", "lfi", "mci_value"),
    [
        ("felt panel", 80, 0, 0, 80, 80, 1, 0.1),
        ("scraps", 20, 0, 0.25, 20, 15, 0.875, 0.2125),
        ("cushion filling", 5, 1, 0, 0, 5, 0.5, 0.55),
    ],
)
def test_mci_inputs_and_result_per_product(
    city: City, name: str, m: float, f_r: float, c_r: float, v: float, w: float, lfi: float,
    mci_value: float,
) -> None:  # fmt: skip
    row = _by_name(circularity(city.engine, Scope.make()))[name]
    got = {k: row[k] for k in ("M", "F_R", "F_U", "C_R", "C_U", "V", "W", "LFI", "MCI")}
    assert got == pytest.approx(
        {"M": m, "F_R": f_r, "F_U": 0, "C_R": c_r, "C_U": 0, "V": v, "W": w, "LFI": lfi,
         "MCI": mci_value}, abs=1e-6
    )  # fmt: skip
    assert "LFI = (V + W) / (2M + (W_F − W_C)/2)" in str(row["formula"])


def test_efficiency_and_utility_parameters_change_the_result(city: City) -> None:
    rows = _by_name(circularity(city.engine, Scope.make(), e_f=0.8))
    assert rows["cushion filling"]["W_F"] == pytest.approx(1.25)
    assert rows["cushion filling"]["MCI"] == pytest.approx(1 - 0.9 * 5.625 / 10.625, abs=1e-6)
    rows = _by_name(circularity(city.engine, Scope.make(), utility={city.ids["spec.panel"]: 2.0}))
    assert rows["felt panel"]["MCI"] == pytest.approx(0.55)


def test_mci_is_never_below_zero() -> None:
    assert mci(10, 0, 0, 0, 0, utility=0.5)["MCI"] == 0.0  # LFI 1 · F(X) 1.8


def test_a_district_without_production_has_no_mci(city: City) -> None:
    assert circularity(city.engine, Scope.make(district="A")) == []
    assert {r["name"] for r in circularity(city.engine, Scope.make(district="B"))} == {
        "felt panel", "scraps", "cushion filling"
    }  # fmt: skip


def test_explain_mci_lists_production_inputs_and_fate(city: City) -> None:
    ids = city.ids
    got = explain_mci(city.engine, ids["spec.scraps"], Scope.make())
    assert got == sorted([ids["scraps"], ids["recycle"], ids["shred_in"]])
