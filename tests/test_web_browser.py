"""The web interface in a real browser (Debian's Chromium driven by Playwright).

A real node is started as ``reflow serve`` on a free local port with the textile demo loaded
and no map tiles. People sign in, look at the map, publish and accept on the market, open a
passport, and record a wrong event — and no page may log a console error or fail a request.
Screenshots of every page go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from plan_scene import textile
from playwright.sync_api import Page, expect

from reflow.node import Node
from reflow.scenarios import textile_basic
from reflow.settings import Settings

expect.set_options(timeout=10_000)
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
REFLOW = str(Path(sys.executable).parent / "reflow")
# pytest-base-url (under pytest-playwright) defines ``base_url`` in a way pytest 9 deprecates
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")
WORKSHOP = "Sorteerwerkplaats Noord"
TAILOR = "Atelier Jordaan (Mira de Vries)"


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pay_for_the_sorted_cotton(node: Node, loaded: textile_basic.Loaded) -> str:
    """The collector pays the workshop 100 EUR for the 20 kg of sorted cotton: an income."""
    collector, workshop = loaded.agents["collector"], loaded.agents["workshop"]
    key = node.key(collector)
    euro = node.submit(
        key,
        "vf.create",
        {
            "type": "ResourceSpecification",
            "data": {"name": "Euro", "defaultUnitOfResource": "iso4217:EUR"},
        },
    ).created["ResourceSpecification"]
    eur = {"hasNumericalValue": "500", "hasUnit": "iso4217:EUR"}
    wallet = node.submit(
        key,
        "vf.event",
        {
            "event": {
                "action": "raise",
                "provider": collector,
                "receiver": collector,
                "resourceConformsTo": euro,
                "resourceQuantity": eur,
            },
            "newInventoriedResource": {"name": "collector's account"},
        },
    ).created["EconomicResource"]
    sale = next(
        e.id
        for e in node.store.events_of_resource(loaded.resources["textile"])
        if e.action == "transfer" and e.receiver == collector
    )
    paid = {"hasNumericalValue": "100", "hasUnit": "iso4217:EUR"}
    return node.submit(key, "vf.event", {"event": {
        "action": "transfer", "provider": collector, "receiver": workshop,
        "resourceInventoriedAs": wallet, "resourceQuantity": paid, "triggeredBy": sale,
    }}).created["EconomicEvent"]  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    data = tmp_path_factory.mktemp("webnode")
    env = {**os.environ, "REFLOW_TILES_URL": "", "REFLOW_DATA_DIR": str(data)}
    node = Node.init(Settings.from_env({}, data_dir=data), network_name="reflow-demo")
    loaded = textile_basic.load(node)
    income = pay_for_the_sorted_cotton(node, loaded)
    keyring = json.dumps(node.keystore.export_keyring(loaded.agents["hospital"]))
    node.new_agent("Person", {"name": "Sam Sealed"}, passphrase="correct horse")
    textile(node)  # the planner's scene beside the demo: a recipe, stock, workers, a van
    node.close()
    port = _free_port()
    proc = subprocess.Popen([REFLOW, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "no server")
        yield {"url": url, "income": income, "keyring": keyring}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def server(demo: dict[str, str]) -> str:
    return demo["url"]


@pytest.fixture
def watched(page: Page) -> Iterator[tuple[Page, list[str]]]:
    """The page, and every console error, page error and failed request it causes."""
    problems: list[str] = []
    page.set_default_timeout(10_000)
    page.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    yield page, problems


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, server: str, name: str, then: str = "/record") -> None:
    page.goto(f"{server}/signin?next={then}")
    agent = page.locator("#f-agent option", has_text=name).first.get_attribute("value")
    page.get_by_label("Agent").select_option(agent)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".who strong")).to_have_text(name)


def publish(page: Page, server: str, purpose: str, quantity: str, place: str, **extra: str) -> str:
    page.goto(server + "/market")
    form = page.locator("#publish form")
    form.get_by_label("I publish").select_option(purpose)
    form.get_by_label("Classification").select_option(label="cotton")
    form.get_by_label("Quantity", exact=True).fill(quantity)
    form.get_by_label("Place").select_option(label=place)
    for label, value in extra.items():
        form.get_by_label(label.replace("_", " ")).fill(value)
    form.get_by_role("button", name="Publish").click()
    expect(page.locator(".notice")).to_contain_text("Published")
    return page.locator("#proposal-id").inner_text()


def test_the_map_shows_markers_and_flow_lines(server: str, watched: tuple[Page, list[str]]) -> None:
    page, problems = watched
    page.goto(server + "/")
    data = json.loads(page.locator("#map-data").text_content() or "")
    # the demo's van run and two transfers, and the planner scene's deliveries
    assert len(data["flows"]) >= 3
    expect(page.locator("path.flow-line")).to_have_count(len(data["flows"]))
    # every agent and resource with a place is drawn: alone, or counted in a cluster
    singles = page.locator(".leaflet-marker-icon.marker").count()
    clustered = sum(int(t) for t in page.locator(".marker-cluster").all_inner_texts())
    assert singles + clustered == len(data["markers"]) > 10
    assert page.locator(".marker-cluster").count() >= 4
    # keyboard: a marker takes the focus and Enter opens its details
    page.locator(".leaflet-marker-icon.marker").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content")).to_be_visible()
    shot(page, "map")
    assert problems == []


def test_publish_an_offer_and_find_it_through_the_api(
    server: str, watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    sign_in(page, server, WORKSHOP)
    pid = publish(
        page, server, "offer", "12 kg", "Sorting workshop Noord", Title="Sorted cotton, spare"
    )
    shot(page, "proposal")
    query = "query($id: ID!) { proposal(id: $id) { id name purpose } }"
    answer = httpx.post(server + "/api", json={"query": query, "variables": {"id": pid}}).json()
    assert answer["data"]["proposal"] == {
        "id": pid,
        "name": "Sorted cotton, spare",
        "purpose": "offer",
    }
    assert problems == []


def test_accept_a_match_and_follow_the_agreement(
    server: str, watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    sign_in(page, server, TAILOR)
    publish(page, server, "request", "5 kg", "Tailor's studio Jordaan", Title="Cotton for repairs")
    sign_in(page, server, WORKSHOP)
    offer = publish(page, server, "offer", "8 kg", "Sorting workshop Noord", Title="Cotton offcuts")
    row = page.locator("tr.match", has_text="Cotton for repairs")
    expect(row).to_contain_text("what:")  # each match says why it matches
    row.get_by_label("Quantity").fill("5 kg")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator("h1")).to_contain_text("Agreement")
    expect(page.locator("#agreement-status")).to_have_text("open")
    expect(page.locator("tbody tr")).to_have_count(1)
    shot(page, "agreement")
    agreement = page.url
    # the workshop hands the cotton over, naming the commitment: the agreement is fulfilled
    page.get_by_role("link", name="Record it").click()
    expect(page.get_by_label("Action")).to_have_value("transfer")
    batch = page.locator("#f-resourceInventoriedAs option", has_text="SWN-B12) · Sorteerwerkplaats")
    page.get_by_label("Resource", exact=True).select_option(batch.get_attribute("value"))
    page.get_by_label("Quantity", exact=True).fill("5 kg")
    page.get_by_role("button", name="Sign and record").click()
    expect(page.locator("#recorded")).to_contain_text("Recorded")
    page.goto(agreement)
    expect(page.locator("#agreement-status")).to_have_text("fulfilled")
    shot(page, "agreement-fulfilled")
    page.goto(f"{server}/market/{offer}")
    expect(page.get_by_role("link", name="Agreement")).to_have_count(1)
    assert problems == []


def test_a_passport_opens_from_the_resource_page_verified(
    server: str, watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    page.goto(server + "/inventory?q=ZO-GOWN")
    page.get_by_role("link", name="Surgical gown").click()
    expect(page.locator("#history tbody tr")).to_have_count(3)
    shot(page, "resource")
    page.locator("#passport-link").click()
    expect(page.locator("#verification")).to_contain_text("Verified.")
    shot(page, "passport")
    assert problems == []


def test_an_invalid_event_shows_its_error_next_to_the_field(
    server: str, watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    sign_in(page, server, WORKSHOP)
    page.goto(server + "/record")
    page.get_by_label("Action").select_option("produce")
    page.get_by_label("Quantity", exact=True).fill("lots kg")
    page.get_by_role("button", name="Sign and record").click()
    error = page.locator(".field:has(#f-resourceQuantity) .error")
    expect(error).to_contain_text("not a decimal number")
    expect(page.locator("#f-resourceQuantity")).to_have_attribute("aria-invalid", "true")
    shot(page, "record-error")
    assert problems == []


def test_signing_in_with_a_pasted_keyring(
    demo: dict[str, str], watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    page.goto(demo["url"] + "/signin")
    page.get_by_label("Keyring (JSON)").fill('{"keyring": {"eddsa": "not a key"}}')
    page.get_by_role("button", name="Sign in with keyring").click()
    expect(page.locator(".field:has(#f-keyring) .error")).to_be_visible()
    page.get_by_label("Keyring (JSON)").fill(demo["keyring"])
    page.get_by_role("button", name="Sign in with keyring").click()
    expect(page.locator(".who strong")).to_have_text("Ziekenhuis Oost")
    assert problems == []


def test_signing_in_with_a_sealed_key_needs_its_passphrase(
    server: str, watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    page.goto(server + "/signin")
    page.get_by_label("Agent").select_option(label="Sam Sealed (Person) — sealed")
    page.get_by_label("Passphrase (only for sealed keys)").fill("wrong horse")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".field:has(#f-passphrase) .error")).to_be_visible()
    page.get_by_label("Passphrase (only for sealed keys)").fill("correct horse")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".who strong")).to_have_text("Sam Sealed")
    assert problems == []


def test_a_plan_from_a_demand_shows_its_timeline(
    server: str, watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    sign_in(page, server, "Coordinator", then="/plans")
    page.get_by_label("What is needed").select_option(label="insulation panel")
    page.get_by_label("How much").fill("20 each")
    due = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    page.get_by_label("Due").fill(due)
    page.get_by_label("Delivered at").select_option(label="hub")
    page.get_by_role("button", name="Plan").click()
    expect(page.locator("svg.gantt rect")).not_to_have_count(0)
    expect(page.locator("svg.gantt")).to_contain_text("press panels")
    expect(page.locator("#plan-status")).to_be_visible()
    shot(page, "plan")
    assert problems == []


def test_an_income_is_shared_by_an_equation_with_explanations(
    demo: dict[str, str], watched: tuple[Page, list[str]]
) -> None:
    page, problems = watched
    sign_in(page, demo["url"], WORKSHOP, then="/value")
    page.get_by_role("button", name="Record equation").click()  # the example equation
    expect(page.locator("#equations")).to_contain_text("Textile loop")
    page.get_by_label("Income (the id of the event that paid)").fill(demo["income"])
    page.get_by_role("button", name="Distribute").click()
    shares = page.locator("#shares tbody tr")
    expect(shares.first).to_be_visible()
    expect(page.locator("#shares")).to_contain_text("Sorteerwerkplaats Noord")  # the work
    expect(page.locator("#shares")).to_contain_text("Textielinzameling Amsterdam")  # garments
    expect(page.locator("#shares")).to_contain_text("contributors")  # the bucket that paid
    expect(page.locator("h2", has_text="Shares of 100")).to_contain_text("recorded as claims")
    shot(page, "value-shares")
    assert problems == []


@pytest.mark.parametrize("path", ["/inventory", "/market", "/plans", "/value", "/network",
                                  "/record", "/charts", "/signin"])  # fmt: skip
def test_every_page_renders_without_console_errors(
    server: str, watched: tuple[Page, list[str]], path: str
) -> None:
    page, problems = watched
    if path == "/signin":
        page.goto(server + path)
    else:
        sign_in(page, server, WORKSHOP, then=path)
    expect(page.locator("main h1")).to_be_visible()
    if path == "/charts":
        expect(page.locator("#sankey .sankey")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    shot(page, path.strip("/"))
    assert problems == []


def test_the_map_fits_a_phone_screen(server: str, watched: tuple[Page, list[str]]) -> None:
    page, problems = watched
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(server + "/market")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(page, "market-phone")
    assert problems == []
