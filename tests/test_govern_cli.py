"""The governance commands end to end on SQLite: found a network, invite, join, list members."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reflow.cli import app
from reflow.govern.zencontracts import approval_document
from reflow.ledger.keys import verify

runner = CliRunner()


def _run(*args: str, ok: bool = True) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert (result.exit_code == 0) is ok, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_found_invite_join_and_list_members(tmp_path: Path) -> None:
    d1, d2 = str(tmp_path / "n1"), str(tmp_path / "n2")
    made = _run(
        "network", "create", "--name", "Circular City", "--policy", "invitation", "--data-dir", d1
    )
    founder = made["founder"]
    anna = _run("keygen", "--label", "Anna", "--data-dir", d1)["public"]
    inv = _run("invite", anna, "--as", founder, "--data-dir", d1)["created"]["invitation"]
    _run(
        "join",
        made["genesis"],
        "--as",
        anna,
        "--name",
        "Anna",
        "--invitation",
        inv,
        "--data-dir",
        d1,
    )
    members = _run("members", "--data-dir", d1)
    assert {m["agent"]: m["role"] for m in members} == {founder: "steward", anna: "member"}
    # a second node joins the same network from the genesis file alone
    assert _run("join", made["genesis"], "--data-dir", d2)["network"] == made["network"]
    shown = _run("network", "show", "--data-dir", d2)
    assert (shown["policy"], shown["stewards"]) == ("invitation", [founder])


def test_joining_an_invitation_network_without_invitation_is_refused(tmp_path: Path) -> None:
    d1 = str(tmp_path / "n1")
    made = _run("network", "create", "--name", "C", "--policy", "invitation", "--data-dir", d1)
    eve = _run("keygen", "--data-dir", d1)["public"]
    out = _run("join", made["genesis"], "--as", eve, "--name", "Eve", "--data-dir", d1, ok=False)
    assert out["error"]["field"] == "body.invitation"


def test_steward_signs_an_approval_offline(tmp_path: Path) -> None:
    d1 = str(tmp_path / "n1")
    made = _run("network", "create", "--name", "C", "--policy", "approval", "--data-dir", d1)
    key = _run("keygen", "--zencode", "--data-dir", d1)["public"]
    approval = _run("approve", key, "--as", made["founder"], "--sign-only", "--data-dir", d1)
    doc = approval_document(made["network"], "member.approve", key, "member")
    verify(made["founder"], doc, approval["signature"])
    _run("approve", key, "--as", made["founder"], "--data-dir", d1)  # k = 1: recorded
    assert key in [m["agent"] for m in _run("members", "--data-dir", d1)]
