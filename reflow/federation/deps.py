"""The ``deps`` a new record should carry, so every node judges it after what it builds on.

A record may name objects from other authors' chains: the resource it decrements (which a
transfer in another chain gave its author), the process, specification or agent it points to.
A node that receives it must apply those first, and judge it against the same state its author
saw. ``record_deps`` finds, for every id in the body, the record that last wrote that object —
for a resource, the record of its latest event — and names it, unless the signer's own chain
already orders it. Peers then apply the record only after its dependencies (``missing-deps``
until they arrive), whatever order the chains arrive in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from reflow.store.sqlstore import SqlStore

MAX_DEPS = 32
_HEX_ID = re.compile(r"[0-9a-f]{32}")
_B58_KEY = re.compile(r"[1-9A-HJ-NP-Za-km-z]{32,44}")


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 6:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v, depth + 1)
    elif isinstance(value, list):
        for v in value[:200]:
            yield from _strings(v, depth + 1)


def _writer(store: SqlStore, ref: str) -> tuple[str, str] | None:
    """(record hash, its author) of the record that last changed the object ``ref``."""
    if _HEX_ID.fullmatch(ref):
        res = store.resource(ref)
        if res is not None and res.previous_event:
            ev = store.event(res.previous_event)
            if ev is not None and ev.record:
                return ev.record, ev.author
        ev = store.event(ref)
        if ev is not None and ev.record:
            return ev.record, ev.author
    elif not _B58_KEY.fullmatch(ref):
        return None
    obj = store.object(ref)
    if obj is not None:
        return obj.record, obj.author
    return None


def record_deps(store: SqlStore, author: str, body: dict[str, Any]) -> list[str]:
    """Hashes of the other chains' records that ``body`` builds on (at most ``MAX_DEPS``)."""
    deps: list[str] = []
    for ref in _strings(body):
        found = _writer(store, ref)
        if found is None or found[1] == author or found[0] in deps:
            continue
        deps.append(found[0])
        if len(deps) >= MAX_DEPS:
            break
    return deps
