"""The ingest pipeline (verify ahead, commit behind) decides exactly as one record at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

import reflow.ledger.ledger as ledger_module
from reflow.bench.ingest import NETWORK, Workload
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import record_from_dict
from reflow.store.digest import state_digest
from reflow.store.sqlstore import SqlStore

T = TypeVar("T")


@pytest.fixture
def workload() -> list[dict[str, object]]:
    return Workload(agents=12, seed=3).build(1500)


def test_pipelined_ingest_reaches_the_same_state_and_verdicts_as_one_by_one(
    workload: list[dict[str, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_module, "CHUNK", 97)  # many chunks, odd boundaries
    piped = SqlStore.open(f"sqlite:///{tmp_path / 'piped.sqlite'}")
    assert piped.concurrent
    fast = Ledger(piped, NETWORK).append_many(workload)

    single = SqlStore.open(f"sqlite:///{tmp_path / 'single.sqlite'}")
    slow_ledger = Ledger(single, NETWORK)
    slow = [slow_ledger.append_many([r])[0] for r in workload]

    assert [r.status for r in fast] == [r.status for r in slow]
    assert {r.status for r in fast} == {"applied", "rejected"}  # the workload has bad records
    assert state_digest(piped) == state_digest(single)


def test_a_forged_record_inside_a_pipelined_batch_is_refused_alone(
    workload: list[dict[str, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_module, "CHUNK", 50)
    forged = dict(workload[400])
    forged["sig"] = workload[401]["sig"]
    batch = [*workload[:400], forged]
    store = SqlStore.open(f"sqlite:///{tmp_path / 'f.sqlite'}")
    receipts = Ledger(store, NETWORK).append_many(batch)
    assert receipts[-1].status == "rejected"
    assert receipts[-1].error is not None and receipts[-1].error.field == "sig"
    assert all(r.status in ("applied", "rejected") for r in receipts[:-1])
    assert not store.has_record(record_from_dict(forged).hash)


def _while_judging(monkeypatch: pytest.MonkeyPatch, look: Callable[[], T]) -> list[T]:
    """What ``look()`` returns each time the ledger judges a record (filled as it runs)."""
    seen: list[T] = []
    judge = Ledger._judge

    def spy(self: Ledger, *args: object, **kwargs: object) -> object:
        seen.append(look())
        return judge(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Ledger, "_judge", spy)
    return seen


def test_the_quick_gil_handover_lasts_only_while_a_pipelined_batch_runs(
    workload: list[dict[str, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(ledger_module, "CHUNK", 200)
    seen = _while_judging(monkeypatch, sys.getswitchinterval)
    before = sys.getswitchinterval()
    Ledger(SqlStore.open(f"sqlite:///{tmp_path / 'a.sqlite'}"), NETWORK).append_many(workload)
    quick = min(before, ledger_module.PIPELINE_SWITCH_INTERVAL)
    assert seen and all(v == pytest.approx(quick, rel=1e-3) for v in seen)
    assert sys.getswitchinterval() == before


def test_a_stream_is_read_a_chunk_ahead_and_decided_as_the_same_records_in_a_list(
    workload: list[dict[str, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk import or a catch-up hands over one stream: the pipeline reads it as it goes
    (memory stays bounded by the chunks in flight), never draining between blocks."""
    monkeypatch.setattr(ledger_module, "CHUNK", 200)
    monkeypatch.setattr(ledger_module, "FIRST_CHUNK", 50)
    read = 0

    def stream() -> Iterator[dict[str, object]]:
        nonlocal read
        for rec in workload:
            read += 1
            yield rec

    store = SqlStore.open(f"sqlite:///{tmp_path / 'stream.sqlite'}")
    read_at_commit: list[int] = []
    commit = store.commit

    def spy(*args: Any, **kwargs: Any) -> None:
        read_at_commit.append(read)
        commit(*args, **kwargs)

    monkeypatch.setattr(store, "commit", spy)
    streamed = Ledger(store, NETWORK).append_many(stream())

    listed_store = SqlStore.open(f"sqlite:///{tmp_path / 'list.sqlite'}")
    listed = Ledger(listed_store, NETWORK).append_many(workload)

    assert [r.status for r in streamed] == [r.status for r in listed]
    assert state_digest(store) == state_digest(listed_store)
    # the first chunk is short, and as it commits at most the two chunks after it have been read
    assert read_at_commit[0] <= 50 + 2 * 200 + 1 < len(workload)
    assert len(read_at_commit) >= len(workload) // 200


def test_a_refused_record_s_receipt_does_not_keep_the_judging_state_alive(
    workload: list[dict[str, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A receipt names the error (message, field, rule), not the frames that raised it: a
    traceback would hold the judging frames, and with them the whole batch's pending state,
    for as long as the caller keeps the receipts."""
    monkeypatch.setattr(ledger_module, "CHUNK", 200)
    store = SqlStore.open(f"sqlite:///{tmp_path / 'r.sqlite'}")
    receipts = Ledger(store, NETWORK).append_many(workload)
    refused = [r.error for r in receipts if r.error is not None]
    assert refused
    for error in refused:
        chained: BaseException | None = error
        while chained is not None:
            assert chained.__traceback__ is None
            chained = chained.__cause__ or chained.__context__
        assert error.message and error.field and error.rule


def test_a_pipelined_batch_leaves_the_collector_as_it_found_it(
    workload: list[dict[str, object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The automatic collector rests while a batch runs (its survivors are long-lived: caches
    and receipts) and is back on after it, with nothing left in the permanent generation."""
    import gc

    monkeypatch.setattr(ledger_module, "CHUNK", 200)
    seen = _while_judging(monkeypatch, gc.isenabled)
    assert gc.isenabled()
    Ledger(SqlStore.open(f"sqlite:///{tmp_path / 'g.sqlite'}"), NETWORK).append_many(workload)
    assert seen and not any(seen)
    assert gc.isenabled() and gc.get_freeze_count() == 0
