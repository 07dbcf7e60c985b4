"""The rules' value types are immutable: under test, any assignment to one fails."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from reflow.vf import values
from reflow.vf.measure import Measure
from reflow.vf.state import EventState, ResourceState


def test_the_suite_runs_with_frozen_values() -> None:
    assert values.STRICT


@pytest.mark.parametrize(
    ("value", "attr"),
    [
        (ResourceState("r", "spec", "om2:kilogram"), "onhand_quantity"),
        (EventState("e", "raise", "a", "a"), "previous_event"),
        (Measure(Decimal(1), "om2:kilogram"), "value"),
    ],
)
def test_a_state_cannot_be_changed_in_place(value: object, attr: str) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, attr, None)


def test_values_hash_and_compare_by_content() -> None:
    a = Measure(Decimal("1.50"), "om2:kilogram")
    assert a == Measure(Decimal("1.5"), "om2:kilogram")
    assert len({a, Measure(Decimal("1.5"), "om2:kilogram")}) == 1
