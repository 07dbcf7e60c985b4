"""The six pilot scenarios, one module each, and loading them (once) onto a node.

``SCENARIOS`` lists them in the order ``reflow demo`` loads them; ``load`` is idempotent per
scenario: a scenario whose closing marker is in the log is not loaded again (its passport resource
and agents are found again from the marker and the keystore).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from reflow.node import Node
from reflow.scenarios import energy, fair, food, plastics, textile, water
from reflow.scenarios.builder import Loaded, Progress, Scenario, marker_name

SCENARIOS: dict[str, ModuleType] = {
    m.NAME: m for m in (textile, water, food, fair, plastics, energy)
}
CITIES = {name: m.CITY for name, m in SCENARIOS.items()}

Loader = Callable[..., Loaded]


def load(node: Node, name: str, *, seed: int = 0, progress: Progress | None = None) -> Loaded:
    """Load scenario ``name`` unless its marker is there already."""
    found = _marker(node, name)
    if found is not None:
        return found
    module = SCENARIOS[name]
    loaded: Loaded = module.load(node, seed=seed, progress=progress)
    return loaded


PILOTS = "pilots"


def load_pilot_territory(node: Node, *, seed: int = 0, progress: Progress | None = None) -> Loaded:
    """One territory made of the six cities' districts (a node has one territory: the latest
    ``territory.define``), recorded after the six pilots so the map and reports cover them all."""
    found = _marker(node, PILOTS)
    if found is not None:
        return found
    s = Scenario(node, PILOTS, seed=seed, start="2026-04-01T08:00:00Z", progress=progress)
    s.agent("network", "Organization", "ReflowOS pilot network")
    districts = [d for m in SCENARIOS.values() for d in m.DISTRICTS]
    s.territory("network", "ReflowOS pilot cities", districts)
    return s.close("network")


def _marker(node: Node, name: str) -> Loaded | None:
    wanted = marker_name(name)
    for plan in node.store.objects_of_type("Plan"):
        if plan.data.get("name") != wanted:
            continue
        note = str(plan.data.get("note", ""))
        passport = note.rsplit("passport: ", 1)[1] if "passport: " in note else None
        prefix = f"demo:{name}:"
        agents = {}
        for public in node.keystore.list():
            label = node.keystore.label(public) or ""
            if label.startswith(prefix):
                agents[label.removeprefix(prefix)] = public
        return Loaded(name, agents=agents, passport=passport, already_loaded=True)
    return None


__all__ = ["CITIES", "PILOTS", "SCENARIOS", "Loaded", "load", "load_pilot_territory"]
