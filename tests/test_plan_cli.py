"""Planning from the command line: define and show a recipe, plan, show, progress, replan."""

from __future__ import annotations

import json
from pathlib import Path

from plan_scene import Scene, hours, qty, textile
from typer.testing import CliRunner

from reflow.cli import app
from reflow.node import Node
from reflow.settings import Settings

runner = CliRunner()


def _run(*args: str, as_json: bool = True) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"] if as_json else list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if as_json else {"text": result.output}


def test_recipe_define_and_show(tmp_path: Path) -> None:
    d = ["--data-dir", str(tmp_path / "node")]
    _run("init", *d)
    node = Node.open(Settings.from_env({}, data_dir=tmp_path / "node"))
    s = Scene(node)
    bench, wood = s.spec("bench"), s.spec("wood")
    node.close()
    body = {
        "recipe": {"name": "bench", "primaryOutput": bench},
        "processes": [{"key": "make", "name": "make bench", "hasDuration": hours(4)}],
        "flows": [
            {
                "action": "consume",
                "recipeInputOf": "make",
                "resourceConformsTo": wood,
                "resourceQuantity": qty(10),
            },
            {
                "action": "produce",
                "recipeOutputOf": "make",
                "resourceConformsTo": bench,
                "resourceQuantity": qty(1, "om2:one"),
            },
        ],
    }
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(body))
    out = _run("recipe", "define", "--file", str(path), "--as", s.coord, *d)
    shown = _run("recipe", "show", out["recipe"], *d)
    assert shown["processes"][0]["hasDuration"] == hours(4)
    assert "make bench" in _run("recipe", "show", out["recipe"], *d, as_json=False)["text"]
    body["flows"][0].pop("resourceQuantity")
    path.write_text(json.dumps(body))
    refused = runner.invoke(
        app, ["recipe", "define", "--file", str(path), "--as", s.coord, *d, "--json"]
    )
    assert refused.exit_code == 1
    assert json.loads(refused.output)["error"]["rule"] == "flow-quantity"


def test_plan_show_progress_and_replan_from_the_cli(tmp_path: Path) -> None:
    d = ["--data-dir", str(tmp_path / "node")]
    _run("init", *d)
    node = Node.open(Settings.from_env({}, data_dir=tmp_path / "node"))
    s, ids = textile(node)
    node.close()
    out = _run(
        "plan",
        "--as",
        s.coord,
        "--spec",
        ids["panel"],
        "--quantity",
        "50 each",
        "--due",
        "+10d",
        "--place",
        s.hub,
        *d,
    )
    assert out["solver"]["status"] == "OPTIMAL"
    assert {p["name"] for p in out["processes"]} >= {"sort", "press panels"}
    text = _run("plan", "show", out["plan"], *d, as_json=False)["text"]
    assert "press panels" in text and "Commitments" in text
    progress = _run("plan", "progress", out["plan"], *d)
    assert progress["status"] in ("on_track", "at_risk")
    text = _run("plan", "progress", out["plan"], *d, as_json=False)["text"]
    assert "press panels" in text
    assert f"collect used garments: driven by {ids['driver'][:10]}" in text
    assert [p["id"] for p in _run("plan", "list", "--by", s.coord, *d)] == [out["plan"]]
    again = _run("plan", "replan", out["plan"], "--as", s.coord, *d)
    # nothing changed since: the revision keeps every commitment (and so every answer)
    assert again["plan"] == out["plan"] and again["cancelled"] == 0
    after = _run("plan", "progress", out["plan"], *d)
    ids = [c["id"] for p in after["processes"] for c in p["commitments"]]
    assert ids == [c["id"] for p in progress["processes"] for c in p["commitments"]]


def test_providers_accept_and_refuse_from_the_cli(tmp_path: Path) -> None:
    d = ["--data-dir", str(tmp_path / "node")]
    _run("init", *d)
    node = Node.open(Settings.from_env({}, data_dir=tmp_path / "node"))
    s, ids = textile(node)
    node.close()
    args = ["--spec", ids["panel"], "--quantity", "50 each", "--due", "+10d", "--place", s.hub]
    out = _run("plan", "--as", s.coord, *args, "--no-publish", *d)
    supplies = {c["resource"]: c for c in out["loose"] if c["role"] == "supply"}
    fibre, bin_a = supplies[ids["fibre_stock"]], supplies[ids["bin_a"]]
    said = _run("plan", "refuse", fibre["id"], "--as", fibre["provider"], "--reason", "sold", *d)
    assert (said["answer"], said["plan"]) == ("refused", out["plan"])
    _run("plan", "accept", bin_a["id"], "--as", bin_a["provider"], *d)
    progress = _run("plan", "progress", out["plan"], *d)
    assert (progress["answers"]["accepted"], progress["answers"]["refused"]) == (1, 1)
    text = _run("plan", "progress", out["plan"], *d, as_json=False)["text"]
    assert "1 accepted, 1 refused" in text
    refused = runner.invoke(app, ["plan", "accept", fibre["id"], "--as", fibre["provider"],
                                  *d, "--json"])  # fmt: skip
    assert refused.exit_code == 1
    assert json.loads(refused.output)["error"]["rule"] == "already-refused"
