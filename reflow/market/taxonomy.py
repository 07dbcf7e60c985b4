"""Classification trees (broader/narrower) that let matching see that cotton is a textile fibre.

The trees are data, never code: a default set of materials and skills ships as
``taxonomy.json``, and a network adds or refines concepts with ``market.taxonomy`` records
(projected into ``market_concepts``). A request for a broad concept is met by offers of any
narrower one; an offer of a broad concept does not meet a request for a narrower one (wool is a
textile fibre, but not every textile fibre is wool).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

DEFAULT_FILE = Path(__file__).with_name("taxonomy.json")


@dataclass(frozen=True, slots=True)
class Concept:
    uri: str
    label: str | None = None
    broader: str | None = None


@dataclass(slots=True)
class Taxonomy:
    """A forest of concepts; unknown URIs are leaves of their own."""

    concepts: dict[str, Concept] = field(default_factory=dict)
    _narrower: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, concepts: Iterable[Concept]) -> Taxonomy:
        tax = cls()
        for c in concepts:
            tax.concepts[c.uri] = c
        for c in tax.concepts.values():
            if c.broader:
                tax._narrower.setdefault(c.broader, []).append(c.uri)
        return tax

    def label(self, uri: str) -> str:
        c = self.concepts.get(uri)
        return c.label if c is not None and c.label else uri

    def ancestors_or_self(self, uri: str) -> list[str]:
        """``uri`` then each broader concept up to the root (a cycle is cut where it closes)."""
        out = [uri]
        c = self.concepts.get(uri)
        while c is not None and c.broader and c.broader not in out:
            out.append(c.broader)
            c = self.concepts.get(c.broader)
        return out

    def descendants_or_self(self, uri: str) -> list[str]:
        out, todo, seen = [], [uri], {uri}
        while todo:
            u = todo.pop()
            out.append(u)
            for n in self._narrower.get(u, ()):
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return out

    def steps_down(self, narrow: str, broad: str) -> int | None:
        """How many broader-steps lead from ``narrow`` up to ``broad`` (0 = same), else None."""
        chain = self.ancestors_or_self(narrow)
        return chain.index(broad) if broad in chain else None


def concepts_from_data(data: dict[str, Any]) -> list[Concept]:
    return [Concept(c["uri"], c.get("label"), c.get("broader")) for c in data["concepts"]]


@cache
def default_concepts() -> tuple[Concept, ...]:
    return tuple(concepts_from_data(json.loads(DEFAULT_FILE.read_text())))


_CACHE: dict[tuple[int, str], tuple[tuple[Any, ...], Taxonomy]] = {}


def load_taxonomy(engine: Engine, conn: Connection | None = None) -> Taxonomy:
    """The default trees overlaid with the concepts the network recorded.

    Kept per engine until the recorded concepts change: their count, their last URI and the
    number of ``market.taxonomy`` records (a count over the kind index; ``max(pos)`` made
    PostgreSQL walk the log backwards). So a match query does not reread the trees. Pass the
    connection a caller already holds to save a round trip.
    """
    if conn is None:
        with engine.connect() as own:
            return load_taxonomy(engine, own)
    from reflow.market.tables import concepts
    from reflow.store.schema import records

    marker = tuple(
        conn.execute(
            select(
                select(func.count()).select_from(concepts).scalar_subquery(),
                select(func.max(concepts.c.uri)).scalar_subquery(),
                select(func.count())
                .select_from(records)
                .where(records.c.kind == "market.taxonomy")
                .scalar_subquery(),
            )
        ).one()
    )
    key = (id(engine), str(engine.url))
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == marker:
        return cached[1]
    rows = conn.execute(select(concepts)).all()
    recorded = [Concept(r.uri, r.label, r.broader) for r in rows]
    tax = Taxonomy.of([*default_concepts(), *recorded])
    _CACHE[key] = (marker, tax)
    return tax
