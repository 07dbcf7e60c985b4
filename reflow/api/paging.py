"""Connections: ``first/after/last/before`` pages over a table ordered by id.

Cursors are opaque to clients (base64 of the id) so the order key can change without breaking
them; ``totalCount`` counts every match of the filter, not only the page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Connection, Select, Table, func, select

from reflow.api.limits import page_size
from reflow.errors import RuleViolation

Node = dict[str, Any]


def encode_cursor(object_id: str) -> str:
    return base64.urlsafe_b64encode(object_id.encode()).decode("ascii")


def decode_cursor(cursor: str, field: str) -> str:
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        decoded = ""
    if not decoded or encode_cursor(decoded) != cursor:
        raise RuleViolation("not a cursor this API gave out", field=field, rule="cursor")
    return decoded


def connection(
    nodes: Sequence[Node],
    *,
    has_previous: bool,
    has_next: bool,
    total: int | None,
    limit: int,
) -> dict[str, Any]:
    edges = [{"cursor": encode_cursor(n["id"]), "node": n} for n in nodes]
    return {
        "edges": edges,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasPreviousPage": has_previous,
            "hasNextPage": has_next,
            "totalCount": total,
            "pageLimit": limit,
        },
    }


def sql_page(
    conn: Connection,
    table: Table,
    where: Sequence[ColumnElement[bool]],
    convert: Callable[[Any], Node],
    args: dict[str, Any],
) -> dict[str, Any]:
    """One page of ``table`` rows matching ``where``, ordered by id."""
    first, last = args.get("first"), args.get("last")
    size = page_size(first, last)
    after, before = args.get("after"), args.get("before")
    q = select(table).where(*where)
    if after is not None:
        q = q.where(table.c.id > decode_cursor(after, "after"))
    if before is not None:
        q = q.where(table.c.id < decode_cursor(before, "before"))
    backwards = last is not None
    q = q.order_by(table.c.id.desc() if backwards else table.c.id).limit(size + 1)
    rows = conn.execute(q).all()
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar()
    nodes = [convert(r) for r in rows]
    return connection(
        nodes,
        has_previous=more if backwards else after is not None,
        has_next=before is not None if backwards else more,
        total=int(total or 0),
        limit=size,
    )


def sql_pages(
    conn: Connection,
    base: Callable[[list[str]], Select[Any] | CompoundSelect],
    parents: Sequence[str],
    convert: Callable[[Any], Node],
    args: dict[str, Any],
    *,
    batch: int = 500,
) -> dict[str, dict[str, Any]]:
    """The same page of each parent's rows (an agent's resources, for a list of agents).

    ``base(chunk)`` selects the rows of every parent in ``chunk`` with a ``parent`` column; the
    pages come from one windowed query (``row_number()`` per parent) and the totals from one
    grouped count, per chunk of parents — not two queries per parent as ``sql_page`` would.
    """
    first, last = args.get("first"), args.get("last")
    size = page_size(first, last)
    after, before = args.get("after"), args.get("before")
    backwards = last is not None
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(parents), batch):
        chunk = list(parents[start : start + batch])
        rows_of = base(chunk).subquery()
        bounds = []
        if after is not None:
            bounds.append(rows_of.c.id > decode_cursor(after, "after"))
        if before is not None:
            bounds.append(rows_of.c.id < decode_cursor(before, "before"))
        order = rows_of.c.id.desc() if backwards else rows_of.c.id
        rank = func.row_number().over(partition_by=rows_of.c.parent, order_by=order)
        ranked = select(rows_of, rank.label("rank_")).where(*bounds).subquery()
        rows = conn.execute(
            select(ranked).where(ranked.c.rank_ <= size + 1).order_by(ranked.c.rank_)
        ).all()
        totals = dict(
            conn.execute(select(rows_of.c.parent, func.count()).group_by(rows_of.c.parent)).all()
        )
        by_parent: dict[str, list[Any]] = {p: [] for p in chunk}
        for row in rows:
            by_parent[row.parent].append(row)
        for parent, found in by_parent.items():
            more = len(found) > size
            found = found[:size]
            if backwards:
                found.reverse()
            out[parent] = connection(
                [convert(r) for r in found],
                has_previous=more if backwards else after is not None,
                has_next=before is not None if backwards else more,
                total=int(totals.get(parent, 0)),
                limit=size,
            )
    return out


def list_page(items: Sequence[Node], args: dict[str, Any]) -> dict[str, Any]:
    """The same paging over a list already in memory (units, actions)."""
    first, last = args.get("first"), args.get("last")
    size = page_size(first, last)
    ordered = sorted(items, key=lambda n: n["id"])
    if args.get("after") is not None:
        after = decode_cursor(args["after"], "after")
        ordered = [n for n in ordered if n["id"] > after]
    if args.get("before") is not None:
        before = decode_cursor(args["before"], "before")
        ordered = [n for n in ordered if n["id"] < before]
    if last is not None:
        page = ordered[-size:] if size else []
        return connection(
            page,
            has_previous=len(ordered) > size,
            has_next=args.get("before") is not None,
            total=len(items),
            limit=size,
        )
    page = ordered[:size]
    return connection(page, has_previous=args.get("after") is not None,
                      has_next=len(ordered) > size, total=len(items), limit=size)  # fmt: skip
