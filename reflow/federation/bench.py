"""``reflow bench replicate``: how fast an empty node catches up over HTTP, and how it converges.

Node A holds the records (the ingest benchmark's mixed city workload) and serves them from its
own process; node B starts empty in another process, pulls everything over HTTP through the full
verification path (``Ledger.append_many``) and reports its time and peak RSS. The raw Ed25519
verify rate is measured on the same records in the same run, just before B starts and just after
it ends (the ratio takes the mean), so it compares like with like on this machine. Then the
two replicate as peers (live streams open), B stops, both write 10k records while apart (A keeps
trying B and backs off), B comes back, and the time from B being back until both hold the same
chains is the convergence time.

B's peak RSS is its own process's high-water mark. What bounds it while catching up: the batches
in flight (the one being judged, one queued, one being read: ``sync.BATCH`` records each), the
inbox's hold (``Inbox.cap`` records, ``cap_bytes``), SQLite's page cache (64 MiB a connection,
two connections), and the store's read cache (``sqlstore.CACHE_LIMIT`` entries, or
``--cache-limit``), which is the only part that grows with the backlog until its limit.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from reflow.bench.ingest import NETWORK, Workload, raw_verify_rate
from reflow.federation.peers import PeerBook
from reflow.federation.processes import python_module
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.records import RECORD_FIELDS
from reflow.node import Node
from reflow.settings import Settings


def _node(path: Path) -> Node:
    return Node.init(Settings.from_env({}, data_dir=path), network_name="bench", network=NETWORK)


def _fill(node: Node, records: list[dict[str, Any]]) -> int:
    """A's local append: the records as one stream through ``append_many`` (its pipeline never
    drains), the best a node does with records it already has."""
    return sum(r.status == "applied" for r in node.ledger.append_many(records))


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server(path: Path, port: int, *, sync: bool, interval: float = 0.3) -> subprocess.Popen[bytes]:
    args = python_module("reflow.federation.runner", "--data-dir", str(path), "--port", str(port),
                         "--sync-interval", str(interval))  # fmt: skip
    if not sync:
        args.append("--no-sync")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/fed/info", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the node on port {port} did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _heads(port: int) -> dict[str, Any]:
    return dict(httpx.get(f"http://127.0.0.1:{port}/fed/heads", timeout=10).json()["heads"])


def _cpu(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (default: this one)."""
    if pid is None:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_bound(cache_limit: int) -> str:
    """What B's memory is bounded by while catching up, from the limits in force."""
    from reflow.federation import inbox, sync
    from reflow.store import sqlstore

    entries = cache_limit or sqlstore.CACHE_LIMIT
    return (
        # queued, being read, and in the stream: the one judged and the one committing
        f"batches in flight <= {sync.QUEUE_BATCHES + 3} x {sync.BATCH} records; "
        f"hold <= {inbox.HOLD_CAP} records and {inbox.HOLD_BYTES // 2**20} MiB of payload; "
        f"SQLite page cache 64 MiB a connection (2 used); "
        f"store read cache <= {entries} entries (~1.4 KiB each): the only part that grows "
        f"with the backlog"
    )


def _wait_streaming(peers: dict[int, str], timeout: float = 60.0) -> None:
    """Until each node (by port) streams from its peer (by URL): the two are in sync."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for port, url in peers.items():
            listed = httpx.get(f"http://127.0.0.1:{port}/fed/peers", timeout=10).json()["peers"]
            states += [bool((p.get("status") or {}).get("streaming")) for p in listed
                       if p["url"] == url]  # fmt: skip
        if states and all(states):
            return
        time.sleep(0.1)


def _digest(path: Path) -> str:
    from reflow.store.digest import state_digest

    node = Node.open(Settings.from_env({}, data_dir=path))
    try:
        return str(state_digest(node.store)["digest"])
    except Exception as exc:  # report it in the figures rather than lose the whole run
        return f"error: {exc}"
    finally:
        node.close()


def peak_rss_mib() -> float:
    """This process's peak resident memory, in MiB.

    From ``VmHWM`` (the high-water mark of this process's own memory), not ``ru_maxrss``: on
    Linux the latter keeps the parent's peak across ``exec``, so B started by a bench that holds
    the whole workload would report the bench's size (and it grows with the backlog).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def catch_up(data_dir: Path, peer: str, cache_limit: int = 0) -> dict[str, Any]:
    """B's side, in its own process: one replication round from ``peer``; time and peak RSS.

    ``cache_limit`` (if set) lowers the store's read cache (``SqlStore`` keeps up to
    ``CACHE_LIMIT`` resources, events and objects), which is what B's memory grows with.
    """
    import resource

    from reflow.federation.service import FederationService
    from reflow.store import sqlstore

    if cache_limit:
        sqlstore.CACHE_LIMIT = cache_limit

    node = Node.open(Settings.from_env({}, data_dir=data_dir))

    async def go() -> Any:
        service = FederationService(node, stream=False)
        try:
            report = await service.sync_peer(peer)
            return report.as_dict() if report else {"error": service.state(peer).reason}
        finally:
            await service.http.aclose()

    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    started = time.perf_counter()
    report = asyncio.run(go())
    seconds = time.perf_counter() - started
    node.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    return {**report, "wall_s": round(seconds, 3), "cpu_s": round(cpu, 1),
            "peak_rss_mib": peak_rss_mib()}  # fmt: skip


def run(records: int = 100_000, *, agents: int = 200, seed: int = 7, side: int = 10_000,
        cache_limit: int = 0, say: Any = None) -> dict[str, Any]:  # fmt: skip
    say = say or (lambda msg: None)
    with tempfile.TemporaryDirectory(prefix="reflow-replicate-") as tmp:
        root = Path(tmp)
        say(f"signing {records} records")
        workload = Workload(agents, seed).build(records)
        a = _node(root / "a")
        say("node A ingests them")
        t0 = time.perf_counter()
        held = _fill(a, workload)
        local_rate = len(workload) / (time.perf_counter() - t0)
        payloads = [canonical_bytes({k: r[k] for k in RECORD_FIELDS}) for r in workload]
        verify_before = raw_verify_rate(workload, payloads)
        _node(root / "b").close()
        port_a, port_b = _port(), _port()
        server_a = _server(root / "a", port_a, sync=True)
        try:
            say("node B catches up over HTTP (separate process)")
            out = subprocess.run(
                python_module("reflow.federation.bench", "catch-up", str(root / "b"),
                              f"http://127.0.0.1:{port_a}", str(cache_limit)),
                capture_output=True, check=True, timeout=3600,
            )  # fmt: skip
            b_report = json.loads(out.stdout)
            b_rate = b_report["applied"] / b_report["seconds"] if b_report["seconds"] else 0.0
            verify_after = raw_verify_rate(workload, payloads)
            verify_rate = (verify_before + verify_after) / 2  # the drift, see raw_verify_rate
            del payloads

            say("B serves and replicates with A, then a partition: B stops")
            url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
            PeerBook(root / "a").add(url_b)
            PeerBook(root / "b").add(url_a)
            server_b = _server(root / "b", port_b, sync=True)
            _wait_streaming({port_a: url_b, port_b: url_a})
            _stop(server_b)  # A keeps trying B meanwhile, and backs off
            say(f"{side} records written on each side while apart")
            left = Workload(20, seed + 1).build(side)
            right = Workload(20, seed + 2).build(side)
            b = Node.open(Settings.from_env({}, data_dir=root / "b"))
            t0, c0 = time.perf_counter(), _cpu()
            _fill(b, right)
            _fill(a, left)
            side_s, side_cpu = (time.perf_counter() - t0) / 2, (_cpu() - c0) / 2
            b.close()
            a.close()
            server_b = _server(root / "b", port_b, sync=True)
            try:
                say("B is back: until both hold the same chains")
                started = time.perf_counter()
                cpu_before = _cpu(server_a.pid) + _cpu(server_b.pid)
                converged = None
                while time.perf_counter() - started < 300:
                    if _heads(port_a) == _heads(port_b):
                        converged = time.perf_counter() - started
                        break
                    # each look costs both servers a request (~3 ms): every 50 ms, that was a
                    # tenth of the CPU the convergence itself took
                    time.sleep(0.1)
                servers_cpu = _cpu(server_a.pid) + _cpu(server_b.pid) - cpu_before
                peers = {
                    name: httpx.get(f"http://127.0.0.1:{p}/fed/peers", timeout=30).json()
                    for name, p in (("a", port_a), ("b", port_b))
                }
                say(f"converged in {converged} s" if converged else "did not converge")
            finally:
                _stop(server_b)
        finally:
            _stop(server_a)
        digests = [_digest(root / name) for name in ("a", "b")]
    return {
        "records": records,
        "held_by_a": held,
        "applied_by_b": b_report["applied"],
        "b_seconds": b_report["seconds"],
        "b_records_per_s": round(b_rate),
        "raw_verify_per_s": round(verify_rate),
        "raw_verify_before_after_per_s": [round(verify_before), round(verify_after)],
        "ratio": round(b_rate / verify_rate, 3),
        "target_ratio": 0.5,
        # the same records appended locally by A's ledger (no HTTP) in this run: what B's rate
        # over HTTP is bounded by (the rules and every service's projectors)
        "local_append_per_s": round(local_rate),
        "http_vs_local": round(b_rate / local_rate, 3),
        "b_peak_rss_mib": b_report["peak_rss_mib"],
        "b_store_cache_limit": cache_limit or "default",
        "b_memory_bound": _memory_bound(cache_limit),
        "partition_records_per_side": side,
        "convergence_s": round(converged, 2) if converged is not None else None,
        # one side's records appended locally by one node in this run (no peer, no HTTP): two
        # nodes on this machine judge each other's at once, so convergence is at least this
        "side_local_append_s": round(side_s, 2),
        # CPU seconds: both servers from B back to converged (B's start-up excluded), against
        # appending both sides locally: what replication adds on top of the appends
        "convergence_cpu_s": round(servers_cpu, 2),
        "both_sides_local_append_cpu_s": round(2 * side_cpu, 2),
        "target_convergence_s": 5.0,
        "digests_equal": digests[0] == digests[1] and not digests[0].startswith("error"),
        **({} if converged is not None else {"peer_status": peers}),
    }


def main() -> None:
    if len(sys.argv) in (4, 5) and sys.argv[1] == "catch-up":
        limit = int(sys.argv[4]) if len(sys.argv) == 5 else 0
        print(json.dumps(catch_up(Path(sys.argv[2]), sys.argv[3], limit)))
        return
    raise SystemExit("usage: python -m reflow.federation.bench catch-up DATA_DIR PEER_URL [CACHE]")


if __name__ == "__main__":
    main()
