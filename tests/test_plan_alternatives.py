"""More than one recipe for the same output: the planner chooses, and says why.

Panels can be pressed from textile fibre (the textile recipe) or felted from wool. The planner
prefers the recipe whose needs the network can meet from inventory and people's offers, then the
one that is not late, then the one drawing on nearer inventory; every choice is kept in the
plan's summary with the figures of each alternative, and on the output's commitment.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from plan_scene import NOW, Scene, days, hours, qty, textile

from reflow.node import Node
from reflow.plan import service


def _felting(s: Scene, ids: dict[str, str], duration_days: int, wool_kg: int) -> None:
    """A second recipe for panels: felt 5 kg of wool per panel (0.2 h of felting each), with
    a felter offering 30 hours and ``wool_kg`` of wool 20 km north of the hub."""
    ids["wool"] = s.spec("wool")
    ids["felting"] = s.spec("felting (skill)")
    body = {
        "recipe": {"name": "felted panels", "primaryOutput": ids["panel"]},
        "processes": [{"key": "felt", "name": "felt panels", "hasDuration": days(duration_days)}],
        "flows": [
            {"action": "consume", "recipeInputOf": "felt", "resourceConformsTo": ids["wool"],
             "resourceQuantity": qty(5)},
            {"action": "work", "recipeInputOf": "felt", "resourceConformsTo": ids["felting"],
             "effortQuantity": hours("0.2")},
            {"action": "produce", "recipeOutputOf": "felt", "resourceConformsTo": ids["panel"],
             "resourceQuantity": qty(1, "om2:one")},
        ],
    }  # fmt: skip
    service.define_recipe(s.node, s.keys[s.coord], body)
    farm = s.agent("Sheep farm", "Organization")
    s.stock(farm, ids["wool"], wool_kg, s.place(farm, "farm", "52.5500", "4.9000"))
    felter = s.agent("Fenna")
    s.offer_work(felter, ids["felting"], 30, s.place(felter, "Fenna", "52.3750", "4.9"),
                 NOW, NOW + timedelta(days=30))  # fmt: skip


def _plan(s: Scene, ids: dict[str, str], panels: int) -> tuple[dict, dict]:
    out = service.plan_from_demand(
        s.node, s.keys[s.coord], ids["panel"], qty(panels, "om2:one"), NOW + timedelta(days=10),
        s.hub, now=NOW, publish=False,
    )  # fmt: skip
    return out, service.show(s.node.store, out["plan"])


def test_the_recipe_the_network_can_supply_is_chosen(node: Node) -> None:
    """50 panels: by the textile recipe 50 kg of garments are missing; the farm has the 250 kg
    of wool felting needs, and Fenna the 10 hours. Felting is chosen, and the plan says why."""
    s, ids = textile(node)
    _felting(s, ids, duration_days=1, wool_kg=300)
    out, shown = _plan(s, ids, 50)
    [choice] = out["recipeChoices"]
    assert (choice["spec"], choice["chosen"]["name"]) == (ids["panel"], "felt panels")
    assert "inventory and people's offers" in choice["why"]
    [other] = choice["alternatives"]
    assert other["name"] == "press panels"
    assert other["missing"] == [{"spec": ids["garments"], "quantity": "50", "unit": "om2:kilogram"}]
    assert choice["chosen"]["missing"] == [] and choice["chosen"]["hoursShort"] == {}
    names = {p["name"] for p in shown["processes"]}
    assert "felt panels" in names and not names & {"press panels", "sort", "shred into fibre"}
    felt = next(p for p in shown["processes"] if p["name"] == "felt panels")
    made = next(c for c in felt["commitments"] if c["role"] == "output")
    assert made["explanation"]["alternatives"] == ["press panels"]
    assert made["explanation"]["recipeChoice"] == choice["why"]
    wool = next(n for n in out["netting"] if n["spec"] == ids["wool"])
    assert (wool["gross"], wool["netted"]) == ("250", "250")
    assert not out["unmet"]


@pytest.mark.parametrize(
    ("felting_days", "reason"),
    [
        (12, "felt panels would be late by 48.0 h"),  # both can be supplied: lateness decides
        (1, "draws on inventory"),  # both in time: the nearer inventory decides
    ],
)
def test_lateness_then_distance_decide_between_recipes_that_can_both_be_supplied(
    node: Node, felting_days: int, reason: str
) -> None:
    """10 panels: the 80 kg of fibre 2 km away cover the textile recipe, the wool 20 km away
    the felting one."""
    s, ids = textile(node)
    _felting(s, ids, duration_days=felting_days, wool_kg=300)
    out, shown = _plan(s, ids, 10)
    [choice] = out["recipeChoices"]
    assert choice["chosen"]["name"] == "press panels"
    assert reason in choice["why"]
    assert "felt panels" not in {p["name"] for p in shown["processes"]}
    assert out["lateByHours"] == "0"


def test_a_recipe_that_would_make_a_thing_from_itself_is_left_out_when_another_makes_it(
    node: Node,
) -> None:
    """a is made from b; b is made from a (a loop) or from c: planning a uses the second."""
    s = Scene(node)
    a, b, c = s.spec("a"), s.spec("b"), s.spec("c")
    for name, out, inp in (("a from b", a, b), ("b from a", b, a), ("b from c", b, c)):
        body = {
            "recipe": {"name": name, "primaryOutput": out},
            "processes": [{"key": "p", "name": name, "hasDuration": hours(1)}],
            "flows": [
                {"action": "consume", "recipeInputOf": "p", "resourceConformsTo": inp,
                 "resourceQuantity": qty(1)},
                {"action": "produce", "recipeOutputOf": "p", "resourceConformsTo": out,
                 "resourceQuantity": qty(1)},
            ],
        }  # fmt: skip
        service.define_recipe(node, s.keys[s.coord], body)
    out = service.plan_from_demand(
        node, s.keys[s.coord], a, qty(1), NOW + timedelta(days=1), now=NOW, publish=False
    )
    shown = service.show(node.store, out["plan"])
    assert sorted(p["name"] for p in shown["processes"]) == ["a from b", "b from c"]
    assert [u["spec"] for u in out["unmet"]] == [c]


def test_a_revision_goes_on_with_the_recipe_under_way(node: Node) -> None:
    """Felting was chosen and Fenna accepted her hours. More fibre comes in, so pressing
    (nearer) would now win a fresh choice; the revision goes on with the felting instead of
    starting over with the other recipe."""
    s, ids = textile(node)
    _felting(s, ids, duration_days=1, wool_kg=300)
    out, shown = _plan(s, ids, 50)
    felt = next(p for p in shown["processes"] if p["name"] == "felt panels")
    [fenna] = [c for c in felt["commitments"] if c["role"] == "work"]
    service.accept(node, s.keys[fenna["provider"]], fenna["id"])
    depot = s.agent("Second fibre store", "Organization")
    s.stock(depot, ids["fibre"], 120, s.place(depot, "depot 2", "52.3900", "4.9010"))

    again = service.replan(node, s.keys[s.coord], out["plan"], now=NOW, publish=False)
    assert again["recipeChoices"] == [] and again["cancelled"] == 0
    after = service.show(node.store, out["plan"])
    names = [p["name"] for p in after["processes"]]
    assert "felt panels" in names and "press panels" not in names
    kept = [c for p in after["processes"] for c in p["commitments"] if c["role"] == "work"]
    assert [c["id"] for c in kept] == [fenna["id"]]
