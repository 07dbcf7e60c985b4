"""The SDL is split by VF module: each module, with only what its header says it depends on
(and the bridging files whose modules are all present), builds a valid schema on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import build_schema

from reflow.api.schema import MODULES, SCHEMA_DIR

BRIDGING = sorted((SCHEMA_DIR / "bridging").glob("*.graphql"))


def depends(path: Path) -> set[str]:
    header = path.read_text().split("##", 2)[1]
    after = header.split("@depends", 1)[1] if "@depends" in header else ""
    return {m.removesuffix(".graphql") for m in re.findall(r"[a-z.]+\.graphql", after)}


def closure(module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(depends(SCHEMA_DIR / f"{m}.graphql"))
    return seen


def test_every_file_names_what_it_depends_on() -> None:
    for path in [*(SCHEMA_DIR / f"{m}.graphql" for m in MODULES[1:]), *BRIDGING]:
        assert depends(path), path.name


@pytest.mark.parametrize("module", MODULES)
def test_a_module_builds_with_its_dependencies_only(module: str) -> None:
    present = closure(module)
    files = [SCHEMA_DIR / f"{m}.graphql" for m in MODULES if m in present]
    files += [b for b in BRIDGING if depends(b) <= present]
    build_schema("\n".join(f.read_text() for f in files))
