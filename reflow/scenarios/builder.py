"""A small language for writing pilot scenarios: agents, places, specs, stock, processes, offers.

A scenario is a story told as signed records. ``Scenario`` keeps what makes that story the same
on every run: each agent's key is derived from (seed, scenario, role), and every record's
``created`` time (and every event's ``hasPointInTime``) comes from the scenario's own clock, so
two nodes of the same network that load the same scenario hold byte-identical records and the
same state digest. Everything is written through ``Ledger.append`` like any other record; the
services (market, planning, value, territory) are called with a clocked view of the node, so
their records get the story's time too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reflow.errors import ConflictError
from reflow.federation.deps import record_deps
from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Receipt
from reflow.ledger.records import sign_record
from reflow.node import Node
from reflow.scenarios.steps import ServiceSteps

WIKIDATA = "http://www.wikidata.org/entity/"
# Classes without a Wikidata item we are sure of get a descriptive URI in the project's space.
REFLOW_CLASS = "https://w3id.org/reflow/class/"
KG, ONE, HOUR, LITRE, KWH, EUR = (
    "om2:kilogram",
    "om2:one",
    "om2:hour",
    "om2:litre",
    "om2:kilowattHour",
    "iso4217:EUR",
)

Progress = Callable[[int, str], None]


def wd(qid: str) -> str:
    """A Wikidata item's URI."""
    return WIKIDATA + qid


def cls(name: str) -> str:
    """A descriptive class URI for a kind no Wikidata item is known (to us) to name exactly."""
    return REFLOW_CLASS + name


def q(value: str | int, unit: str = KG) -> dict[str, str]:
    """A VF measure; numbers are strings in records."""
    return {"hasNumericalValue": str(value), "hasUnit": unit}


def marker_name(scenario: str) -> str:
    return f"ReflowOS demo scenario: {scenario}"


def derive_key(seed: int, scenario: str, role: str) -> KeyPair:
    """The key of ``role`` in ``scenario``: the same for the same seed, different otherwise."""
    return KeyPair(hashlib.sha256(f"reflow-scenario/{seed}/{scenario}/{role}".encode()).digest())


def is_loaded(node: Node, scenario: str) -> bool:
    """Has this node's log got the scenario's closing marker (its last record)?"""
    name = marker_name(scenario)
    return any(p.data.get("name") == name for p in node.store.objects_of_type("Plan"))


@dataclass
class Loaded:
    """What a scenario load did: ids by key, and the resource whose passport is worth opening."""

    scenario: str
    ids: dict[str, str] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)
    records: int = 0
    passport: str | None = None
    already_loaded: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "records": self.records,
            "agents": self.agents,
            "passport": self.passport,
            "alreadyLoaded": self.already_loaded,
        }


class _Clocked:
    """The node as services see it during a scenario: ``submit`` signs at the story's time."""

    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scenario.node, name)

    def submit(
        self, key: KeyPair, kind: str, body: dict[str, Any], deps: tuple[str, ...] | list[str] = ()
    ) -> Receipt:
        if kind == "plan.create":
            body = _without_wall_clock(body)
        return self._scenario.submit_as(key, kind, body, deps)


def _without_wall_clock(body: dict[str, Any]) -> dict[str, Any]:
    """The plan record without the solver's measured seconds: a scenario's records must come out
    the same on every run, and a wall-clock measurement is not part of the story."""
    solver = body.get("summary", {}).get("solver")
    if not isinstance(solver, dict) or "seconds" not in solver:
        return body
    summary = {**body["summary"], "solver": {k: v for k, v in solver.items() if k != "seconds"}}
    return {**body, "summary": summary}


class Scenario(ServiceSteps):
    """One scenario being written: its keys, clock, ids and the records it has added."""

    def __init__(
        self,
        node: Node,
        name: str,
        *,
        seed: int = 0,
        start: str = "2026-03-02T08:00:00Z",
        progress: Progress | None = None,
    ) -> None:
        self.node = node
        self.name = name
        self.seed = seed
        self.clock = datetime.fromisoformat(start.replace("Z", "+00:00"))
        self.progress = progress
        self.keys: dict[str, KeyPair] = {}
        self.out = Loaded(name)
        self.ids = self.out.ids
        self.services = _Clocked(self)
        self._tick = 0

    # -- time and signing -----------------------------------------------------------------

    def day(self, day: int, hour: int = 9) -> None:
        """Move the story to ``day`` (of the start month) at ``hour``; the clock never goes back."""
        when = self.clock.replace(day=day, hour=hour, minute=0, second=0, microsecond=0)
        if when > self.clock:
            self.clock, self._tick = when, 0

    def now(self) -> str:
        return (self.clock + timedelta(seconds=self._tick)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def submit_as(
        self, key: KeyPair, kind: str, body: dict[str, Any], deps: tuple[str, ...] | list[str] = ()
    ) -> Receipt:
        node = self.node
        with node.ledger.lock:
            node.store.refresh()
            seq, prev = node.next_position(key.public)
            deps = (*deps, *record_deps(node.store, key.public, body))
            rec = sign_record(
                key,
                network=node.info.network,
                seq=seq,
                prev=prev,
                kind=kind,
                body=body,
                deps=deps,
                created=self.now(),
            )
            receipt = node.ledger.append(rec)
        self._tick += 1
        self.out.records += 1
        if self.progress is not None:
            self.progress(self.out.records, f"{self.name}: {kind}")
        return receipt

    def submit(self, role: str, kind: str, body: dict[str, Any]) -> Receipt:
        return self.submit_as(self.keys[role], kind, body)

    def key(self, role: str) -> KeyPair:
        return self.keys[role]

    # -- objects --------------------------------------------------------------------------

    def agent(self, role: str, type_name: str, name: str, **data: Any) -> str:
        """Declare an agent under its derived key; the node's keystore keeps the key."""
        key = derive_key(self.seed, self.name, role)
        if not self.keys and self.node.store.object(key.public) is not None:
            raise ConflictError(
                f"an earlier load of {self.name} stopped part-way on this node; use a fresh "
                "--data-dir",
                field="data-dir",
                rule="demo-loads-once",
            )
        self.node.keystore.add(key, label=f"demo:{self.name}:{role}")
        self.keys[role] = key
        self.submit_as(key, "agent.declare", {"type": type_name, "data": {"name": name, **data}})
        self.out.agents[role] = key.public
        return key.public

    def a(self, role: str) -> str:
        """An agent's id by role."""
        return self.out.agents[role]

    def remember(self, key: str, value: str) -> str:
        """Remember ``value`` under ``key``; a key names one thing only (catches typos)."""
        if key in self.ids:
            raise KeyError(f"scenario {self.name}: {key!r} already names {self.ids[key]}")
        self.ids[key] = value
        return value

    def create(self, role: str, key: str, type_name: str, **data: Any) -> str:
        receipt = self.submit(role, "vf.create", {"type": type_name, "data": data})
        return self.remember(key, receipt.created[type_name])

    def update(self, role: str, key: str, **data: Any) -> None:
        self.submit(role, "vf.update", {"id": self.ids[key], "data": data})

    def place(self, role: str, key: str, name: str, lat: str, long: str, address: str) -> str:
        return self.create(
            role, key, "SpatialThing", name=name, lat=lat, long=long, mappableAddress=address
        )

    def spec(
        self, role: str, key: str, name: str, classes: list[str], unit: str = KG, **data: Any
    ) -> str:
        return self.create(
            role,
            key,
            "ResourceSpecification",
            name=name,
            resourceClassifiedAs=classes,
            defaultUnitOfResource=unit,
            **data,
        )

    def pspec(self, role: str, key: str, name: str) -> str:
        return self.create(role, key, "ProcessSpecification", name=name)

    def process(self, role: str, key: str, name: str, based_on: str, at: str, **data: Any) -> str:
        return self.create(
            role,
            key,
            "Process",
            name=name,
            basedOn=self.ids[based_on],
            atLocation=self.ids[at],
            hasBeginning=self.now(),
            **data,
        )

    def finish(self, role: str, key: str) -> None:
        self.update(role, key, finished=True, hasEnd=self.now())

    # -- events ---------------------------------------------------------------------------

    def event(
        self, role: str, action: str, *, new: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, str]:
        """Record an event signed by ``role``; provider/receiver default to ``role``'s agent,
        and values naming a known key (place, spec, process, resource) are resolved to ids."""
        event: dict[str, Any] = {"action": action, "hasPointInTime": self.now()}
        for name, value in fields.items():
            if name in ("provider", "receiver"):
                value = self.a(value)
            elif isinstance(value, str) and name in _REF_FIELDS:
                value = self.ids.get(value, value)
            event[name] = value
        event.setdefault("provider", self.a(role))
        event.setdefault("receiver", self.a(role))
        body: dict[str, Any] = {"event": event}
        if new is not None:
            if "currentLocation" in new:
                new = {**new, "currentLocation": self.ids.get(new["currentLocation"])}
            body["newInventoriedResource"] = new
        return self.submit(role, "vf.event", body).created

    def stock(
        self,
        role: str,
        key: str,
        spec: str,
        amount: dict[str, str],
        at: str,
        name: str,
        **more: Any,
    ) -> str:
        """Raise inventory of ``spec`` held by ``role`` at place ``at``; ``key`` names it."""
        created = self.event(
            role,
            "raise",
            new={"name": name, "currentLocation": at, **more},
            resourceConformsTo=spec,
            resourceQuantity=amount,
            toLocation=at,
        )
        return self.remember(key, created["EconomicResource"])

    def produce(
        self,
        role: str,
        key: str,
        process: str,
        spec: str,
        amount: dict[str, str],
        at: str,
        name: str,
        **more: Any,
    ) -> str:
        created = self.event(
            role,
            "produce",
            new={"name": name, "currentLocation": at, **more},
            outputOf=process,
            resourceConformsTo=spec,
            resourceQuantity=amount,
            toLocation=at,
        )
        return self.remember(key, created["EconomicResource"])

    def transfer(
        self,
        role: str,
        to: str,
        resource: str,
        amount: dict[str, str],
        key: str,
        at: str,
        action: str = "transfer",
    ) -> str:
        """Give part of ``resource`` to ``to`` at place ``at``; ``key`` names what they get."""
        created = self.event(
            role,
            action,
            receiver=to,
            resourceInventoriedAs=resource,
            resourceQuantity=amount,
            toLocation=at,
        )
        self.remember(f"{key}_event", created["EconomicEvent"])
        return self.remember(key, created["toEconomicResource"])

    def work(self, role: str, process: str, hours: str, skill: str | None = None) -> None:
        more = {"resourceConformsTo": self.ids[skill]} if skill else {}
        self.event(role, "work", inputOf=process, effortQuantity=q(hours, HOUR), **more)

    def consume(self, role: str, process: str, resource: str, amount: dict[str, str]) -> None:
        self.event(
            role,
            "consume",
            inputOf=process,
            resourceInventoriedAs=resource,
            resourceQuantity=amount,
        )

    def close(self, role: str, passport: str | None = None) -> Loaded:
        """Record the closing marker (its presence means the whole scenario is in the log)."""
        note = f"closing marker of the {self.name} scenario"
        if passport is not None:
            self.out.passport = self.ids[passport]
            note += f"; passport: {self.out.passport}"
        self.submit(
            role,
            "vf.create",
            {"type": "Plan", "data": {"name": marker_name(self.name), "note": note}},
        )
        return self.out


_REF_FIELDS = frozenset(
    {
        "inputOf",
        "outputOf",
        "resourceInventoriedAs",
        "toResourceInventoriedAs",
        "resourceConformsTo",
        "atLocation",
        "toLocation",
        "triggeredBy",
        "corrects",
    }
)
