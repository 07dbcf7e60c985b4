"""The federation commands: peers in peers.json, one sync round, federated search (as JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from reflow.cli import federation_commands
from reflow.node import Node
from reflow.settings import Settings


def cli() -> typer.Typer:
    app = typer.Typer()
    federation_commands.register(app)
    return app


def test_peer_add_and_list_as_json(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "n1")
    for url in ("http://127.0.0.1:8002", "http://127.0.0.1:8003/"):
        assert runner.invoke(cli(), ["peer", "add", url, "--data-dir", data]).exit_code == 0
    out = runner.invoke(cli(), ["peer", "list", "--data-dir", data, "--json"])
    assert [p["url"] for p in json.loads(out.stdout)] == [
        "http://127.0.0.1:8002",
        "http://127.0.0.1:8003",
    ]
    bad = runner.invoke(cli(), ["peer", "add", "example.org", "--data-dir", data])
    assert bad.exit_code != 0


def test_sync_reports_an_unreachable_peer_without_failing(tmp_path: Path) -> None:
    data = tmp_path / "n1"
    Node.init(Settings.from_env({}, data_dir=data), network_name="t").close()
    out = CliRunner().invoke(
        cli(), ["sync", "--data-dir", str(data), "--peer", "http://127.0.0.1:9", "--json"]
    )
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["reports"][0]["peer"] == "http://127.0.0.1:9"
    assert "ConnectError" in result["reports"][0]["error"]
    assert result["peak_rss_mb"] > 0
