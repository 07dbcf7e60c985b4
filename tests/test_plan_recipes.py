"""Recipes: defined whole in one record, refused with the field and the rule when malformed,
and exploded so that a sub-assembly needed in two places is made once, for the sum."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from plan_scene import NOW, Scene, days, hours, qty, sqlite_node_at

from reflow.errors import NotFound, ReflowError, RuleViolation
from reflow.node import Node
from reflow.plan import service


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Node]:
    yield from sqlite_node_at(tmp_path)


def _simple(s: Scene) -> tuple[dict, dict[str, str]]:
    ids = {"out": s.spec("bench"), "wood": s.spec("wood"), "skill": s.spec("joinery")}
    body = {
        "recipe": {"name": "bench", "primaryOutput": ids["out"]},
        "processes": [{"key": "make", "name": "make bench", "hasDuration": hours(4)}],
        "flows": [
            {
                "action": "consume",
                "recipeInputOf": "make",
                "resourceConformsTo": ids["wood"],
                "resourceQuantity": qty(10),
            },
            {
                "action": "work",
                "recipeInputOf": "make",
                "resourceConformsTo": ids["skill"],
                "effortQuantity": hours(2),
            },
            {
                "action": "produce",
                "recipeOutputOf": "make",
                "resourceConformsTo": ids["out"],
                "resourceQuantity": qty(1, "om2:one"),
            },
        ],
    }
    return body, ids


def test_a_recipe_is_defined_whole_and_read_back(node: Node) -> None:
    s = Scene(node)
    body, ids = _simple(s)
    out = service.define_recipe(node, s.keys[s.coord], body)
    recipe = service.recipe(node.store, out["recipe"])
    assert recipe["primaryOutput"] == ids["out"]
    [proc] = recipe["processes"]
    assert (proc["name"], proc["hasDuration"]) == ("make bench", hours(4))
    assert sorted(f["action"] for f in proc["flows"]) == ["consume", "produce", "work"]
    assert all(
        proc["id"] in (f.get("recipeInputOf"), f.get("recipeOutputOf")) for f in proc["flows"]
    )


def _break(body: dict, how: str, ids: dict[str, str]) -> dict:
    b = copy.deepcopy(body)
    if how == "no-quantity":
        del b["flows"][0]["resourceQuantity"]
    elif how == "no-process":
        del b["flows"][0]["recipeInputOf"]
    elif how == "unknown-process":
        b["flows"][0]["recipeInputOf"] = "nowhere"
    elif how == "output-without-process":
        b["flows"][2]["resourceConformsTo"] = ids["wood"]
    elif how == "cycle":
        b["processes"].append({"key": "back", "name": "unmake", "hasDuration": hours(1)})
        b["flows"] += [
            {
                "action": "consume",
                "recipeInputOf": "back",
                "resourceConformsTo": ids["out"],
                "resourceQuantity": qty(1, "om2:one"),
            },
            {
                "action": "produce",
                "recipeOutputOf": "back",
                "resourceConformsTo": ids["wood"],
                "resourceQuantity": qty(10),
            },
        ]
    elif how == "no-duration":
        del b["processes"][0]["hasDuration"]
    elif how == "duration-not-time":
        b["processes"][0]["hasDuration"] = qty(3)
    return b


@pytest.mark.parametrize(
    ("how", "field", "rule"),
    [
        ("no-quantity", "body.flows[0].resourceQuantity", "flow-quantity"),
        ("no-process", "body.flows[0].recipeInputOf", "flow-on-process"),
        ("unknown-process", "body.flows[0].recipeInputOf", None),
        ("output-without-process", "body.recipe.primaryOutput", "output-has-process"),
        ("cycle", "body.flows", "no-cycle"),
        ("no-duration", "body.processes[0].hasDuration", "required"),
        ("duration-not-time", "body.processes[0].hasDuration", "time-unit"),
    ],
)
def test_a_malformed_recipe_is_refused_naming_field_and_rule(
    lite: Node, how: str, field: str, rule: str | None
) -> None:
    s = Scene(lite)
    body, ids = _simple(s)
    with pytest.raises(ReflowError) as err:
        service.define_recipe(lite, s.keys[s.coord], _break(body, how, ids))
    assert err.value.field == field
    if rule is None:
        assert isinstance(err.value, NotFound)
    else:
        assert isinstance(err.value, RuleViolation | ReflowError) and err.value.rule == rule
    assert lite.store.objects_of_type("Recipe") == []


def test_a_sub_assembly_needed_twice_is_made_once_for_the_sum(node: Node) -> None:
    """A chair needs a frame (2 joints) and a back (3 joints): 10 chairs need 50 joints, made
    by one process that ends before the earlier of its two consumers begins."""
    s = Scene(node)
    ids = {n: s.spec(n) for n in ("chair", "frame", "back", "joint", "oak")}
    one = "om2:one"
    body = {
        "recipe": {"name": "chair", "primaryOutput": ids["chair"]},
        "processes": [
            {"key": "assemble", "name": "assemble", "hasDuration": days(1)},
            {"key": "frame", "name": "make frame", "hasDuration": days(2)},
            {"key": "back", "name": "make back", "hasDuration": days(1)},
            {"key": "joint", "name": "cut joints", "hasDuration": days(1)},
        ],
        "flows": [
            {
                "action": "consume",
                "recipeInputOf": "assemble",
                "resourceConformsTo": ids["frame"],
                "resourceQuantity": qty(1, one),
            },
            {
                "action": "consume",
                "recipeInputOf": "assemble",
                "resourceConformsTo": ids["back"],
                "resourceQuantity": qty(1, one),
            },
            {
                "action": "produce",
                "recipeOutputOf": "assemble",
                "resourceConformsTo": ids["chair"],
                "resourceQuantity": qty(1, one),
            },
            {
                "action": "consume",
                "recipeInputOf": "frame",
                "resourceConformsTo": ids["joint"],
                "resourceQuantity": qty(2, one),
            },
            {
                "action": "produce",
                "recipeOutputOf": "frame",
                "resourceConformsTo": ids["frame"],
                "resourceQuantity": qty(1, one),
            },
            {
                "action": "consume",
                "recipeInputOf": "back",
                "resourceConformsTo": ids["joint"],
                "resourceQuantity": qty(3, one),
            },
            {
                "action": "produce",
                "recipeOutputOf": "back",
                "resourceConformsTo": ids["back"],
                "resourceQuantity": qty(1, one),
            },
            {
                "action": "consume",
                "recipeInputOf": "joint",
                "resourceConformsTo": ids["oak"],
                "resourceQuantity": qty("0.5"),
            },
            {
                "action": "produce",
                "recipeOutputOf": "joint",
                "resourceConformsTo": ids["joint"],
                "resourceQuantity": qty(1, one),
            },
        ],
    }
    service.define_recipe(node, s.keys[s.coord], body)
    s.stock(s.coord, ids["joint"], 4, s.hub, one)  # 4 joints on hand at the hub
    out = service.plan_from_demand(
        node,
        s.keys[s.coord],
        ids["chair"],
        qty(10, one),
        NOW + timedelta(days=10),
        s.hub,
        now=NOW,
        publish=False,
    )
    joints = next(n for n in out["netting"] if n["spec"] == ids["joint"])
    assert (joints["gross"], joints["netted"], joints["net"]) == ("50", "4", "46")
    oak = next(n for n in out["netting"] if n["spec"] == ids["oak"])
    assert oak["gross"] == "23"
    show = service.show(node.store, out["plan"])
    procs = {p["name"]: p for p in show["processes"]}
    assert [p["name"] for p in show["processes"]].count("cut joints") == 1
    assert procs["cut joints"]["ends"] == procs["make frame"]["begins"]  # the earlier consumer
    made = next(c for c in procs["cut joints"]["commitments"] if c["role"] == "output")
    assert made["quantity"] == "46"
    assert out["criticalPath"] == ["cut joints", "make frame", "assemble"]


def test_a_cycle_through_two_recipes_is_refused_when_planning(lite: Node) -> None:
    s = Scene(lite)
    a, b = s.spec("a"), s.spec("b")
    for out, inp in ((a, b), (b, a)):
        body = {
            "recipe": {"name": "r", "primaryOutput": out},
            "processes": [{"key": "p", "name": "p", "hasDuration": hours(1)}],
            "flows": [
                {
                    "action": "consume",
                    "recipeInputOf": "p",
                    "resourceConformsTo": inp,
                    "resourceQuantity": qty(1),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "p",
                    "resourceConformsTo": out,
                    "resourceQuantity": qty(1),
                },
            ],
        }
        service.define_recipe(lite, s.keys[s.coord], body)
    with pytest.raises(RuleViolation) as err:
        service.plan_from_demand(
            lite, s.keys[s.coord], a, qty(1), NOW + timedelta(days=1), now=NOW, publish=False
        )
    assert (err.value.field, err.value.rule) == ("spec", "no-cycle")


def test_an_input_named_by_class_is_netted_by_class_and_requested_by_class(node: Node) -> None:
    """Felt is pressed from any textile fibre: wool (its spec is classified so) and a lot
    classified fibre itself both count; what is still missing is asked for by the class."""
    s = Scene(node)
    fibre = "urn:reflow:textile-fibre"
    felt = s.spec("felt")
    wool = s.spec("wool", resourceClassifiedAs=[fibre])
    mixed = s.spec("mixed scraps")
    body = {
        "recipe": {"name": "felt", "primaryOutput": felt},
        "processes": [{"key": "press", "name": "press felt", "hasDuration": hours(2)}],
        "flows": [
            {
                "action": "consume",
                "recipeInputOf": "press",
                "resourceClassifiedAs": [fibre],
                "resourceQuantity": qty(2),
            },
            {
                "action": "produce",
                "recipeOutputOf": "press",
                "resourceConformsTo": felt,
                "resourceQuantity": qty(1),
            },
        ],
    }
    service.define_recipe(node, s.keys[s.coord], body)
    s.stock(s.coord, wool, 5, s.hub)
    s.stock(s.coord, mixed, 3, s.hub, classes=[fibre])
    s.stock(s.coord, mixed, 50, s.hub)  # not classified fibre: does not count
    out = service.plan_from_demand(
        node, s.keys[s.coord], felt, qty(10), NOW + timedelta(days=5), s.hub, now=NOW
    )
    need = next(n for n in out["netting"] if n["spec"] == f"class:{fibre}")
    assert (need["gross"], need["netted"], need["net"]) == ("20", "8", "12")
    [unmet] = out["unmet"]
    assert (unmet["classes"], unmet["quantity"]) == ([fibre], "12")
    show = service.show(node.store, out["plan"])
    supplies = [c for c in show["loose"] if c["role"] == "supply"]
    assert sorted(c["spec"] for c in supplies) == sorted([wool, mixed])


def test_a_recipe_exchange_groups_flows_by_its_key(node: Node) -> None:
    s = Scene(node)
    body, _ids = _simple(s)
    body["exchanges"] = [{"key": "buy", "name": "buy the wood"}]
    body["flows"][0]["recipeClauseOf"] = "buy"
    out = service.define_recipe(node, s.keys[s.coord], body)
    flows = service.recipe(node.store, out["recipe"])["processes"][0]["flows"]
    [clause] = [f["recipeClauseOf"] for f in flows if f.get("recipeClauseOf")]
    exchange = node.store.object(clause)
    assert (exchange.type, exchange.data["name"]) == ("RecipeExchange", "buy the wood")
    body["flows"][0]["recipeClauseOf"] = "sell"
    with pytest.raises(NotFound) as err:
        service.define_recipe(node, s.keys[s.coord], body)
    assert err.value.field == "body.flows[0].recipeClauseOf"
