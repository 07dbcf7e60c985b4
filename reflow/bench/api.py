"""The API benchmark: a typical resource query over GraphQL against the same object as JSON.

A node is filled with agents, specifications, places and resources (each a signed record
through ``node.submit``), then served by ``reflow serve`` in its own process on 127.0.0.1.
32 concurrent clients ask for random resources — with specification, place and quantities —
through GraphQL (as clients do, so answers still valid at the current log position come from the
result cache), through GraphQL with ``cache-control: no-cache`` (every query executed), and
through the plain JSON endpoint ``/resource/{id}.json`` that reads the same rows with the same
loaders and no cache: that endpoint is the ceiling, and the ratios of the throughputs are what
GraphQL costs. The three read phases are taken in turn, in slices of about two seconds, so that
a machine shared with other work loads them alike. Last, the clients record signed events
(``raise``) to measure signed writes per second.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from reflow.api.auth import sign_headers
from reflow.ledger.keys import KeyPair
from reflow.node import Node
from reflow.settings import Settings

RESOURCE_QUERY = """query($id: ID!) { economicResource(id: $id) {
  id name
  accountingQuantity { hasNumericalValue hasUnit { id label symbol } }
  onhandQuantity { hasNumericalValue hasUnit { id label symbol } }
  conformsTo { id name }
  currentLocation { id name lat long }
} }"""

RAISE = """mutation($e: EconomicEventCreateParams!, $r: EconomicResourceCreateParams) {
  createEconomicEvent(event: $e, newInventoriedResource: $r) { economicEvent { id } } }"""


def fill(
    node: Node, agents: int, resources: int, seed: int
) -> tuple[list[str], list[KeyPair], list[str]]:
    """Agents with specs and places, and ``resources`` resources spread among them."""
    rng = random.Random(seed)
    keys = [node.new_agent("Person", {"name": f"agent {i}"}) for i in range(agents)]
    specs: dict[str, list[str]] = {}
    places: dict[str, list[str]] = {}
    for key in keys:
        specs[key.public] = [
            node.submit(key, "vf.create", {"type": "ResourceSpecification",
                                           "data": {"name": f"spec {j}"}}).created[
                "ResourceSpecification"]
            for j in range(2)
        ]  # fmt: skip
        lat, long = 52.3 + rng.random() / 10, 4.8 + rng.random() / 10
        places[key.public] = [
            node.submit(key, "vf.create", {"type": "SpatialThing", "data": {
                "name": "depot", "lat": f"{lat:.5f}", "long": f"{long:.5f}"}}).created[
                "SpatialThing"]
        ]  # fmt: skip
    ids = []
    for i in range(resources):
        key = keys[i % agents]
        body = {
            "event": {
                "action": "raise", "provider": key.public, "receiver": key.public,
                "resourceConformsTo": rng.choice(specs[key.public]),
                "resourceQuantity": {"hasNumericalValue": str(rng.randint(1, 500)),
                                     "hasUnit": "om2:kilogram"},
            },
            "newInventoriedResource": {"name": f"lot {i}",
                                       "currentLocation": places[key.public][0]},
        }  # fmt: skip
        ids.append(node.submit(key, "vf.event", body).created["EconomicResource"])
    specs_flat = [s for v in specs.values() for s in v]
    return ids, keys, specs_flat


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(data_dir: Path, db: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    # -P: the installed package (a compiled build, see setup.py), not a source tree in the cwd
    cmd = [sys.executable, "-P", "-m", "reflow.api.serve", "--data-dir", str(data_dir), "--db", db,
           "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not answer /health within 30 s")


def summary(latencies: list[float], seconds: float, errors: int) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {
        "requests": len(ordered),
        "errors": errors,
        "per_s": round(len(ordered) / seconds, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


class Connection:
    """A minimal keep-alive HTTP/1.1 client connection.

    The load generator shares the machine with the server, so it must cost little: httpx's
    per-request overhead would measure the client more than the server.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"host: {self.host}:{self.port}",
                f"content-length: {len(body)}"]  # fmt: skip
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        content = await self.reader.readexactly(length) if length else b""
        return status, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _drive(
    host: str, port: int, concurrency: int, seconds: float, make: Any, rng: random.Random
) -> tuple[list[float], float, int]:
    """``concurrency`` clients, one connection each, send requests made by ``make``; the
    latencies, the seconds it took and the number of failed answers."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        nonlocal errors
        conn = Connection(host, port)
        try:
            while time.perf_counter() < stop:
                method, path, body, headers = make(n, rng)
                t0 = time.perf_counter()
                status, content = await conn.request(method, path, body, headers)
                latencies.append(time.perf_counter() - t0)
                if status != 200 or b'"errors"' in content:
                    errors += 1
        finally:
            conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return latencies, time.perf_counter() - start, errors


async def load(
    host: str, port: int, concurrency: int, seconds: float, make: Any, rng: random.Random
) -> dict[str, Any]:
    """One phase of ``seconds``: throughput and latencies."""
    return summary(*await _drive(host, port, concurrency, seconds, make, rng))


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def interleaved(
    host: str,
    port: int,
    concurrency: int,
    seconds: float,
    phases: dict[str, Any],
    rng: random.Random,
    rounds: int,
    server_pid: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Each phase for ``seconds`` in all, in ``rounds`` slices taken in turn.

    The machine is shared: a phase run after another may meet a different load. Taking the
    phases in turn, slice by slice, exposes them to the same conditions, so their ratios
    compare like with like. With the server's pid, each phase also reports the server's CPU
    time per request, which other work on the machine does not change.
    """
    taken: dict[str, tuple[list[float], float, int]] = {name: ([], 0.0, 0) for name in phases}
    cpu: dict[str, float | None] = {name: 0.0 for name in phases}
    for _ in range(rounds):
        for name, make in phases.items():
            before = process_cpu_seconds(server_pid) if server_pid else None
            lat, secs, errs = await _drive(host, port, concurrency, seconds / rounds, make, rng)
            after = process_cpu_seconds(server_pid) if server_pid else None
            all_lat, all_secs, all_errs = taken[name]
            taken[name] = (all_lat + lat, all_secs + secs, all_errs + errs)
            used = cpu[name]
            cpu[name] = (
                None if used is None or before is None or after is None else (used + after - before)
            )
    out = {}
    for name, got in taken.items():
        out[name] = summary(*got)
        used = cpu[name]
        if used is not None and got[0]:
            out[name]["server_cpu_ms_per_request"] = round(used * 1000 / len(got[0]), 3)
    return out


def run(
    db: str | None,
    *,
    agents: int = 50,
    resources: int = 2000,
    concurrency: int = 32,
    seconds: float = 10.0,
    seed: int = 7,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="reflow-bench-api-") as tmp:
        data_dir = Path(tmp) / "node"
        url = db or f"sqlite:///{Path(tmp) / 'node.sqlite'}"
        node = Node.init(Settings.from_env({}, data_dir=data_dir, database_url=url))
        t0 = time.perf_counter()
        ids, keys, specs = fill(node, agents, resources, seed)
        fill_s = time.perf_counter() - t0
        node.close()
        port = free_port()
        log = Path(tmp) / "server.log"
        proc = start_server(data_dir, url, port, log)
        try:
            out = asyncio.run(
                _measure(port, ids, keys, specs, concurrency, seconds, seed, proc.pid)
            )
        except (OSError, asyncio.IncompleteReadError) as exc:
            raise RuntimeError(f"{exc!r}; server log: {log.read_text()[-3000:]}") from exc
        finally:
            proc.terminate()
            proc.wait(10)
    return {
        "backend": url.split(":", 1)[0].split("+")[0],
        "resources": len(ids),
        "agents": agents,
        "concurrency": concurrency,
        "seconds_per_phase": seconds,
        "fill_s": round(fill_s, 1),
        **out,
        "targets": {"ratio_min": 0.5, "p99_ms_max": 50},
        "cpus": os.cpu_count(),
    }


async def _measure(
    port: int,
    ids: list[str],
    keys: list[KeyPair],
    specs: list[str],
    concurrency: int,
    seconds: float,
    seed: int,
    server_pid: int | None = None,
) -> dict[str, Any]:
    rng = random.Random(seed)
    json_headers = {"content-type": "application/json"}

    def graphql(_: int, r: random.Random) -> tuple[str, str, bytes, dict[str, str]]:
        body = json.dumps({"query": RESOURCE_QUERY, "variables": {"id": r.choice(ids)}})
        return "POST", "/api", body.encode(), json_headers

    def graphql_uncached(n: int, r: random.Random) -> tuple[str, str, bytes, dict[str, str]]:
        method, path, body, _ = graphql(n, r)
        return method, path, body, {**json_headers, "cache-control": "no-cache"}

    def plain(_: int, r: random.Random) -> tuple[str, str, bytes, dict[str, str]]:
        return "GET", f"/resource/{r.choice(ids)}.json", b"", {}

    def write(n: int, r: random.Random) -> tuple[str, str, bytes, dict[str, str]]:
        key = keys[n % len(keys)]
        variables = {"e": {"action": "raise", "provider": key.public, "receiver": key.public,
                           "resourceQuantity": {"hasNumericalValue": "1", "hasUnit": "kg"},
                           "resourceConformsTo": specs[0]},
                     "r": {"name": "bench"}}  # fmt: skip
        body = json.dumps({"query": RAISE, "variables": variables}).encode()
        return "POST", "/api", body, {**json_headers, **sign_headers(key, body)}

    host = "127.0.0.1"
    await load(host, port, concurrency, min(2.0, seconds), graphql, rng)  # warm up both paths
    await load(host, port, concurrency, min(2.0, seconds), plain, rng)
    reads = await interleaved(
        host, port, concurrency, seconds,
        {"cached": graphql, "uncached": graphql_uncached, "ceiling": plain}, rng,
        rounds=max(1, round(seconds / 2)), server_pid=server_pid,
    )  # fmt: skip
    gql, uncached, ceiling = reads["cached"], reads["uncached"], reads["ceiling"]
    writes = await load(host, port, concurrency, seconds, write, rng)

    def ratio(a: dict[str, Any]) -> float | None:
        return round(a["per_s"] / ceiling["per_s"], 3) if ceiling["per_s"] else None

    def cpu_ratio(a: dict[str, Any]) -> float | None:
        """The ceiling's server CPU per request over this phase's: the ratio without the
        machine's other work in it."""
        mine, best = a.get("server_cpu_ms_per_request"), ceiling.get("server_cpu_ms_per_request")
        return round(best / mine, 3) if mine and best else None

    return {
        "graphql_resource_query": gql,
        "graphql_resource_query_uncached": uncached,
        "json_resource_endpoint": ceiling,
        "ratio": ratio(gql),
        "ratio_uncached": ratio(uncached),
        "cpu_ratio": cpu_ratio(gql),
        "cpu_ratio_uncached": cpu_ratio(uncached),
        "signed_writes": writes,
    }
