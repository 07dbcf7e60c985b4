"""Providers answer the commitments a plan assigns to them: ``plan.accept`` and ``plan.refuse``.

* ``plan.accept`` {commitment, note?} — the provider will do it.
* ``plan.refuse`` {commitment, reason?} — the provider will not; the planner's next revision
  gives the commitment to someone else, or asks the market for it (see ``replan``).

Both are signed by the commitment's provider (or an agent acting for it), so a plan only counts
on people who said yes, and every node reaches the same verdict, because an answer is judged
only on what cannot change with the order records arrive in:

* the commitment as the plan record that made it left it (its ``plan_commitments`` row, which
  no later record rewrites), and that plan record is in the answer's ``deps``, so every node
  applies it first;
* the signer may act for the commitment's provider, who is not the plan's author (the author
  committed by signing the plan);
* the signer's own earlier answers, which its own chain orders: no second acceptance, no
  acceptance after a refusal, no second refusal. A refusal after an acceptance is a change of
  mind, and stands.

Whether the planner has since cancelled or reduced the commitment is deliberately not a rule:
that revision is on the planner's chain, so the verdict would depend on arrival order. An answer
to a cancelled commitment is kept and changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reflow.errors import AuthorisationError, NotFound, RuleViolation
from reflow.ledger.changes import Changes
from reflow.ledger.context import BatchView, Context
from reflow.ledger.kinds import register_kind
from reflow.plan.tables import answers, commitments

TABLE = "plan_answers"
VERBS = {"plan.accept": ("accepted", "note"), "plan.refuse": ("refused", "reason")}


def _known(body: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RuleViolation("must be an object", field="body", rule="type")
    extra = sorted(set(body) - allowed)
    if extra:
        raise RuleViolation(
            f"unknown field {extra[0]!r}", field=f"body.{extra[0]}", rule="known-fields"
        )
    return body


def commitment_row(view: Any, commitment_id: Any) -> dict[str, Any] | None:
    """The commitment as the plan record that made it wrote it (same batch included)."""
    if not isinstance(commitment_id, str):
        return None
    while isinstance(view, BatchView):
        for table, row in reversed(view.pending.rows):
            if table == "plan_commitments" and row["id"] == commitment_id:
                return row
        view = view.base
    engine = getattr(view, "engine", None)
    if engine is None:
        return None
    with engine.connect() as conn:
        found = conn.execute(select(commitments).where(commitments.c.id == commitment_id)).first()
    return dict(found._mapping) if found is not None else None


def _earlier(view: Any, commitment_id: str, author: str) -> list[str]:
    """The answers ``author`` already gave to the commitment (its own chain: ordered)."""
    out: list[str] = []
    while isinstance(view, BatchView):
        out += [
            row["answer"]
            for table, row in view.pending.rows
            if table == TABLE and row["commitment"] == commitment_id and row["author"] == author
        ]
        view = view.base
    engine = getattr(view, "engine", None)
    if engine is not None:
        with engine.connect() as conn:
            out += list(
                conn.execute(
                    select(answers.c.answer).where(
                        answers.c.commitment == commitment_id, answers.c.author == author
                    )
                ).scalars()
            )
    return out


def answer_commitment(ctx: Context) -> Changes:
    answer, text_field = VERBS[ctx.record.kind]
    body = _known(ctx.record.body, {"commitment", text_field})
    row = commitment_row(ctx.view, body.get("commitment"))
    if row is None:
        raise NotFound(f"no plan commitment {body.get('commitment')!r}", field="body.commitment")
    if row["record"] not in ctx.record.deps:
        raise RuleViolation(
            "an answer lists the plan record that made the commitment in its deps",
            field="deps",
            rule="deps-commitment",
        )
    if row["provider"] not in ctx.acting:
        raise AuthorisationError(
            "only the commitment's provider answers it", field="body.commitment", rule="provider"
        )
    made = ctx.view.object(row["id"])
    if made is not None and made.author == row["provider"]:
        raise RuleViolation(
            "the plan's author committed to this by making the plan",
            field="body.commitment",
            rule="own-commitment",
        )
    text = body.get(text_field)
    if text is not None and not isinstance(text, str):
        raise RuleViolation(f"{text_field} must be text", field=f"body.{text_field}", rule="type")
    before = _earlier(ctx.view, row["id"], ctx.author)
    if answer == "accepted" and "refused" in before:
        raise RuleViolation(
            "a refused commitment is not accepted again (the plan gives it to someone else)",
            field="body.commitment",
            rule="already-refused",
        )
    if answer in before:
        raise RuleViolation(
            f"the commitment is already {answer}", field="body.commitment", rule="answered"
        )
    rec = ctx.record
    return Changes(
        rows=[
            (
                TABLE,
                {
                    "record": rec.hash,
                    "commitment": row["id"],
                    "plan": row["plan"],
                    "author": rec.author,
                    "provider": row["provider"],
                    "answer": answer,
                    "note": text,
                    "created": rec.created,
                },
            )
        ],
        created={"Commitment": row["id"]},
    )


register_kind("plan.accept", answer_commitment, "a provider accepts a plan's commitment")
register_kind("plan.refuse", answer_commitment, "a provider refuses a plan's commitment")
