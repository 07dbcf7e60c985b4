"""The contributions behind a product, valued by an equation's rates. Loading is set-based.

What was contributed is found by walking the product's history backwards from the process that
produced it, the way NRP's value equations do: every input of a process is a contribution —

* ``work``: effort hours × the rate for its skill (the event's ``resourceConformsTo``), to the
  worker (provider);
* ``use``: hours the equipment was used × its rate, to the equipment's ``primaryAccountable``;
* ``cite``: a design — its rate per citation if the equation names one, else the value of the
  contributions that made the design — to the design's ``primaryAccountable`` (its author);
* ``deliverService``: hours (or quantity) × rate, to the provider;
* ``consume``: a resource. If the equation prices its specification (``rates.resource``), it is
  worth quantity × unit value, credited to whoever brought it into the network (the provider of
  the raise/produce it came from, following transfers back). If it is not priced, its value is
  the contributions behind it, recursively, scaled by the share of it used (2 kg of a 10 kg
  batch carry 1/5 of the work that made the batch).

A process's contributions are attributed to its outputs of the product's specification, by
quantity; outputs of other specifications (scraps) are by-products that carry none. Corrected
events are left out; their corrections stand in for them. A cycle (A consumed into B consumed
into A) is cut where it closes: the search does not follow an edge back to an item it is still
exploring, so each process is counted once, by the ids' order.

Why not ``reflow.trace.algorithms.trace``: its walk answers "what happened to this item" (it
lists events once, follows pairing rules and a used machine's own history as leaves), while a
value walk must scale each input by the share used and stop at priced inputs. Both walk the same
graph, so ``reflow.value.facts`` reuses the trace's set-based loader (``load_graph``: one
recursive query) and then fetches the value columns of those events and resources in a few
``IN`` queries; the walk here is pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from typing import Any

from reflow.errors import UnitError
from reflow.store.sqlstore import SqlStore
from reflow.value.equation import Equation
from reflow.value.facts import Ev, Facts, load_facts
from reflow.vf.units import convert

PRECISION = 50  # digits of every division: the same on every node
HOUR = "om2:hour"
TRANSFERS = frozenset({"transfer", "transferAllRights", "transferCustody", "move"})
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One valued contribution: who, what kind, from which event, and how it was valued."""

    kind: str
    agent: str
    event: str
    process: str | None
    amount: Decimal  # hours, kg… of the contribution (already scaled by ``share``)
    unit: str | None
    rate: Decimal | None
    share: Decimal  # the part of the event that went into the product
    value: Decimal  # amount × rate × multipliers, in the equation's currency
    multiplier: Decimal = Decimal(1)
    time: str | None = None
    plan: str | None = None
    via: tuple[str, ...] = ()  # resources between the product and the contribution

    def as_dict(self) -> dict[str, Any]:
        def s(d: Decimal | None) -> str | None:
            return None if d is None else decimal_text(d)

        return {
            "kind": self.kind, "agent": self.agent, "event": self.event,
            "process": self.process, "amount": s(self.amount), "unit": self.unit,
            "rate": s(self.rate), "share": s(self.share), "multiplier": s(self.multiplier),
            "value": s(self.value), "via": list(self.via),
        }  # fmt: skip


def decimal_text(d: Decimal) -> str:
    """Exact text, at most 6 decimals (explanations are read by people)."""
    q = d.quantize(Decimal("0.000001")) if d.as_tuple().exponent < -6 else d  # type: ignore[operator]
    out = format(q, "f")
    return out.rstrip("0").rstrip(".") if "." in out else out


def _in_unit(q: Decimal, unit: str | None, target: str | None) -> Decimal:
    if unit is None or target is None or unit == target:
        return q
    try:
        return convert(q, unit, target)
    except UnitError:
        return q


RES, PROC = "R", "P"
Item = tuple[str, str]  # (RES, resource id) or (PROC, process id)


def _via(parent: dict[Item, Item | None], item: Item) -> tuple[str, ...]:
    """The resources between the walk's start and ``item`` (the search tree's path)."""
    out: list[str] = []
    at = parent.get(item)
    while at is not None and parent.get(at) is not None:
        if at[0] == RES:
            out.append(at[1])
        at = parent.get(at)
    return tuple(reversed(out))


def _per(amount: Decimal, unit: str, per: str, kind: str) -> Decimal:
    """``amount`` in the unit a rate is per; a rate per kilogram cannot price hours."""
    try:
        return convert(amount, unit, per)
    except UnitError:
        raise UnitError(
            f"a {kind} rate per {per} cannot price a quantity in {unit}",
            field=f"rates.{kind}",
            rule="rate-unit",
        ) from None


class _Walk:
    def __init__(self, facts: Facts, eq: Equation) -> None:
        self.f = facts
        self.eq = eq
        live = [e for e in facts.events.values() if e.corrected_by is None]
        self.inputs: dict[str, list[Ev]] = {}
        self.outputs: dict[str, list[Ev]] = {}
        self.inflows: dict[str, list[Ev]] = {}
        self._designs: dict[str, Decimal] = {}
        for e in sorted(live, key=lambda e: e.id):
            if e.input_of:
                self.inputs.setdefault(e.input_of, []).append(e)
            if e.output_of and e.action == "produce" and e.res:
                self.outputs.setdefault(e.output_of, []).append(e)
                self.inflows.setdefault(e.res, []).append(e)
            elif e.action == "raise" and e.res and e.quantity:
                self.inflows.setdefault(e.res, []).append(e)
            elif e.action in TRANSFERS and e.to and e.res and e.to != e.res and e.quantity:
                self.inflows.setdefault(e.to, []).append(e)

    # -- resources ---------------------------------------------------------------------------

    def _parts(self, rid: str, q: Decimal) -> list[tuple[Ev, Decimal]]:
        """Split ``q`` units of ``rid`` over the events that brought it, by their quantities."""
        unit = self.f.resources[rid].unit if rid in self.f.resources else None
        flows = [(e, _in_unit(e.quantity or ZERO, e.unit, unit)) for e in self.inflows.get(rid, [])]
        total = sum((x for _e, x in flows), ZERO)
        if total <= 0:
            return []
        return [(e, q * x / total) for e, x in flows if x > 0]

    def origins(self, rid: str, q: Decimal) -> list[tuple[str, Decimal]]:
        """Who brought ``q`` units of ``rid`` into the network (following transfers back)."""
        out: list[tuple[str, Decimal]] = []
        stack: list[tuple[str, Decimal, frozenset[str]]] = [(rid, q, frozenset())]
        while stack:
            r, amount, seen = stack.pop()
            parts = [] if r in seen else self._parts(r, amount)
            for e, part in reversed(parts):
                if e.action in TRANSFERS and e.res:
                    stack.append((e.res, part, seen | {r}))
                else:
                    out.append((e.provider, part))
            res = self.f.resources.get(r)
            if not parts and res is not None and res.accountable:
                out.append((res.accountable, amount))
        return out

    def behind(self, rid: str, q: Decimal, via: tuple[str, ...] = ()) -> list[Contribution]:
        """The contributions behind ``q`` units of ``rid``.

        Everything is linear in quantities, so the walk is a graph propagation, not a walk of
        every path: one depth-first search (explicit stack, ids in order) finds the resources
        and processes behind ``rid`` and drops the edges that close a cycle (to an item still
        on the search's stack); then, in topological order, each item passes its amount on to
        the items behind it. Each process is valued once, whatever the number of paths to it
        (a batch split and recombined a thousand times costs a thousand steps, not 2^1000).
        """
        root: Item = (RES, rid)
        kept: dict[Item, list[tuple[Item, Decimal]]] = {}
        parent: dict[Item, Item | None] = {root: None}
        on_stack: set[Item] = {root}
        order: list[Item] = []
        kept[root] = []
        stack: list[tuple[Item, list[tuple[Item, Decimal]], int]] = [(root, self._edges(root), 0)]
        while stack:
            item, edges, i = stack[-1]
            if i == len(edges):
                stack.pop()
                on_stack.discard(item)
                order.append(item)
                continue
            stack[-1] = (item, edges, i + 1)
            child, coef = edges[i]
            if child in on_stack:
                continue  # a cycle closes here: this edge is not followed
            kept[item].append((child, coef))
            if child not in parent:
                parent[child] = item
                kept[child] = []
                on_stack.add(child)
                stack.append((child, self._edges(child), 0))
        amount: dict[Item, Decimal] = {root: q}
        out: list[Contribution] = []
        for item in reversed(order):  # topological: every item after all that lead to it
            a = amount.get(item, ZERO)
            if a <= 0:
                continue
            for child, coef in kept[item]:
                amount[child] = amount.get(child, ZERO) + a * coef
            if item[0] == PROC:
                out += self._inputs(item[1], a, (*via, *_via(parent, item)))
        return out

    def _edges(self, item: Item) -> list[tuple[Item, Decimal]]:
        """What one unit of ``item`` (a resource, or a whole process) came from, in order."""
        found: dict[Item, Decimal] = {}
        kind, key = item
        if kind == RES:
            res = self.f.resources.get(key)
            unit, spec = (res.unit, res.conforms_to) if res is not None else (None, None)
            for e, part in self._parts(key, Decimal(1)):
                if e.action in TRANSFERS and e.res:
                    child, coef = (RES, e.res), part
                elif e.output_of:
                    same = sum(
                        (_in_unit(o.quantity or ZERO, o.unit, unit)
                         for o in self.outputs.get(e.output_of, [])
                         if o.conforms_to == spec or o.res == key),
                        ZERO,
                    )  # fmt: skip
                    if same <= 0:
                        continue
                    child, coef = (PROC, e.output_of), part / same
                else:
                    continue
                found[child] = found.get(child, ZERO) + coef
        else:
            for e in self.inputs.get(key, []):
                if e.action == "consume" and e.res and e.quantity and self._priced(e.res) is None:
                    res = self.f.resources.get(e.res)
                    q = _in_unit(e.quantity, e.unit, res.unit if res else None)
                    found[(RES, e.res)] = found.get((RES, e.res), ZERO) + q
        return list(found.items())

    def _priced(self, rid: str) -> tuple[Decimal, str | None] | None:
        res = self.f.resources.get(rid)
        return self.eq.rate_per("resource", rid, res.conforms_to if res else None)

    def _inputs(self, pid: str, share: Decimal, via: tuple[str, ...]) -> list[Contribution]:
        """The contributions of ``share`` of process ``pid`` that are valued where they are."""
        out: list[Contribution] = []
        plan = self.f.plans.get(pid)
        for e in self.inputs.get(pid, []):
            base = {"event": e.id, "process": pid, "time": e.time, "plan": plan, "via": via}
            if e.action in ("work", "deliverService", "use"):
                out += self._by_rate(e, share, base)
            elif e.action == "cite" and e.res:
                out += self._cite(e, share, base)
            elif e.action == "consume" and e.res and e.quantity:
                priced = self._priced(e.res)
                if priced is None:
                    continue  # walked: its contributors are found behind it
                rate, per = priced
                res = self.f.resources.get(e.res)
                q = _in_unit(e.quantity, e.unit, res.unit if res else None) * share
                unit = res.unit if res is not None else e.unit
                if per is not None and unit is not None:
                    q, unit = _per(q, unit, per, "resource"), per
                out += [
                    Contribution("resource", agent, amount=part, unit=unit, rate=rate,
                                 share=share, value=part * rate, **base)
                    for agent, part in self.origins(e.res, q)
                ]  # fmt: skip
        return out

    def _by_rate(self, e: Ev, share: Decimal, base: dict[str, Any]) -> list[Contribution]:
        hours = _in_unit(e.effort, e.effort_unit, HOUR) if e.effort is not None else None
        amount, unit = (hours, HOUR) if hours is not None else (e.quantity, e.unit)
        if amount is None:
            return []
        agent = e.provider
        if e.action == "use":
            res = self.f.resources.get(e.res or "")
            agent = res.accountable if res is not None and res.accountable else e.provider
            priced = self.eq.rate_per("use", e.res, res.conforms_to if res else None)
        else:
            priced = self.eq.rate_per(e.action, e.conforms_to)
        if priced is None:
            return []
        rate, per = priced
        kind = e.action
        if per is not None and unit is not None:
            amount, unit = _per(amount, unit, per, kind), per
        amount = amount * share
        return [Contribution(kind, agent, amount=amount, unit=unit, rate=rate, share=share,
                             value=amount * rate, **base)]  # fmt: skip

    def _cite(self, e: Ev, share: Decimal, base: dict[str, Any]) -> list[Contribution]:
        rid = e.res or ""
        res = self.f.resources.get(rid)
        author = res.accountable if res is not None and res.accountable else e.provider
        rate = self.eq.rate("cite", rid, res.conforms_to if res else None)
        if rate is None:
            rate = self._design_value(rid)
            if rate <= 0:
                return []
        return [Contribution("cite", author, amount=share, unit=None, rate=rate, share=share,
                             value=rate * share, **base)]  # fmt: skip

    def _design_value(self, rid: str) -> Decimal:
        """A design's worth when no rate prices it: the contributions behind all of it (once
        per design; a design whose making cites itself, however far back, counts it as 0)."""
        if rid in self._designs:
            return self._designs[rid]
        self._designs[rid] = ZERO  # while it is being valued: a cite back to it is worth 0
        res = self.f.resources.get(rid)
        total = sum(
            (_in_unit(x.quantity or ZERO, x.unit, res.unit if res else None)
             for x in self.inflows.get(rid, [])),
            ZERO,
        )  # fmt: skip
        value = sum((c.value for c in self.behind(rid, total)), ZERO) if total > 0 else ZERO
        self._designs[rid] = value
        return value


def _multiplied(eq: Equation, c: Contribution) -> Contribution:
    m = eq.multipliers.get(c.agent, Decimal(1)) * eq.multipliers.get(c.kind, Decimal(1))
    if m == 1:
        return c
    return replace(c, multiplier=m, value=c.value * m)


def contributions_to(facts: Facts, product: str, eq: Equation) -> list[Contribution]:
    """Every valued contribution behind one unit of ``product``'s lot as it is now (pure)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        walk = _Walk(facts, eq)
        res = facts.resources[product]
        total = sum(
            (_in_unit(e.quantity or ZERO, e.unit, res.unit) for e in walk.inflows.get(product, [])),
            ZERO,
        )
        found = walk.behind(product, total) if total > 0 else []
        return [_multiplied(eq, c) for c in found if c.value > 0]


def find_contributions(store: SqlStore, product: str, eq: Equation) -> list[Contribution]:
    """The contributions behind ``product`` in ``store``, valued by ``eq``."""
    return contributions_to(load_facts(store, product), product, eq)
