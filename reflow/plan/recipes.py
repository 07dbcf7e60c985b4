"""Recipes (VF 1.0): the ``recipe.define`` record kind and the book the planner reads.

A recipe is defined whole, in one record — the Recipe, its RecipeProcesses and RecipeFlows — so
a half-written recipe (a flow pointing at a process not yet there) never exists. Flows name
their process by the local ``key`` the record gives it; ids come from the record.

A need is keyed by (specification, stage, state). A process *produces* a key when one of its
output flows conforms to the specification and, when a stage is asked for, the process conforms
to that stage. A process that takes in the specification it puts out (collecting, moving,
sorting in place) only changes its stage, so it produces that specification only when the
stage is asked for: this is what keeps "collect garments → garments (collected)" from being a
cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from reflow.errors import NotFound, RuleViolation, UnitError
from reflow.ledger.changes import Changes, VfObject
from reflow.ledger.context import Context
from reflow.ledger.kinds import register_kind
from reflow.vf.measure import Measure
from reflow.vf.types import get_type
from reflow.vf.units import convert

HOUR = "om2:hour"
CLASS = "class:"  # prefix of a need key that names a classification rather than a spec
Key = tuple[str, str | None, str | None]  # (spec, stage, state)


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    action: str
    spec: str | None
    classes: tuple[str, ...]
    quantity: Decimal | None
    unit: str | None
    effort: Decimal | None  # hours
    stage: str | None
    state: str | None

    @property
    def key(self) -> Key:
        """What a need of this flow is: its spec, or ``class:<uri>`` when it names a class."""
        what = self.spec or (f"{CLASS}{self.classes[0]}" if self.classes else "")
        return (what, self.stage, self.state)

    @property
    def material(self) -> bool:
        """A flow of resources (not of work) with a quantity: it makes a need."""
        return self.action != "work" and bool(self.spec or self.classes) and bool(self.quantity)


@dataclass(slots=True)
class RecipeProcess:
    id: str
    name: str
    recipe: str
    hours: Decimal
    conforms_to: str | None
    inputs: list[Flow] = field(default_factory=list)
    outputs: list[Flow] = field(default_factory=list)

    @property
    def is_transport(self) -> bool:
        return any(f.action == "pickup" for f in self.inputs)

    def output_for(self, spec: str) -> Flow | None:
        return next((f for f in self.outputs if f.spec == spec and f.quantity), None)


@dataclass(slots=True)
class RecipeBook:
    """Every recipe process known, indexed by what it produces.

    A key may have several producers — alternative recipes for the same output. ``producers``
    lists them in the order of preference when nothing else decides (the recipe whose primary
    output it is, then the smallest id); the planner chooses among them (``choose``).
    ``forced`` pins a key to one producer: how a choice is tried out.
    """

    processes: dict[str, RecipeProcess]
    primary: dict[str, str]  # spec -> recipe whose primaryOutput it is
    names: dict[str, str] = field(default_factory=dict)  # recipe id -> its name
    forced: dict[Key, str] = field(default_factory=dict)
    by_spec: dict[str, list[RecipeProcess]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.by_spec:
            for p in sorted(self.processes.values(), key=lambda p: p.id):
                for spec in dict.fromkeys(f.spec for f in p.outputs if f.spec and f.quantity):
                    self.by_spec.setdefault(spec, []).append(p)

    def producers(self, key: Key) -> list[RecipeProcess]:
        if key in self.forced:
            return [self.processes[self.forced[key]]]
        spec, stage, _state = key
        found = []
        for p in self.by_spec.get(spec, ()):
            changes_stage = any(f.spec == spec for f in p.inputs)
            if stage is not None and p.conforms_to != stage:
                continue
            if stage is None and changes_stage:
                continue
            found.append(p)
        found.sort(key=lambda p: (self.primary.get(spec) != p.recipe, p.id))
        return found

    def producer(self, key: Key) -> RecipeProcess | None:
        found = self.producers(key)
        return found[0] if found else None

    def choosing(self, key: Key, process: RecipeProcess) -> RecipeBook:
        """The same book with ``key`` made by ``process`` only."""
        return replace(self, forced={**self.forced, key: process.id})


def _measure(raw: Any, where: str) -> Measure:
    m = Measure.from_vf(raw, where)
    if m.value <= 0:
        raise RuleViolation("a quantity must be more than zero", field=where, rule="positive")
    return m


def hours_of(m: Measure, where: str) -> Decimal:
    try:
        return convert(m.value, m.unit, HOUR)
    except UnitError:
        raise UnitError(f"{m.unit} is not a time", field=where, rule="time-unit") from None


def _known(body: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RuleViolation("must be an object", field=where, rule="type")
    extra = sorted(set(body) - allowed)
    if extra:
        raise RuleViolation(
            f"unknown field {extra[0]!r}", field=f"{where}.{extra[0]}", rule="known-fields"
        )
    return body


def _refs(ctx: Context, type_name: str, data: dict[str, Any], where: str) -> None:
    for key, ref_type, ref_id in get_type(type_name).references(data):
        if ref_type in ("RecipeProcess", "RecipeExchange"):
            continue
        if not ctx.view.exists(ref_type, ref_id):
            raise NotFound(f"no {ref_type} {ref_id!r}", field=f"{where}.{key}")


def define_recipe(ctx: Context) -> Changes:
    body = _known(ctx.record.body, {"recipe", "processes", "flows", "exchanges"}, "body")
    recipe = get_type("Recipe").check(body.get("recipe"), "body.recipe")
    if "recipeIncludes" in recipe:
        raise RuleViolation(
            "recipeIncludes is derived from processes",
            field="body.recipe.recipeIncludes",
            rule="derived",
        )
    if not recipe.get("primaryOutput"):
        raise RuleViolation(
            "a recipe names its primaryOutput", field="body.recipe.primaryOutput", rule="required"
        )
    _refs(ctx, "Recipe", recipe, "body.recipe")
    raws = body.get("processes")
    if not isinstance(raws, list) or not raws:
        raise RuleViolation("a recipe has processes", field="body.processes", rule="required")
    rec = ctx.record
    changes = Changes()
    keys: dict[str, str] = {}
    stage_of: dict[str, str | None] = {}
    for i, raw in enumerate(raws):
        where = f"body.processes[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
            raise RuleViolation(
                "each process has a text key", field=f"{where}.key", rule="required"
            )
        data = get_type("RecipeProcess").check({k: v for k, v in raw.items() if k != "key"}, where)
        if raw["key"] in keys:
            raise RuleViolation(
                f"key {raw['key']!r} is used twice", field=f"{where}.key", rule="unique-key"
            )
        if data.get("hasDuration") is None:
            raise RuleViolation(
                "a recipe process has a duration", field=f"{where}.hasDuration", rule="required"
            )
        dur = f"{where}.hasDuration"
        hours_of(Measure.from_vf(data["hasDuration"], dur), dur)
        _refs(ctx, "RecipeProcess", data, where)
        pid = ctx.id(f"process:{raw['key']}")
        keys[raw["key"]] = pid
        stage_of[pid] = data.get("processConformsTo")
        changes.objects[pid] = VfObject(
            "RecipeProcess", pid, data, rec.author, rec.hash, rec.created
        )
        changes.created[f"RecipeProcess:{raw['key']}"] = pid
    ex_keys: dict[str, str] = {}
    for i, raw in enumerate(body.get("exchanges") or []):
        where = f"body.exchanges[{i}]"
        if not isinstance(raw, dict):
            raise RuleViolation("an exchange is an object", field=where, rule="type")
        data = get_type("RecipeExchange").check({k: v for k, v in raw.items() if k != "key"}, where)
        eid = ctx.id(f"exchange:{raw.get('key', i)}")
        ex_keys[str(raw.get("key", i))] = eid
        changes.objects[eid] = VfObject(
            "RecipeExchange", eid, data, rec.author, rec.hash, rec.created
        )
    flows = body.get("flows")
    if not isinstance(flows, list) or not flows:
        raise RuleViolation("a recipe has flows", field="body.flows", rule="required")
    outs: dict[str, list[str]] = {}  # spec -> producing processes
    ins: dict[str, list[tuple[str, str | None]]] = {}  # process -> (spec, stage) it takes
    for i, raw in enumerate(flows):
        where = f"body.flows[{i}]"
        data = dict(get_type("RecipeFlow").check(raw, where))
        sides = [s for s in ("recipeInputOf", "recipeOutputOf") if data.get(s) is not None]
        if len(sides) != 1:
            raise RuleViolation(
                "a flow is the input or the output of exactly one process",
                field=f"{where}.recipeInputOf",
                rule="flow-on-process",
            )
        side = sides[0]
        if data[side] not in keys:
            raise NotFound(
                f"no process with key {data[side]!r} in this recipe", field=f"{where}.{side}"
            )
        data[side] = keys[data[side]]
        if data.get("recipeClauseOf") is not None:
            if data["recipeClauseOf"] not in ex_keys:
                raise NotFound("no such exchange", field=f"{where}.recipeClauseOf")
            data["recipeClauseOf"] = ex_keys[data["recipeClauseOf"]]
        qfield = "effortQuantity" if data["action"] == "work" else "resourceQuantity"
        if data.get(qfield) is None:
            raise RuleViolation(
                f"a {data['action']} flow needs {qfield}",
                field=f"{where}.{qfield}",
                rule="flow-quantity",
            )
        _measure(data[qfield], f"{where}.{qfield}")
        if qfield == "effortQuantity":
            hours_of(Measure.from_vf(data[qfield], where), f"{where}.effortQuantity")
        if not data.get("resourceConformsTo") and not data.get("resourceClassifiedAs"):
            raise RuleViolation(
                "a flow names resourceConformsTo or resourceClassifiedAs",
                field=f"{where}.resourceConformsTo",
                rule="flow-what",
            )
        _refs(ctx, "RecipeFlow", data, where)
        spec = data.get("resourceConformsTo")
        if spec and side == "recipeOutputOf":
            outs.setdefault(spec, []).append(data[side])
        elif spec and data["action"] != "work":
            ins.setdefault(data[side], []).append((spec, data.get("stage")))
        fid = ctx.id(f"flow:{i}")
        changes.objects[fid] = VfObject("RecipeFlow", fid, data, rec.author, rec.hash, rec.created)
        changes.created[f"RecipeFlow:{i}"] = fid
    if recipe["primaryOutput"] not in outs:
        raise RuleViolation(
            "no process of the recipe outputs its primaryOutput",
            field="body.recipe.primaryOutput",
            rule="output-has-process",
        )
    _no_cycle(ins, outs, stage_of)
    rid = ctx.id("recipe")
    recipe = {**recipe, "recipeIncludes": list(keys.values())}
    changes.objects[rid] = VfObject("Recipe", rid, recipe, rec.author, rec.hash, rec.created)
    changes.created["Recipe"] = rid
    return changes


def _no_cycle(
    ins: dict[str, list[tuple[str, str | None]]],
    outs: dict[str, list[str]],
    stage_of: dict[str, str | None],
) -> None:
    """Process A feeds B when B takes in what A puts out (at A's stage, if B asks a stage)."""
    feeds: dict[str, set[str]] = {p: set() for p in stage_of}
    for b, needs in ins.items():
        for spec, stage in needs:
            for a in outs.get(spec, []):
                if a == b or (stage is not None and stage_of[a] != stage):
                    continue
                if stage is None and any(s == spec for s, _ in ins.get(a, [])):
                    continue  # a stage change of the same spec feeds only who asks its stage
                feeds[a].add(b)
    state: dict[str, int] = {}

    def visit(p: str) -> None:
        state[p] = 1
        for q in sorted(feeds[p]):
            if state.get(q) == 1:
                raise RuleViolation(
                    "the recipe's processes feed each other in a cycle",
                    field="body.flows",
                    rule="no-cycle",
                )
            if q not in state:
                visit(q)
        state[p] = 2

    for p in sorted(feeds):
        if p not in state:
            visit(p)


def _flow(obj: VfObject) -> Flow:
    d = obj.data
    q = Measure.from_vf(d["resourceQuantity"], "q") if d.get("resourceQuantity") else None
    e = Measure.from_vf(d["effortQuantity"], "e") if d.get("effortQuantity") else None
    return Flow(
        id=obj.id,
        action=d["action"],
        spec=d.get("resourceConformsTo"),
        classes=tuple(d.get("resourceClassifiedAs") or ()),
        quantity=q.value if q else None,
        unit=q.unit if q else None,
        effort=hours_of(e, "effortQuantity") if e else None,
        stage=d.get("stage"),
        state=d.get("state"),
    )


def load_book(store: Any) -> RecipeBook:
    """Read every recipe from the store (recipes are few: hundreds of processes, not millions)."""
    processes: dict[str, RecipeProcess] = {}
    primary: dict[str, str] = {}
    names: dict[str, str] = {}
    for r in sorted(store.objects_of_type("Recipe"), key=lambda r: r.id):
        primary.setdefault(r.data["primaryOutput"], r.id)
        names[r.id] = r.data.get("name") or r.id
        for pid in r.data.get("recipeIncludes", []):
            o = store.object(pid)
            if o is None or o.deleted:
                continue
            dur = Measure.from_vf(o.data["hasDuration"], "hasDuration")
            processes[pid] = RecipeProcess(
                pid,
                o.data["name"],
                r.id,
                hours_of(dur, "hasDuration"),
                o.data.get("processConformsTo"),
            )
    for f in store.objects_of_type("RecipeFlow"):
        target = f.data.get("recipeInputOf") or f.data.get("recipeOutputOf")
        p = processes.get(target)
        if p is None:
            continue
        (p.inputs if f.data.get("recipeInputOf") else p.outputs).append(_flow(f))
    return RecipeBook(processes, primary, names)


register_kind("recipe.define", define_recipe, "define a recipe: processes and flows, validated")
