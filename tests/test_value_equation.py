"""A value equation is data, checked when it is recorded: every refusal names the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from support import World
from value_scene import EUR

from reflow.errors import AuthorisationError, NotFound, ReflowError, RuleViolation
from reflow.store.sqlstore import SqlStore
from reflow.value.equation import parse_equation
from reflow.value.tables import TABLES


def _eq(**more: Any) -> dict[str, Any]:
    return {
        "name": "e",
        "currency": EUR,
        "buckets": [
            {"name": "fund", "percent": "10", "of": "total", "pays": {"fixed": [{"agent": "x"}]}},
            {
                "name": "rest",
                "percent": "100",
                "of": "remainder",
                "pays": {"contributions": {"kinds": ["work"]}},
            },
        ],
        "rates": {"work": {"*": "20"}},
        **more,
    }


def _bucket(name: str, percent: str, of: str = "total") -> dict[str, Any]:
    return {"name": name, "percent": percent, "of": of, "pays": {"fixed": [{"agent": "x"}]}}


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"buckets": [_bucket("a", "60"), _bucket("b", "50")]}, "buckets.percent",
         "total-at-most-100"),
        ({"buckets": [_bucket("a", "101", "remainder")]}, "buckets[0].percent",
         "percent-at-most-100"),
        ({"buckets": [_bucket("a", "-5")]}, "buckets[0].percent", "non-negative"),
        ({"buckets": [_bucket("a", "10"), _bucket("a", "10")]}, "buckets[1].name", "unique-name"),
        ({"buckets": [_bucket("a", 10)]}, "buckets[0].percent", "decimal-string"),
        ({"rates": {"work": {"*": "-20"}}}, "rates.work.*", "non-negative"),
        ({"rates": {"work": {"*": "2*10"}}}, "rates.work.*", "decimal"),
        ({"rates": {"gift": {"*": "1"}}}, "rates.gift", "known-kind"),
        ({"multipliers": {"work": "-1"}}, "multipliers.work", "non-negative"),
        ({"currency": "om2:kilogram"}, "currency", "currency"),
        ({"currency": "zorkmid"}, "currency", "currency"),
        ({"scope": {"type": "planet"}}, "scope.type", "scope"),
        ({"scope": {"type": "plan"}}, "scope.id", "required"),
        ({"pointsPerUnit": "2"}, "pointsPerUnit", "points-only"),
        ({"code": "import os"}, "code", "known-fields"),
        ({"rates": {"resource": {"*": {"value": "4", "per": "furlong"}}}}, "rates.resource.*.per",
         "unit"),
        ({"rates": {"resource": {"*": {"value": "-4", "per": "kg"}}}}, "rates.resource.*.value",
         "non-negative"),
        ({"rates": {"cite": {"*": {"value": "4", "per": "kg"}}}}, "rates.cite.*.per", "per-unit"),
    ],
)  # fmt: skip
def test_bad_equations_are_refused_naming_the_field(
    change: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(RuleViolation) as err:
        parse_equation(_eq(**change))
    assert (err.value.field, err.value.rule) == (field, rule)


def test_unknown_contribution_kinds_are_refused() -> None:
    eq = _eq()
    eq["buckets"][1]["pays"]["contributions"]["kinds"] = ["work", "love"]
    with pytest.raises(RuleViolation) as err:
        parse_equation(eq)
    assert err.value.field == "buckets[1].pays.contributions.kinds[1]"
    assert "love" in err.value.message


def test_buckets_of_the_remainder_may_add_up_past_100_percent_of_the_total() -> None:
    eq = parse_equation(_eq(buckets=[_bucket("a", "100"), _bucket("b", "100", "remainder")]))
    assert [b.percent for b in eq.buckets] == [Decimal(100), Decimal(100)]
    assert parse_equation(_eq(currency="reflow:point", pointsPerUnit="10")).quantum == 1
    assert parse_equation(_eq(currency="EUR")).quantum == Decimal("0.01")


def test_an_equation_is_recorded_and_checked_against_the_ledger(world: World) -> None:
    fund = world.agent("Fund", "Organization")
    coop = world.agent("Coop", "Organization")
    member = world.agent("Member")
    eq = _eq()
    eq["buckets"][0]["pays"]["fixed"] = [{"agent": fund, "share": "1"}]
    created = world.submit(world.keys[member], "value.equation", eq)
    obj = world.ledger.store.object(created["ValueEquation"])
    assert obj is not None and obj.type == "ValueEquation" and obj.data == eq
    with pytest.raises(RuleViolation) as err:  # refused on append, nothing recorded
        world.submit(world.keys[member], "value.equation", _eq(buckets=[_bucket("a", "120")]))
    assert err.value.field == "buckets[0].percent"
    with pytest.raises(NotFound) as nf:
        world.submit(world.keys[member], "value.equation", _eq())  # agent "x" does not exist
    assert nf.value.field == "buckets[0].pays.fixed[0].agent"
    scoped = dict(eq, scope={"type": "organization", "id": coop})
    with pytest.raises(AuthorisationError):
        world.submit(world.keys[member], "value.equation", scoped)
    assert "ValueEquation" in world.submit(world.keys[coop], "value.equation", scoped)
    with pytest.raises(ReflowError):
        world.submit(world.keys[member], "vf.update", {"id": obj.id, "data": {"name": "mine"}})


def test_migrations_match_the_declared_value_tables(store: SqlStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from reflow.store.schema import metadata

    names = {t.name for t in TABLES}
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if any(n in repr(d) for n in names)] == []
