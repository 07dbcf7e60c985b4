"""The web interface's parts that need no browser: translation, errors placed on their inputs,
signed session cookies, the plan timeline's geometry, and what the map reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response

from reflow.errors import AuthorisationError, RuleViolation
from reflow.ledger.keys import KeyPair
from reflow.node import Node
from reflow.report.scope import Scope
from reflow.scenarios import textile_basic
from reflow.settings import Settings
from reflow.web import gantt, mapdata
from reflow.web.i18n import CATALOGUES, choose_language, translator
from reflow.web.render import FORM_ERROR, field_errors
from reflow.web.session import COOKIE, Sessions, node_secret

INPUTS = ["resourceQuantity", "provider", "name"]


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("event.resourceQuantity.hasNumericalValue", "resourceQuantity"),
        ("event.resourceQuantity", "resourceQuantity"),
        ("event.provider", "provider"),
        ("newInventoriedResource.name", "name"),
        ("event.toLocation", FORM_ERROR),
        (None, FORM_ERROR),
    ],
)
def test_an_error_lands_on_the_input_its_field_names(field: str | None, where: str) -> None:
    errors = field_errors(RuleViolation("wrong", field=field, rule="r"), INPUTS)
    assert list(errors) == [where]
    assert errors[where].startswith("wrong")


def test_translation_falls_back_to_english_and_fills_placeholders() -> None:
    assert set(CATALOGUES) == {"en", "nl", "fr", "de", "it", "da", "ro"}
    CATALOGUES["nl"]["Map"] = "Kaart"
    try:
        assert translator("nl")("Map") == "Kaart"
        assert translator("nl")("Signed by %(who)s", who="Mira") == "Signed by Mira"
    finally:
        del CATALOGUES["nl"]["Map"]
    assert choose_language("da-DK,da;q=0.9,en;q=0.5") == "da"
    assert choose_language("ja", wanted="fr") == "fr"
    assert choose_language("ja") == "en"


def _request(cookie: str = "") -> Request:
    headers = [(b"cookie", f"{COOKIE}={cookie}".encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_a_session_cookie_is_honoured_only_with_its_signature(tmp_path: Path) -> None:
    sessions = Sessions(node_secret(tmp_path))
    assert node_secret(tmp_path) == sessions.secret  # made once, then read back
    response = Response()
    key = KeyPair.generate()
    sessions.start(response, key.public, "Mira", key, "keyring")
    cookie = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    session = sessions.current(_request(cookie))
    assert session is not None and session.agent == key.public
    token = cookie.split(".")[0]
    assert sessions.current(_request(token + "." + "0" * 64)) is None
    assert sessions.current(_request(token)) is None
    assert sessions.require(_request(cookie), sessions.csrf(session)) is session
    with pytest.raises(AuthorisationError) as refused:
        sessions.require(_request(cookie), "not-the-token")
    assert refused.value.field == "csrf"
    with pytest.raises(AuthorisationError):
        sessions.require(_request(), "")


def test_the_timeline_spans_the_processes_and_the_due_date() -> None:
    procs = [
        {"name": "sort", "begins": "2026-03-01T00:00:00Z", "ends": "2026-03-03T00:00:00Z"},
        {"name": "press", "begins": "2026-03-03T00:00:00Z", "ends": "2026-03-04T00:00:00Z"},
    ]
    chart = gantt.bars(procs, "2026-03-05T00:00:00Z", None)
    sort, press = chart["rows"]
    assert sort["x"] == gantt.LABEL and press["x"] == pytest.approx(sort["x"] + sort["w"])
    assert chart["marks"][0]["x"] == pytest.approx(gantt.WIDTH - 10)
    assert sort["w"] == pytest.approx(2 * press["w"])


def test_the_map_shows_what_is_held_where_and_the_flows_between_places(tmp_path: Path) -> None:
    node = Node.init(Settings.from_env({}, data_dir=tmp_path), network_name="web-test")
    try:
        loaded = textile_basic.load(node)
        markers = mapdata.markers(node)
        kinds = [m["kind"] for m in markers]
        assert kinds.count("agent") == 4
        titles = {m["title"] for m in markers if m["kind"] == "resource"}
        assert "Surgical gown" in titles and "Crate 7" in titles
        assert "Collected garments, week 12" in titles  # the collector's 40 kg at the depot
        flows = mapdata.flows(node, Scope.make())
        by_route = {(f["fromName"], f["toName"]): f for f in flows}
        van = by_route[("Collection depot Westpoort", "Sorting workshop Noord")]
        assert (van["quantity"], van["unit"], van["actions"]) == (80.0, "kg", ["dropoff"])
        assert by_route[("Sorting workshop Noord", "Collection depot Westpoort")]["quantity"] == 20
        cotton = textile_basic.COTTON
        assert all(
            f["material"] == cotton for f in mapdata.flows(node, Scope.make(material=cotton))
        )
        assert len(mapdata.flows(node, Scope.make(material=cotton))) == 2
        assert mapdata.flows(node, Scope.make(end="2000-01-01")) == []
        assert mapdata.cities(node) == ["Amsterdam"]
        assert len(mapdata.markers(node, city="Amsterdam")) == len(markers)
        assert mapdata.markers(node, city="Berlin") == []
        assert mapdata.flows(node, Scope.make(), city="Berlin") == []
        assert loaded.agents
    finally:
        node.close()
