"""The rules' value types are immutable: under test, any assignment to one fails. The values
built for every record (records, parsed events, outcomes) refuse a change in every build."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from reflow.ledger.keys import KeyPair
from reflow.ledger.records import sign_record
from reflow.vf import values
from reflow.vf.event import parse_event, parse_new_resource
from reflow.vf.fixed import Fixed
from reflow.vf.measure import Measure
from reflow.vf.rules import Outcome
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


def _fixed_values() -> list[Fixed]:
    """One of each value the ledger builds for every record it takes."""
    key = KeyPair(b"\x05" * 32)
    body = {"action": "raise", "provider": "a", "receiver": "a",
            "resourceQuantity": {"hasNumericalValue": "1", "hasUnit": "om2:kilogram"}}  # fmt: skip
    new = parse_new_resource({"name": "linen"})
    assert new is not None
    event = EventState("e", "raise", "a", "a")
    return [
        sign_record(key, network="n", seq=1, prev=None, kind="vf.create", body={}),
        parse_event(body),
        new,
        Outcome(event=event, resources={}, created=(), relinked={}),
    ]


def test_every_value_built_per_record_refuses_a_change_once_made() -> None:
    """Records, parsed events, new resources and outcomes are plain classes (their
    constructors compile to native code) sealed at the end of their constructor; in both builds
    a later assignment fails and changes nothing."""
    made = _fixed_values()
    assert {type(v) for v in made} == set(Fixed.__subclasses__())  # none left out
    for value in made:
        name = next(n for n in ("body", "name", "event") if hasattr(value, n))
        before = getattr(value, name)
        with pytest.raises(AttributeError, match="cannot be changed"):
            setattr(value, name, None)
        assert getattr(value, name) is before
