"""Records: canonical bytes, hash, signature, and how the ledger treats each kind of bad record.

Canonical bytes follow RFC 8785 (JCS) restricted to exact values (no floats); the hash is the
sha256 of those bytes; ``sig`` is Ed25519 over them by ``author``. The ledger refuses tampered,
foreign-network, out-of-chain, undeclared and unknown-kind records, names the field and rule,
and changes nothing; a duplicate is a no-op; a second record at a taken position of a chain is
kept as evidence (an equivocation) and never applied. Chain cases run on every backend.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import NETWORK, Chain

from reflow.errors import ChainError, ConflictError, RuleViolation, SignatureError
from reflow.federation.equivocation import flags_of
from reflow.ledger.canonical import canonical_bytes
from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import (
    Record,
    derive_id,
    record_from_dict,
    record_from_json,
    sign_record,
)
from reflow.store.digest import state_digest
from reflow.store.sqlstore import SqlStore

DECLARE = {"type": "Person", "data": {"name": "Alice"}}


# -- canonical bytes (RFC 8785) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 2, "a": 1}, '{"a":1,"b":2}'),
        ({"z": {"y": [3, {"b": None, "a": True}], "x": False}, "a": []},
         '{"a":[],"z":{"x":false,"y":[3,{"a":true,"b":null}]}}'),
        ([0, -1, 9007199254740991], "[0,-1,9007199254740991]"),
        ({"string": "\u20ac$\u000f\nA'B\"\\\\\"/"}, '{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'),
        ({"literals": [None, True, False]}, '{"literals":[null,true,false]}'),
        ("grüße 東京 🧵", '"grüße 東京 🧵"'),
        ({"\t": "tab", "\u007f": "del"}, '{"\\t":"tab","\u007f":"del"}'),
        ({"1": 1, "10": 2, "2": 3, "A": 4, "a": 5, "": 6}, '{"":6,"1":1,"10":2,"2":3,"A":4,"a":5}'),
        # RFC 8785 §3.2.3: properties sort by their UTF-16 code units
        ({"\u20ac": "Euro Sign", "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
          "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"},
         '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
         '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
         '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'),
    ],
    ids=["sorted-keys", "nesting", "integers", "string-escapes", "literals", "unicode",
         "control-keys", "key-order-is-by-code-unit", "rfc8785-sorting"],
)  # fmt: skip
def test_canonical_bytes_follow_rfc8785(value: Any, expected: str) -> None:
    assert canonical_bytes(value) == expected.encode("utf-8")


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"body": {"q": 1.5}}, "$.body.q"),
        ({"body": {"list": [1, 2.0]}}, "$.body.list[1]"),
        ({"n": 2**53}, "$.n"),
        ({"n": -(2**53)}, "$.n"),
        ({"when": b"bytes"}, "$.when"),
        ({1: "x"}, "$"),
    ],
    ids=["float", "float-in-list", "too-big", "too-small", "bytes", "int-key"],
)
def test_canonical_bytes_refuse_what_is_not_exact(value: Any, field: str) -> None:
    with pytest.raises(RuleViolation) as err:
        canonical_bytes(value)
    assert (err.value.field, err.value.rule) == (field, "canonical-json")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)), inner, max_size=4),
    max_leaves=20,
)


@given(_json_values)
def test_the_fast_encoder_gives_the_standard_librarys_jcs_bytes(value: Any) -> None:
    """The hot path encodes with orjson; its bytes must be exactly the reference encoding's."""
    reference = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert canonical_bytes(value) == reference.encode("utf-8")


def test_nesting_beyond_the_fast_encoders_limit_still_encodes() -> None:
    value: Any = "leaf"
    for _ in range(400):
        value = {"a": value}
    assert canonical_bytes(value) == ('{"a":' * 400 + '"leaf"' + "}" * 400).encode()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -0.0])
def test_no_float_passes_not_even_nan(value: float) -> None:
    with pytest.raises(RuleViolation) as err:
        canonical_bytes({"q": value})
    assert err.value.field == "$.q"


def test_a_lone_surrogate_is_refused_by_name() -> None:
    with pytest.raises(RuleViolation) as err:
        canonical_bytes({"note": "\ud800"})
    assert (err.value.field, err.value.rule) == ("$.note", "canonical-json")


def test_a_float_in_an_event_cannot_even_be_signed() -> None:
    with pytest.raises(RuleViolation) as err:
        sign_record(KeyPair.generate(), network=NETWORK, seq=1, prev=None, kind="vf.event",
                    body={"event": {"resourceQuantity": {"hasNumericalValue": 0.1}}})  # fmt: skip
    assert err.value.field == "$.body.event.resourceQuantity.hasNumericalValue"


# -- hash, ids, signature --------------------------------------------------------------------


def test_hash_is_sha256_of_the_canonical_unsigned_record() -> None:
    key = KeyPair.generate()
    rec = sign_record(key, network=NETWORK, seq=1, prev=None, kind="agent.declare", body=DECLARE,
                      created="2026-01-01T00:00:00.000000Z")  # fmt: skip
    unsigned = {k: v for k, v in rec.to_dict().items() if k != "sig"}
    assert rec.payload == canonical_bytes(unsigned)
    assert rec.hash == hashlib.sha256(rec.payload).hexdigest()
    again = record_from_dict(rec.to_dict())
    assert (again.hash, again.payload) == (rec.hash, rec.payload)
    again.verify_signature()


def test_key_order_and_whitespace_of_the_sender_do_not_change_the_hash() -> None:
    body = {"data": {"name": "A"}, "type": "Person"}
    rec = sign_record(
        KeyPair.generate(), network=NETWORK, seq=1, prev=None, kind="agent.declare", body=body
    )
    shuffled = dict(reversed(list(rec.to_dict().items())))
    shuffled["body"] = {"type": "Person", "data": {"name": "A"}}
    assert record_from_dict(shuffled).hash == rec.hash


def test_derived_ids_are_stable_and_differ_by_role() -> None:
    h = "ab" * 32
    assert derive_id(h) == h[:32]
    assert derive_id(h, "event") == derive_id(h, "event")
    assert len({derive_id(h), derive_id(h, "event"), derive_id(h, "resource"),
                derive_id(h, "to")}) == 4  # fmt: skip


@pytest.fixture
def sqlite_ledger(sqlite_store: SqlStore) -> Ledger:
    """Shape and signature checks happen before any storage: SQLite is enough for them."""
    return Ledger(sqlite_store, NETWORK)


# -- tampering ---------------------------------------------------------------------------------


def _signed_chain(ledger: Ledger) -> tuple[Chain, KeyPair, Record]:
    chain, key = Chain(ledger.network), KeyPair.generate()
    rec = chain.sign(key, "agent.declare", DECLARE)
    ledger.append(rec)
    chain.accepted(rec)
    return chain, key, rec


def _tampered(rec: Record, **changes: Any) -> dict[str, Any]:
    d = rec.to_dict()
    d.update(changes)
    return d


def _refused(ledger: Ledger, record: Any, error: type, field: str, rule: str | None) -> None:
    before = state_digest(ledger.store)
    with pytest.raises(error) as err:
        ledger.append(record)
    assert (type(err.value), err.value.field, err.value.rule) == (error, field, rule)
    assert state_digest(ledger.store) == before


def test_tampered_records_are_rejected(sqlite_ledger: Ledger) -> None:
    chain, key, _first = _signed_chain(sqlite_ledger)
    rec = chain.sign(key, "vf.create", {"type": "SpatialThing", "data": {"name": "here"}})
    other = KeyPair.generate()
    cases = {
        "body": _tampered(rec, body={"type": "SpatialThing", "data": {"name": "there"}}),
        "author": _tampered(rec, author=other.public),
        "seq": _tampered(rec, seq=3),
        "created": _tampered(rec, created="2020-01-01T00:00:00Z"),
        "kind": _tampered(rec, kind="vf.delete"),
        "sig-other-key": _tampered(rec, sig=other.sign(rec.payload)),
        "sig-flipped": _tampered(rec, sig=("B" if rec.sig[0] == "A" else "A") + rec.sig[1:]),
    }
    for name, bad in cases.items():
        before = state_digest(sqlite_ledger.store)
        with pytest.raises(SignatureError) as err:
            sqlite_ledger.append(bad)
        assert err.value.field == "sig", name
        assert state_digest(sqlite_ledger.store) == before
    assert sqlite_ledger.append(rec).status == "applied"


@pytest.mark.parametrize(
    ("sig", "author", "field"),
    [("not base64!", None, "sig"), ("AAAA", None, "sig"), (None, "0OIl", "author"),
     (None, "1111", "author")],
    ids=["sig-not-base64", "sig-too-short", "author-not-base58", "author-too-short"],
)  # fmt: skip
def test_malformed_signatures_and_keys(
    sqlite_ledger: Ledger, sig: str | None, author: str | None, field: str
) -> None:
    rec = Chain(sqlite_ledger.network).sign(KeyPair.generate(), "agent.declare", DECLARE)
    bad = _tampered(rec, **({"sig": sig} if sig else {}), **({"author": author} if author else {}))
    _refused(sqlite_ledger, bad, SignatureError, field, None)


def test_wrong_network_is_refused(sqlite_ledger: Ledger) -> None:
    rec = Chain("another-network").sign(KeyPair.generate(), "agent.declare", DECLARE)
    _refused(sqlite_ledger, rec, RuleViolation, "network", "network")


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"seq": 0}, "seq"), ({"seq": "1"}, "seq"), ({"prev": "ab" * 32}, "prev"),
     ({"deps": ["nope"]}, "deps"), ({"kind": "Event"}, "kind"), ({"body": []}, "body"),
     ({"extra": 1}, "extra"), ({"network": ""}, "network")],
    ids=["seq-zero", "seq-text", "first-with-prev", "deps-not-hashes", "kind-shape",
         "body-not-object", "unknown-field", "empty-network"],
)  # fmt: skip
def test_malformed_records_are_refused(
    sqlite_ledger: Ledger, changes: dict[str, Any], field: str
) -> None:
    rec = Chain(sqlite_ledger.network).sign(KeyPair.generate(), "agent.declare", DECLARE)
    _refused(sqlite_ledger, _tampered(rec, **changes), RuleViolation, field, "record-shape")


def test_missing_record_field_is_named(sqlite_ledger: Ledger) -> None:
    d = Chain(sqlite_ledger.network).sign(KeyPair.generate(), "agent.declare", DECLARE).to_dict()
    del d["created"]
    _refused(sqlite_ledger, d, RuleViolation, "created", "record-shape")


# -- the chain -----------------------------------------------------------------------------


def test_a_gap_in_the_chain_is_refused(ledger: Ledger) -> None:
    _chain, key, first = _signed_chain(ledger)
    gap = sign_record(key, network=NETWORK, seq=3, prev=first.hash, kind="vf.create",
                      body={"type": "SpatialThing", "data": {"name": "x"}})  # fmt: skip
    _refused(ledger, gap, ChainError, "seq", "chain-continues")


def test_a_wrong_prev_is_refused(ledger: Ledger) -> None:
    _chain, key, _first = _signed_chain(ledger)
    wrong = sign_record(key, network=NETWORK, seq=2, prev="cd" * 32, kind="vf.create",
                        body={"type": "SpatialThing", "data": {"name": "x"}})  # fmt: skip
    _refused(ledger, wrong, ChainError, "prev", "chain-continues")


def test_a_first_record_must_start_at_one(ledger: Ledger) -> None:
    key = KeyPair.generate()
    late = sign_record(key, network=NETWORK, seq=2, prev="ab" * 32, kind="agent.declare",
                       body=DECLARE)  # fmt: skip
    _refused(ledger, late, ChainError, "seq", "chain-continues")


def test_the_same_record_twice_is_a_no_op(ledger: Ledger) -> None:
    _chain, _key, first = _signed_chain(ledger)
    before = state_digest(ledger.store)
    receipt = ledger.append(first)
    assert (receipt.status, receipt.error, receipt.ok) == ("duplicate", None, True)
    assert ledger.append(first.to_dict()).status == "duplicate"
    assert state_digest(ledger.store) == before


def test_the_same_record_twice_in_one_batch(ledger: Ledger) -> None:
    rec = Chain(ledger.network).sign(KeyPair.generate(), "agent.declare", DECLARE)
    statuses = [r.status for r in ledger.append_many([rec, rec])]
    assert statuses == ["applied", "duplicate"]
    assert state_digest(ledger.store)["tables"]["records"] == 1


def test_equivocation_is_kept_as_evidence_and_not_applied(ledger: Ledger) -> None:
    chain, key, first = _signed_chain(ledger)
    place = chain.sign(key, "vf.create", {"type": "SpatialThing", "data": {"name": "here"}})
    ledger.append(place)
    twin = sign_record(key, network=NETWORK, seq=2, prev=first.hash, kind="vf.create",
                       body={"type": "SpatialThing", "data": {"name": "there"}})  # fmt: skip
    before = state_digest(ledger.store)
    with pytest.raises(ConflictError) as err:
        ledger.append(twin)
    assert (err.value.field, err.value.rule) == ("seq", "equivocation")
    assert state_digest(ledger.store) == before
    [evidence] = ledger.store.equivocations()
    assert (evidence["author"], evidence["seq"], evidence["kept"], evidence["other"]) == (
        key.public, 2, place.hash, twin.hash)  # fmt: skip
    assert record_from_dict(json.loads(evidence["record"])).hash == twin.hash
    assert ledger.store.object(derive_id(twin.hash)) is None
    # the same evidence again is not stored twice; the kept record is still a duplicate
    assert ledger.append_many([twin])[0].status == "equivocation"
    assert len(ledger.store.equivocations()) == 1
    assert ledger.append(place).status == "duplicate"


def test_an_equivocating_authors_next_record_is_held_as_soon_as_the_evidence_is_stored(
    ledger: Ledger,
) -> None:
    """Neither the evidence nor a refused record moves the log: the hold must not wait for the
    next record that does."""
    chain, key, first = _signed_chain(ledger)
    place = chain.sign(key, "vf.create", {"type": "SpatialThing", "data": {"name": "here"}})
    ledger.append(place)
    chain.accepted(place)
    refused = chain.sign(key, "vf.event", {"event": {
        "action": "consume", "provider": key.public, "receiver": key.public,
        "resourceInventoriedAs": "0" * 32,
        "resourceQuantity": {"hasNumericalValue": "1", "hasUnit": "om2:kilogram"}}})  # fmt: skip
    assert ledger.append_many([refused])[0].status == "rejected"  # judged by every policy
    twin = sign_record(key, network=NETWORK, seq=2, prev=first.hash, kind="vf.create",
                       body={"type": "SpatialThing", "data": {"name": "there"}})  # fmt: skip
    assert ledger.append_many([twin])[0].status == "equivocation"
    later = chain.sign(key, "vf.create", {"type": "SpatialThing", "data": {"name": "later"}})
    [receipt] = ledger.append_many([later])
    assert receipt.status == "rejected" and receipt.error is not None
    assert receipt.error.rule == "equivocating-author"


def test_an_author_held_in_one_store_is_not_held_in_another(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The flags are read per store (a process may hold several: a node, a tool, a test) even
    when the two stores are at the same cache epoch."""
    _, key, _ = _signed_chain(ledger)
    twin = sign_record(key, network=NETWORK, seq=1, prev=None, kind="agent.declare",
                       body={"type": "Person", "data": {"name": "Mallory"}})  # fmt: skip
    assert ledger.append_many([twin])[0].status == "equivocation"
    other = SqlStore.open(f"sqlite:///{tmp_path / 'other.sqlite'}")
    while other.cache_epoch < ledger.store.cache_epoch:
        other.clear_cache()
    assert other.cache_epoch == ledger.store.cache_epoch
    try:
        assert flags_of(ledger.store) == {key.public: 1}
        assert flags_of(other) == {}
        assert flags_of(ledger.store) == {key.public: 1}
    finally:
        other.close()


def test_equivocation_within_one_batch(ledger: Ledger) -> None:
    key = KeyPair.generate()
    a = sign_record(key, network=NETWORK, seq=1, prev=None, kind="agent.declare", body=DECLARE)
    b = sign_record(key, network=NETWORK, seq=1, prev=None, kind="agent.declare",
                    body={"type": "Person", "data": {"name": "Mallory"}})  # fmt: skip
    assert [r.status for r in ledger.append_many([a, b])] == ["applied", "equivocation"]
    obj = ledger.store.object(key.public)
    assert obj is not None and obj.data == {"name": "Alice"}
    assert len(ledger.store.equivocations()) == 1


def test_missing_dependencies_wait(ledger: Ledger) -> None:
    chain, key, _first = _signed_chain(ledger)
    needs = chain.sign(key, "vf.create", {"type": "SpatialThing", "data": {"name": "x"}},
                       deps=("ef" * 32,))  # fmt: skip
    before = state_digest(ledger.store)
    [receipt] = ledger.append_many([needs])
    assert receipt.status == "missing-deps"
    assert isinstance(receipt.error, ConflictError)
    assert (receipt.error.field, receipt.error.rule) == ("deps", "deps-first")
    assert state_digest(ledger.store) == before
    with pytest.raises(ConflictError):
        ledger.append(needs)


def test_present_dependencies_are_fine(ledger: Ledger) -> None:
    chain, key, first = _signed_chain(ledger)
    rec = chain.sign(key, "vf.create", {"type": "SpatialThing", "data": {"name": "x"}},
                     deps=(first.hash,))  # fmt: skip
    assert ledger.append(rec).status == "applied"


def test_an_undeclared_author_is_refused(sqlite_ledger: Ledger) -> None:
    rec = Chain(sqlite_ledger.network).sign(
        KeyPair.generate(), "vf.create", {"type": "SpatialThing", "data": {"name": "x"}}
    )
    _refused(sqlite_ledger, rec, RuleViolation, "author", "declared-author")


def test_an_unknown_kind_is_refused(sqlite_ledger: Ledger) -> None:
    chain, key, _first = _signed_chain(sqlite_ledger)
    _refused(sqlite_ledger, chain.sign(key, "vf.teleport", {}), RuleViolation, "kind", "known-kind")


def test_a_refused_record_does_not_advance_the_chain(ledger: Ledger) -> None:
    chain, key, _first = _signed_chain(ledger)
    bad = chain.sign(key, "vf.create", {"type": "SpatialThing", "data": {}})
    with pytest.raises(RuleViolation):
        ledger.append(bad)
    good = chain.sign(key, "vf.create", {"type": "SpatialThing", "data": {"name": "x"}})
    assert good.seq == bad.seq == 2
    assert ledger.append(good).status == "applied"
    assert ledger.store.head(key.public) == (2, good.hash)


def test_a_lone_surrogate_is_refused_not_a_crash(sqlite_ledger: Ledger) -> None:
    """JSON may carry "\\ud800", which is no Unicode text: a peer's record must not crash ingest."""
    rec = Chain(sqlite_ledger.network).sign(KeyPair.generate(), "agent.declare", DECLARE)
    bad = _tampered(rec, body={"type": "Person", "data": {"name": "\ud800"}})
    [receipt] = sqlite_ledger.append_many([bad])
    assert receipt.status == "rejected"
    assert isinstance(receipt.error, RuleViolation)
    assert (receipt.error.field, receipt.error.rule) == ("$.body.data.name", "canonical-json")
    with pytest.raises(RuleViolation) as err:
        canonical_bytes({"k\udfff": 1})
    assert err.value.field == "$"


def _nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_absurdly_deep_nesting_is_refused_not_a_crash(sqlite_ledger: Ledger) -> None:
    """A peer's record nested thousands deep must be rejected like any bad record."""
    rec = Chain(sqlite_ledger.network).sign(KeyPair.generate(), "agent.declare", DECLARE)
    [receipt] = sqlite_ledger.append_many([_tampered(rec, body={"deep": _nested(100_000)})])
    assert receipt.status == "rejected"
    assert isinstance(receipt.error, RuleViolation)
    assert receipt.error.rule == "canonical-json"
    text = json.dumps(rec.to_dict()).replace('"Alice"', "[" * 100_000 + "1" + "]" * 100_000)
    with pytest.raises(RuleViolation) as err:
        record_from_json(text)
    assert (err.value.field, err.value.rule) == ("record", "record-shape")


def test_nesting_is_bounded_by_a_rule_not_by_the_interpreter_s_stack() -> None:
    """Records nest at most ``MAX_DEPTH`` levels: the bound holds the same in the compiled
    build, which has no recursion limit to fall back on, and the refusal names where."""
    from reflow.ledger.canonical import MAX_DEPTH, canonical_bytes

    assert canonical_bytes({"a": _nested(MAX_DEPTH - 1)}).count(b"[") == MAX_DEPTH - 1
    with pytest.raises(RuleViolation) as err:
        canonical_bytes({"a": _nested(MAX_DEPTH)})
    assert err.value.rule == "canonical-json"
    assert err.value.field == "$.a" + "[0]" * (MAX_DEPTH - 1)
    with pytest.raises(RuleViolation):  # the path for values with non-ASCII keys as well
        canonical_bytes({"é": _nested(MAX_DEPTH)})


def test_a_forged_twin_is_no_evidence_of_equivocation(ledger: Ledger) -> None:
    """Only a second record the author really signed proves equivocation: nobody can frame it."""
    _chain, key, first = _signed_chain(ledger)
    body = {"type": "Person", "data": {"name": "M"}}
    twin = sign_record(
        KeyPair.generate(), network=NETWORK, seq=1, prev=None, kind="agent.declare", body=body
    )
    forged = _tampered(twin, author=key.public)
    _refused(ledger, forged, SignatureError, "sig", None)
    assert ledger.store.equivocations() == []
    assert ledger.append(first).status == "duplicate"


def test_canonical_bytes_take_the_memory_of_their_length() -> None:
    """A node keeps many records' bytes: each must not hold a whole encoder buffer."""
    import tracemalloc

    value = {"body": {"note": "x" * 100}, "seq": 1}
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        kept = [canonical_bytes(value) for _ in range(200)]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown / len(kept) < 2 * (len(kept[0]) + 64)


def test_a_record_cannot_be_changed_once_made() -> None:
    key = KeyPair(b"\x05" * 32)
    rec = sign_record(key, network=NETWORK, seq=1, prev=None, kind="vf.create", body={})
    with pytest.raises(AttributeError, match="cannot be changed"):
        rec.seq = 2  # type: ignore[misc]
    assert rec.seq == 1
    assert rec.replace(seq=2).seq == 2 and rec.seq == 1  # a changed copy is another record
