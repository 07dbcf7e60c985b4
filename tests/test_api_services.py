"""The services' fields through the API: trace and track, market, governance, value, plans
and reports — each a thin call into its service, read through the ASGI app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_support import Api, qty
from graphql import build_schema
from market_world import Market
from plan_scene import NOW, Scene, textile, textile_recipe
from report_world import build
from support import World
from test_api_schema_modules import BRIDGING, closure, depends
from value_scene import build_shirt, shirt_equation

from reflow.api.schema import MODULES, SCHEMA_DIR, SERVICE_MODULES
from reflow.client import ApiError
from reflow.govern.network import create_network, network_info
from reflow.ledger.keys import KeyPair
from reflow.node import Node
from reflow.plan import service
from reflow.settings import Settings


@pytest.fixture
def api(node: Node) -> Api:
    return Api(node)


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_each_service_module_builds_with_what_it_depends_on(module: str) -> None:
    present = closure(module)
    assert depends(SCHEMA_DIR / f"{module}.graphql")
    files = [SCHEMA_DIR / f"{m}.graphql" for m in (*MODULES, module) if m in present]
    files += [b for b in BRIDGING if depends(b) <= present]
    build_schema("\n".join(f.read_text() for f in files))


def _flour_into_bread(api: Api) -> dict[str, str]:
    """A baker raises flour, consumes it in a baking process and produces bread."""
    baker = api.agent("Baker")
    flour_spec, bread_spec = api.spec(baker, "flour"), api.spec(baker, "bread")
    flour = api.event(
        baker, {"name": "flour"}, action="raise", provider=baker, receiver=baker,
        resourceConformsTo=flour_spec, resourceQuantity=qty(10),
    )  # fmt: skip
    baking = api.create(baker, "Process", "process", {"name": "baking"})
    consumed = api.event(
        baker, action="consume", provider=baker, receiver=baker, inputOf=baking,
        resourceInventoriedAs=flour["economicResource"]["id"], resourceQuantity=qty(4),
    )  # fmt: skip
    bread = api.event(
        baker, {"name": "bread"}, action="produce", provider=baker, receiver=baker,
        outputOf=baking, resourceConformsTo=bread_spec, resourceQuantity=qty(5),
    )  # fmt: skip
    return {
        "baker": baker, "flour": flour["economicResource"]["id"],
        "raised": flour["economicEvent"]["id"], "baking": baking,
        "consumed": consumed["economicEvent"]["id"], "produced": bread["economicEvent"]["id"],
        "bread": bread["economicResource"]["id"],
    }  # fmt: skip


FLOW = "__typename ... on EconomicResource { id } ... on EconomicEvent { id } ... on Process { id }"


def test_trace_and_track_list_the_flow_in_walk_order(api: Api) -> None:
    ids = _flour_into_bread(api)
    out = api.client().query(
        f"""query($b: ID!, $f: ID!) {{
          economicResource(id: $b) {{ trace {{ {FLOW} }} shallow: trace(depth: 1) {{ {FLOW} }} }}
          flour: economicResource(id: $f) {{ track {{ {FLOW} }} next {{ {FLOW} }} }}
        }}""",
        {"b": ids["bread"], "f": ids["flour"]},
    )
    back = [(i["__typename"], i["id"]) for i in out["economicResource"]["trace"]]
    assert back[0] == ("EconomicResource", ids["bread"])
    assert [i for _, i in back] == [
        ids["bread"], ids["produced"], ids["baking"], ids["consumed"], ids["flour"], ids["raised"]
    ]  # fmt: skip
    assert len(out["economicResource"]["shallow"]) < len(back)
    forward = [i["id"] for i in out["flour"]["track"]]
    assert forward[0] == ids["flour"] and forward[-1] == ids["bread"]
    assert ids["consumed"] in [i["id"] for i in out["flour"]["next"]]


def test_passport_of_a_resource_and_errors_for_unknown_ones(api: Api) -> None:
    ids = _flour_into_bread(api)
    q = "query($r: ID!) { passport(resource: $r) }"
    passport: dict[str, Any] = api.client().query(q, {"r": ids["bread"]})["passport"]
    assert ids["bread"] in str(passport)
    with pytest.raises(ApiError) as err:
        api.client().query(q, {"r": "nope"})
    assert err.value.errors[0]["extensions"]["code"] == "NOT_FOUND"


PUBLISH = """mutation($p: ProposalCreateParams!, $i: [IntentCreateParams!]!) {
  publishOffer(proposal: $p, intents: $i) { proposal { id purpose } notified }
}"""


def test_market_publish_browse_match_accept_and_withdraw(api: Api) -> None:
    maker, buyer = api.agent("Maker"), api.agent("Buyer")
    chair = api.spec(maker, "chair")
    shop = api.place(maker, "shop", "52.37", "4.89")
    intent = {"action": "transfer", "provider": maker, "resourceConformsTo": chair,
              "resourceQuantity": qty(5, "om2:one"), "atLocation": shop}  # fmt: skip
    offer = api.as_(maker).query(PUBLISH, {"p": {"name": "chairs"}, "i": [intent]})
    offer_id = offer["publishOffer"]["proposal"]["id"]
    assert offer["publishOffer"]["proposal"]["purpose"] == "offer"
    wanted = {"action": "transfer", "receiver": buyer, "resourceConformsTo": chair,
              "resourceQuantity": qty(2, "om2:one"), "atLocation": shop}  # fmt: skip
    request_id = api.as_(buyer).query(
        PUBLISH.replace("publishOffer", "publishRequest"), {"p": {"name": "need"}, "i": [wanted]}
    )["publishRequest"]["proposal"]["id"]
    out = api.client().query(
        """query($r: ID!, $s: ID!, $m: ID!) {
          matches(proposal: $r) { proposal { id } agent { name } score explanation }
          offers(spec: $s, near: {lat: 52.3, long: 4.9, km: 20}) {
            edges { node { id proposal { id } agent { name } resourceConformsTo { name }
                           available unit { id } distanceKm } } }
          far: offers(near: {lat: 40.0, long: 4.9, km: 20}) { edges { node { id } } }
          agent(id: $m) { proposals { id } }
        }""",
        {"r": request_id, "s": chair, "m": maker},
    )
    [match] = out["matches"]
    assert match["proposal"] == {"id": offer_id} and match["agent"] == {"name": "Maker"}
    assert match["explanation"] and all(isinstance(s, str) for s in match["explanation"])
    [listing] = [e["node"] for e in out["offers"]["edges"]]
    assert listing["proposal"] == {"id": offer_id} and listing["available"] == "5"
    assert listing["resourceConformsTo"] == {"name": "chair"} and listing["distanceKm"] < 20
    assert out["far"]["edges"] == []
    assert out["agent"]["proposals"] == [{"id": offer_id}]
    # the buyer accepts two; this node holds the maker's key, so it is confirmed at once
    accepted = api.as_(buyer).query(
        """mutation($p: ID!, $q: IMeasure!) { acceptProposal(proposal: $p, quantity: $q) {
             status agreement { id } } }""",
        {"p": offer_id, "q": qty(2, "om2:one")},
    )["acceptProposal"]
    assert accepted["status"] == "confirmed" and accepted["agreement"]["id"]
    # the maker withdraws the rest: it leaves the market
    api.as_(maker).query(
        "mutation($p: ID!) { withdrawProposal(proposal: $p) { proposal { id } } }", {"p": offer_id}
    )
    q = "query($m: ID!) { agent(id: $m) { proposals { id } } }"
    assert api.client().query(q, {"m": maker})["agent"]["proposals"] == []
    with pytest.raises(ApiError) as err:
        api.as_(maker).query('mutation { confirmAcceptance(acceptance: "nope") { status } }')
    assert err.value.code == "NOT_FOUND"


ACCEPT = """mutation($p: ID!, $q: IMeasure!) {
  acceptProposal(proposal: $p, quantity: $q) { acceptance status agreement { id } } }"""


def test_an_acceptance_waits_for_the_publisher_who_declines_or_confirms(
    api: Api, node: Node
) -> None:
    # the maker keeps its key elsewhere: the buyer's acceptance waits for its answer
    world = World(node.ledger)
    maker = world.agent("Maker")
    chair = world.spec(maker, "chair")
    offer = Market(world).offer(maker, resourceConformsTo=chair, quantity=qty(5, "om2:one"))
    buyer = api.agent("Buyer")
    first, second = (
        api.as_(buyer).query(ACCEPT, {"p": offer, "q": qty(2, "om2:one")})["acceptProposal"]
        for _ in range(2)
    )
    assert first["status"] == second["status"] == "pending" and first["agreement"] is None
    node.keystore.add(world.keys[maker])  # the maker now answers through this node
    declined = api.as_(maker).query(
        'mutation($a: ID!) { declineAcceptance(acceptance: $a, reason: "sold out") '
        "{ status agreement { id } } }",
        {"a": first["acceptance"]},
    )["declineAcceptance"]
    assert declined == {"status": "declined", "agreement": None}
    confirmed = api.as_(maker).query(
        "mutation($a: ID!) { confirmAcceptance(acceptance: $a) { status agreement { id } } }",
        {"a": second["acceptance"]},
    )["confirmAcceptance"]
    assert confirmed["status"] == "confirmed" and confirmed["agreement"]["id"]
    with pytest.raises(ApiError) as err:  # only the publisher answers
        api.as_(buyer).query(
            "mutation($a: ID!) { confirmAcceptance(acceptance: $a) { status } }",
            {"a": first["acceptance"]},
        )
    assert err.value.code not in (None, "INTERNAL_ERROR")


@pytest.fixture
def city(tmp_path: Path, database_url: str) -> Iterator[Node]:
    """A node of an invitation network with a genesis (the founder's key on the node)."""
    settings = Settings.from_env({}, data_dir=tmp_path / "city", database_url=database_url)
    node, _ = create_network(
        settings, founder_name="Founder", name="Test city", policy="invitation"
    )
    yield node
    node.close()


def test_governance_network_members_invitations_and_relationships(city: Node) -> None:
    api = Api(city)
    founder = str(network_info(city.store)["founder"])  # type: ignore[index]
    anna, repair = api.agent("Anna"), api.agent("Repair Café", "Organization")
    for agent in (anna, repair):
        invited = city.submit(city.key(founder), "member.invite", {"key": agent, "role": "member"})
        city.submit(city.key(agent), "member.join", {"invitation": invited.created["invitation"]})
    city.submit(city.key(repair), "member.grant",
                {"agent": anna, "organization": repair, "role": "member"})  # fmt: skip
    invitee = KeyPair.generate().public
    city.submit(city.key(founder), "member.invite", {"key": invitee, "role": "member"})
    out = api.as_(anna).query(
        """{ network { name policy founder { name } stewards { name } }
             members { agent { name } role status did }
             invitations { inviter { name } invitee role status }
             agentRelationships { subject { name } object { name }
                                  relationship { roleLabel } }
             myMembership { agent { name } status actsFor { name } } }"""
    )
    assert out["network"] == {
        "name": "Test city", "policy": "invitation", "founder": {"name": "Founder"},
        "stewards": [{"name": "Founder"}],
    }  # fmt: skip
    names = {m["agent"]["name"]: m for m in out["members"]}
    assert {"Founder", "Anna", "Repair Café"} <= set(names)
    assert names["Anna"]["status"] == "active" and names["Anna"]["did"].startswith("did:key:")
    assert {"inviter": {"name": "Founder"}, "invitee": invitee, "role": "member",
            "status": "open"} in out["invitations"]  # fmt: skip
    assert sorted(i["status"] for i in out["invitations"]) == ["open", "used", "used"]
    assert out["agentRelationships"] == [{"subject": {"name": "Anna"},
        "object": {"name": "Repair Café"}, "relationship": {"roleLabel": "member of"}}]  # fmt: skip
    assert out["myMembership"] == {"agent": {"name": "Anna"}, "status": "active",
                                   "actsFor": [{"name": "Repair Café"}]}  # fmt: skip


def test_value_distribute_income_dry_run_then_claims_with_settlement(api: Api, node: Node) -> None:
    world = World(node.ledger)
    shirt = build_shirt(world)
    makerspace = world.keys[shirt.makerspace]
    node.keystore.add(makerspace)
    equation = world.submit(makerspace, "value.equation", shirt_equation(shirt))["ValueEquation"]
    q = """mutation($e: ID!, $q: ID!, $d: Boolean) {
      distributeIncome(event: $e, equation: $q, dryRun: $d) {
        total dryRun unit { id } receiver { name }
        shares { agent { name } amount kept explanation }
        claims { receiver { name } quantity settled remaining status triggeredBy { id } }
      } }"""
    args = {"e": shirt.income, "q": equation}
    dry = api.as_(shirt.makerspace).query(q, {**args, "d": True})["distributeIncome"]
    assert dry["total"] == "60" and dry["dryRun"] and dry["claims"] == []
    shares = {s["agent"]["name"]: s for s in dry["shares"]}
    assert shares["Network fund"]["amount"] == "6"
    assert shares["Network fund"]["explanation"][0].startswith("network fund: 6 by fixed")
    assert sum(float(s["amount"]) for s in dry["shares"]) == 60
    done = api.as_(shirt.makerspace).query(q, args)["distributeIncome"]
    assert done["shares"] == dry["shares"]
    claims = {c["receiver"]["name"]: c for c in done["claims"]}
    assert claims["Network fund"] == {
        "receiver": {"name": "Network fund"},
        "quantity": "6",
        "settled": "0",
        "remaining": "6",
        "status": "open",
        "triggeredBy": {"id": shirt.income},
    }
    out = api.client().query(
        """query($f: ID!) { valueEquations { id name author { name } currency }
             claimSettlements(agent: $f) { status } }""",
        {"f": shirt.fund},
    )
    assert out["valueEquations"] == [{"id": equation, "name": "shirt equation",
        "author": {"name": "Makerspace"}, "currency": "iso4217:EUR"}]  # fmt: skip
    assert out["claimSettlements"] == [{"status": "open"}]
    with pytest.raises(ApiError) as err:
        api.as_(shirt.makerspace).query(q, args)  # once per income and equation
    assert err.value.code in ("CONFLICT", "RULE_VIOLATION")


PLAN = """mutation($s: ID!, $q: IMeasure!, $d: DateTime!, $p: ID) {
  planFromDemand(spec: $s, quantity: $q, due: $d, place: $p, publish: false) {
    summary
    plan { id progress { status counts processes { name status reasons critical } } }
  } }"""


def test_plan_from_demand_and_its_progress(api: Api, node: Node) -> None:
    scene = Scene(node)
    ids = textile_recipe(scene)
    due = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    variables = {"s": ids["panel"], "q": qty(5, "om2:one"), "d": due, "p": scene.hub}
    out = api.as_(scene.coord).query(PLAN, variables)["planFromDemand"]
    assert out["summary"]["lateByHours"] == "0"
    assert out["summary"]["criticalPath"][-1] == "press panels"
    progress = out["plan"]["progress"]
    assert progress["status"] == "on_track"
    names = [p["name"] for p in progress["processes"]]
    assert "press panels" in names and "sort" in names
    assert {p["status"] for p in progress["processes"]} == {"on_track"}
    assert sum(progress["counts"].values()) == len(names)
    with pytest.raises(ApiError) as err:
        api.as_(scene.coord).query(PLAN, {**variables, "q": qty(5, "om2:bogus")})
    assert err.value.code not in (None, "INTERNAL_ERROR")


REFUSE_PLAN = """mutation($c: ID!, $why: String) {
  refusePlanCommitment(commitment: $c, reason: $why) { commitment plan answer record } }"""
ACCEPT_PLAN = """mutation($c: ID!) { acceptPlanCommitment(commitment: $c) { answer } }"""
PLAN_PROGRESS = """query($p: ID!) {
  plan(id: $p) { progress { status answers cancelled processes { name drivers } } } }"""
REPLAN = """mutation($p: ID!) { replan(plan: $p, publish: false) { plan { id } summary } }"""


def test_providers_answer_plan_commitments_and_the_plan_is_revised(api: Api, node: Node) -> None:
    scene, ids = textile(node)
    plan = service.plan_from_demand(
        node, scene.keys[scene.coord], ids["panel"], qty(50, "om2:one"),
        NOW + timedelta(days=10), scene.hub, now=NOW, publish=False,
    )["plan"]  # fmt: skip
    shown = service.show(node.store, plan)
    live = [c for p in shown["processes"] for c in p["commitments"]]
    pia = next(c for c in live if c["provider"] == ids["presser"] and c["role"] == "work")
    sara = next(c for c in live if c["provider"] == ids["sorter_Sara"])
    assert api.as_(ids["sorter_Sara"]).query(ACCEPT_PLAN, {"c": sara["id"]}) == {
        "acceptPlanCommitment": {"answer": "accepted"}
    }
    out = api.as_(ids["presser"]).query(REFUSE_PLAN, {"c": pia["id"], "why": "on holiday"})
    assert out["refusePlanCommitment"]["answer"] == "refused"
    assert out["refusePlanCommitment"]["plan"] == plan
    with pytest.raises(ApiError) as err:  # only the provider answers
        api.as_(ids["sorter_Omar"]).query(REFUSE_PLAN, {"c": pia["id"]})
    assert err.value.code not in (None, "INTERNAL_ERROR")
    progress = api.client().query(PLAN_PROGRESS, {"p": plan})["plan"]["progress"]
    answers = progress["answers"]
    assert (answers["accepted"], answers["refused"]) == (1, 1)
    drivers = {p["name"]: p["drivers"] for p in progress["processes"]}
    assert (drivers["collect used garments"], drivers["sort"]) == ([ids["driver"]], [])
    assert progress["cancelled"] == []
    revised = api.as_(scene.coord).query(REPLAN, {"p": plan})["replan"]
    assert revised["plan"]["id"] == plan and revised["summary"]["refusals"] == 1


def test_reports_material_flows_circularity_and_participation(api: Api, node: Node) -> None:
    city = build(World(node.ledger))
    panel = city.ids["spec.panel"]
    out = api.client().query(
        """query($s: ID!) {
          materialFlows(district: "B", from: "2026-03-01", to: "2026-03-31") {
            district material period figures }
          circularity(spec: $s) { spec { name } mci figures }
          participation(district: "B") { district activeAgents newAgents agentsPerRole }
          empty: materialFlows(from: "2020-01-01", to: "2020-12-31") { district }
        }""",
        {"s": panel},
    )
    [row] = [r for r in out["materialFlows"] if r["figures"]["production_kg"]]
    assert row["district"] == "B" and row["period"] == "2026-03-01T00:00:00Z/2026-04-01T00:00:00Z"
    assert row["figures"]["production_kg"] > 0
    [mci] = out["circularity"]
    assert mci["spec"] == {"name": "felt panel"} and mci["mci"] == mci["figures"]["MCI"]
    assert out["participation"] == [{"district": "B", "activeAgents": 2, "newAgents": 2,
        "agentsPerRole": {
            "provider:consume": 1, "provider:produce": 1, "provider:transfer": 1,
            "receiver:consume": 1, "receiver:produce": 1, "receiver:transfer": 1,
        }}]  # fmt: skip
    assert out["empty"] == []
    with pytest.raises(ApiError) as err:
        api.client().query('{ participation(from: "March") { district } }')
    assert err.value.errors[0]["extensions"]["field"] == "from"
