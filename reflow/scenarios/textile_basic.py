"""A small, deterministic textile loop in Amsterdam: the demo data until the pilot scenarios exist.

A collector gathers used cotton garments and hands part of them to a sorting workshop; the
collector's van carries them across the IJ (pickup/dropoff); the workshop sorts them into cotton
textile (consume, work, produce), packs a share into a crate (combine) and gives the crate to a
tailor, who unpacks it (separate) and uses a little of the cotton to repair a hospital's gown
(accept/modify). Every step is a signed record submitted through ``Node.submit``, so the demo
exercises the same rules as real use.

Loading is safe to repeat: the scenario records a marker Plan as its very last record, and
``load`` does nothing when the marker is there (and refuses, rather than duplicating, when an
earlier load stopped part-way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reflow.errors import ConflictError
from reflow.ledger.keys import KeyPair
from reflow.node import Node

NAME = "textile_basic"
MARKER = "ReflowOS demo scenario: textile_basic"
LABEL_PREFIX = f"demo:{NAME}:"

WIKIDATA = "https://www.wikidata.org/wiki/"
COTTON = WIKIDATA + "Q11457"
CLOTHING = WIKIDATA + "Q11460"
TEXTILE = WIKIDATA + "Q28823"

# (role, type, name)
AGENTS = (
    ("collector", "Organization", "Textielinzameling Amsterdam"),
    ("workshop", "Organization", "Sorteerwerkplaats Noord"),
    ("tailor", "Person", "Atelier Jordaan (Mira de Vries)"),
    ("hospital", "Organization", "Ziekenhuis Oost"),
)
# (role that records it, key, name, lat, long, address)
PLACES = (
    ("collector", "depot", "Collection depot Westpoort", "52.3961", "4.8283", "Westpoort"),
    ("workshop", "workshop", "Sorting workshop Noord", "52.3906", "4.9232", "Buiksloterham"),
    ("tailor", "studio", "Tailor's studio Jordaan", "52.3745", "4.8810", "Jordaan"),
    ("hospital", "hospital", "Ziekenhuis Oost linen room", "52.3590", "4.9160", "Oosterpark"),
)  # fmt: skip

Progress = Callable[[int, str], None]


@dataclass
class Loaded:
    """What the scenario created (ids by role), or found already there."""

    agents: dict[str, str] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    specs: dict[str, str] = field(default_factory=dict)
    processes: dict[str, str] = field(default_factory=dict)
    resources: dict[str, str] = field(default_factory=dict)
    records: int = 0
    already_loaded: bool = False


def is_loaded(node: Node) -> bool:
    """Has this node's log got the scenario's closing marker?"""
    return any(p.data.get("name") == MARKER for p in node.store.objects_of_type("Plan"))


def existing_agents(node: Node) -> dict[str, str]:
    """The demo agents whose keys this node keeps, by role (found through their key labels)."""
    out = {}
    for public in node.keystore.list():
        label = node.keystore.label(public) or ""
        if label.startswith(LABEL_PREFIX) and node.store.object(public) is not None:
            out[label.removeprefix(LABEL_PREFIX)] = public
    return out


class _Script:
    """Submits the scenario's records one by one and reports each step."""

    def __init__(self, node: Node, progress: Progress | None) -> None:
        self.node = node
        self.progress = progress
        self.keys: dict[str, KeyPair] = {}
        self.out = Loaded()

    def _step(self, label: str) -> None:
        self.out.records += 1
        if self.progress is not None:
            self.progress(self.out.records, label)

    def agent(self, role: str, type_name: str, name: str) -> None:
        key = self.node.new_agent(type_name, {"name": name}, label=LABEL_PREFIX + role)
        self.keys[role] = key
        self.out.agents[role] = key.public
        self._step(f"agent {name}")

    def create(self, role: str, type_name: str, data: dict[str, Any]) -> str:
        receipt = self.node.submit(self.keys[role], "vf.create", {"type": type_name, "data": data})
        self._step(f"{type_name} {data.get('name', '')}")
        return receipt.created[type_name]

    def update(self, role: str, object_id: str, data: dict[str, Any]) -> None:
        self.node.submit(self.keys[role], "vf.update", {"id": object_id, "data": data})
        self._step(f"update {object_id[:10]}")

    def event(self, role: str, new: dict[str, Any] | None = None, **event: Any) -> dict[str, str]:
        event.setdefault("provider", self.out.agents[role])
        event.setdefault("receiver", self.out.agents[role])
        body: dict[str, Any] = {"event": event}
        if new is not None:
            body["newInventoriedResource"] = new
        receipt = self.node.submit(self.keys[role], "vf.event", body)
        self._step(f"{event['action']}")
        return receipt.created


def kg(value: str) -> dict[str, str]:
    return {"hasNumericalValue": value, "hasUnit": "om2:kilogram"}


def each(value: str) -> dict[str, str]:
    return {"hasNumericalValue": value, "hasUnit": "om2:one"}


def hours(value: str) -> dict[str, str]:
    return {"hasNumericalValue": value, "hasUnit": "om2:hour"}


# How many records ``load`` submits (a test checks it), so a progress bar knows its length.
TOTAL_RECORDS = 40


def load(node: Node, progress: Progress | None = None) -> Loaded:
    """Record the scenario on ``node`` unless it is there already; returns the ids by role."""
    if is_loaded(node):
        return Loaded(agents=existing_agents(node), already_loaded=True)
    if existing_agents(node):
        # Records are final: a half-loaded scenario cannot be rolled back, and loading it again
        # would declare a second set of demo agents beside the first.
        raise ConflictError(
            "an earlier demo load stopped part-way on this node; use a fresh --data-dir",
            field="data-dir",
            rule="demo-loads-once",
        )
    s = _Script(node, progress)
    a, p, spec, proc, res = (
        s.out.agents,
        s.out.places,
        s.out.specs,
        s.out.processes,
        s.out.resources,
    )

    for role, type_name, name in AGENTS:
        s.agent(role, type_name, name)
    for role, key, name, lat, long, address in PLACES:
        p[key] = s.create(
            role,
            "SpatialThing",
            {"name": name, "lat": lat, "long": long, "mappableAddress": f"{address}, Amsterdam"},
        )

    # What kinds of things flow, classified with Wikidata so other networks can match them.
    spec["garments"] = s.create(
        "collector",
        "ResourceSpecification",
        {
            "name": "Used cotton garments",
            "resourceClassifiedAs": [COTTON, CLOTHING],
            "defaultUnitOfResource": "om2:kilogram",
        },
    )
    spec["textile"] = s.create(
        "workshop",
        "ResourceSpecification",
        {
            "name": "Sorted cotton textile",
            "resourceClassifiedAs": [COTTON, TEXTILE],
            "defaultUnitOfResource": "om2:kilogram",
        },
    )
    spec["crate"] = s.create(
        "workshop",
        "ResourceSpecification",
        {"name": "Reusable textile crate", "defaultUnitOfResource": "om2:one"},
    )
    spec["gown"] = s.create(
        "hospital",
        "ResourceSpecification",
        {
            "name": "Cotton hospital gown",
            "resourceClassifiedAs": [COTTON, CLOTHING],
            "defaultUnitOfResource": "om2:one",
            "massPerUnit": kg("0.4"),
        },
    )
    spec["transport"] = s.create("collector", "ProcessSpecification", {"name": "Transport"})
    spec["sorting"] = s.create("workshop", "ProcessSpecification", {"name": "Sorting"})
    spec["repair"] = s.create("tailor", "ProcessSpecification", {"name": "Repair"})  # fmt: skip

    # 1. The collector counts what it gathered, then sells most of it to the workshop.
    res["garments"] = s.event(
        "collector", {"name": "Collected garments, week 12", "currentLocation": p["depot"]},
        action="raise", resourceConformsTo=spec["garments"], resourceQuantity=kg("120"),
    )["EconomicResource"]  # fmt: skip
    res["workshop_garments"] = s.event(
        "collector", action="transfer", receiver=a["workshop"],
        resourceInventoriedAs=res["garments"], resourceQuantity=kg("80"),
    )["toEconomicResource"]  # fmt: skip

    # 2. The collector's van carries the workshop's garments from the depot to Noord.
    proc["transport"] = s.create("collector", "Process", {
        "name": "Van run Westpoort → Noord", "basedOn": spec["transport"]})  # fmt: skip
    s.event(
        "workshop",
        action="pickup",
        receiver=a["collector"],
        inputOf=proc["transport"],
        resourceInventoriedAs=res["workshop_garments"],
        resourceQuantity=kg("80"),
    )
    s.event("collector", action="dropoff", receiver=a["workshop"], outputOf=proc["transport"],
            resourceInventoriedAs=res["workshop_garments"], resourceQuantity=kg("80"),
            toLocation=p["workshop"])  # fmt: skip
    s.update("collector", proc["transport"], {"finished": True})

    # 3. Sorting: garments in, six hours of work, sorted cotton out (the rest is rejects).
    proc["sorting"] = s.create(
        "workshop",
        "Process",
        {"name": "Sorting batch 12", "basedOn": spec["sorting"], "atLocation": p["workshop"]},
    )
    s.event(
        "workshop",
        action="consume",
        inputOf=proc["sorting"],
        resourceInventoriedAs=res["workshop_garments"],
        resourceQuantity=kg("80"),
    )
    s.event("workshop", action="work", inputOf=proc["sorting"], effortQuantity=hours("6"))
    res["textile"] = s.event(
        "workshop",
        {
            "name": "Sorted cotton, batch 12",
            "trackingIdentifier": "SWN-B12",
            "currentLocation": p["workshop"],
        },
        action="produce",
        outputOf=proc["sorting"],
        resourceConformsTo=spec["textile"],
        resourceQuantity=kg("65"),
    )["EconomicResource"]
    s.update("workshop", proc["sorting"], {"finished": True})  # fmt: skip

    # 4. Packing: 15 kg are split off, packed in a crate, and the crate goes to the tailor.
    res["tailor_share"] = s.event(
        "workshop", action="move", resourceInventoriedAs=res["textile"],
        resourceQuantity=kg("15"),
    )["toEconomicResource"]  # fmt: skip
    res["crate"] = s.event(
        "workshop",
        {"name": "Crate 7", "trackingIdentifier": "SWN-CRATE-7", "currentLocation": p["workshop"]},
        action="raise",
        resourceConformsTo=spec["crate"],
        resourceQuantity=each("1"),
    )["EconomicResource"]
    s.event(
        "workshop",
        action="combine",
        resourceInventoriedAs=res["tailor_share"],
        toResourceInventoriedAs=res["crate"],
        resourceQuantity=kg("15"),
    )
    res["tailor_crate"] = s.event(
        "workshop",
        action="transfer",
        receiver=a["tailor"],
        resourceInventoriedAs=res["crate"],
        resourceQuantity=each("1"),
        toLocation=p["studio"],
    )["toEconomicResource"]
    s.event("tailor", action="separate", resourceInventoriedAs=res["tailor_share"],
            resourceQuantity=kg("15"))  # fmt: skip

    # 5. Repair: the hospital lends a torn gown to the tailor, who mends it with sorted cotton.
    res["gown"] = s.event(
        "hospital",
        {
            "name": "Surgical gown",
            "trackingIdentifier": "ZO-GOWN-0017",
            "currentLocation": p["hospital"],
        },
        action="raise",
        resourceConformsTo=spec["gown"],
        resourceQuantity=each("1"),
        state="torn",
    )["EconomicResource"]
    proc["repair"] = s.create(
        "tailor",
        "Process",
        {"name": "Repair gown ZO-GOWN-0017", "basedOn": spec["repair"], "atLocation": p["studio"]},
    )
    s.event(
        "hospital",
        action="accept",
        receiver=a["tailor"],
        inputOf=proc["repair"],
        resourceInventoriedAs=res["gown"],
        resourceQuantity=each("1"),
        toLocation=p["studio"],
    )
    s.event(
        "tailor",
        action="consume",
        inputOf=proc["repair"],
        resourceInventoriedAs=res["tailor_share"],
        resourceQuantity=kg("0.3"),
    )
    s.event("tailor", action="work", inputOf=proc["repair"], effortQuantity=hours("1.5"))
    s.event(
        "tailor",
        action="modify",
        receiver=a["hospital"],
        outputOf=proc["repair"],
        resourceInventoriedAs=res["gown"],
        resourceQuantity=each("1"),
        toLocation=p["hospital"],
        state="repaired",
    )
    s.update("tailor", proc["repair"], {"finished": True})  # fmt: skip

    # 6. The workshop sells 20 kg of sorted cotton on to the collector's resale shop.
    s.event("workshop", action="transfer", receiver=a["collector"],
            resourceInventoriedAs=res["textile"], resourceQuantity=kg("20"),
            toLocation=p["depot"])  # fmt: skip

    # The marker goes last: its presence means every record above is in the log.
    s.create("workshop", "Plan", {
        "name": MARKER, "note": "closing marker of the textile_basic demo scenario"})  # fmt: skip
    return s.out
