"""The reads a node serves to its peers: heads, chain segments, the log tail, evidence, search.

All of them are bounded (``limit``) and read in primary-key order through indexes, so a peer can
never make a node load a whole table. Records travel as JSON lines built straight from the
stored canonical payload plus the signature, with no decode/encode round trip on the server:
the receiver recomputes the canonical bytes anyway when it verifies.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, func, or_, select

from reflow.store.schema import equivocations, records, resources, vf_objects
from reflow.store.sqlstore import SqlStore

MAX_LIMIT = 5000
SEARCH_LIMIT = 50


def record_line(payload: bytes, sig: str) -> bytes:
    """A record as one JSON line: the canonical unsigned object with ``sig`` appended."""
    raw = bytes(payload)
    return raw[:-1] + b',"sig":' + json.dumps(sig).encode() + b"}\n"


# store -> (log position, heads at that position): see ``heads_at``
_HEADS: weakref.WeakKeyDictionary[SqlStore, tuple[int, dict[str, dict[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)


def heads(store: SqlStore) -> dict[str, dict[str, Any]]:
    """author -> {seq, hash} of the last record of every chain this node holds (read-only)."""
    return heads_at(store)[1]


def heads_at(store: SqlStore) -> tuple[int, dict[str, dict[str, Any]]]:
    """(log position, heads covering at least that position).

    The heads are read by a grouped scan of the whole log (tens of ms at 100k records), and
    every peer asks for them every round while this node asks for its own to tell the peer
    what it lacks: they are kept per store until the log grows. The position is read first,
    so the heads cover it (they may cover more, which only makes the next read redo them).
    """
    end = log_end(store)
    cached = _HEADS.get(store)
    if cached is not None and cached[0] == end:
        return cached
    last = (
        select(records.c.author, func.max(records.c.seq).label("seq"))
        .group_by(records.c.author)
        .subquery()
    )
    stmt = select(records.c.author, records.c.seq, records.c.hash).join(
        last, and_(records.c.author == last.c.author, records.c.seq == last.c.seq)
    )
    with store.engine.connect() as conn:
        found = {r.author: {"seq": int(r.seq), "hash": r.hash} for r in conn.execute(stmt)}
    _HEADS[store] = (end, found)
    return end, found


def chain_lines(store: SqlStore, author: str, after: int, limit: int) -> Iterator[bytes]:
    """Records of one author with seq > ``after``, in order, at most ``limit``.

    Yields one block of lines per database chunk: a server iterates it in a worker thread, and
    one hop per block instead of per line keeps that cost off the catch-up path.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    pos, sent = after, 0
    while sent < limit:
        chunk = min(500, limit - sent)
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(records.c.seq, records.c.payload, records.c.sig)
                .where(records.c.author == author, records.c.seq > pos)
                .order_by(records.c.seq)
                .limit(chunk)
            ).all()
        if rows:
            yield b"".join(record_line(r.payload, r.sig) for r in rows)
        if len(rows) < chunk:
            return
        sent += len(rows)
        pos = int(rows[-1].seq)


def log_lines(
    store: SqlStore, after_pos: int, limit: int, have: dict[str, int] | None = None
) -> Iterator[bytes]:
    """The log after ``after_pos`` in this node's order, as ``<pos> <record>`` lines.

    This node applied its log in this order, so every record comes after what it builds on: a
    node catching up from it never waits for a dependency. With ``have`` (author -> the seq the
    asker holds) only what the asker lacks is sent. The last line, ``<pos> end``, says how far
    the log was read, so the asker resumes there (skipped records included).

    Two ways to find what the asker lacks, whichever reads fewer rows: scan the log after its
    cursor, or (when it lacks a few chains' tails, e.g. a peer that never pulled from this node
    but holds most of its log) read those tails through the (author, seq) index.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    if have is not None:
        end, mine = heads_at(store)
        lacking = {a: have.get(a, 0) for a, h in mine.items() if h["seq"] > have.get(a, 0)}
        missing = sum(mine[a]["seq"] - seq for a, seq in lacking.items())
        if len(lacking) * ROWS_PER_QUERY + missing < end - after_pos:
            yield from _tail_lines(store, after_pos, limit, lacking, end)
            return
    yield from _scan_lines(store, after_pos, limit, have or {})


ROWS_PER_QUERY = 50  # what one small indexed query costs, in rows of a log scan (measured ~)


def _tail_lines(
    store: SqlStore, after_pos: int, limit: int, lacking: dict[str, int], end: int
) -> Iterator[bytes]:
    """What the asker lacks, chain by chain: records of each author above the seq it holds,
    after ``after_pos`` and up to ``end`` (which the heads cover), merged in log order."""
    wanted: list[int] = []
    with store.engine.connect() as conn:
        for author, seq in lacking.items():
            wanted.extend(
                conn.execute(
                    select(records.c.pos)
                    .where(
                        records.c.author == author,
                        records.c.seq > seq,
                        records.c.pos > after_pos,
                        records.c.pos <= end,
                    )
                    .order_by(records.c.seq)  # a chain's positions grow with its seq
                    .limit(limit)
                ).scalars()
            )
    wanted.sort()
    full = len(wanted) >= limit
    del wanted[limit:]
    for i in range(0, len(wanted), 2000):
        with store.engine.connect() as conn:
            found = conn.execute(
                select(records.c.pos, records.c.payload, records.c.sig)
                .where(records.c.pos.in_(wanted[i : i + 2000]))
                .order_by(records.c.pos)
            ).all()
        yield b"".join(b"%d " % r.pos + record_line(r.payload, r.sig) for r in found)
    yield b"%d end\n" % (wanted[-1] if full else max(end, after_pos))


def _scan_lines(
    store: SqlStore, after_pos: int, limit: int, have: dict[str, int]
) -> Iterator[bytes]:
    """The log read in order after ``after_pos``, keeping what ``have`` lacks."""
    pos = scanned = after_pos
    sent = 0
    while sent < limit:
        with store.engine.connect() as conn:
            rows = conn.execute(
                select(records.c.pos, records.c.author, records.c.seq)
                .where(records.c.pos > pos)
                .order_by(records.c.pos)
                .limit(2000)
            ).all()
            wanted = [int(r.pos) for r in rows if r.seq > have.get(r.author, 0)]
            wanted = wanted[: limit - sent]
            if wanted:
                found = conn.execute(
                    select(records.c.pos, records.c.payload, records.c.sig)
                    .where(records.c.pos.in_(wanted))
                    .order_by(records.c.pos)
                ).all()
                yield b"".join(b"%d " % r.pos + record_line(r.payload, r.sig) for r in found)
                sent += len(wanted)
        if not rows:
            break
        full = sent >= limit
        scanned = wanted[-1] if full and wanted else int(rows[-1].pos)
        pos = scanned
        if len(rows) < 2000 or full:
            break
    yield b"%d end\n" % scanned


def log_tail(store: SqlStore, after_pos: int, limit: int) -> list[tuple[int, bytes]]:
    """(pos, line) of the records appended after ``after_pos`` (the live stream)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(records.c.pos, records.c.payload, records.c.sig)
            .where(records.c.pos > after_pos)
            .order_by(records.c.pos)
            .limit(max(1, min(limit, MAX_LIMIT)))
        ).all()
    return [(int(r.pos), record_line(r.payload, r.sig)) for r in rows]


def known_hashes(store: SqlStore, hashes: list[str]) -> set[str]:
    """Which of these records this node already holds (one query per 5000: under any
    database's limit on bound parameters, whatever the batch)."""
    found: set[str] = set()
    if not hashes:
        return found
    with store.engine.connect() as conn:
        for i in range(0, len(hashes), 5000):
            part = hashes[i : i + 5000]
            found.update(
                conn.execute(select(records.c.hash).where(records.c.hash.in_(part))).scalars()
            )
    return found


def log_end(store: SqlStore) -> int:
    return store.log_position()


def evidence(store: SqlStore, after_id: int = 0, limit: int = 500) -> list[dict[str, Any]]:
    """Equivocations as both signed records, so any node can check the proof itself."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(equivocations)
            .where(equivocations.c.id > after_id)
            .order_by(equivocations.c.id)
            .limit(max(1, min(limit, MAX_LIMIT)))
        ).all()
        out = []
        for r in rows:
            kept = conn.execute(
                select(records.c.payload, records.c.sig).where(records.c.hash == r.kept)
            ).first()
            out.append(
                {
                    "id": int(r.id),
                    "author": r.author,
                    "seq": int(r.seq),
                    "kept": json.loads(record_line(kept.payload, kept.sig)) if kept else None,
                    "other": json.loads(r.record),
                    "detected": r.detected,
                }
            )
    return out


def flagged_authors(store: SqlStore) -> dict[str, int]:
    """author -> the first seq at which it signed two records."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(equivocations.c.author, func.min(equivocations.c.seq)).group_by(
                equivocations.c.author
            )
        ).all()
    return {r[0]: int(r[1]) for r in rows}


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(store: SqlStore, q: str, kind: str, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
    """Inventory (``resource``), offers or requests whose name (or note) contains ``q``."""
    limit = max(1, min(limit, SEARCH_LIMIT))
    pattern = _like(q)
    with store.engine.connect() as conn:
        if kind == "resource":
            rows = conn.execute(
                select(resources)
                .where(
                    or_(
                        resources.c.name.ilike(pattern, escape="\\"),
                        resources.c.note.ilike(pattern, escape="\\"),
                    )
                )
                .order_by(resources.c.id)
                .limit(limit)
            ).all()
            return [
                {
                    "type": "EconomicResource",
                    "id": r.id,
                    "name": r.name,
                    "conformsTo": r.conforms_to,
                    "accountingQuantity": {"hasNumericalValue": r.accounting_quantity,
                                           "hasUnit": r.unit},
                    "primaryAccountable": r.primary_accountable,
                    "currentLocation": r.current_location,
                }
                for r in rows
            ]  # fmt: skip
        # Offers and requests are Proposals; the purpose lives inside the JSON data, so the
        # SQL narrows by name text and Python checks the purpose exactly.
        rows = conn.execute(
            select(vf_objects)
            .where(
                vf_objects.c.type == "Proposal",
                vf_objects.c.deleted.is_(False),
                vf_objects.c.data.ilike(pattern, escape="\\"),
            )
            .order_by(vf_objects.c.id)
            .limit(limit * 4)
        ).all()
    out = []
    needle = q.lower()
    for r in rows:
        data = json.loads(r.data)
        text = f"{data.get('name') or ''} {data.get('note') or ''}".lower()
        if data.get("purpose") == kind and needle in text:
            out.append({"type": "Proposal", "id": r.id, "purpose": kind, "author": r.author,
                        "name": data.get("name"), "note": data.get("note")})  # fmt: skip
        if len(out) >= limit:
            break
    return out
