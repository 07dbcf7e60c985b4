"""The market from the command line: offer, request, matches, accept, agreement, withdraw."""

from __future__ import annotations

import json
from pathlib import Path

from market_world import C
from typer.testing import CliRunner

from reflow.cli import app

runner = CliRunner()


def _run(*args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_offer_request_match_accept_from_the_cli(tmp_path: Path) -> None:
    d = ["--data-dir", str(tmp_path / "node")]
    _run("init", *d)
    shop = _run("agent", "add", "--type", "Organization", "--name", "Workshop", *d)["id"]
    maker = _run("agent", "add", "--type", "Organization", "--name", "Maker", *d)["id"]
    offer = _run("offer", "--as", shop, "--quantity", "40 kg", "--class", C["cotton"],
                 "--name", "cotton scraps", *d)["proposal"]  # fmt: skip
    asked = _run("request", "--as", maker, "--quantity", "25 kg", "--class", C["textile-fibre"],
                 *d)  # fmt: skip
    assert [m["proposal"] for m in asked["matches"]] == [offer]
    found = _run("matches", asked["proposal"], *d)["matches"]
    assert found[0]["reasons"]["what"] == "cotton is a kind of textile fibre"
    status = _run("accept", offer, "--as", maker, "--quantity", "25 kg",
                  "--own", asked["proposal"], *d)  # fmt: skip
    assert status["complete"] is False and status["commitments"][0]["quantity"] == "25"
    assert _run("agreement", status["agreement"], *d)["agreement"] == status["agreement"]
    assert [p["id"] for p in _run("proposals", shop, *d)] == [offer]
    _run("withdraw", offer, "--as", shop, *d)
    assert _run("proposals", shop, *d) == []

    refused = runner.invoke(app, ["accept", offer, "--as", maker, "--quantity", "1 kg", *d,
                                  "--json"])  # fmt: skip
    assert refused.exit_code == 1
    assert json.loads(refused.output)["error"]["rule"] == "open-proposal"


def test_an_acceptance_of_a_sealed_publisher_waits_for_its_confirm(tmp_path: Path) -> None:
    d = ["--data-dir", str(tmp_path / "node")]
    _run("init", *d)
    lock = ["--passphrase", "s3cret-words"]
    shop = _run("agent", "add", "--type", "Organization", "--name", "Workshop", *lock, *d)["id"]
    maker = _run("agent", "add", "--type", "Organization", "--name", "Maker", *d)["id"]
    offer = _run("offer", "--as", shop, "--quantity", "40 kg", "--class", C["cotton"],
                 *lock, *d)["proposal"]  # fmt: skip
    # the shop's key is sealed: the node cannot confirm for it, the acceptance waits
    first = _run("accept", offer, "--as", maker, "--quantity", "25 kg", *d)
    second = _run("accept", offer, "--as", maker, "--quantity", "5 kg", *d)
    assert (first["status"], first["agreement"]) == ("pending", None)
    waiting = _run("acceptances", shop, *d)
    assert [w["id"] for w in waiting] == [first["acceptance"], second["acceptance"]]
    done = _run("confirm", first["acceptance"], "--as", shop, *lock, *d)
    assert done["status"] == "confirmed" and done["commitments"][0]["quantity"] == "25"
    no = _run("decline", second["acceptance"], "--as", shop, "--reason", "too small", *lock, *d)
    assert no["status"] == "declined"
    assert _run("acceptances", shop, *d) == []
    refused = runner.invoke(app, ["confirm", second["acceptance"], "--as", shop, *lock, *d,
                                  "--json"])  # fmt: skip
    assert refused.exit_code == 1
    assert json.loads(refused.output)["error"]["rule"] == "pending-acceptance"
