"""Federation commands: peers, a replicating server, one sync round, federated search, the demo."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from reflow.cli.node_commands import AsJson, DataDir, DbUrl, settings_from
from reflow.federation.peers import PeerBook
from reflow.node import Node

console = Console()

PeerOpt = Annotated[list[str] | None, typer.Option("--peer", help="peer URL (repeatable)")]


def peak_rss_mb() -> float:
    """This process's own peak resident memory, in MiB (not its parent's: see the bench)."""
    from reflow.federation.bench import peak_rss_mib

    return peak_rss_mib()


def register(app: typer.Typer) -> None:
    peer_app = typer.Typer(no_args_is_help=True, help="The nodes this node replicates with.")
    app.add_typer(peer_app, name="peer")

    @peer_app.command("add")
    def peer_add(url: str, data_dir: DataDir = None, as_json: AsJson = False) -> None:
        """Add a peer by URL (e.g. http://127.0.0.1:8002); a running server picks it up."""
        settings = settings_from(data_dir, None)
        peer = PeerBook(settings.data_dir).add(url)
        if as_json:
            print(json.dumps({"url": peer.url, "node_key": peer.node_key}))
        else:
            console.print(f"peer [bold]{peer.url}[/] added")

    @peer_app.command("remove")
    def peer_remove(url: str, data_dir: DataDir = None) -> None:
        """Forget a peer."""
        removed = PeerBook(settings_from(data_dir, None).data_dir).remove(url)
        console.print("removed" if removed else "no such peer")

    @peer_app.command("list")
    def peer_list(data_dir: DataDir = None, as_json: AsJson = False) -> None:
        """The peers in peers.json, with the node key each proved at its handshake."""
        peers = PeerBook(settings_from(data_dir, None).data_dir).list()
        if as_json:
            print(json.dumps([{"url": p.url, "node_key": p.node_key, "source": p.source}
                              for p in peers]))  # fmt: skip
            return
        table = Table("url", "node key", "source")
        for p in peers:
            table.add_row(p.url, p.node_key or "(not yet greeted)", p.source)
        console.print(table)

    @app.command("node-serve")
    def node_serve(
        data_dir: DataDir = None,
        db: DbUrl = None,
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
        peer: PeerOpt = None,
        interval: Annotated[float, typer.Option("--sync-interval", help="seconds")] = 2.0,
        no_sync: Annotated[bool, typer.Option("--no-sync", help="serve only")] = False,
    ) -> None:
        """Serve /fed (and the API, if present) and replicate with the peers."""
        from reflow.federation.runner import serve

        node = Node.open(settings_from(data_dir, db))
        for url in peer or []:
            PeerBook(node.settings.data_dir).add(url)
        try:
            serve(node, host=host, port=port, sync=not no_sync, interval=interval)
        finally:
            node.close()

    @app.command("sync")
    def sync_cmd(
        data_dir: DataDir = None,
        db: DbUrl = None,
        peer: PeerOpt = None,
        as_json: AsJson = False,
    ) -> None:
        """One replication round with the given peers (default: all in peers.json)."""
        from reflow.federation.service import FederationService

        node = Node.open(settings_from(data_dir, db))
        started = time.monotonic()

        async def go() -> list[dict[str, object]]:
            service = FederationService(node, stream=False)
            urls = peer or [p.url for p in service.book.list()]
            out = []
            for url in urls:
                rep = await service.sync_peer(url)
                st = service.state(url)
                out.append(rep.as_dict() if rep else {"peer": url, "error": st.reason})
            await service.http.aclose()
            return out

        reports = asyncio.run(go())
        node.close()
        result = {"reports": reports, "seconds": round(time.monotonic() - started, 3),
                  "peak_rss_mb": peak_rss_mb()}  # fmt: skip
        if as_json:
            print(json.dumps(result))
        else:
            for r in reports:
                console.print(r)

    @app.command("fed-search")
    def fed_search(
        q: str,
        kind: Annotated[str, typer.Option("--type", help="resource|offer|request")] = "resource",
        data_dir: DataDir = None,
        db: DbUrl = None,
        timeout: Annotated[float, typer.Option(help="seconds per peer")] = 3.0,
        as_json: AsJson = False,
    ) -> None:
        """Search inventory, offers or requests on this node and all its peers at once."""
        from reflow.federation.search import federated_search

        node = Node.open(settings_from(data_dir, db))
        urls = [p.url for p in PeerBook(node.settings.data_dir).list()]
        out = asyncio.run(federated_search(node, urls, q, kind, timeout=timeout))
        node.close()
        if as_json:
            print(json.dumps(out))
            return
        table = Table("node", "type", "name", "id")
        for r in out["results"]:
            table.add_row(str(r["node"]), str(r["type"]), str(r.get("name")), str(r["id"]))
        console.print(table)
        for url, reason in out["errors"].items():
            console.print(f"[yellow]{url}: {reason}[/]")

    try:
        from reflow.cli.bench_commands import bench_app
    except ImportError:  # no bench group yet: a group of our own
        bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (figures as JSON).")
        app.add_typer(bench_app, name="bench")

    @bench_app.command("replicate")
    def bench_replicate(
        records: Annotated[int, typer.Option(help="records node A holds")] = 100_000,
        side: Annotated[
            int, typer.Option(help="records written on each side of a partition")
        ] = 10_000,
        agents: Annotated[int, typer.Option(help="agents in the workload")] = 200,
        seed: Annotated[int, typer.Option(help="workload seed")] = 7,
        cache_limit: Annotated[int, typer.Option(help="B's store cache (0 = default)")] = 0,
    ) -> None:
        """An empty node catches up over HTTP (records/s vs raw verify, RSS); convergence time."""
        from reflow.federation.bench import run

        err = Console(stderr=True)
        out = run(records, agents=agents, seed=seed, side=side, cache_limit=cache_limit,
                  say=err.print)  # fmt: skip
        print(json.dumps(out, indent=2))

    @app.command("network-demo")
    def network_demo(
        nodes: Annotated[int, typer.Option(help="how many nodes")] = 3,
        base_port: Annotated[int, typer.Option(help="port of the first node")] = 8001,
        directory: Annotated[Path, typer.Option("--dir", help="where the nodes live")] = Path(
            "demo-nodes"
        ),
        seconds: Annotated[float, typer.Option(help="stop after (0 = until Ctrl-C)")] = 0.0,
    ) -> None:
        """Start N nodes on 127.0.0.1 with different pilots' agents, keep them in sync."""
        from reflow.federation.demo import run_demo_nodes

        run_demo_nodes(nodes, base_port=base_port, directory=directory, seconds=seconds,
                       say=console.print)  # fmt: skip
