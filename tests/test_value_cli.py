"""Value from the command line: record an equation, dry-run and commit a distribution, claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import World, qty
from typer.testing import CliRunner
from value_scene import EUR, build_shirt, shirt_equation

from reflow.cli import app
from reflow.node import Node
from reflow.settings import Settings

runner = CliRunner()


def _run(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_distribute_an_income_from_the_cli(tmp_path: Path) -> None:
    d = ["--data-dir", str(tmp_path / "node")]
    _run("init", *d)
    node = Node.open(Settings.from_env({}, data_dir=tmp_path / "node"))
    try:
        world = World(node.ledger)
        s = build_shirt(world)
        for agent in (s.fund, s.makerspace):
            node.keystore.add(world.keys[agent])
    finally:
        node.close()
    eq_file = tmp_path / "eq.json"
    eq_file.write_text(json.dumps(shirt_equation(s)), encoding="utf-8")
    too_much = shirt_equation(s)
    too_much["buckets"][0]["of"] = "total"
    too_much["buckets"][1] = dict(too_much["buckets"][1], of="total", percent="95")
    bad_file = tmp_path / "bad.json"
    bad_file.write_text(json.dumps(too_much), encoding="utf-8")
    bad = runner.invoke(app, ["value", "equation", "create", "--file", str(bad_file), "--as",
                              s.fund, *d, "--json"])  # fmt: skip
    assert bad.exit_code == 1
    assert json.loads(bad.output)["error"]["field"] == "buckets.percent"
    eq = _run("value", "equation", "create", "--file", str(eq_file), "--as", s.fund, *d)["id"]
    assert [e["id"] for e in _run("value", "equation", "list", *d)] == [eq]

    dry = _run("value", "distribute", "--income", s.income, "--equation", eq, "--dry-run", *d)
    assert dry["created"] == {} and dry["total"] == "60"
    assert {x["agent"]: x["amount"] for x in dry["shares"]}[s.anna] == "40.3"
    assert _run("value", "claims", *d) == []

    table = runner.invoke(app, ["value", "distribute", "--income", s.income, "--equation", eq,
                                *d])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "Anna (tailor)" in table.output and "40.30" in table.output
    assert "committed: 4 claim(s)" in table.output
    assert _run("value", "verify", "--income", s.income, "--equation", eq, *d)["matches"]
    claims = _run("value", "claims", "--income", s.income, *d)
    assert sorted(c["quantity"] for c in claims) == ["3.22", "40.3", "6", "8.06"]
    assert {c["status"] for c in claims} == {"open"}

    again = runner.invoke(app, ["value", "distribute", "--income", s.income, "--equation", eq,
                                *d, "--json"])  # fmt: skip
    assert again.exit_code == 1
    assert json.loads(again.output)["error"]["rule"] == "distribute-once"

    anna = next(c for c in claims if c["receiver"] == s.anna)
    node = Node.open(Settings.from_env({}, data_dir=tmp_path / "node"))
    try:
        event = {"action": "transfer", "provider": s.makerspace, "receiver": s.anna,
                 "resourceInventoriedAs": s.till, "resourceQuantity": qty("40.30", EUR),
                 "settles": [anna["id"]]}  # fmt: skip
        node.submit(world.keys[s.makerspace], "vf.event", {"event": event})
    finally:
        node.close()
    assert _run("value", "claim", anna["id"], *d)["status"] == "settled"
    shown = runner.invoke(app, ["value", "claims", "--agent", s.anna, *d])
    assert shown.exit_code == 0 and "settled" in shown.output
