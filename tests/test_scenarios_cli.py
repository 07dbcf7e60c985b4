"""``reflow demo --scenario``, ``reflow generate``, ``reflow export`` and ``reflow import`` as a
person or a script uses them, on real nodes in temp dirs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reflow import scenarios
from reflow.cli import app

runner = CliRunner()


def run(*args: str, ok: bool = True) -> Any:
    result = runner.invoke(app, list(args), env={"REFLOW_DATABASE_URL": None})
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def digest(where: Path) -> str:
    return str(json.loads(run("digest", "--data-dir", str(where), "--json").stdout)["digest"])


def test_demo_of_one_pilot_prints_where_to_look(tmp_path: Path) -> None:
    where = str(tmp_path / "demo")
    out = json.loads(
        run("demo", "--scenario", "water", "--no-serve", "--json", "--data-dir", where).stdout
    )
    water = out["scenarios"]["water"]
    assert out["recordsAdded"] == water["records"] > 40 and not out["alreadyLoaded"]
    assert water["passportUrl"].endswith(f"/passport/{water['passport']}")
    assert out["look"]["graphql"].endswith("/api")
    again = json.loads(
        run("demo", "--scenario", "water", "--no-serve", "--json", "--data-dir", where).stdout
    )
    assert again["alreadyLoaded"] and again["digest"] == out["digest"]
    assert again["scenarios"]["water"]["passport"] == water["passport"]
    shown = run("demo", "--scenario", "water", "--no-serve", "--data-dir", where).stdout
    assert "already loaded" in shown and "/passport/" in shown and "/api" in shown


@pytest.mark.slow
def test_the_full_demo_loads_six_pilots_and_their_territory_once(tmp_path: Path) -> None:
    where = str(tmp_path / "demo")
    out = json.loads(run("demo", "--no-serve", "--json", "--data-dir", where).stdout)
    assert list(out["scenarios"]) == [*scenarios.SCENARIOS, "pilots"]
    assert all(s["passport"] for n, s in out["scenarios"].items() if n != "pilots")
    assert out["recordsAdded"] == sum(s["records"] for s in out["scenarios"].values()) > 300
    assert out["look"]["web"].endswith("/")
    again = json.loads(run("demo", "--no-serve", "--json", "--data-dir", where).stdout)
    assert again["alreadyLoaded"] and again["recordsAdded"] == 0
    assert again["digest"] == out["digest"]


def test_an_unknown_scenario_is_refused(tmp_path: Path) -> None:
    result = run(
        "demo",
        "--scenario",
        "mining",
        "--no-serve",
        "--json",
        "--data-dir",
        str(tmp_path / "d"),
        ok=False,
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["rule"] == "known-scenario"


def test_generate_streams_a_synthetic_city(tmp_path: Path) -> None:
    where = tmp_path / "city"
    out = json.loads(
        run(
            "generate",
            "--agents",
            "20",
            "--events",
            "900",
            "--seed",
            "5",
            "--json",
            "--data-dir",
            str(where),
        ).stdout
    )
    assert out == {"records": 900, "applied": 900, "rejected": 0}
    tables = json.loads(run("digest", "--data-dir", str(where), "--json").stdout)["tables"]
    assert tables["records"] == 900 and tables["economic_events"] > 300


def test_export_then_import_into_an_empty_directory_gives_the_same_digest(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    run("demo", "--scenario", "textile_basic", "--no-serve", "--json", "--data-dir", str(src))
    text = run("export", "--format", "jsonld", "--data-dir", str(src)).stdout
    doc = json.loads(text)
    assert doc["@graph"] and doc["reflow:records"]
    (tmp_path / "city.jsonld").write_text(text)
    out = json.loads(
        run("import", str(tmp_path / "city.jsonld"), "--json", "--data-dir", str(dst)).stdout
    )
    assert out["mode"] == "records" and out["applied"] == len(doc["reflow:records"])
    assert digest(dst) == digest(src)


def test_importing_records_into_a_node_of_another_network_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    run("demo", "--scenario", "textile_basic", "--no-serve", "--json", "--data-dir", str(src))
    (tmp_path / "city.jsonld").write_text(run("export", "--data-dir", str(src)).stdout)
    run("init", "--data-dir", str(tmp_path / "other"))
    result = run(
        "import",
        str(tmp_path / "city.jsonld"),
        "--json",
        "--data-dir",
        str(tmp_path / "other"),
        ok=False,
    )
    assert json.loads(result.stdout)["error"]["rule"] == "same-network"


def test_plain_vf_and_csv_files_import(tmp_path: Path) -> None:
    plain = {
        "@context": {"@vocab": "https://w3id.org/valueflows/ont/vf#"},
        "@graph": [
            {
                "@id": "x:seeds",
                "@type": "EconomicResource",
                "name": "Bean seeds",
                "classifiedAs": "https://seeds.example/beans",
                "accountingQuantity": {"hasNumericalValue": 2, "hasUnit": "om2:kilogram"},
            }
        ],
    }
    (tmp_path / "plain.jsonld").write_text(json.dumps(plain))
    where = str(tmp_path / "n")
    out = json.loads(
        run("import", str(tmp_path / "plain.jsonld"), "--json", "--data-dir", where).stdout
    )
    assert out["mode"] == "vf" and list(out["resources"]) == ["x:seeds"]
    bad = "name,spec,quantity,unit,holder\nBeans,Beans,2,kg,Farm\nPeas,Peas,many,kg,Farm\n"
    (tmp_path / "inventory.csv").write_text(bad)
    result = run("import", str(tmp_path / "inventory.csv"), "--json", "--data-dir", where, ok=False)
    assert result.exit_code == 1
    rows = json.loads(result.stdout)["error"]["rows"]
    assert rows == [{"line": 3, "column": "quantity", "reason": "not a decimal number: 'many'"}]
    out = json.loads(
        run(
            "import", str(tmp_path / "inventory.csv"), "--skip-bad", "--json", "--data-dir", where
        ).stdout
    )
    assert (out["mode"], out["imported"], len(out["errors"])) == ("csv", 1, 1)
