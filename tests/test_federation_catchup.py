"""Catching up a long log: streamed, pipelined, bounded, and resumable.

Specifications: a node pulls a peer's log in several requests and batches and ends with the
same state; its reader never runs more than a fixed number of batches ahead of the applying;
its cursor only moves past records that were judged, so a pull cut short resumes where it
stopped; a long batch takes the ledger's pipeline, which still names a forged record and applies
the rest; heads served to peers follow the log as it grows; the lines of a response are split
correctly whatever the network's chunks.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from federation_support import Cluster, call
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from reflow.bench.ingest import NETWORK, Workload
from reflow.errors import SignatureError
from reflow.federation.client import PeerError, bounded_lines
from reflow.federation.http import federation_app
from reflow.federation.inbox import Inbox, Outcome
from reflow.federation.queries import heads, log_end
from reflow.federation.sync import CURSORS_FILE, Puller
from reflow.ledger.ledger import CHUNK
from reflow.node import Node
from reflow.store.digest import state_digest


def filled_pair(tmp_path: Path, records: int) -> Cluster:
    """Node a holds ``records`` signed records of a mixed workload; node b is empty."""
    cluster = Cluster(tmp_path, ["a", "b"], network=NETWORK)
    cluster.nodes["a"].ledger.append_many(Workload(30, 11).build(records))
    return cluster


def pull(cluster: Cluster, url: str, **puller: Any) -> tuple[Puller, Any]:
    service = cluster.services["b"]
    p = Puller(cluster.nodes["b"], service.inbox, service.http, **puller)
    return p, asyncio.run(p.sync(url))


def digest(node: Node) -> str:
    return str(state_digest(node.store)["digest"])


def test_a_long_log_pulled_in_many_requests_and_batches_gives_the_same_state(
    tmp_path: Path,
) -> None:
    cluster = filled_pair(tmp_path, 1500)
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    puller, report = pull(cluster, "http://a", per_request=400, batch=300)
    assert report.applied == log_end(a.store) and report.held == 0
    assert digest(b) == digest(a)
    assert puller.cursors["http://a"] == log_end(a.store)
    saved = json.loads((b.settings.data_dir / CURSORS_FILE).read_text())
    assert saved == {"http://a": log_end(a.store)}
    cluster.close()


class CountingApp:
    """Node a's /fed app, counting the /fed/log requests it was sent."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.log_requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/fed/log":
            self.log_requests += 1
        await self.app(scope, receive, send)


class SlowInbox(Inbox):
    """Notes how many log requests were served when each batch starts to be judged, and
    judges slowly, so a reader free to run ahead would."""

    def __init__(self, *args: Any, counter: CountingApp, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counter = counter
        self.ahead: list[int] = []

    def offer_stream(self, batches: Any, done: Any) -> Outcome:
        import time

        def slowly() -> Any:
            for batch in batches:
                self.ahead.append(self.counter.log_requests - len(self.ahead))
                time.sleep(0.05)
                yield batch

        return super().offer_stream(slowly(), done)


def test_the_reader_stays_a_bounded_number_of_batches_ahead_of_the_applying(
    tmp_path: Path,
) -> None:
    from reflow.federation.sync import QUEUE_BATCHES

    cluster = filled_pair(tmp_path, 800)
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    counter = CountingApp(federation_app(a, sync=False))
    cluster.mesh.apps["a"] = counter
    service = cluster.services["b"]
    inbox = SlowInbox(b.ledger, b._lock, counter=counter)
    puller = Puller(b, inbox, service.http, per_request=100, batch=100)
    asyncio.run(puller.sync("http://a"))
    assert digest(b) == digest(a)
    assert len(inbox.ahead) >= 7  # one batch per request
    # When batch i starts, at most the queued batches and the one being read are ahead of it.
    assert max(inbox.ahead) <= QUEUE_BATCHES + 2
    cluster.close()


def evil_log_after(
    network: str, good: list[bytes], forged: dict[str, Any], per_request: int
) -> Starlette:
    """A peer whose log serves ``good`` in requests of ``per_request``, then ``forged``."""
    from reflow.federation.peers import make_hello
    from reflow.ledger.keys import KeyPair

    key = KeyPair.generate()

    async def hello(request: Request) -> Response:
        theirs = await request.json()
        return Response(json.dumps(make_hello(key, network, nonce=theirs["nonce"])))

    async def log(request: Request) -> Response:
        after = int(request.query_params["after"])
        body = good[after : after + per_request]
        if body:
            end = after + len(body)
            lines = [b"%d %s" % (after + i + 1, line) for i, line in enumerate(body)]
            payload = b"\n".join(lines) + b"\n%d end\n" % end
        else:  # past the good records: the forged one
            payload = b"%d %s\n" % (after + 1, json.dumps(forged).encode())

        async def gen() -> AsyncIterator[bytes]:
            yield payload

        return StreamingResponse(gen(), media_type="text/plain")

    return Starlette(routes=[Route("/fed/hello", hello, methods=["POST"]),
                             Route("/fed/log", log, methods=["POST"])])  # fmt: skip


def test_a_pull_cut_short_keeps_its_cursor_at_the_last_judged_request(tmp_path: Path) -> None:
    cluster = filled_pair(tmp_path, 300)
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    lines = [line.split(b" ", 1)[1] for line in call(
        federation_app(a, sync=False), "POST", "/fed/log?after=0&limit=5000", json={"heads": {}}
    ).content.splitlines()[:-1]]  # fmt: skip
    good, forged = lines[:200], {**json.loads(lines[200]), "sig": json.loads(lines[0])["sig"]}
    cluster.mesh.apps["evil"] = evil_log_after(NETWORK, good, forged, 100)
    with pytest.raises(PeerError, match="forged"):
        pull(cluster, "http://evil", per_request=100, batch=100)
    # Every good record was applied, the forged one was not, and the cursor is at the end of
    # the last request whose records were all judged: a later pull resumes there.
    assert log_end(b.store) == len(good)
    saved = json.loads((b.settings.data_dir / CURSORS_FILE).read_text())
    assert saved == {"http://evil": len(good)}
    cluster.close()


def test_a_long_batch_takes_the_pipeline_and_still_names_a_forged_record(tmp_path: Path) -> None:
    cluster = filled_pair(tmp_path, CHUNK + 700)
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    records = [r.to_dict() for r in a.store.iter_records()]
    assert len(records) > CHUNK  # long enough for the ledger's pipelined path
    last = records[-1]
    records[-1] = {**last, "sig": records[-2]["sig"]}  # the last record, signed by nobody
    out = Inbox(b.ledger).offer(records)
    assert out.applied == len(records) - 1
    assert len(out.forged) == 1 and isinstance(out.forged[0][1], SignatureError)
    assert not b.store.has_record(out.forged[0][0])
    again = Inbox(b.ledger).offer(records[:-1])  # echoed back: set aside as duplicates
    assert (again.applied, again.duplicate) == (0, len(records) - 1)
    cluster.close()


def test_a_catch_up_s_batches_go_through_one_pipeline_and_each_is_told_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches are judged as one stream (the pipeline does not fill and drain once a batch);
    the puller hears of each batch, in order, once its records are committed, and only then
    moves its cursor past it."""
    import reflow.ledger.ledger as ledger_module
    from reflow.ledger.ledger import Ledger

    monkeypatch.setattr(ledger_module, "CHUNK", 200)
    monkeypatch.setattr(ledger_module, "FIRST_CHUNK", 50)
    cluster = filled_pair(tmp_path, 1500)
    a, b = cluster.nodes["a"], cluster.nodes["b"]
    pipelines: list[int] = []
    pipelined = Ledger._pipelined

    def spy(self: Ledger, *args: Any, **kwargs: Any) -> Any:
        pipelines.append(1)
        return pipelined(self, *args, **kwargs)

    monkeypatch.setattr(Ledger, "_pipelined", spy)
    saved: list[int] = []
    account = Puller._account

    def noting(self: Puller, url: str, out: Outcome, report: Any) -> bool:
        saved.append(self.cursors.get(url, 0))
        return account(self, url, out, report)

    monkeypatch.setattr(Puller, "_account", noting)
    _puller, report = pull(cluster, "http://a", per_request=300, batch=300)
    assert digest(b) == digest(a) and report.applied == log_end(a.store)
    end = log_end(a.store)
    assert 1200 < end <= 1500  # five batches (the workload's refused records are not logged)
    assert len(pipelines) == 1  # five batches, one stream
    # each batch was told before the cursor moved past it: the cursor, as each was told,
    # is where the batch before it ended
    assert saved[:6] == [0, 300, 600, 900, 1200, end]
    cluster.close()


def test_heads_served_follow_the_log_as_it_grows(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a"])
    node = cluster.nodes["a"]
    anna = node.new_agent("Person", {"name": "Anna"})
    app = federation_app(node, sync=False)
    first = call(app, "GET", "/fed/heads").json()
    assert first["heads"][anna.public]["seq"] == 1 and heads(node.store) == first["heads"]
    node.submit(anna, "vf.create", {"type": "SpatialThing", "data": {"name": "depot"}})
    bob = node.new_agent("Person", {"name": "Bob"})
    second = call(app, "GET", "/fed/heads").json()
    assert second["heads"][anna.public]["seq"] == 2 and bob.public in second["heads"]
    assert second["log_end"] == first["log_end"] + 2
    cluster.close()


def response_of(chunks: list[bytes]) -> httpx.Response:
    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return httpx.Response(200, content=stream())


async def lines_of(chunks: list[bytes], max_lines: int = 100, max_line: int = 50) -> list[bytes]:
    return [line async for line in bounded_lines(response_of(chunks), max_lines, max_line)]


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        ([b'{"a":1}\n{"b":2}\n'], [b'{"a":1}', b'{"b":2}']),
        ([b'{"a"', b":1}\n", b'{"b"', b":2}"], [b'{"a":1}', b'{"b":2}']),  # no final newline
        ([b"x" * 10, b"y" * 10, b"z\n\n", b"\n", b"w"], [b"x" * 10 + b"y" * 10 + b"z", b"w"]),
        ([bytes([c]) for c in b"one\ntwo\n"], [b"one", b"two"]),  # a byte at a time
    ],
)
def test_lines_are_joined_across_chunks_and_blank_lines_skipped(
    chunks: list[bytes], lines: list[bytes]
) -> None:
    assert asyncio.run(lines_of(chunks)) == lines


@pytest.mark.parametrize(
    ("chunks", "why"),
    [
        ([b"x" * 51 + b"\n"], "a line of 51 bytes"),
        ([b"x" * 30, b"x" * 30], "longer than 50"),  # over the cap before its end arrives
        ([b"x"] * 51, "longer than 50"),  # dripped a byte at a time
        ([b"a\n" * 3, b"b\n"], "more than the 3 lines"),
        ([b"a\n" * 3, b"b"], "more than the 3 lines"),  # the last line, unterminated
    ],
)
def test_an_oversized_line_or_too_many_lines_are_refused(chunks: list[bytes], why: str) -> None:
    with pytest.raises(PeerError, match=why) as caught:
        asyncio.run(lines_of(chunks, max_lines=3))
    assert caught.value.misbehaved


@pytest.mark.parametrize("path", ["tails", "scan"])
def test_the_log_sends_the_same_lines_whichever_way_it_finds_them(
    tmp_path: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the chains' tails through the index must give exactly what a scan gives."""
    import random

    from reflow.federation import queries

    cluster = filled_pair(tmp_path, 600)
    store = cluster.nodes["a"].store
    full = {a: h["seq"] for a, h in heads(store).items()}
    end = log_end(store)
    monkeypatch.setattr(queries, "ROWS_PER_QUERY", -(10**9) if path == "tails" else 10**9)
    rng = random.Random(5)
    for _ in range(40):
        have = {a: rng.choice([0, s, s, max(0, s - rng.randint(1, 30))]) for a, s in full.items()}
        for a in rng.sample(sorted(have), 3):
            del have[a]  # chains the asker never saw
        after, limit = rng.randint(0, end), rng.choice([1, 7, 50, 5000])
        got = b"".join(queries.log_lines(store, after, limit, have))
        assert got == b"".join(queries._scan_lines(store, after, limit, have)), (after, limit)
    cluster.close()


class GatedInbox(Inbox):
    """Holds its first stream until told to go on, and notes when each stream is done."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        import threading

        self.started, self.go_on = threading.Event(), threading.Event()
        self.done = 0

    def offer_stream(self, batches: Any, done: Any) -> Outcome:
        self.started.set()
        self.go_on.wait(10)
        out = super().offer_stream(batches, done)
        self.done += 1
        return out


def test_a_pull_cancelled_mid_batch_returns_only_once_the_batch_is_committed(
    tmp_path: Path,
) -> None:
    """The service stopping cancels its pulls, but a worker thread cannot be cancelled: the pull
    waits for it, so the node is never closed under a commit."""
    cluster = filled_pair(tmp_path, 300)
    b = cluster.nodes["b"]
    inbox = GatedInbox(b.ledger, b._lock)
    puller = Puller(b, inbox, cluster.services["b"].http)

    async def go() -> int:
        task = asyncio.ensure_future(puller.sync("http://a"))
        while not inbox.started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0.05)
        inbox.go_on.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        return inbox.done

    assert asyncio.run(go()) == 1  # the batch under way was finished before the pull returned
    assert log_end(b.store) > 0
    cluster.close()
