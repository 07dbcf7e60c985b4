"""Inventory from CSV: a good file raises one resource per row; a bad file imports nothing and
names every problem by line, column and reason, unless the bad rows are skipped on purpose.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from reflow.interop.csv_inventory import CsvRowsError, check, import_inventory
from reflow.node import Node
from reflow.settings import Settings
from reflow.store.digest import state_digest

GOOD = """name,spec,quantity,unit,holder,place,lat,long,classification,tracking,note
Cotton bales lot 4,Cotton bales,120,kg,Weverij Noord,Warehouse Noord,52.3906,4.9232,http://www.wikidata.org/entity/Q11457,WN-4,dry
Cotton bales lot 5,Cotton bales,80.5,kg,Weverij Noord,Warehouse Noord,52.3906,4.9232,,WN-5,
Rainwater tank,Rainwater,3000,l,Genossenschaft Moabit,Roof tank,52.53,13.342,,,
"""

BAD = """name,spec,quantity,unit,holder,place,lat,long
Cotton bales lot 4,Cotton bales,120,kg,Weverij Noord,Warehouse,52.39,4.92
,Cotton bales,-3,kg,Weverij Noord,,,
Yarn,Yarn,12,furlongs,Weverij Noord,Depot,95,4.9
Twine,Twine,1e2x,kg,Weverij Noord,Depot,52.3,
"""


@pytest.fixture
def node(tmp_path: Path) -> Node:
    n = Node.init(Settings.from_env({}, data_dir=tmp_path / "n"), network_name="csv")
    yield n
    n.close()


def test_a_good_file_raises_one_resource_per_row_at_its_place(node: Node) -> None:
    report = import_inventory(node, GOOD)
    assert report.errors == [] and len(report.imported) == 3
    bales = node.store.resource(report.imported[0])
    assert bales is not None
    assert (bales.accounting_quantity, bales.unit) == (Decimal("120"), "om2:kilogram")
    assert bales.tracking_identifier == "WN-4" and bales.note == "dry"
    assert list(bales.classified_as) == ["http://www.wikidata.org/entity/Q11457"]
    place = node.store.object(bales.current_location or "")
    assert place is not None and (place.data["lat"], place.data["long"]) == ("52.3906", "4.9232")
    second = node.store.resource(report.imported[1])
    assert second is not None and second.conforms_to == bales.conforms_to  # one spec, reused
    assert second.current_location == bales.current_location  # one place, reused
    tank = node.store.resource(report.imported[2])
    assert tank is not None and (tank.accounting_quantity, tank.unit) == (3000, "om2:litre")
    assert tank.primary_accountable != bales.primary_accountable


def test_a_bad_file_imports_nothing_and_names_each_problem(node: Node) -> None:
    before = state_digest(node.store)["digest"]
    with pytest.raises(CsvRowsError) as err:
        import_inventory(node, BAD)
    problems = {(e.line, e.column) for e in err.value.errors}
    assert problems == {
        (3, "name"),
        (3, "quantity"),
        (4, "unit"),
        (4, "lat"),
        (5, "quantity"),
        (5, "long"),
    }
    assert err.value.rule == "csv-rows" and err.value.field == "line 3, column name"
    reasons = {(e.line, e.column): e.reason for e in err.value.errors}
    assert "greater than zero" in reasons[(3, "quantity")]
    assert "furlongs" in reasons[(4, "unit")]
    assert state_digest(node.store)["digest"] == before


def test_skip_bad_imports_the_good_rows_and_reports_the_bad(node: Node) -> None:
    report = import_inventory(node, BAD, skip_bad=True)
    assert len(report.imported) == 1
    assert {e.line for e in report.errors} == {3, 4, 5}


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("name,spec,quantity,unit", (1, "holder", "required column missing")),
        ("name,spec,quantity,unit,holder,colour", (1, "colour", "unknown column")),
    ],
)
def test_the_header_is_checked(header: str, problem: tuple[int, str, str]) -> None:
    rows, errors = check(header + "\nx,y,1,kg,z,red\n")
    assert rows == [] and [(e.line, e.column, e.reason) for e in errors] == [problem]
