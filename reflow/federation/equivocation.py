"""Holding an equivocating author's later records.

When an author signs two records at one seq, the ledger keeps both as evidence
(``equivocations``) and applies at most one. From then on this policy refuses the author's
records *after* that seq (rule ``equivocating-author``) until the network's rules decide what to
do with the author: extending either branch would make nodes that kept different branches
diverge further. Records before the fork are unaffected.

The flags are read from the ``equivocations`` table once per store cache epoch (the store bumps
it when it stores evidence or finds that another writer appended), not once per record or per
commit on the ingest hot path; ``invalidate`` forces a reread.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from reflow.errors import AuthorisationError
from reflow.federation.queries import flagged_authors
from reflow.ledger.kinds import register_policy

if TYPE_CHECKING:
    from reflow.ledger.context import Context

# store -> (store cache epoch when read, author -> first equivocating seq)
_FLAGS: weakref.WeakKeyDictionary[Any, tuple[int | None, dict[str, int]]] = (
    weakref.WeakKeyDictionary()
)


# The last store asked about, its epoch and flags: every record of a batch asks about the same
# store, and a ``WeakKeyDictionary`` lookup (interpreted, a new weak reference each time) was
# about 1 % of the time to take a record. Replaced whole, never changed in place.
_last: tuple[weakref.ref[Any], int, dict[str, int]] | None = None


def invalidate(store: object) -> None:
    global _last
    _FLAGS.pop(store, None)
    _last = None


def flags_of(store: object) -> dict[str, int]:
    global _last
    epoch = getattr(store, "cache_epoch", None)
    last = _last
    if last is not None and epoch is not None and last[1] == epoch and last[0]() is store:
        return last[2]
    cached = _FLAGS.get(store)
    if cached is not None and epoch is not None and cached[0] == epoch:
        flags = cached[1]
    elif not hasattr(store, "engine"):
        return {}
    else:
        flags = flagged_authors(store)  # type: ignore[arg-type]
        _FLAGS[store] = (epoch, flags)
    if epoch is not None:
        _last = (weakref.ref(store), epoch, flags)
    return flags


def hold_equivocating_authors(ctx: Context) -> None:
    first = flags_of(ctx.view.store).get(ctx.record.author)
    if first is not None and ctx.record.seq > first:
        raise AuthorisationError(
            f"author {ctx.record.author} signed two records at seq {first}; its later records "
            "are held until the network decides",
            field="author",
            rule="equivocating-author",
        )


register_policy("equivocating-author", hold_equivocating_authors)
