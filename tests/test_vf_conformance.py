"""What each of the 19 ValueFlows 1.0 actions does to both resources, through the real ledger.

Each row of ``EFFECTS`` is (an optional preparation, the signer, the event) and the expected
fields of every resource it touches afterwards: accounting and onhand quantities, the accountable
agent, the custodian (kept as Zenflows does, derived from onhand effects and implied transfers),
location, container, stage, state and the ``previousEvent`` breadcrumb. The scene (``vf_scene``)
is Alice's 10 kg bale ``R`` at HERE, Bob's 3 kg bale ``S`` and Alice's empty ``BOX``; ``@to`` and
``@new`` are the resources the event created, ``@event`` the event itself. The bulk runs on
SQLite; ``test_effects_on_every_backend`` repeats a representative set on PostgreSQL too.
Refusals are in ``test_vf_conformance_refusals.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import NETWORK, qty
from vf_scene import ONE, Scene, copy_scene, core_digest, make_template

from reflow.errors import AuthorisationError, ConflictError, RuleViolation
from reflow.ledger.ledger import Ledger
from reflow.store.sqlstore import SqlStore

Prep = Callable[[Scene], object] | None


def _pick(sc: Scene, to: str = "@B", action: str = "pickup") -> object:
    return sc.event(
        "@A",
        action=action,
        provider="@A",
        receiver=to,
        inputOf="@P",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(10),
    )


def _accept(sc: Scene) -> object:
    return _pick(sc, "@A", "accept")


def _packed(sc: Scene) -> object:
    return sc.pack("@R", "@BOX")


def _prev(sc: Scene) -> None:
    sc.prev = sc.res("@R").previous_event  # type: ignore[attr-defined]


MINE = {"primary_accountable": "@A", "custodian": "@A"}
UNTOUCHED_R = {"accounting_quantity": "10", "onhand_quantity": "10", **MINE}

# (id, prep, signer, event, {resource: expected fields})
EFFECTS: list[tuple[str, Prep, str, dict[str, Any], dict[str, dict[str, Any]]]] = [
    # raise / lower: one agent's own starting balances and corrections
    ("raise-new", None, "@A",
     dict(action="raise", provider="@A", receiver="@A", resourceConformsTo="@cotton",
          resourceQuantity=qty(7), toLocation="@THERE", state="dry"),
     {"@new": {"accounting_quantity": "7", "onhand_quantity": "7", **MINE, "unit": "om2:kilogram",
               "current_location": "@THERE", "state": "dry", "previous_event": "@event",
               "conforms_to": "@cotton", "contained_in": None, "stage": None}}),
    ("raise-existing", None, "@A",
     dict(action="raise", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty(5)),
     {"@R": {"accounting_quantity": "15", "onhand_quantity": "15", **MINE,
             "current_location": "@HERE", "previous_event": "@event"}}),
    ("raise-grams-into-kg", None, "@A",
     dict(action="raise", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty(500, "om2:gram")),
     {"@R": {"accounting_quantity": "10.5", "onhand_quantity": "10.5", "unit": "om2:kilogram"}}),
    ("raise-sets-state", None, "@A",
     dict(action="raise", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty(1), state="graded"),
     {"@R": {"state": "graded", "accounting_quantity": "11"}}),
    ("raise-keeps-every-digit", None, "@A",
     dict(action="raise", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty("1000000000000000000000000000000.5")),
     {"@R": {"accounting_quantity": "1000000000000000000000000000010.5",
             "onhand_quantity": "1000000000000000000000000000010.5"}}),
    ("lower-keeps-every-digit", None, "@A",
     dict(action="lower", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty("9.000000000000000000000000000000001")),
     {"@R": {"accounting_quantity": "0.999999999999999999999999999999999"}}),
    ("lower", None, "@A",
     dict(action="lower", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty(4)),
     {"@R": {"accounting_quantity": "6", "onhand_quantity": "6", **MINE,
             "previous_event": "@event"}}),
    ("lower-grams", None, "@A",
     dict(action="lower", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty(2500, "om2:gram")),
     {"@R": {"accounting_quantity": "7.5", "onhand_quantity": "7.5"}}),
    ("lower-to-zero", None, "@A",
     dict(action="lower", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty(10)),
     {"@R": {"accounting_quantity": "0", "onhand_quantity": "0"}}),
    # produce: output of a process; stage from its specification; implied transfer
    ("produce-new", None, "@A",
     dict(action="produce", provider="@A", receiver="@A", outputOf="@P",
          resourceConformsTo="@cotton", resourceQuantity=qty(2), toLocation="@HERE",
          state="raw"),
     {"@new": {"accounting_quantity": "2", "onhand_quantity": "2", **MINE, "stage": "@sewing",
               "state": "raw", "current_location": "@HERE", "previous_event": "@event"}}),
    ("produce-new-no-stage", None, "@A",
     dict(action="produce", provider="@A", receiver="@A", outputOf="@Q",
          resourceConformsTo="@cotton", resourceQuantity=qty(2)),
     {"@new": {"stage": None, "current_location": None}}),
    ("produce-implied-transfer", None, "@A",
     dict(action="produce", provider="@A", receiver="@B", outputOf="@P",
          resourceConformsTo="@cotton", resourceQuantity=qty(2)),
     {"@new": {"primary_accountable": "@B", "custodian": "@B", "accounting_quantity": "2",
               "onhand_quantity": "2"}}),
    ("produce-implied-transfer-signed-by-receiver", None, "@B",
     dict(action="produce", provider="@A", receiver="@B", outputOf="@P",
          resourceConformsTo="@cotton", resourceQuantity=qty(2)),
     {"@new": {"primary_accountable": "@B", "custodian": "@B"}}),
    ("produce-into-existing", None, "@A",
     dict(action="produce", provider="@A", receiver="@A", outputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(2), toLocation="@THERE"),
     {"@R": {"accounting_quantity": "12", "onhand_quantity": "12", "stage": "@sewing",
             "current_location": "@HERE", "previous_event": "@event"}}),
    # consume: input; implied transfer changes no holder of what is gone
    ("consume", None, "@A",
     dict(action="consume", provider="@A", receiver="@A", inputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(3), state="cut"),
     {"@R": {"accounting_quantity": "7", "onhand_quantity": "7", **MINE, "state": "cut",
             "stage": None, "previous_event": "@event"}}),
    ("consume-implied-transfer", None, "@A",
     dict(action="consume", provider="@A", receiver="@B", inputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(3)),
     {"@R": {"accounting_quantity": "7", "onhand_quantity": "7", **MINE}}),
    ("consume-all", None, "@A",
     dict(action="consume", provider="@A", receiver="@A", inputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10000, "om2:gram")),
     {"@R": {"accounting_quantity": "0", "onhand_quantity": "0"}}),
    # use / cite / work / deliverService: no quantity changes
    ("use", None, "@B",
     dict(action="use", provider="@A", receiver="@B", inputOf="@P",
          resourceInventoriedAs="@R", effortQuantity=qty(2, "om2:hour")),
     {"@R": {**UNTOUCHED_R, "previous_event": "@event", "state": None}}),
    ("use-with-state-by-custodian", None, "@A",
     dict(action="use", provider="@A", receiver="@B", inputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10), state="worn"),
     {"@R": {**UNTOUCHED_R, "state": "worn"}}),
    ("use-spec-only", None, "@A",
     dict(action="use", provider="@A", receiver="@A", inputOf="@P",
          resourceConformsTo="@cotton", effortQuantity=qty(1, "om2:hour")),
     {"@R": UNTOUCHED_R}),
    ("cite", None, "@A",
     dict(action="cite", provider="@A", receiver="@A", inputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(1)),
     {"@R": {**UNTOUCHED_R, "previous_event": "@event"}}),
    ("work", None, "@B",
     dict(action="work", provider="@B", receiver="@A", inputOf="@P",
          resourceConformsTo="@cotton", effortQuantity=qty(90, "om2:minute")),
     {"@R": UNTOUCHED_R}),
    ("deliverService", None, "@A",
     dict(action="deliverService", provider="@A", receiver="@B", outputOf="@P",
          inputOf="@Q", resourceConformsTo="@cotton", resourceQuantity=qty(1)),
     {"@R": UNTOUCHED_R}),
    # pickup / dropoff: custody moves, accounting stays
    ("pickup-self", None, "@A",
     dict(action="pickup", provider="@A", receiver="@A", inputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10), toLocation="@THERE",
          state="loaded"),
     {"@R": {"accounting_quantity": "10", "onhand_quantity": "0", **MINE,
             "current_location": "@THERE", "state": "loaded", "previous_event": "@event"}}),
    ("pickup-implied-custody", None, "@A",
     dict(action="pickup", provider="@A", receiver="@B", inputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10)),
     {"@R": {"accounting_quantity": "10", "onhand_quantity": "0", "primary_accountable": "@A",
             "custodian": "@B", "current_location": "@HERE"}}),
    ("dropoff-implied-custody", _pick, "@B",
     dict(action="dropoff", provider="@B", receiver="@C", outputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10), toLocation="@THERE",
          state="delivered"),
     {"@R": {"accounting_quantity": "10", "onhand_quantity": "10", "primary_accountable": "@A",
             "custodian": "@C", "current_location": "@THERE", "stage": "@sewing",
             "state": "delivered", "previous_event": "@event"}}),
    ("dropoff-back-to-owner", _pick, "@B",
     dict(action="dropoff", provider="@B", receiver="@A", outputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10000, "om2:gram")),
     {"@R": {**UNTOUCHED_R, "stage": "@sewing"}}),
    # accept / modify: same resource through repair; stage becomes the process's spec
    ("accept", None, "@A",
     dict(action="accept", provider="@A", receiver="@A", inputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10), state="dirty"),
     {"@R": {"accounting_quantity": "10", "onhand_quantity": "0", **MINE, "state": "dirty"}}),
    ("accept-implied-custody", None, "@A",
     dict(action="accept", provider="@A", receiver="@C", inputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10)),
     {"@R": {"onhand_quantity": "0", "primary_accountable": "@A", "custodian": "@C"}}),
    ("modify", _accept, "@A",
     dict(action="modify", provider="@A", receiver="@A", outputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10), state="clean",
          toLocation="@THERE"),
     {"@R": {**UNTOUCHED_R, "stage": "@sewing", "state": "clean",
             "current_location": "@THERE", "previous_event": "@event"}}),
    ("modify-implied-custody", _accept, "@A",
     dict(action="modify", provider="@A", receiver="@B", outputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10)),
     {"@R": {"onhand_quantity": "10", "primary_accountable": "@A", "custodian": "@B"}}),
    # combine / separate: containment
    ("combine", None, "@A",
     dict(action="combine", provider="@A", receiver="@A", inputOf="@P",
          resourceInventoriedAs="@R", toResourceInventoriedAs="@BOX",
          resourceQuantity=qty(10), state="packed"),
     {"@R": {"accounting_quantity": "10", "onhand_quantity": "0", "contained_in": "@BOX",
             "state": "packed", "previous_event": "@event"},
      "@BOX": {"accounting_quantity": "1", "onhand_quantity": "1", "contained_in": None}}),
    ("separate", _packed, "@A",
     dict(action="separate", provider="@A", receiver="@A", outputOf="@P",
          resourceInventoriedAs="@R", resourceQuantity=qty(10), state="unpacked"),
     {"@R": {**UNTOUCHED_R, "contained_in": None, "stage": "@sewing", "state": "unpacked",
             "previous_event": "@event"}}),
    ("separate-without-process", _packed, "@A",
     dict(action="separate", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty(10)),
     {"@R": {**UNTOUCHED_R, "contained_in": None, "stage": None}}),
    # transfer: rights and custody to the receiver, into a new or an existing resource
    ("transfer-new", None, "@A",
     dict(action="transfer", provider="@A", receiver="@B", resourceInventoriedAs="@R",
          resourceQuantity=qty(4), toLocation="@THERE", state="sold"),
     {"@R": {"accounting_quantity": "6", "onhand_quantity": "6", **MINE,
             "current_location": "@HERE", "state": None, "previous_event": "@event"},
      "@to": {"accounting_quantity": "4", "onhand_quantity": "4", "primary_accountable": "@B",
              "custodian": "@B", "current_location": "@THERE", "state": "sold",
              "conforms_to": "@cotton", "unit": "om2:kilogram", "name": "bale",
              "previous_event": "@event"}}),
    ("transfer-new-keeps-location", None, "@A",
     dict(action="transfer", provider="@A", receiver="@B", resourceInventoriedAs="@R",
          resourceQuantity=qty(4)),
     {"@to": {"current_location": "@HERE"}}),
    ("transfer-into-existing", None, "@A",
     dict(action="transfer", provider="@A", receiver="@B", resourceInventoriedAs="@R",
          toResourceInventoriedAs="@S", resourceQuantity=qty(4)),
     {"@R": {"accounting_quantity": "6", "onhand_quantity": "6"},
      "@S": {"accounting_quantity": "7", "onhand_quantity": "7", "primary_accountable": "@B",
             "custodian": "@B", "previous_event": "@event"}}),
    ("transfer-grams", None, "@A",
     dict(action="transfer", provider="@A", receiver="@B", resourceInventoriedAs="@R",
          toResourceInventoriedAs="@S", resourceQuantity=qty(250, "om2:gram")),
     {"@R": {"accounting_quantity": "9.75"}, "@S": {"accounting_quantity": "3.25"}}),
    ("transfer-signed-by-provider-to-organisation", None, "@A",
     dict(action="transfer", provider="@A", receiver="@C", resourceInventoriedAs="@R",
          resourceQuantity=qty(10)),
     {"@R": {"accounting_quantity": "0", "onhand_quantity": "0"},
      "@to": {"primary_accountable": "@C", "custodian": "@C", "accounting_quantity": "10"}}),
    # transferAllRights: rights only; the custodian keeps the goods
    ("transferAllRights", None, "@A",
     dict(action="transferAllRights", provider="@A", receiver="@B", resourceInventoriedAs="@R",
          resourceQuantity=qty(4), state="titled"),
     {"@R": {"accounting_quantity": "6", "onhand_quantity": "10", **MINE},
      "@to": {"accounting_quantity": "4", "onhand_quantity": "0", "primary_accountable": "@B",
              "custodian": "@A", "current_location": "@HERE", "state": "titled"}}),
    # transferCustody: custody only; the owner keeps the rights
    ("transferCustody", None, "@A",
     dict(action="transferCustody", provider="@A", receiver="@B", resourceInventoriedAs="@R",
          resourceQuantity=qty(4), toLocation="@THERE"),
     {"@R": {"accounting_quantity": "10", "onhand_quantity": "6", **MINE},
      "@to": {"accounting_quantity": "0", "onhand_quantity": "4", "primary_accountable": "@A",
              "custodian": "@B", "current_location": "@THERE"}}),
    # move: same agent, another place
    ("move", None, "@A",
     dict(action="move", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          resourceQuantity=qty(4), toLocation="@THERE"),
     {"@R": {"accounting_quantity": "6", "onhand_quantity": "6", **MINE,
             "current_location": "@HERE"},
      "@to": {"accounting_quantity": "4", "onhand_quantity": "4", **MINE,
              "current_location": "@THERE", "name": "bale"}}),
    ("move-whole-into-existing", None, "@A",
     dict(action="move", provider="@A", receiver="@A", resourceInventoriedAs="@R",
          toResourceInventoriedAs="@BALE2", resourceQuantity=qty(10), toLocation="@THERE"),
     {"@R": {"accounting_quantity": "0", "onhand_quantity": "0"},
      "@BALE2": {"accounting_quantity": "11", "onhand_quantity": "11", **MINE,
                 "current_location": "@THERE"}}),
    # copy: a new resource for the receiver, the original untouched
    ("copy", None, "@A",
     dict(action="copy", provider="@A", receiver="@B", resourceInventoriedAs="@R",
          resourceQuantity=qty(1), state="copied"),
     {"@R": {**UNTOUCHED_R, "previous_event": "@event"},
      "@to": {"accounting_quantity": "1", "onhand_quantity": "1", "primary_accountable": "@B",
              "custodian": "@B", "state": "copied", "name": "bale"}}),
    ("copy-into-existing", None, "@A",
     dict(action="copy", provider="@A", receiver="@B", resourceInventoriedAs="@R",
          toResourceInventoriedAs="@S", resourceQuantity=qty(2)),
     {"@R": UNTOUCHED_R, "@S": {"accounting_quantity": "5", "onhand_quantity": "5"}}),
]  # fmt: skip


def _with_second_bale(sc: Scene) -> None:
    sc.BALE2 = sc.raise_(sc.A, 1)  # type: ignore[attr-defined]


def _scene(store: SqlStore) -> Scene:
    sc = Scene(Ledger(store, NETWORK))
    _with_second_bale(sc)
    return sc


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Scene]:
    return make_template(tmp_path_factory.mktemp("effects"), _with_second_bale)


@pytest.fixture
def scene(template: tuple[Path, Scene], tmp_path: Path) -> Iterator[Scene]:
    """A fresh copy of the scene on SQLite for each case."""
    sc, store = copy_scene(template, tmp_path)
    yield sc
    store.close()


def _run(sc: Scene, prep: Prep, by: str, event: dict[str, Any]) -> None:
    if prep is not None:
        prep(sc)
    sc.event(by, **event)


@pytest.mark.parametrize(
    ("prep", "by", "event", "expected"),
    [row[1:] for row in EFFECTS],
    ids=[row[0] for row in EFFECTS],
)
def test_effect(
    scene: Scene,
    prep: Prep,
    by: str,
    event: dict[str, Any],
    expected: dict[str, dict[str, Any]],
) -> None:
    _run(scene, prep, by, event)
    sc = scene
    for rid, fields in expected.items():
        sc.check(rid, fields)


BACKEND_SUBSET = (
    "raise-grams-into-kg",
    "produce-implied-transfer",
    "dropoff-implied-custody",
    "separate",
    "transfer-into-existing",
    "transferCustody",
    "copy",
)


@pytest.mark.parametrize("name", BACKEND_SUBSET)
def test_effects_on_every_backend(store: SqlStore, name: str) -> None:
    _id, prep, by, event, expected = next(r for r in EFFECTS if r[0] == name)
    sc = _scene(store)
    _run(sc, prep, by, event)
    for rid, fields in expected.items():
        sc.check(rid, fields)


def test_every_action_has_an_effect_row() -> None:
    from reflow.vf.actions import ACTIONS

    covered = {row[3]["action"] for row in EFFECTS}
    assert covered == set(ACTIONS)


def test_event_breadcrumb_links_to_the_resources_previous_event(scene: Scene) -> None:
    sc = scene
    first = sc.res("@R").previous_event
    lowered = sc.event(
        "@A",
        action="lower",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(1),
    )["EconomicEvent"]
    assert sc.ev(lowered).previous_event == first
    sent = sc.event(
        "@A",
        action="transfer",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs="@R",
        toResourceInventoriedAs="@S",
        resourceQuantity=qty(1),
    )["EconomicEvent"]
    s_first = sc.store.event(sent)
    assert s_first is not None
    assert (s_first.previous_event, s_first.to_previous_event) == (
        lowered,
        sc.store.resource(sc.S).created_by,  # type: ignore[union-attr]
    )
    assert sc.res("@R").previous_event == sc.res("@S").previous_event == sent


def test_a_created_resource_starts_the_breadcrumb(scene: Scene) -> None:
    sc = scene
    made = sc.event(
        "@A",
        action="transfer",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(1),
    )
    ev = sc.ev(made["EconomicEvent"])
    assert ev.to_previous_event is None
    assert ev.to_resource_inventoried_as == made["toEconomicResource"]
    assert sc.res(made["toEconomicResource"]).created_by == ev.id


def test_new_resource_takes_identity_from_new_inventoried_resource(scene: Scene) -> None:
    sc = scene
    made = sc.event(
        "@A",
        {
            "name": "shirt",
            "note": "blue",
            "trackingIdentifier": "S-1",
            "currentLocation": "@THERE",
            "classifiedAs": ["https://x.org/shirt"],
        },
        action="produce",
        provider="@A",
        receiver="@A",
        outputOf="@P",
        resourceConformsTo="@cotton",
        resourceQuantity=qty(1),
    )
    sc.check(
        made["EconomicResource"],
        {
            "name": "shirt",
            "note": "blue",
            "tracking_identifier": "S-1",
            "current_location": "@THERE",
            "classified_as": ("https://x.org/shirt",),
        },
    )


def test_copied_and_transferred_resources_keep_the_source_identity(scene: Scene) -> None:
    sc = scene
    made = sc.event(
        "@A",
        {"name": "roll", "trackingIdentifier": "ROLL-9", "lot": None},
        action="raise",
        provider="@A",
        receiver="@A",
        resourceConformsTo="@cotton",
        resourceQuantity=qty(5),
    )["EconomicResource"]
    to = sc.event(
        "@A",
        action="transferAllRights",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs=made,
        resourceQuantity=qty(5),
    )["toEconomicResource"]
    sc.check(to, {"name": "roll", "tracking_identifier": "ROLL-9", "conforms_to": "@cotton"})


def test_counted_units_stay_in_their_unit(scene: Scene) -> None:
    sc = scene
    sc.event(
        "@A",
        action="raise",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs="@BOX",
        resourceQuantity=qty(2, ONE),
    )
    sc.check("@BOX", {"accounting_quantity": "3", "unit": ONE})


# -- containment: a container carries its contents ------------------------------------------


def _box_with_bale(sc: Scene) -> Scene:
    sc.pack("@R", "@BOX")
    return sc


def test_container_pickup_and_dropoff_carry_their_contents(scene: Scene) -> None:
    sc = _box_with_bale(scene)
    sc.event(
        "@A",
        action="pickup",
        provider="@A",
        receiver="@B",
        inputOf="@P",
        resourceInventoriedAs="@BOX",
        resourceQuantity=qty(1, ONE),
    )
    sc.check("@R", {"custodian": "@B", "primary_accountable": "@A", "contained_in": "@BOX"})
    sc.event(
        "@B",
        action="dropoff",
        provider="@B",
        receiver="@C",
        outputOf="@P",
        resourceInventoriedAs="@BOX",
        resourceQuantity=qty(1, ONE),
        toLocation="@THERE",
    )
    sc.check("@BOX", {"onhand_quantity": "1", "custodian": "@C", "current_location": "@THERE"})
    sc.check(
        "@R",
        {
            "custodian": "@C",
            "current_location": "@THERE",
            "contained_in": "@BOX",
            "primary_accountable": "@A",
            "accounting_quantity": "10",
        },
    )


def test_accepted_container_comes_back_modified_with_its_contents(scene: Scene) -> None:
    sc = _box_with_bale(scene)
    sc.event(
        "@A",
        action="accept",
        provider="@A",
        receiver="@A",
        inputOf="@Q",
        resourceInventoriedAs="@BOX",
        resourceQuantity=qty(1, ONE),
    )
    sc.event(
        "@A",
        action="modify",
        provider="@A",
        receiver="@A",
        outputOf="@Q",
        resourceInventoriedAs="@BOX",
        resourceQuantity=qty(1, ONE),
        toLocation="@THERE",
    )
    sc.check("@R", {"current_location": "@THERE", "contained_in": "@BOX"})


def test_moving_a_nested_container_moves_everything_inside(scene: Scene) -> None:
    sc = _box_with_bale(scene)
    crate = sc.raise_(sc.A, 1, spec=sc.boxes, unit=ONE, name="crate", location=sc.HERE)
    sc.pack("@BOX", crate)
    moved = sc.event(
        "@A",
        action="move",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs=crate,
        resourceQuantity=qty(1, ONE),
        toLocation="@THERE",
    )["toEconomicResource"]
    sc.check(crate, {"onhand_quantity": "0", "current_location": "@HERE"})
    sc.check(moved, {"onhand_quantity": "1", "current_location": "@THERE"})
    sc.check("@BOX", {"contained_in": moved, "current_location": "@THERE"})
    sc.check("@R", {"contained_in": "@BOX", "current_location": "@THERE"})


def test_transferring_a_container_transfers_what_it_holds(scene: Scene) -> None:
    sc = _box_with_bale(scene)
    to = sc.event(
        "@A",
        action="transfer",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs="@BOX",
        resourceQuantity=qty(1, ONE),
        toLocation="@THERE",
    )["toEconomicResource"]
    sc.check(
        "@R",
        {
            "contained_in": to,
            "primary_accountable": "@B",
            "custodian": "@B",
            "current_location": "@THERE",
        },
    )


def test_custodian_cannot_give_away_others_goods_by_packing_them(scene: Scene) -> None:
    sc = scene
    held = sc.event(
        "@A",
        action="transferCustody",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(10),
    )["toEconomicResource"]
    bobs_box = sc.raise_(sc.B, 1, spec=sc.boxes, unit=ONE)
    sc.pack(held, bobs_box, by=sc.B)
    sc.refuse(
        "@B",
        AuthorisationError,
        "event.resourceInventoriedAs",
        "contents-accountable",
        action="transfer",
        provider="@B",
        receiver="@C",
        resourceInventoriedAs=bobs_box,
        resourceQuantity=qty(1, ONE),
    )
    # custody of the box (and so of what Bob holds in it) may still pass on
    sc.event(
        "@B",
        action="transferCustody",
        provider="@B",
        receiver="@C",
        resourceInventoriedAs=bobs_box,
        resourceQuantity=qty(1, ONE),
    )
    sc.check(held, {"primary_accountable": "@A", "custodian": "@C"})


def test_separate_then_the_resource_is_free_again(scene: Scene) -> None:
    sc = _box_with_bale(scene)
    sc.event(
        "@A",
        action="separate",
        provider="@A",
        receiver="@A",
        outputOf="@Q",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(10),
    )
    sc.event(
        "@A",
        action="consume",
        provider="@A",
        receiver="@A",
        inputOf="@Q",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(1),
    )
    sc.event(
        "@A",
        action="lower",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs="@BOX",
        resourceQuantity=qty(1, ONE),
    )
    sc.check("@R", {"onhand_quantity": "9", "contained_in": None})
    sc.check("@BOX", {"onhand_quantity": "0"})


# -- corrections: undo the corrected event's own deltas, apply the new ones -------------------


def _raised(sc: Scene, amount: int = 10) -> tuple[str, str]:
    made = sc.event(
        "@A",
        action="raise",
        provider="@A",
        receiver="@A",
        resourceConformsTo="@cotton",
        resourceQuantity=qty(amount),
    )
    return made["EconomicEvent"], made["EconomicResource"]


@pytest.mark.parametrize(
    ("corrected", "expected"), [("12", "12"), ("7", "7"), ("0", "0"), ("10", "10")]
)
def test_correcting_a_raise_replaces_its_quantity(
    scene: Scene, corrected: str, expected: str
) -> None:
    sc = scene
    eid, rid = _raised(sc)
    fix = sc.event(
        "@A",
        action="raise",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs=rid,
        resourceQuantity=qty(corrected),
        corrects=eid,
    )["EconomicEvent"]
    sc.check(rid, {"accounting_quantity": expected, "onhand_quantity": expected})
    assert sc.ev(eid).corrected_by == fix
    assert sc.ev(fix).corrects == eid


def test_correcting_in_another_unit_converts(scene: Scene) -> None:
    sc = scene
    eid, rid = _raised(sc)
    sc.event(
        "@A",
        action="raise",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs=rid,
        resourceQuantity=qty(9500, "om2:gram"),
        corrects=eid,
    )
    sc.check(rid, {"accounting_quantity": "9.5"})


def test_correcting_a_transfer_moves_the_difference_back(scene: Scene) -> None:
    """Between Alice's own resources a transfer corrected from 4 to 3 moves 1 back."""
    sc = scene
    sent = sc.event("@A", action="transfer", provider="@A", receiver="@A",
                    resourceInventoriedAs="@R", resourceQuantity=qty(4))  # fmt: skip
    sc.event("@A", action="transfer", provider="@A", receiver="@A", resourceInventoriedAs="@R",
             toResourceInventoriedAs=sent["toEconomicResource"], resourceQuantity=qty(3),
             corrects=sent["EconomicEvent"])  # fmt: skip
    sc.check("@R", {"accounting_quantity": "7", "onhand_quantity": "7"})
    sc.check(sent["toEconomicResource"], {"accounting_quantity": "3", "onhand_quantity": "3",
                                          "primary_accountable": "@A"})  # fmt: skip


def test_correcting_a_correction_applies_only_the_last(scene: Scene) -> None:
    sc = scene
    low = sc.event(
        "@A",
        action="lower",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(4),
    )["EconomicEvent"]
    fix = sc.event(
        "@A",
        action="lower",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(2),
        corrects=low,
    )["EconomicEvent"]
    sc.event(
        "@A",
        action="lower",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(1),
        corrects=fix,
    )
    sc.check("@R", {"accounting_quantity": "9", "onhand_quantity": "9"})


def test_correction_may_pass_through_below_zero_if_it_ends_above(scene: Scene) -> None:
    """Raise 10, give 5 away, then correct the raise to 9: 4 are left, never less than zero."""
    sc = scene
    eid, rid = _raised(sc)
    sc.event(
        "@A",
        action="transfer",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs=rid,
        resourceQuantity=qty(5),
    )
    sc.event(
        "@A",
        action="raise",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs=rid,
        resourceQuantity=qty(9),
        corrects=eid,
    )
    sc.check(rid, {"accounting_quantity": "4", "onhand_quantity": "4"})


def test_correction_refusals_change_nothing(scene: Scene) -> None:
    sc = scene
    eid, rid = _raised(sc)
    sent = sc.event(
        "@A",
        action="transfer",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs=rid,
        resourceQuantity=qty(5),
    )
    fix = dict(
        action="raise", provider="@A", receiver="@A", resourceInventoriedAs=rid, corrects=eid
    )
    # the 5 given away are gone: the raise cannot be corrected below 5
    sc.refuse(
        "@A",
        RuleViolation,
        "event.resourceQuantity",
        "no-negative-quantity",
        resourceQuantity=qty(4),
        **fix,
    )
    sc.refuse(
        "@A",
        RuleViolation,
        "event.action",
        "correction-same-event",
        **{**fix, "action": "lower"},
        resourceQuantity=qty(9),
    )
    sc.refuse(
        "@A",
        RuleViolation,
        "event.resourceInventoriedAs",
        "correction-same-event",
        **{**fix, "resourceInventoriedAs": sc.R},
        resourceQuantity=qty(9),
    )
    sc.refuse(
        "@B",
        AuthorisationError,
        "event.corrects",
        "author-corrects",
        **{**fix, "provider": "@B", "receiver": "@B"},
        resourceQuantity=qty(9),
    )
    sc.event("@A", resourceQuantity=qty(9), **fix)
    sc.refuse(
        "@A", ConflictError, "event.corrects", "corrected-once", resourceQuantity=qty(8), **fix
    )
    # Bob used what he received: the transfer cannot be taken back any more
    sc.event(
        "@B",
        action="consume",
        provider="@B",
        receiver="@B",
        inputOf="@P",
        resourceInventoriedAs=sent["toEconomicResource"],
        resourceQuantity=qty(2),
    )
    sc.refuse(
        "@A",
        RuleViolation,
        "event.corrects",
        "no-negative-quantity",
        action="transfer",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs=rid,
        toResourceInventoriedAs=sent["toEconomicResource"],
        resourceQuantity=qty(0),
        corrects=sent["EconomicEvent"],
    )
    sc.refuse(
        "@A",
        RuleViolation,
        "event.toResourceInventoriedAs",
        "correction-same-event",
        action="transfer",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs=rid,
        resourceQuantity=qty(4),
        corrects=sent["EconomicEvent"],
    )
    sc.check(rid, {"accounting_quantity": "4"})


def test_rebuild_after_containment_and_corrections_matches_live(store: SqlStore) -> None:
    from reflow.store.rebuild import rebuild

    sc = _box_with_bale(_scene(store))
    sc.event(
        "@A",
        action="pickup",
        provider="@A",
        receiver="@B",
        inputOf="@P",
        resourceInventoriedAs="@BOX",
        resourceQuantity=qty(1, ONE),
    )
    sc.event(
        "@B",
        action="dropoff",
        provider="@B",
        receiver="@A",
        outputOf="@P",
        resourceInventoriedAs="@BOX",
        resourceQuantity=qty(1, ONE),
        toLocation="@THERE",
    )
    eid, rid = _raised(sc)
    sc.event(
        "@A",
        action="transfer",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs=rid,
        resourceQuantity=qty(5),
    )
    sc.event(
        "@A",
        action="raise",
        provider="@A",
        receiver="@A",
        resourceInventoriedAs=rid,
        resourceQuantity=qty(9),
        corrects=eid,
    )
    live = core_digest(store)
    rebuild(store, NETWORK)
    assert core_digest(store) == live


def test_a_correction_cannot_take_back_what_another_agent_now_holds(scene: Scene) -> None:
    """Corrections follow the same authorisation as events: only the holder may be decremented.

    Alice sent Bob 5 kg; correcting it to 2 kg would take 3 kg out of Bob's resource without Bob.
    Bob can send them back; Alice may still correct upwards (she gives more of her own).
    """
    sc = scene
    sent = sc.event("@A", action="transfer", provider="@A", receiver="@B",
                    resourceInventoriedAs="@R", resourceQuantity=qty(5))  # fmt: skip
    fix = dict(action="transfer", provider="@A", receiver="@B", resourceInventoriedAs="@R",
               toResourceInventoriedAs=sent["toEconomicResource"],
               corrects=sent["EconomicEvent"])  # fmt: skip
    sc.refuse("@A", AuthorisationError, "event.corrects", "correction-takes-own",
              resourceQuantity=qty(2), **fix)  # fmt: skip
    sc.event("@A", resourceQuantity=qty(7), **fix)
    sc.check("@R", {"accounting_quantity": "3"})
    sc.check(sent["toEconomicResource"], {"accounting_quantity": "7", "primary_accountable": "@B"})


def test_a_correction_cannot_add_to_a_receiving_resource_another_agent_now_keeps(
    scene: Scene,
) -> None:
    """A corrected transfer meets the rules of the receiving resource *now*: Alice sent
    herself 4 kg, then handed the new resource to Bob to carry; correcting the transfer to 6 kg
    would put 2 kg more into what Bob keeps, without Bob. Once Bob hands it back, she may."""
    sc = scene
    sent = sc.event("@A", action="transfer", provider="@A", receiver="@A",
                    resourceInventoriedAs="@R", resourceQuantity=qty(4))  # fmt: skip
    to = sent["toEconomicResource"]
    sc.event("@A", action="pickup", provider="@A", receiver="@B", inputOf="@P",
             resourceInventoriedAs=to, resourceQuantity=qty(4))  # fmt: skip
    fix = dict(action="transfer", provider="@A", receiver="@A", resourceInventoriedAs="@R",
               toResourceInventoriedAs=to, corrects=sent["EconomicEvent"])  # fmt: skip
    sc.refuse("@A", AuthorisationError, "event.toResourceInventoriedAs", "receiver-holds-to",
              resourceQuantity=qty(6), **fix)  # fmt: skip
    sc.event("@B", action="dropoff", provider="@B", receiver="@A", outputOf="@P",
             resourceInventoriedAs=to, resourceQuantity=qty(4))  # fmt: skip
    sc.event("@A", resourceQuantity=qty(6), **fix)
    sc.check(to, {"accounting_quantity": "6", "onhand_quantity": "6", "custodian": "@A"})


def test_a_corrected_dropoff_still_returns_what_its_pickup_took(scene: Scene) -> None:
    """Pairing holds through corrections: a dropoff corrected to another quantity than its
    pickup's is refused; correcting the pickup first, then the dropoff to match, is allowed."""
    sc = scene
    picked = _pick(sc, to="@A")["EconomicEvent"]  # type: ignore[index]
    drop = dict(action="dropoff", provider="@A", receiver="@A", outputOf="@P",
                resourceInventoriedAs="@R")  # fmt: skip
    dropped = sc.event("@A", **drop, resourceQuantity=qty(10))["EconomicEvent"]
    sc.refuse("@A", RuleViolation, "event.resourceQuantity", "paired-quantity",
              **drop, resourceQuantity=qty(8), corrects=dropped)  # fmt: skip
    sc.event("@A", action="pickup", provider="@A", receiver="@A", inputOf="@P",
             resourceInventoriedAs="@R", resourceQuantity=qty(8), corrects=picked)  # fmt: skip
    sc.event("@A", **drop, resourceQuantity=qty(8), corrects=dropped)
    sc.check("@R", {"accounting_quantity": "10", "onhand_quantity": "10"})


def test_an_event_on_a_resource_packed_since_cannot_be_corrected_alone(scene: Scene) -> None:
    """A packed resource moves only with its container: correcting an earlier consume of it
    would take from it alone, so it must be separated first."""
    sc = scene
    used = sc.event("@A", action="consume", provider="@A", receiver="@A", inputOf="@P",
                    resourceInventoriedAs="@R", resourceQuantity=qty(2))["EconomicEvent"]
    sc.pack("@R", "@BOX")
    sc.refuse("@A", RuleViolation, "event.resourceInventoriedAs", "contained-resource",
              action="consume", provider="@A", receiver="@A", inputOf="@P",
              resourceInventoriedAs="@R", resourceQuantity=qty(3), corrects=used)  # fmt: skip
