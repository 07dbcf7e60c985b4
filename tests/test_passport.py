"""The gown's material passport: exported by a node, verified offline, tamper-evident.

A passport carries every signed record behind the gown's trace; ``verify_passport`` needs no
database and no network. Changing any record, any statement derived from the records, or the
document under the node's signature makes verification fail with the kind of failure as the
exit code (2 signature, 3 record, 4 tree, 5 malformed) and names the record or field.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gown_scene import Gown, build_gown
from support import World, qty
from typer.testing import CliRunner

from reflow.cli import app
from reflow.node import Node
from reflow.settings import Settings
from reflow.trace.passport import (
    BAD_RECORD,
    BAD_SIGNATURE,
    MALFORMED,
    TREE_MISMATCH,
    export_passport,
    verify_passport,
)


@pytest.fixture
def gown(node: Node) -> Gown:
    return build_gown(World(node.ledger))


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Gown, Node]]:
    """One node, one passport (verification is pure: tampering tests need no other backend)."""
    data_dir = tmp_path_factory.mktemp("passport") / "node"
    node = Node.init(Settings.from_env({}, data_dir=data_dir), network_name="test")
    gown = build_gown(World(node.ledger))
    text = json.dumps(export_passport(node, gown.gown))  # as a verifier receives it
    yield text, gown, node
    node.close()


@pytest.fixture
def passport(issued: tuple[str, Gown, Node]) -> dict[str, Any]:
    return json.loads(issued[0])  # a fresh copy for each test to tamper with


def test_export_then_verify_succeeds(node: Node, gown: Gown) -> None:
    passport = json.loads(json.dumps(export_passport(node, gown.gown)))
    result = verify_passport(passport)
    assert result.ok, result.as_dict()
    assert result.checks[-1] == "node signature"
    assert passport["@context"]["vf"] == "https://w3id.org/valueflows/ont/vf#"
    assert list(passport)[:2] == ["@context", "@type"] and list(passport)[3] == "summary"


def test_summary_tells_the_gowns_story(passport: dict[str, Any]) -> None:
    s = passport["summary"]
    assert s["product"]["trackingIdentifier"] == "GOWN-0001"
    assert {(m["name"], m["action"], m["quantity"], m["unit"]) for m in s["materials"]} == {
        ("cotton bale", "consume", "2", "om2:kilogram"),
        ("sewing machine", "use", "2", "om2:hour"),
        ("gown pattern", "cite", "1", "om2:one"),
        ("water", "consume", "10", "om2:litre"),
        ("soap", "consume", "0.1", "om2:kilogram"),
        ("surgical gown", "use", "3", "om2:hour"),
    }
    assert [p["name"] for p in s["processes"]][-1] == "deliver to the hospital"
    names = {c["name"] for c in s["contributors"]}
    assert "Tess (tailor)" in names and "Cargo bike courier" in names
    assert "Sam (surgeon)" not in names  # worked in the surgery, not on the gown
    # farm→atelier 15.0, atelier→laundry 3.0, laundry⇄hospital three times 2.9
    assert [leg["km"] for leg in s["legs"]] == ["15.0", "3.0", "2.9", "2.9", "2.9"]
    assert s["distanceKm"] == "26.7"
    assert {p["name"] for p in s["places"]} == {"Farm", "Atelier", "Laundry", "Hospital"}


def test_proofs_are_the_records_behind_the_tree(passport: dict[str, Any]) -> None:
    hashes = {p["hash"] for p in passport["proofs"]}
    assert {e["record"] for e in passport["graph"]["events"]} <= hashes
    kinds = {p["kind"] for p in passport["proofs"]}
    assert kinds == {"agent.declare", "vf.create", "vf.event"}
    assert all({"sig", "seq", "prev"} <= set(p) for p in passport["proofs"])


@pytest.mark.parametrize(
    ("where", "code"),
    [
        ("body", BAD_RECORD),
        ("created", BAD_RECORD),
        ("author", BAD_RECORD),
        ("prev", BAD_RECORD),
        ("hash", BAD_RECORD),
        ("sig", BAD_SIGNATURE),
    ],
)
def test_flipping_a_byte_of_a_record_names_it(
    passport: dict[str, Any], where: str, code: int
) -> None:
    for i, proof in enumerate(passport["proofs"]):
        if where == "prev" and proof["prev"] is None:
            continue
        doc = copy.deepcopy(passport)
        target = doc["proofs"][i]
        if where == "body":
            name = target["body"].get("data", {}).get("name") or target["body"].get("type")
            _set_first_string(target["body"], _flip(name) if isinstance(name, str) else "x")
        else:
            target[where] = _flip(target[where])
        result = verify_passport(doc)
        assert result.code == code, (where, result.as_dict())
        # The record is named by the hash it claims (or, if that was changed, by its content's).
        assert proof["hash"] in (result.record, *(result.problem or "").split())
        break


def test_every_record_is_covered(passport: dict[str, Any]) -> None:
    """Whichever record is touched, verification fails and names that record."""
    for i, proof in enumerate(passport["proofs"]):
        doc = copy.deepcopy(passport)
        doc["proofs"][i]["created"] = _flip(proof["created"])
        result = verify_passport(doc)
        assert (result.code, result.record) == (BAD_RECORD, proof["hash"])


def test_dropping_a_record_breaks_the_tree(passport: dict[str, Any]) -> None:
    doc = copy.deepcopy(passport)
    doc["proofs"] = [p for p in doc["proofs"] if "sew the gown" not in json.dumps(p["body"])]
    result = verify_passport(doc)
    assert result.code == TREE_MISMATCH


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("summary", "distanceKm"), "2.7"),
        (("summary", "contributors", 0, "name"), "Someone else"),
        (("summary", "materials", 0, "quantity"), "200"),
        (("trace", "flows", 3, "id"), "0" * 32),
        (("graph", "events", 0, "action"), "produce"),
    ],
)
def test_tampering_a_statement_is_a_tree_mismatch(
    passport: dict[str, Any], path: tuple[Any, ...], value: str
) -> None:
    doc = copy.deepcopy(passport)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    result = verify_passport(doc)
    assert result.code == TREE_MISMATCH
    assert result.field is not None and result.field.startswith(path[0])


def test_node_signature_covers_the_rest(passport: dict[str, Any]) -> None:
    doc = copy.deepcopy(passport)
    doc["issued"] = "2000-01-01T00:00:00Z"
    assert verify_passport(doc).code == BAD_SIGNATURE
    doc = copy.deepcopy(passport)
    doc["signature"]["value"] = _flip(doc["signature"]["value"])
    result = verify_passport(doc)
    assert (result.code, result.field) == (BAD_SIGNATURE, "signature.value")


def test_a_forged_breadcrumb_is_refused(passport: dict[str, Any]) -> None:
    doc = copy.deepcopy(passport)
    crumbs = doc["claims"]["breadcrumbs"]
    some, other = sorted(crumbs)[:2]
    crumbs[some][0] = other
    assert verify_passport(doc).code == TREE_MISMATCH


def test_malformed_documents(passport: dict[str, Any]) -> None:
    assert verify_passport([]).code == MALFORMED
    doc = copy.deepcopy(passport)
    del doc["proofs"]
    assert (verify_passport(doc).code, verify_passport(doc).field) == (MALFORMED, "proofs")


def test_cli_round_trip(issued: tuple[str, Gown, Node], tmp_path: Path) -> None:
    _, gown, node = issued
    runner = CliRunner()
    out = tmp_path / "passport.json"
    args = [
        "--data-dir",
        str(node.settings.data_dir),
        "--db",
        node.store.engine.url.render_as_string(hide_password=False),
    ]
    done = runner.invoke(app, ["passport", "export", gown.gown, "-o", str(out), *args, "--json"])
    assert done.exit_code == 0, done.output
    verified = runner.invoke(app, ["passport", "verify", str(out), "--json"])
    assert verified.exit_code == 0 and json.loads(verified.output)["ok"] is True
    doc = json.loads(out.read_text())
    doc["proofs"][0]["body"] = {"tampered": True}
    out.write_text(json.dumps(doc))
    refused = runner.invoke(app, ["passport", "verify", str(out), "--json"])
    assert refused.exit_code == BAD_RECORD
    assert json.loads(refused.output)["record"] == doc["proofs"][0]["hash"]
    out.write_text("{not json")
    assert runner.invoke(app, ["passport", "verify", str(out)]).exit_code == MALFORMED
    traced = runner.invoke(app, ["trace", gown.gown, *args, "--json"])
    assert traced.exit_code == 0 and json.loads(traced.output)[0]["id"] == gown.gown


def _flip(text: str) -> str:
    """Change one character (one byte in UTF-8 for ASCII text), keeping base64/hex alphabets."""
    i = len(text) // 2
    swap = {"a": "b", "b": "a", "A": "B", "B": "A", "0": "1", "1": "0"}
    c = text[i]
    return text[:i] + swap.get(c, "a" if c != "a" else "b") + text[i + 1 :]


def _set_first_string(obj: Any, value: str) -> bool:
    if isinstance(obj, dict):
        for k in sorted(obj):
            if isinstance(obj[k], str):
                obj[k] = value if obj[k] != value else value + "x"
                return True
            if _set_first_string(obj[k], value):
                return True
    return False


def test_passport_page_and_json_are_served(issued: tuple[str, Gown, Node]) -> None:
    _, gown, node = issued
    import httpx
    from api_support import SyncASGITransport
    from starlette.applications import Starlette

    from reflow.trace.page import passport_routes

    app = Starlette(routes=passport_routes(node))
    client = httpx.Client(transport=SyncASGITransport(app), base_url="http://testserver")
    doc = client.get(f"/passport/{gown.gown}.json")
    assert doc.status_code == 200 and doc.headers["content-type"] == "application/ld+json"
    assert verify_passport(doc.json()).ok
    page = client.get(f"/passport/{gown.gown}")
    assert page.status_code == 200
    html = page.text
    assert "Verified." in html and "GOWN-0001" in html and "26.7 km" in html
    assert "Tess (tailor)" in html and "/static/leaflet/leaflet.js" in html
    assert html.count("<svg") == 2  # QR codes for the page and the JSON
    assert "https://" not in html.split("<body>")[1].split("<script")[0]  # nothing remote
    assert client.get("/passport/nope").status_code == 404


def test_records_are_judged_again_by_the_vf_rules(passport: dict[str, Any]) -> None:
    result = verify_passport(passport)
    events = sum(1 for p in passport["proofs"] if p["kind"] == "vf.event")
    assert f"VF rules: {events} of {events} events re-judged in order" in result.checks
    assert result.warnings == []


def test_a_signed_record_the_rules_refuse_is_reported() -> None:
    """Signed records alone can break the rules (a node would have refused them): say which."""
    from reflow.ledger.keys import KeyPair
    from reflow.ledger.records import derive_id, sign_record
    from reflow.trace.derive import read_facts
    from reflow.trace.rejudge import rejudge

    key = KeyPair.generate()
    me, recs = key.public, []

    def sign(kind: str, body: dict[str, Any]) -> str:
        prev = recs[-1].hash if recs else None
        recs.append(sign_record(key, network="n", seq=len(recs) + 1, prev=prev, kind=kind,
                                body=body))  # fmt: skip
        return recs[-1].hash

    sign("agent.declare", {"type": "Person", "data": {"name": "me"}})
    spec = derive_id(sign("vf.create", {"type": "ResourceSpecification", "data": {"name": "x"}}))
    both = {"provider": me, "receiver": me}
    made = sign("vf.event", {"event": {"action": "raise", **both, "resourceConformsTo": spec,
                                       "resourceQuantity": qty(1)}})  # fmt: skip
    bale = derive_id(made, "resource")
    too_much = sign("vf.event", {"event": {"action": "lower", **both,
                                           "resourceInventoriedAs": bale,
                                           "resourceQuantity": qty(5)}})  # fmt: skip
    crumbs = {derive_id(too_much, "event"): [derive_id(made, "event"), None, None]}
    warnings = rejudge(recs, read_facts(recs, crumbs))
    assert len(warnings) == 1 and too_much in warnings[0] and "below zero" in warnings[0]
