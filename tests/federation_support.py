"""Test support for the federation: nodes in one process, wired by an in-memory HTTP mesh.

``Mesh`` is an httpx transport that routes ``http://<name>`` to that node's ASGI app, so the
real client, server and ledger code run without sockets; ``down`` simulates partitions. The
multi-process tests use real servers instead (``spawn_node``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from reflow.federation.http import federation_app
from reflow.federation.service import FederationService
from reflow.node import Node
from reflow.settings import Settings


def qty(value: str | int, unit: str = "om2:kilogram") -> dict[str, str]:
    return {"hasNumericalValue": str(value), "hasUnit": unit}


class Mesh(httpx.AsyncBaseTransport):
    """Routes requests by host name to in-process ASGI apps; hosts in ``down`` are unreachable."""

    def __init__(self) -> None:
        self.apps: dict[str, Any] = {}
        self.down: set[str] = set()
        self.real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host == "127.0.0.1":  # a real server (the endless-stream attack needs a socket)
            return await self.real.handle_async_request(request)
        if host in self.down or host not in self.apps:
            raise httpx.ConnectError(f"{host} is unreachable", request=request)
        transport = httpx.ASGITransport(app=self.apps[host])
        return await transport.handle_async_request(request)


def make_node(root: Path, name: str, network: str, database_url: str = "") -> Node:
    settings = Settings.from_env({}, data_dir=root / name, database_url=database_url or None)
    return Node.init(settings, network_name="fed-test", network=network)


class Cluster:
    """Named in-process nodes, each with its app on the mesh and its own replication service."""

    def __init__(self, root: Path, names: list[str], network: str = "fed-test-net") -> None:
        self.root = root
        self.network = network
        self.mesh = Mesh()
        self.nodes: dict[str, Node] = {}
        self.services: dict[str, FederationService] = {}
        for name in names:
            self.start(name)

    def url(self, name: str) -> str:
        return f"http://{name}"

    def start(self, name: str) -> Node:
        node = make_node(self.root, name, self.network)
        self.nodes[name] = node
        self.mesh.apps[name] = federation_app(node, sync=False)
        http = httpx.AsyncClient(transport=self.mesh, timeout=5.0)
        self.services[name] = FederationService(
            node, http=http, own_url=self.url(name), stream=False
        )
        for other in self.nodes:
            if other != name:
                self.services[name].book.add(self.url(other))
                self.services[other].book.add(self.url(name))
        self.mesh.down.discard(name)
        return node

    def stop(self, name: str) -> None:
        self.mesh.down.add(name)
        self.nodes.pop(name).close()
        self.services.pop(name)

    def sync(self, name: str, *others: str) -> list[Any]:
        service = self.services[name]
        for st in service.states.values():
            st.retry_at = 0.0  # tests drive the rounds; no waiting out backoff
        urls = [self.url(o) for o in others] or [
            p.url for p in service.book.list() if p.url != service.own_url
        ]
        return asyncio.run(_sync_urls(service, urls))

    def close(self) -> None:
        for node in self.nodes.values():
            node.close()


async def _sync_urls(service: FederationService, urls: list[str]) -> list[Any]:
    out = [await service.sync_peer(u) for u in urls]
    return out


# -- real processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_node(
    data_dir: Path, port: int, *, db: str = "", interval: float = 0.3, wait: bool = True
) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        "-m",
        "reflow.federation.runner",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--sync-interval",
        str(interval),
    ]
    if db:
        args += ["--db", db]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if wait:
        wait_ready(proc, port)
    return proc


def wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/fed/info", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"node on port {port} did not start")


def stop_process(proc: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request to an in-process app (the body read in full)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            resp = await client.request(method, path, **kwargs)
            await resp.aread()
            return resp

    return asyncio.run(go())


class ServerThread:
    """A uvicorn server for ``app`` on a free port, in a thread (for attacks that need sockets)."""

    def __init__(self, app: Any) -> None:
        import threading

        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True
        self.thread.join(timeout=5)
