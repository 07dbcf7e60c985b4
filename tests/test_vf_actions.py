"""The action table must equal the VF 1.0 ontology, property by property and action by action."""

from __future__ import annotations

from pathlib import Path

import pytest

from reflow.errors import RuleViolation
from reflow.vf.actions import ACTIONS, LEGACY_IDS, Action, get_action

TTL = Path(__file__).resolve().parents[2] / "shared" / "vf" / "all_vf.ttl"

if not TTL.exists():  # pragma: no cover - depends on the checkout
    pytest.skip(f"VF ontology not found at {TTL}", allow_module_level=True)

rdflib = pytest.importorskip("rdflib")

VF = rdflib.Namespace("https://w3id.org/valueflows/ont/vf#")
VS = rdflib.Namespace("http://www.w3.org/2003/06/sw-vocab-status/ns#")

#: Action field -> TTL behaviour property (the 11 of them).
BEHAVIOUR = {
    "input_output": "inputOutput",
    "pairs_with": "pairsWith",
    "create_resource": "createResource",
    "event_quantity": "eventQuantity",
    "accounting_effect": "accountingEffect",
    "onhand_effect": "onhandEffect",
    "location_effect": "locationEffect",
    "contained_effect": "containedEffect",
    "accountable_effect": "accountableEffect",
    "stage_effect": "stageEffect",
    "state_effect": "stateEffect",
}


def _load() -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(TTL, format="turtle")
    return graph


GRAPH = _load()
TTL_ACTIONS = sorted(
    str(s).removeprefix(str(VF)) for s in GRAPH.subjects(rdflib.RDF.type, VF.Action)
)


def _single(subject: rdflib.term.Node, predicate: rdflib.term.Node) -> rdflib.term.Node:
    values = list(GRAPH.objects(subject, predicate))
    assert len(values) == 1, f"{subject} {predicate}: expected one value, got {values}"
    return values[0]


def _local(node: rdflib.term.Node) -> str | None:
    name = str(node).removeprefix(str(VF))
    return None if name == "notApplicable" else name


def test_ontology_has_19_actions() -> None:
    assert len(TTL_ACTIONS) == 19


def test_table_has_exactly_the_ontology_actions() -> None:
    assert sorted(ACTIONS) == TTL_ACTIONS


@pytest.mark.parametrize("field", sorted(BEHAVIOUR))
@pytest.mark.parametrize("action_id", TTL_ACTIONS)
def test_behaviour_matches_ontology(action_id: str, field: str) -> None:
    expected = _local(_single(VF[action_id], VF[BEHAVIOUR[field]]))
    assert getattr(ACTIONS[action_id], field) == expected


@pytest.mark.parametrize("action_id", TTL_ACTIONS)
def test_label_status_comment_match_ontology(action_id: str) -> None:
    subject = VF[action_id]
    action = ACTIONS[action_id]
    assert action.label == str(_single(subject, rdflib.RDFS.label))
    assert action.status == str(_single(subject, VS.term_status))
    assert action.comment == str(_single(subject, rdflib.RDFS.comment))


def test_pairs_with_is_symmetric() -> None:
    for action in ACTIONS.values():
        if action.pairs_with:
            assert ACTIONS[action.pairs_with].pairs_with == action.id


@pytest.mark.parametrize(
    ("action_id", "expected"),
    [("separate", "unpack"), ("deliverService", "deliver service"), ("transfer", "transfer")],
)
def test_labels_can_differ_from_ids(action_id: str, expected: str) -> None:
    assert get_action(action_id).label == expected


@pytest.mark.parametrize(
    ("action_id", "is_input", "is_output", "no_process"),
    [
        ("consume", True, False, False),
        ("work", True, False, False),
        ("produce", False, True, False),
        ("deliverService", False, True, False),
        ("transfer", False, False, True),
        ("raise", False, False, True),
        ("copy", False, False, True),
    ],
)
def test_process_side(action_id: str, is_input: bool, is_output: bool, no_process: bool) -> None:
    action = get_action(action_id)
    assert (action.is_input, action.is_output, action.has_no_process) == (
        is_input,
        is_output,
        no_process,
    )
    assert action.is_transfer_like == action.has_no_process


def test_no_process_actions() -> None:
    expected = {
        "transfer",
        "transferAllRights",
        "transferCustody",
        "move",
        "copy",
        "raise",
        "lower",
    }
    assert {a.id for a in ACTIONS.values() if a.has_no_process} == expected


@pytest.mark.parametrize(
    ("action_id", "resource", "effort"),
    [("use", True, True), ("work", False, True), ("consume", True, False)],
)
def test_quantity_kinds(action_id: str, resource: bool, effort: bool) -> None:
    action = get_action(action_id)
    assert (action.uses_resource_quantity, action.uses_effort_quantity) == (resource, effort)


def test_every_action_uses_some_quantity() -> None:
    assert all(a.uses_resource_quantity or a.uses_effort_quantity for a in ACTIONS.values())


def test_get_action_returns_table_entry() -> None:
    assert get_action("transferCustody") is ACTIONS["transferCustody"]
    assert isinstance(get_action("produce"), Action)


@pytest.mark.parametrize(("legacy", "current"), sorted(LEGACY_IDS.items()))
def test_legacy_ids_map_to_current(legacy: str, current: str) -> None:
    assert get_action(legacy) is ACTIONS[current]


def test_legacy_ids_point_into_table() -> None:
    assert set(LEGACY_IDS.values()) <= set(ACTIONS)


@pytest.mark.parametrize("bad", ["Produce", "pack", "unpack", "pass", "", "transfer_custody"])
def test_unknown_action_is_refused(bad: str) -> None:
    with pytest.raises(RuleViolation) as info:
        get_action(bad)
    err = info.value
    assert err.field == "action"
    assert err.rule == "vf-action"
    assert "transferCustody" in err.message
    assert repr(bad) in err.message
