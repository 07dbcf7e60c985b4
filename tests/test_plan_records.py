"""The plan record kinds refuse what they cannot stand behind, naming the field and the rule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from plan_scene import NOW, Scene, iso, qty, sqlite_node_at, textile

from reflow.errors import AuthorisationError, NotFound, RuleViolation
from reflow.node import Node
from reflow.plan import service


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[Node]:
    yield from sqlite_node_at(tmp_path)


def _body(s: Scene, spec: str, **demand: object) -> dict:
    return {
        "plan": {"name": "p"},
        "demand": {
            "spec": spec,
            "quantity": qty(1),
            "due": iso(NOW),
            "receiver": s.coord,
            **demand,
        },
        "plannedAt": iso(NOW),
        "summary": {},
        "processes": [],
        "commitments": [],
    }


def test_a_plan_for_an_unknown_spec_or_receiver_is_refused(lite: Node) -> None:
    s = Scene(lite)
    with pytest.raises(NotFound) as err:
        lite.submit(s.keys[s.coord], "plan.create", _body(s, "nope"))
    assert err.value.field == "body.demand.spec"
    spec = s.spec("thing")
    with pytest.raises(NotFound) as err:
        lite.submit(s.keys[s.coord], "plan.create", _body(s, spec, receiver="nobody"))
    assert err.value.field == "body.demand.receiver"
    with pytest.raises(RuleViolation) as err:
        lite.submit(s.keys[s.coord], "plan.create", _body(s, spec, due="soon"))
    assert (err.value.field, err.value.rule) == ("body.demand.due", "type")


def test_a_commitment_on_a_process_of_another_plan_is_refused(lite: Node) -> None:
    s = Scene(lite)
    spec = s.spec("thing")
    body = _body(s, spec)
    body["commitments"] = [
        {
            "key": "c",
            "role": "input",
            "process": "elsewhere",
            "side": "input",
            "data": {
                "action": "consume",
                "provider": s.coord,
                "receiver": s.coord,
                "resourceConformsTo": spec,
                "resourceQuantity": qty(1),
                "due": iso(NOW),
            },
        }
    ]
    with pytest.raises(NotFound) as err:
        lite.submit(s.keys[s.coord], "plan.create", body)
    assert err.value.field == "body.commitments[0].process"


def test_only_the_plans_author_revises_it(lite: Node) -> None:
    s, ids = textile(lite)
    out = service.plan_from_demand(
        lite,
        s.keys[s.coord],
        ids["panel"],
        qty(5, "om2:one"),
        NOW + timedelta(days=10),
        s.hub,
        now=NOW,
        publish=False,
    )
    with pytest.raises(AuthorisationError) as err:
        service.replan(lite, s.keys[ids["presser"]], out["plan"], now=NOW, publish=False)
    assert (err.value.field, err.value.rule) == ("body.plan", "plan-author")


def test_the_same_inputs_give_the_same_plan_record(node: Node) -> None:
    """The solver runs on a fixed seed and a deterministic budget, and its wall time is only
    reported: planning twice from the same state drafts the same record body, and the record
    signed is that body."""
    s, ids = textile(node)
    args = (node, s.keys[s.coord], ids["panel"], qty(50, "om2:one"), NOW + timedelta(days=10))
    first, _ = service.draft_plan(*args, s.hub, now=NOW)
    second, _ = service.draft_plan(*args, s.hub, now=NOW)
    assert first == second
    assert "seconds" not in json.dumps(first)
    out = service.plan_from_demand(*args, s.hub, now=NOW, publish=False)
    assert float(out["solver"]["seconds"]) >= 0 and set(out["phases"]) >= {"assign", "record"}
    record = node.store.get_record(service.show(node.store, out["plan"])["record"])
    assert record is not None and record.body == first
