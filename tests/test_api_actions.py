"""Every VF 1.0 action recorded through ``createEconomicEvent``, each read back through the API.

One story per backend: a bale of cotton is raised, changed by each of the 19 actions in turn,
and after every event the resources it touched are read through GraphQL — quantities,
accountable agent, custodian, place, container, stage — as the ledger's rules say they must be.
"""

from __future__ import annotations

from typing import Any

from api_support import Api, qty

from reflow.node import Node

READ = """query($id: ID!) { economicResource(id: $id) {
  accountingQuantity { hasNumericalValue } onhandQuantity { hasNumericalValue }
  primaryAccountable { id } custodian { id } currentLocation { id } containedIn { id }
  stage { id } state } }"""


def _read(api: Api, resource: str) -> dict[str, Any]:
    r = api.client().query(READ, {"id": resource})["economicResource"]
    return {
        "acct": r["accountingQuantity"]["hasNumericalValue"],
        "onhand": r["onhandQuantity"]["hasNumericalValue"],
        "owner": (r["primaryAccountable"] or {}).get("id"),
        "custodian": (r["custodian"] or {}).get("id"),
        "at": (r["currentLocation"] or {}).get("id"),
        "in": (r["containedIn"] or {}).get("id"),
        "stage": (r["stage"] or {}).get("id"),
    }


def _has(api: Api, resource: str, **want: Any) -> None:
    got = _read(api, resource)
    assert {k: got[k] for k in want} == want


def test_every_action_through_the_api(node: Node) -> None:
    api = Api(node)
    a, b = api.agent("Alice"), api.agent("Bob")
    cotton = api.spec(a, "cotton", defaultUnitOfResource="om2:kilogram")
    box_spec = api.spec(a, "box")
    here, there = api.place(a, "here"), api.place(a, "there", "52.0", "5.0")
    sewing = api.create(a, "ProcessSpecification", "processSpecification", {"name": "sewing"})
    p = api.create(a, "Process", "process", {"name": "sew", "basedOn": sewing})
    q = api.create(a, "Process", "process", {"name": "check"})

    def ev(by: str = a, new: dict[str, Any] | None = None, **e: Any) -> dict[str, Any]:
        e.setdefault("provider", a)
        e.setdefault("receiver", a)
        out = api.event(by, new, **e)
        return out

    def to_of(out: dict[str, Any]) -> str:
        resource: str = out["economicResource"]["id"]
        return resource

    r = to_of(ev(new={"name": "bale", "currentLocation": here}, action="raise",
                 resourceConformsTo=cotton, resourceQuantity=qty(10)))  # fmt: skip
    _has(api, r, acct="10", onhand="10", owner=a, custodian=a, at=here)
    box = to_of(ev(new={"name": "box"}, action="raise", resourceConformsTo=box_spec,
                   resourceQuantity=qty(1, "om2:one")))  # fmt: skip
    ev(action="raise", resourceInventoriedAs=r, resourceQuantity=qty(2))
    _has(api, r, acct="12", onhand="12")
    ev(action="lower", resourceInventoriedAs=r, resourceQuantity=qty(2000, "om2:gram"))
    _has(api, r, acct="10", onhand="10")
    shirt = to_of(ev(new={"name": "shirts"}, action="produce", outputOf=p,
                     resourceConformsTo=cotton, resourceQuantity=qty(2)))  # fmt: skip
    _has(api, shirt, acct="2", owner=a, stage=sewing)
    ev(action="consume", inputOf=p, resourceInventoriedAs=r, resourceQuantity=qty(1))
    _has(api, r, acct="9", onhand="9")
    ev(action="use", inputOf=p, resourceInventoriedAs=r, effortQuantity=qty(2, "om2:hour"))
    ev(action="cite", inputOf=p, resourceInventoriedAs=r, resourceQuantity=qty(1))
    ev(action="work", inputOf=p, resourceConformsTo=cotton, effortQuantity=qty(90, "om2:minute"))
    ev(action="deliverService", receiver=b, outputOf=p, inputOf=q, resourceConformsTo=cotton,
       resourceQuantity=qty(1))  # fmt: skip
    _has(api, r, acct="9", onhand="9")
    ev(action="pickup", inputOf=q, resourceInventoriedAs=r, resourceQuantity=qty(9),
       toLocation=there)  # fmt: skip
    _has(api, r, acct="9", onhand="0", at=there)
    ev(action="dropoff", outputOf=q, resourceInventoriedAs=r, resourceQuantity=qty(9),
       toLocation=here)  # fmt: skip
    _has(api, r, onhand="9", at=here)
    ev(action="accept", inputOf=p, resourceInventoriedAs=r, resourceQuantity=qty(9))
    _has(api, r, acct="9", onhand="0")
    ev(action="modify", outputOf=p, resourceInventoriedAs=r, resourceQuantity=qty(9))
    _has(api, r, onhand="9", stage=sewing)
    ev(action="combine", inputOf=q, resourceInventoriedAs=r, toResourceInventoriedAs=box,
       resourceQuantity=qty(9))  # fmt: skip
    _has(api, r, onhand="0", **{"in": box})
    ev(action="separate", outputOf=q, resourceInventoriedAs=r, resourceQuantity=qty(9))
    _has(api, r, onhand="9", **{"in": None})
    sold = to_of(ev(action="transfer", receiver=b, resourceInventoriedAs=r,
                    resourceQuantity=qty(4)))  # fmt: skip
    _has(api, r, acct="5", onhand="5")
    _has(api, sold, acct="4", onhand="4", owner=b, custodian=b)
    titled = to_of(ev(action="transferAllRights", receiver=b, resourceInventoriedAs=r,
                      resourceQuantity=qty(1)))  # fmt: skip
    _has(api, r, acct="4", onhand="5")
    _has(api, titled, acct="1", onhand="0", owner=b, custodian=a)
    lent = to_of(ev(action="transferCustody", receiver=b, resourceInventoriedAs=r,
                    resourceQuantity=qty(1), toLocation=there))  # fmt: skip
    _has(api, r, acct="4", onhand="4")
    _has(api, lent, acct="0", onhand="1", owner=a, custodian=b, at=there)
    moved = to_of(ev(action="move", resourceInventoriedAs=r, resourceQuantity=qty(1),
                     toLocation=there))  # fmt: skip
    _has(api, r, acct="3", onhand="3", at=here)
    _has(api, moved, acct="1", onhand="1", owner=a, at=there)
    copied = to_of(ev(action="copy", receiver=b, resourceInventoriedAs=r,
                      resourceQuantity=qty(1)))  # fmt: skip
    _has(api, r, acct="3", onhand="3")
    _has(api, copied, acct="1", owner=b, custodian=b)
    actions = api.client().query(
        "{ economicEvents(first: 100) { edges { node { action { id } } } } }"
    )
    seen = {e["node"]["action"]["id"] for e in actions["economicEvents"]["edges"]}
    assert len(seen) == 19
