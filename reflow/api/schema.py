"""The executable schema: the SDL files of every VF module, bound to the resolvers.

The SDL is split as vf-graphql splits it (one file per VF module, joins between modules in
``bridging/``); this module reads them all, in a stable order, and binds the resolver maps.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ariadne import make_executable_schema
from graphql import GraphQLSchema

from reflow.api import (
    flow_resolvers,
    governance_resolvers,
    market_resolvers,
    plan_resolvers,
    report_resolvers,
    trace_resolvers,
    value_resolvers,
)
from reflow.api.read_resolvers import query, type_bindings
from reflow.api.scalars import SCALARS
from reflow.api.write_resolvers import mutation

SCHEMA_DIR = Path(__file__).with_name("schema")
# util first (it defines the root types the others extend), then modules, then bridging.
MODULES = (
    "util", "measurement", "geolocation", "agent", "specification", "observation", "planning",
    "proposal", "agreement", "claim", "recipe",
)  # fmt: skip
# The services' fields (track and trace, market, governance, value, plans, reports).
SERVICE_MODULES = ("trace", "market", "governance", "value", "plan", "report")
SERVICE_RESOLVERS = (
    trace_resolvers, market_resolvers, governance_resolvers, value_resolvers, plan_resolvers,
    report_resolvers,
)  # fmt: skip


def sdl_files() -> list[Path]:
    files = [SCHEMA_DIR / f"{m}.graphql" for m in (*MODULES, *SERVICE_MODULES)]
    files += sorted((SCHEMA_DIR / "bridging").glob("*.graphql"))
    return files


@lru_cache(maxsize=1)
def type_defs() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sdl_files())


@lru_cache(maxsize=1)
def build_schema() -> GraphQLSchema:
    types = type_bindings()
    extra = flow_resolvers.bind(types)
    for area in SERVICE_RESOLVERS:
        extra += area.bind(types, query, mutation)
    return make_executable_schema(type_defs(), query, mutation, *types.values(), *extra, *SCALARS)
