"""A real server process: ``python -m reflow.api.serve`` on 127.0.0.1, spoken to over HTTP by
``reflow.client``; and a node that requires signed reads."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_support import Api

from reflow.bench.api import free_port
from reflow.client import ApiError, Client
from reflow.node import Node
from reflow.settings import Settings


@pytest.fixture
def server(node: Node) -> Iterator[tuple[str, Node]]:
    port = free_port()
    cmd = [sys.executable, "-m", "reflow.api.serve", "--data-dir", str(node.settings.data_dir),
           "--db", node.settings.database_url, "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield url, node
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_client_talks_to_a_real_server(server: tuple[str, Node]) -> None:
    url, node = server
    admin = Client(url, node.keystore.get(node.info.node_key))
    out = admin.query('mutation { createPerson(person: {name: "Ana"}) { agent { id name } } }')
    ana = out["createPerson"]["agent"]["id"]
    assert Client(url).query("query($id: ID!) { person(id: $id) { name } }", {"id": ana}) == {
        "person": {"name": "Ana"}
    }
    with pytest.raises(ApiError) as err:
        Client(url).query('mutation { createPerson(person: {name: "X"}) { agent { id } } }')
    assert err.value.code == "UNAUTHENTICATED"
    assert "reflow_http_requests_total" in httpx.get(f"{url}/metrics").text


def test_a_node_may_require_signed_reads(tmp_path: Path, database_url: str) -> None:
    env = {"REFLOW_REQUIRE_SIGNED_READS": "1"}
    settings = Settings.from_env(env, data_dir=tmp_path / "closed", database_url=database_url)
    node = Node.init(settings, network_name="closed")
    try:
        api = Api(node)
        with pytest.raises(ApiError) as err:
            api.client().query("{ actions { id } }")
        assert err.value.code == "UNAUTHENTICATED"
        assert api.client(api.admin).query('{ action(id: "raise") { id } }') == {
            "action": {"id": "raise"}
        }
    finally:
        node.close()
