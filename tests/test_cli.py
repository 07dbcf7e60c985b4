"""The ``reflow`` command as a person or a script uses it, against a real node in a temp dir.

Reads are checked through ``--json``; refusals must name the field and the rule, exit with
status 1 and leave the state digest untouched; the demo loads once, however often it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reflow.cli import app
from reflow.errors import RuleViolation
from reflow.ledger.kinds import KINDS, Kind
from reflow.node import Node
from reflow.scenarios import textile_basic
from reflow.settings import Settings

runner = CliRunner()


class Cli:
    """Runs ``reflow`` commands on one node (data dir, optional database URL)."""

    def __init__(self, data_dir: Path, db: str | None = None) -> None:
        self.where = ["--data-dir", str(data_dir)] + (["--db", db] if db else [])

    def run(self, *args: str, ok: bool = True) -> Any:
        result = runner.invoke(app, [*args, *self.where], env={"REFLOW_DATABASE_URL": None})
        if ok:
            assert result.exit_code == 0, result.output + repr(result.exception)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def digest(self) -> str:
        return str(self.json("digest")["digest"])


def kg(value: str, unit: str = "om2:kilogram") -> dict[str, str]:
    return {"hasNumericalValue": value, "hasUnit": unit}


def textile_node(cli: Cli) -> dict[str, str]:
    """Anna raises 10 kg of cotton and gives 2.5 kg (as 2500 g) to a clinic."""
    cli.run("init")
    anna = cli.json("agent", "add", "--type", "Person", "--name", "Anna")["id"]
    clinic = cli.json("agent", "add", "--type", "Organization", "--name", "Clinic")["id"]
    spec = cli.json(
        "create", "ResourceSpecification", "--as", anna,
        "--data", '{"name": "cotton", "resourceClassifiedAs": ["https://www.wikidata.org/wiki/Q11457"]}',
    )["id"]  # fmt: skip
    raised = cli.json(
        "event", "--as", anna, "--action", "raise", "--spec", spec, "--quantity", "10 kg",
        "--name", "bale",
    )  # fmt: skip
    bale = raised["created"]["EconomicResource"]
    body = {
        "event": {
            "action": "transfer", "provider": anna, "receiver": clinic,
            "resourceInventoriedAs": bale, "resourceQuantity": kg("2500", "om2:gram"),
        }
    }  # fmt: skip
    moved = cli.json("event", "--as", anna, "--json-body", json.dumps(body))
    return {
        "anna": anna, "clinic": clinic, "spec": spec, "bale": bale,
        "given": moved["created"]["toEconomicResource"],
        "raise": raised["created"]["EconomicEvent"],
        "transfer": moved["created"]["EconomicEvent"],
    }  # fmt: skip


def test_recorded_events_show_in_the_resource_with_holders_and_history(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "node")
    ids = textile_node(cli)

    bale = cli.json("resource", "show", ids["bale"])
    assert bale["accountingQuantity"] == kg("7.5")
    assert bale["onhandQuantity"] == kg("7.5")
    assert bale["primaryAccountable"] == {"id": ids["anna"], "name": "Anna"}
    assert bale["conformsTo"] == {"id": ids["spec"], "name": "cotton"}
    assert [e["action"] for e in bale["history"]] == ["raise", "transfer"]
    assert [e["id"] for e in bale["history"]] == [ids["raise"], ids["transfer"]]

    given = cli.json("resource", "show", ids["given"])
    assert given["accountingQuantity"] == kg("2.5")
    assert given["custodian"]["name"] == "Clinic"
    assert given["history"][0]["resourceQuantity"] == kg("2500", "om2:gram")

    listed = cli.json("resource", "list", "--holder", ids["clinic"])
    assert [r["id"] for r in listed] == [ids["given"]]
    agents = {a["name"]: a for a in cli.json("agent", "list")}
    assert agents["Anna"]["localKey"] and agents["Clinic"]["type"] == "Organization"
    assert "7.5 kg" in cli.run("resource", "show", ids["bale"]).stdout


def test_an_event_from_a_file_is_recorded_like_one_from_flags(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "node")
    ids = textile_node(cli)
    path = tmp_path / "consume.json"
    path.write_text(json.dumps({"action": "consume", "resourceInventoriedAs": ids["bale"],
                                "resourceQuantity": kg("1.5")}))  # fmt: skip
    cli.json("event", "--as", ids["anna"], "--file", str(path))
    assert cli.json("resource", "show", ids["bale"])["accountingQuantity"] == kg("6")


def test_a_refused_event_names_field_and_rule_exits_1_and_changes_nothing(
    tmp_path: Path,
) -> None:
    cli = Cli(tmp_path / "node")
    ids = textile_node(cli)
    before = cli.digest()

    result = cli.run(
        "event", "--as", ids["anna"], "--action", "consume", "--resource", ids["bale"],
        "--quantity", "8 kg", ok=False,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "field: event.resourceQuantity" in result.stderr
    assert "rule: no-negative-quantity" in result.stderr

    # The clinic may not consume Anna's cotton; the error is machine-readable with --json.
    result = cli.run(
        "event", "--as", ids["clinic"], "--action", "consume", "--resource", ids["bale"],
        "--quantity", "1 kg", "--json", ok=False,
    )  # fmt: skip
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert (error["field"], error["rule"]) == (
        "event.resourceInventoriedAs",
        "accountable-decrements",
    )

    result = cli.run("event", "--as", ids["anna"], "--action", "raise", "--spec", ids["spec"],
                     "--quantity", "3 furlong", ok=False)  # fmt: skip
    assert result.exit_code == 1
    assert "field: event.resourceQuantity.hasUnit" in result.stderr

    assert cli.digest() == before
    assert len(cli.json("log")) == 5


def test_log_lists_records_newest_last_and_filters_them(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "node")
    ids = textile_node(cli)

    log = cli.json("log")
    assert [r["kind"] for r in log] == [
        "agent.declare", "agent.declare", "vf.create", "vf.event", "vf.event",
    ]  # fmt: skip
    assert [r["pos"] for r in log] == sorted(r["pos"] for r in log)
    assert log[-1]["body"]["event"]["action"] == "transfer"
    assert log[-1]["summary"].startswith("transfer 2500 om2:gram")

    annas = cli.json("log", "--author", ids["anna"])
    assert [r["seq"] for r in annas] == [1, 2, 3, 4]
    last = cli.json("log", "--kind", "vf.event", "--limit", "1")
    assert [r["hash"] for r in last] == [log[-1]["hash"]]


def test_rebuild_keeps_the_digest(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "node")
    textile_node(cli)
    before = cli.digest()
    out = cli.json("rebuild")
    assert out == {
        "records": 5, "digest_before": before, "digest_after": before, "same": True,
        "refused": [],
    }  # fmt: skip
    assert "unchanged" in cli.run("rebuild").stdout
    assert cli.digest() == before


def test_rebuild_says_loudly_which_records_this_versions_rules_refuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log accepted under other rules (an older or newer version) may hold records these
    rules refuse: rebuild leaves them out of the state, names each, and exits with 1."""
    cli = Cli(tmp_path / "node")
    ids = textile_node(cli)

    def stricter(ctx: Any) -> Any:
        raise RuleViolation("transfers are closed", field="body.event", rule="no-transfers")

    event_kind = KINDS["vf.event"]

    def handler(ctx: Any) -> Any:
        if ctx.record.body["event"]["action"] == "transfer":
            return stricter(ctx)
        return event_kind.handler(ctx)

    monkeypatch.setitem(KINDS, "vf.event", Kind("vf.event", handler, event_kind.doc))
    result = cli.run("rebuild", "--json", ok=False)
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["same"] is False
    assert [(r["field"], r["rule"]) for r in out["refused"]] == [("body.event", "no-transfers")]
    text = cli.run("rebuild", ok=False)
    assert text.exit_code == 1 and "no longer applies" in text.stdout
    assert ids["transfer"]  # the transfer's record is still in the log
    assert cli.json("log")[-1]["kind"] == "vf.event"


def test_demo_loads_the_textile_scenario_once(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "demo")
    first = cli.json("demo", "--no-serve", "--scenario", "textile_basic")
    assert first["recordsAdded"] == textile_basic.TOTAL_RECORDS
    assert not first["alreadyLoaded"]
    assert set(first["agents"]) == {"collector", "workshop", "tailor", "hospital"}

    second = cli.json("demo", "--no-serve", "--scenario", "textile_basic")
    assert second["alreadyLoaded"] and second["recordsAdded"] == 0
    assert second["digest"] == first["digest"] == cli.digest()
    assert second["agents"] == first["agents"]

    gown = next(r for r in second["resources"] if r["trackingIdentifier"] == "ZO-GOWN-0017")
    assert (gown["state"], gown["custodian"]["name"]) == ("repaired", "Ziekenhuis Oost")
    assert gown["stage"]["name"] == "Repair"
    share = cli.json("resource", "show", first["resources"][2]["id"])
    assert share["history"], "every demo resource has a history"
    assert cli.json("rebuild")["same"]

    shown = cli.run("demo", "--no-serve", "--scenario", "textile_basic").stdout
    assert "already loaded" in shown and first["digest"] in shown


def test_a_demo_load_that_stopped_part_way_is_not_loaded_twice(tmp_path: Path) -> None:
    settings = Settings.from_env({}, data_dir=tmp_path / "demo")
    node = Node.init(settings, network_name="reflow-demo")
    node.new_agent("Organization", {"name": "collector"}, label="demo:textile_basic:collector")
    node.close()
    result = Cli(tmp_path / "demo").run(
        "demo", "--no-serve", "--scenario", "textile_basic", "--json", ok=False
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["rule"] == "demo-loads-once"


def test_unknown_agent_and_object_types_are_refused_with_their_rule(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "node")
    ids = textile_node(cli)
    result = cli.run("agent", "add", "--type", "Robot", "--name", "R2", "--json", ok=False)
    assert json.loads(result.stdout)["error"]["rule"] == "agent-type"
    result = cli.run("create", "Gadget", "--as", ids["anna"], "--data", "{}", "--json", ok=False)
    error = json.loads(result.stdout)["error"]
    assert (error["code"], error["field"], error["rule"]) == (
        "RULE_VIOLATION",
        "body.type",
        "vf-type",
    )
    result = cli.run("event", "--as", "nobody", "--action", "work", "--effort", "1 h", ok=False)
    assert "field: as" in result.stderr and "rule: key-in-keystore" in result.stderr


@pytest.mark.postgres
def test_the_cli_works_on_postgresql(tmp_path: Path, pg_database_factory: Any) -> None:
    cli = Cli(tmp_path / "node", db=pg_database_factory())
    ids = textile_node(cli)
    assert cli.json("resource", "show", ids["bale"])["accountingQuantity"] == kg("7.5")
    before = cli.digest()
    assert cli.json("rebuild")["digest_after"] == before


def test_demo_then_serves_the_node_it_loaded(tmp_path: Path, monkeypatch: Any) -> None:
    import asyncio

    import httpx
    import uvicorn

    served: list[tuple[int, dict[str, Any]]] = []

    async def health(app: Any) -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            return dict((await client.get("/health")).json())

    def run(app: Any, *, host: str, port: int, **_: Any) -> None:  # stands in for the server
        served.append((port, asyncio.run(health(app))))

    monkeypatch.setattr(uvicorn, "run", run)
    cli = Cli(tmp_path / "demo")
    cli.run("demo", "--port", "8765", "--scenario", "textile_basic")
    node = json.loads((tmp_path / "demo" / "node.json").read_text())
    assert served == [(8765, {"status": "ok", "network": node["network"]})]
