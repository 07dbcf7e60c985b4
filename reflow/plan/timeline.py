"""One person's time, in ticks (tenths of an hour from the start of a plan): the spans it is
booked, where a new block fits, and how given amounts of work are laid out in it.
"""

from __future__ import annotations

from collections.abc import Iterable

Span = tuple[int, int]


def merge(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans as one, in order."""
    out: list[tuple[int, int]] = []
    for b, e in sorted(x for x in spans if x[1] > x[0]):
        if out and b <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((b, e))
    return out


def edf(
    jobs: list[tuple[int, int, int, int]], booked: list[tuple[int, int]]
) -> dict[int, list[tuple[int, int]]]:
    """Preemptive earliest-deadline-first on one person's time (optimal for one machine with
    release times and deadlines, and with times it is not available)."""
    left = {key: length for _lo, _hi, length, key in jobs}
    release = sorted({lo for lo, _hi, _l, _k in jobs} | {e for _b, e in booked})
    out: dict[int, list[tuple[int, int]]] = {key: [] for key in left}
    t = min(lo for lo, _hi, _l, _k in jobs)
    while any(left.values()):
        busy = next(((b, e) for b, e in booked if b <= t < e), None)
        if busy is not None:
            t = busy[1]
            continue
        ready = [(hi, key) for lo, hi, _l, key in jobs if lo <= t and left[key] > 0]
        if not ready:
            t = min(lo for lo, _hi, _l, key in jobs if left[key] > 0 and lo > t)
            continue
        _hi, key = min(ready)
        stop = min(
            [t + left[key]] + [r for r in release if r > t] + [b for b, _e in booked if b > t]
        )
        pieces = out[key]
        if pieces and pieces[-1][1] == t:
            pieces[-1] = (pieces[-1][0], stop)
        else:
            pieces.append((t, stop))
        left[key] -= stop - t
        t = stop
    return out


def largest_gap(booked: list[tuple[int, int]], lo: int, hi: int) -> tuple[int, int]:
    """The longest free stretch of ``[lo, hi]`` (the earliest of equals): (start, length)."""
    best, at = (lo, 0), lo
    for b, e in sorted(booked):
        if e <= at or b >= hi:
            continue
        if b > at and b - at > best[1]:
            best = (at, b - at)
        at = max(at, e)
    if hi > at and hi - at > best[1]:
        best = (at, hi - at)
    return best
