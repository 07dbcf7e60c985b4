"""ValueFlows JSON-LD export and import.

A node's export carries its signed log (``reflow:records``): imported into an empty node it gives
the same state digest. Plain VF JSON-LD — shaped like the ValueFlows spec's examples, written here
in our own words — imports as new records signed by keys the node creates, and the resources come
out as the spec describes them after the events.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from reflow import scenarios
from reflow.errors import ReflowError
from reflow.interop.jsonld import export_document, import_records
from reflow.interop.vf_import import import_vf
from reflow.node import Node
from reflow.settings import Settings
from reflow.store.digest import state_digest


def _node(path: Path, network: str | None = None) -> Node:
    return Node.init(Settings.from_env({}, data_dir=path), network_name="interop", network=network)


@pytest.fixture(scope="module")
def food(tmp_path_factory: pytest.TempPathFactory) -> Node:
    node = _node(tmp_path_factory.mktemp("food"))
    scenarios.load(node, "food")
    yield node
    node.close()


def test_export_then_import_into_an_empty_node_gives_the_same_digest(
    food: Node, tmp_path: Path
) -> None:
    doc = json.loads(json.dumps(export_document(food.store, food.info.network)))
    fresh = _node(tmp_path / "fresh", network=doc["reflow:network"])
    try:
        out = import_records(fresh.ledger, doc)
        assert out["mode"] == "records" and out["applied"] == len(doc["reflow:records"])
        assert state_digest(fresh.store)["digest"] == state_digest(food.store)["digest"]
        again = import_records(fresh.ledger, doc)  # importing twice adds nothing
        assert again["applied"] == 0 and again["duplicate"] == out["applied"]
    finally:
        fresh.close()


def test_the_export_graph_holds_every_kind_of_object(food: Node) -> None:
    doc = export_document(food.store, food.info.network, with_records=False)
    assert doc["@context"]["@vocab"] == "https://w3id.org/valueflows/ont/vf#"
    types = {n["@type"] for n in doc["@graph"]}
    assert {
        "Person",
        "Organization",
        "SpatialThing",
        "ResourceSpecification",
        "ProcessSpecification",
        "Process",
        "EconomicResource",
        "EconomicEvent",
        "Proposal",
        "Intent",
        "Commitment",
        "Plan",
        "Recipe",
        "RecipeProcess",
        "RecipeFlow",
    } <= types
    assert "reflow:records" not in doc
    event = next(
        n for n in doc["@graph"] if n["@type"] == "EconomicEvent" and n["action"] == "transfer"
    )
    assert event["provider"]["@id"].startswith("urn:reflow:")
    assert set(event["resourceQuantity"]) == {"hasNumericalValue", "hasUnit"}


def test_records_of_another_network_are_refused_and_nothing_is_applied(
    food: Node, tmp_path: Path
) -> None:
    doc = export_document(food.store, food.info.network)
    other = _node(tmp_path / "other")
    try:
        with pytest.raises(ReflowError) as err:
            import_records(other.ledger, doc)
        assert err.value.rule == "import-applies"
        assert other.store.objects_of_type("Plan") == []
    finally:
        other.close()


def _q(value: str | int, unit: str) -> dict[str, object]:
    return {"om2:hasNumericalValue": value, "om2:hasUnit": unit}


# A one-process manufacturing story in the shape of the spec's production example: a desk shop
# (its resources listed before the events, and again after) uses its CNC router, consumes
# plywood, cites a design someone published, a worker machines, and one more desk comes out.
MANUFACTURING = {
    "@context": [
        {"@vocab": "https://w3id.org/valueflows/ont/vf#"},
        {
            "shop": "https://desks.example/",
            "om2": "http://www.ontology-of-units-of-measure.org/resource/om-2/",
        },
    ],
    "@graph": [
        {
            "@id": "shop:desks",
            "@type": "EconomicResource",
            "conformsTo": "https://designs.example/standing-desk",
            "accountingQuantity": _q(4, "om2:one"),
        },
        {
            "@id": "shop:sheets",
            "@type": "EconomicResource",
            "classifiedAs": "https://www.wikidata.org/wiki/Q219803",
            "accountingQuantity": _q(50, "om2:one"),
            "skos:note": "birch plywood sheets",
        },
        {
            "@id": "shop:design",
            "@type": "EconomicResource",
            "classifiedAs": "https://designs.example/class/furniture-design",
            "accountingQuantity": _q(1, "om2:one"),
        },
        {
            "@id": "shop:router",
            "@type": "EconomicResource",
            "classifiedAs": "https://designs.example/class/cnc-router",
            "accountingQuantity": _q(1, "om2:one"),
        },
        {"@id": "shop:run-1", "@type": "Process", "name": "Cut a standing desk"},
        {
            "@id": "shop:e1",
            "@type": "EconomicEvent",
            "action": "consume",
            "inputOf": "shop:run-1",
            "provider": "https://desks.example/",
            "receiver": "https://desks.example/",
            "resourceInventoriedAs": "shop:sheets",
            "resourceQuantity": _q(2, "om2:one"),
        },
        {
            "@id": "shop:e2",
            "@type": "EconomicEvent",
            "action": "use",
            "inputOf": "shop:run-1",
            "provider": "https://desks.example/",
            "receiver": "https://desks.example/",
            "resourceInventoriedAs": "shop:router",
            "effortQuantity": _q("2.5", "om2:hour"),
        },
        {
            "@id": "shop:e3",
            "@type": "EconomicEvent",
            "action": "cite",
            "inputOf": "shop:run-1",
            "provider": "https://designs.example/",
            "receiver": "https://desks.example/",
            "resourceInventoriedAs": "shop:design",
            "resourceQuantity": _q(1, "om2:one"),
        },
        {
            "@id": "shop:e4",
            "@type": "EconomicEvent",
            "action": "work",
            "inputOf": "shop:run-1",
            "provider": "https://ana.example/",
            "receiver": "https://desks.example/",
            "resourceClassifiedAs": "https://www.wikidata.org/wiki/Q192047",
            "effortQuantity": _q(5, "om2:hour"),
        },
        {
            "@id": "shop:e5",
            "@type": "EconomicEvent",
            "action": "produce",
            "outputOf": "shop:run-1",
            "provider": "https://desks.example/",
            "receiver": "https://desks.example/",
            "resourceInventoriedAs": "shop:desks",
            "resourceQuantity": _q(1, "om2:one"),
        },
        {"@id": "shop:desks", "@type": "EconomicResource", "accountingQuantity": _q(5, "om2:one")},
        {
            "@id": "shop:sheets",
            "@type": "EconomicResource",
            "accountingQuantity": _q(48, "om2:one"),
        },
    ],
}


def test_a_plain_vf_production_story_imports_and_gives_the_resources_after(tmp_path: Path) -> None:
    node = _node(tmp_path / "vf")
    try:
        out = import_vf(node, MANUFACTURING)
        assert out["mode"] == "vf"
        after = {n["@id"]: n for n in MANUFACTURING["@graph"][-2:]}
        for uri, state in after.items():
            res = node.store.resource(out["resources"][uri])
            want = Decimal(str(state["accountingQuantity"]["om2:hasNumericalValue"]))
            assert res is not None and res.accounting_quantity == want, uri
        assert set(out["agents"]) >= {
            "https://desks.example/",
            "https://ana.example/",
            "https://designs.example/",
        }
        work = [e for e in node.store.events_of_resource(out["resources"]["shop:desks"])]
        assert [e.action for e in work] == ["raise", "produce"]
        for public in out["agents"].values():
            assert node.keystore.has(public), "the node keeps the keys it made for the agents"
    finally:
        node.close()


# Resources with their specifications, in the shape of the spec's resource example: a farm's
# carrots with a lot number, and a tractor that conforms to an open design.
RESOURCES = {
    "@context": {"@vocab": "https://w3id.org/valueflows/ont/vf#", "farm": "https://farm.example/"},
    "@graph": [
        {
            "@id": "farm:spec-squash",
            "@type": "ResourceSpecification",
            "name": "Winter squash",
            "defaultUnitOfResource": "om2:kilogram",
            "substitutable": True,
            "skos:note": "Butternut, cured two weeks",
        },
        {
            "@id": "farm:squash-lot",
            "@type": "EconomicResource",
            "name": "Cured squash",
            "trackingIdentifier": "sq-2025-10",
            "conformsTo": "farm:spec-squash",
            "primaryAccountable": "https://farm.example/",
            "accountingQuantity": {"om2:hasNumericalValue": 320.5, "om2:hasUnit": "om2:kilogram"},
        },
        {
            "@id": "farm:spec-cart",
            "@type": "ResourceSpecification",
            "name": "Hand cart",
            "defaultUnitOfResource": "om2:one",
        },
        {
            "@id": "farm:cart-7",
            "@type": "EconomicResource",
            "name": "Cart 7",
            "conformsTo": "farm:spec-cart",
            "primaryAccountable": "https://farm.example/",
            "accountingQuantity": {"om2:hasNumericalValue": 1, "om2:hasUnit": "om2:one"},
        },
    ],
}


def test_plain_vf_resources_import_with_their_specifications(tmp_path: Path) -> None:
    node = _node(tmp_path / "vf")
    try:
        out = import_vf(node, RESOURCES)
        squash = node.store.resource(out["resources"]["farm:squash-lot"])
        assert squash is not None
        assert (squash.accounting_quantity, squash.unit) == (Decimal("320.5"), "om2:kilogram")
        assert squash.tracking_identifier == "sq-2025-10"
        spec = node.store.object(squash.conforms_to or "")
        assert spec is not None and spec.data["name"] == "Winter squash"
        assert squash.primary_accountable == out["agents"]["https://farm.example/"]
        cart = node.store.resource(out["resources"]["farm:cart-7"])
        assert cart is not None and cart.accounting_quantity == 1 and cart.name == "Cart 7"
    finally:
        node.close()


def test_a_plain_vf_document_with_a_bad_quantity_names_the_field(tmp_path: Path) -> None:
    bad = {
        "@graph": [
            {
                "@id": "x:r",
                "@type": "EconomicResource",
                "name": "r",
                "accountingQuantity": {"om2:hasNumericalValue": "lots", "om2:hasUnit": "om2:one"},
            }
        ]
    }
    node = _node(tmp_path / "vf")
    try:
        with pytest.raises(ReflowError) as err:
            import_vf(node, bad)
        assert (err.value.field, err.value.rule) == ("x:r.accountingQuantity", "measure")
    finally:
        node.close()


# Offers and requests in the shape of the spec's proposal examples: a cargo bike offered for a
# payment (times written with a one-digit offset), a request for carpentry help with no quantity,
# and a barter in a unit nobody knows.
PROPOSALS = {
    "@context": {"@vocab": "https://w3id.org/valueflows/ont/vf#"},
    "@graph": [
        {"@id": "p:bike", "@type": "Proposal", "purpose": "offer", "name": "Cargo bike",
         "hasBeginning": "2026-03-01T00:00:00-5:00", "hasEnd": "2026-03-31T00:00:00-5:00",
         "publishes": [{"@id": "p:bike-i", "@type": "Intent", "action": "transfer",
                        "provider": "https://lena.example/", "name": "Cargo bike, 2 seats",
                        "resourceConformsTo": "http://www.wikidata.org/entity/Q11442"}],
         "reciprocal": [{"@id": "p:bike-pay", "@type": "Intent", "action": "transfer",
                         "receiver": "https://lena.example/",
                         "resourceConformsTo": "http://www.wikidata.org/entity/Q4916",
                         "resourceQuantity": {"hasUnit": "iso4217:EUR",
                                              "hasNumericalValue": 120}}]},
        {"@id": "p:help", "@type": "Proposal", "purpose": "request", "name": "Shelf repair",
         "publishes": [{"@id": "p:help-i", "@type": "Intent", "action": "work",
                        "receiver": "https://omar.example/",
                        "resourceClassifiedAs": "http://www.wikidata.org/entity/Q154549"}]},
        {"@id": "p:cider", "@type": "Proposal", "purpose": "offer", "name": "Cider",
         "publishes": [{"@id": "p:cider-i", "@type": "Intent", "action": "transfer",
                        "provider": "https://omar.example/",
                        "resourceClassifiedAs": "https://cider.example/apple-cider",
                        "resourceQuantity": {"hasUnit": "gallon-US", "hasNumericalValue": 3}}]},
    ],
}  # fmt: skip


def test_plain_vf_proposals_are_published_through_the_market(tmp_path: Path) -> None:
    node = _node(tmp_path / "vf")
    try:
        out = import_vf(node, PROPOSALS)
        assert set(out["proposals"]) == {"p:bike", "p:help"}
        bike = node.store.object(out["proposals"]["p:bike"])
        assert bike is not None and bike.data["purpose"] == "offer"
        assert bike.data["hasBeginning"] == "2026-03-01T05:00:00Z"
        intents = {i.data.get("name"): i.data for i in node.store.objects_of_type("Intent")}
        assert intents["Cargo bike, 2 seats"]["resourceQuantity"]["hasUnit"] == "om2:one"
        assert "one unit assumed" in intents["Cargo bike, 2 seats"]["note"]
        work = [i.data for i in node.store.objects_of_type("Intent") if i.data["action"] == "work"]
        help_intent = work[0]
        assert help_intent["effortQuantity"] == {"hasNumericalValue": "1", "hasUnit": "om2:hour"}
        assert [r["@id"] for r in out["refused"]] == ["p:cider"]
        assert "gallon-US" in out["refused"][0]["message"]
    finally:
        node.close()
