"""How the value types the rules pass around are declared: immutable by contract.

Events, resources' states, measures and parsed inputs are never changed in place: the rules
return new values, so a rejected record leaves nothing half-applied and a cached state is never
altered behind the cache's back. ``frozen=True`` would enforce that on every assignment, but a
frozen dataclass pays for it on every construction (one ``object.__setattr__`` call per field):
measured on the ingest path, some 13 % of the time to judge and store a record. So the contract is
enforced where a breach would be found — the test suite sets ``REFLOW_STRICT_VALUES=1`` and runs
every rule with frozen types — and not paid for by a node in service. Hashing and equality are
the same in both modes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar, dataclass_transform

STRICT = os.environ.get("REFLOW_STRICT_VALUES", "") == "1"

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def value_type(cls: type[T]) -> type[T]:
    """``@dataclass(frozen=True, slots=True)``, with the freezing checked only when strict."""
    if STRICT:
        return dataclass(frozen=True, slots=True)(cls)
    return dataclass(slots=True, unsafe_hash=True)(cls)


_COPIERS: dict[type, Callable[[Any], Any]] = {}


def evolve(value: T, **changes: Any) -> T:
    """A copy of ``value`` with ``changes``: ``dataclasses.replace`` for the value types, without
    its per-call introspection (the rules make a few per event)."""
    if STRICT:
        return replace(value, **changes)  # type: ignore[type-var]
    cls = type(value)
    copy = _COPIERS.get(cls)
    if copy is None:
        copy = _COPIERS[cls] = _copier(cls)
    new = copy(value)
    for name, v in changes.items():
        setattr(new, name, v)  # a slot that does not exist raises AttributeError
    return new  # type: ignore[no-any-return]


def _copier(cls: type) -> Callable[[Any], Any]:
    names = [f.name for f in fields(cls)]
    body = "\n".join(f"    n.{name} = v.{name}" for name in names)
    source = f"def copy(v):\n    n = new(cls)\n{body}\n    return n\n"
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    exec(source, scope)
    return scope["copy"]  # type: ignore[no-any-return]
