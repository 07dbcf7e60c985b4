"""The composition root's list of services whose record kinds and projections a node loads.

Every node must know the same record kinds to judge records alike, so the list is explicit and
fixed here rather than discovered. Each entry is a module that registers its kinds (and tables)
on import.
"""

from __future__ import annotations

import importlib

SERVICE_MODULES: tuple[str, ...] = (
    "reflow.ledger.vf_kinds",
    "reflow.govern.kinds",
    "reflow.federation.equivocation",
    "reflow.market.kinds",
    "reflow.report.kinds",
    "reflow.api.compat_kinds",
    "reflow.value.kinds",
    "reflow.plan.kinds",
)


def load_plugins() -> None:
    for name in SERVICE_MODULES:
        importlib.import_module(name)
