"""Batch signature verification gives exactly the verdicts of verifying records one by one.

The ingest pipeline verifies a chunk of records in one C call with the GIL released; a record it
finds wanting is verified alone, so the error a peer sees names the same field and rule.
"""

from __future__ import annotations

import base64

import pytest
from support import NETWORK

from reflow.errors import SignatureError
from reflow.ledger import batch_verify
from reflow.ledger.batch_verify import verify_records
from reflow.ledger.keys import KeyPair, b58encode
from reflow.ledger.records import Record, sign_record


def _signed(n: int) -> list[Record]:
    keys = [KeyPair(bytes([i + 1]) * 32) for i in range(3)]
    return [
        sign_record(keys[i % 3], network=NETWORK, seq=i + 1, prev=None, kind="agent.declare",
                    body={"type": "Person", "data": {"name": f"p{i}"}},
                    created="2026-01-01T00:00:00Z")
        for i in range(n)
    ]  # fmt: skip


def test_the_c_helper_is_built() -> None:
    """./dev setup compiles it; without it ingest is correct but its pipeline gains nothing."""
    assert batch_verify.AVAILABLE


def test_valid_records_all_pass() -> None:
    assert verify_records(_signed(50)) == [None] * 50


def _error_alone(rec: Record) -> SignatureError:
    with pytest.raises(SignatureError) as err:
        rec.verify_signature()
    return err.value


@pytest.mark.parametrize(
    "spoil",
    [
        lambda r: r.replace(payload=r.payload.replace(b"p1", b"q1")),  # tampered bytes
        lambda r: r.replace(sig=base64.b64encode(b"\0" * 64).decode()),  # another signature
        lambda r: r.replace(sig=base64.b64encode(b"\0" * 10).decode()),  # too short
        lambda r: r.replace(sig="not base64!"),
        lambda r: r.replace(author=b58encode(b"\1" * 31)),  # a key of the wrong length
        lambda r: r.replace(author="0OIl"),  # not base58
        lambda r: r.replace(author=KeyPair(b"\x09" * 32).public),  # someone else's key
    ],
    ids=["tampered", "wrong-sig", "short-sig", "not-base64", "short-key", "not-base58",
         "other-author"],
)  # fmt: skip
def test_a_bad_record_gets_the_error_verifying_it_alone_gives(spoil) -> None:  # type: ignore[no-untyped-def]
    records = _signed(5)
    records[1] = spoil(records[1])
    errors = verify_records(records)
    expected = _error_alone(records[1])
    assert errors[0] is None and errors[2:] == [None] * 3
    assert errors[1] is not None
    assert (errors[1].message, errors[1].field) == (expected.message, expected.field)


def test_without_the_helper_the_verdicts_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    records = _signed(4)
    records[2] = records[2].replace(sig=base64.b64encode(b"\0" * 64).decode())
    with_helper = [e is None for e in verify_records(records)]
    monkeypatch.setattr(batch_verify, "AVAILABLE", False)
    assert [e is None for e in verify_records(records)] == with_helper == [True, True, False, True]


def test_an_empty_batch() -> None:
    assert verify_records([]) == []
