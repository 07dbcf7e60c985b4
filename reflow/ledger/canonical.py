"""Canonical bytes of a record: the RFC 8785 (JCS) encoding, restricted so it is exact.

Signatures and hashes are taken over these bytes, so two nodes must produce the very same bytes
for the same value. RFC 8785 serialises numbers as IEEE doubles, which would make quantities
drift; records therefore carry integers as JSON numbers and every decimal quantity as a string
(see ``reflow.vf.measure``). With only strings, integers, booleans, null, arrays and objects whose
keys are ASCII-sortable, a JSON encoder with sorted keys and no whitespace *is* JCS. The hot
ingest path uses orjson for that (ten times Python's encoder); its output is checked equal to
the standard library's by a property test, and anything orjson refuses (deep nesting, lone
surrogates) takes the standard library's path, which gives the precise error.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from reflow.errors import RuleViolation

_ORJSON_SORTED = orjson.OPT_SORT_KEYS

_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode

# JCS sorts object keys by their UTF-16 code units, Python by code points: the two differ only
# for keys with characters beyond U+FFFF, so only values with non-ASCII keys take this path.
_encode_in_order = json.JSONEncoder(
    ensure_ascii=False, sort_keys=False, separators=(",", ":"), allow_nan=False
).encode

MAX_SAFE_INTEGER = 2**53 - 1
# Records are shallow (a VF event nests five levels) but may carry deeper data; a bound on
# nesting keeps every walk over what a peer sends finite without relying on the interpreter's
# recursion limit, which compiled code (see setup.py) does not have: there, unbounded nesting
# would overflow the C stack and take the node down.
MAX_DEPTH = 512


def canonical_bytes(value: Any) -> bytes:
    """Encode ``value`` as RFC 8785 bytes; refuse what JCS could not represent exactly."""
    try:
        if _plain(value):
            try:
                # copied: orjson's bytes keep its whole 4 KiB write buffer allocated, and a
                # node holds many records' bytes (measured: 4 KiB a record instead of ~0.5)
                return bytes(memoryview(orjson.dumps(value, option=_ORJSON_SORTED)))
            except TypeError:  # nesting beyond orjson's limit, or a lone surrogate
                return _encode(value).encode("utf-8")
        check_canonical_value(value)
        return _encode_in_order(_utf16_ordered(value)).encode("utf-8")
    except RecursionError:  # what a peer could send to crash a node: refuse it instead
        raise RuleViolation(
            "the value is nested too deeply", field="$", rule="canonical-json"
        ) from None
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON) is no Unicode text
        raise RuleViolation(
            "text must be valid Unicode (no lone surrogates)",
            field=_surrogate_at(value),
            rule="canonical-json",
        ) from None


def _surrogate_at(value: Any, where: str = "$") -> str:
    """Where the first string (or key) that cannot be UTF-8 encoded is."""
    if type(value) is dict:
        for k, v in value.items():
            if not _encodable(k):
                return where
            found = _surrogate_at(v, f"{where}.{k}")
            if found:
                return found
    elif type(value) is list or type(value) is tuple:
        for i, v in enumerate(value):
            found = _surrogate_at(v, f"{where}[{i}]")
            if found:
                return found
    elif type(value) is str and not _encodable(value):
        return where
    return "" if where != "$" else "$"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _utf16_ordered(value: Any) -> Any:
    if type(value) is dict:
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return {k: _utf16_ordered(value[k]) for k in keys}
    if type(value) is list or type(value) is tuple:
        return [_utf16_ordered(v) for v in value]
    return value


def _plain(value: Any, depth: int = 0) -> bool:
    """True when ``value`` holds only what JCS encodes exactly with Python's key order (ASCII
    keys) and nests at most ``MAX_DEPTH`` levels, fast and without paths: the hot path."""
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if depth >= MAX_DEPTH:
        return False
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or not k.isascii():
                return False
            tv = type(v)
            if tv is str:
                continue
            if not _plain(v, depth + 1):
                return False
        return True
    if t is list or t is tuple:
        for v in value:  # noqa: SIM110 - a loop avoids a generator per list on the hot path
            if type(v) is not str and not _plain(v, depth + 1):
                return False
        return True
    if t is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    return False


def check_canonical_value(value: Any, path: str = "$") -> None:
    """Refuse floats, huge integers and non-string keys, naming where they are."""
    if _plain(value):
        return
    stack: list[tuple[str, Any, int]] = [(path, value, 0)]
    while stack:
        where, v, depth = stack.pop()
        t = type(v)
        if t is str or t is bool or v is None:
            continue
        if depth >= MAX_DEPTH and (t is dict or t is list or t is tuple):
            raise RuleViolation(
                f"the value is nested too deeply (at most {MAX_DEPTH} levels)",
                field=where,
                rule="canonical-json",
            )
        if t is int:
            if abs(v) > MAX_SAFE_INTEGER:
                raise RuleViolation(
                    "integers beyond 2^53-1 cannot be encoded exactly; write them as strings",
                    field=where,
                    rule="canonical-json",
                )
            continue
        if t is dict:
            for k, item in v.items():
                if type(k) is not str:
                    raise RuleViolation(
                        "object keys must be strings", field=where, rule="canonical-json"
                    )
                stack.append((f"{where}.{k}", item, depth + 1))
            continue
        if t is list or t is tuple:
            stack.extend((f"{where}[{i}]", item, depth + 1) for i, item in enumerate(v))
            continue
        if t is float:
            raise RuleViolation(
                'decimal numbers must be written as strings (e.g. "12.5") so they stay exact',
                field=where,
                rule="canonical-json",
            )
        raise RuleViolation(
            f"{t.__name__} cannot be encoded in a record", field=where, rule="canonical-json"
        )


def loads(data: bytes | str) -> Any:
    """Parse JSON as records need it: floats are refused by the canonical check afterwards."""
    return json.loads(data)
