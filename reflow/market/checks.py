"""Checks shared by the market's record kinds: a body's known fields, a proposal and its state.

They live apart from the handlers so that publication (``kinds``) and acceptance
(``acceptance``) judge a proposal the same way without importing each other.
"""

from __future__ import annotations

from typing import Any

from reflow.errors import NotFound, RuleViolation
from reflow.ledger.changes import VfObject
from reflow.ledger.context import Context
from reflow.market.model import norm_time


def known_fields(body: Any, allowed: set[str], where: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RuleViolation("the body must be an object", field=where, rule="type")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RuleViolation(
            f"unknown field {unknown[0]!r}", field=f"{where}.{unknown[0]}", rule="known-fields"
        )
    return body


def proposal_of(ctx: Context, pid: Any, where: str) -> VfObject:
    obj = ctx.view.object(pid) if isinstance(pid, str) else None
    if obj is None or obj.type != "Proposal":
        raise NotFound(f"no proposal {pid!r}", field=where)
    return obj


def not_expired(prop: VfObject, where: str, when: str) -> None:
    """A proposal's end never changes, so this verdict is the same on every node."""
    ends = norm_time(prop.data.get("hasEnd"))
    if ends is not None and ends < when:
        raise RuleViolation(
            f"the proposal expired at {prop.data['hasEnd']}", field=where, rule="not-expired"
        )


def not_withdrawn(prop: VfObject, where: str) -> None:
    if prop.deleted:
        raise RuleViolation("the proposal was withdrawn", field=where, rule="open-proposal")


def open_proposal(ctx: Context, pid: Any, where: str, when: str) -> VfObject:
    prop = proposal_of(ctx, pid, where)
    not_withdrawn(prop, where)
    not_expired(prop, where, when)
    return prop
