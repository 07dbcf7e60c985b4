"""Hypothesis: random sequences of valid and invalid records against a pure model of the rules.

A ``RuleBasedStateMachine`` drives a real ledger with three agents (the ``vf_scene`` economy:
Alice's bale R, Bob's bale S, Alice's BOX). Each rule builds an event — raise, produce, consume,
transfer, move, pickup/dropoff, combine/separate, corrections — with a signer drawn at random, so
some are valid and some are not. A plain Python model predicts which, and folds the deltas of the
valid ones. Invariants after every step: the store's quantities, holders and containers equal the
model's; no quantity is negative; every refused record (bad events, tampered, forged, out of
chain, foreign network) leaves the state digest unchanged; a duplicate is a no-op. At the end
``rebuild`` recomputes the same projections from the log. SQLite runs more examples, PostgreSQL
fewer.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from support import NETWORK, qty
from vf_scene import KG, ONE, Scene, copy_scene, core_digest, make_template

from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger, Receipt
from reflow.ledger.records import Record, sign_record
from reflow.store.digest import state_digest
from reflow.store.rebuild import rebuild
from reflow.store.sqlstore import SqlStore

ZERO = Decimal(0)
AMOUNTS = st.integers(min_value=1, max_value=6)


@dataclass
class Res:
    """What the model knows of a resource."""

    acc: Decimal
    on: Decimal
    acct: str
    cust: str
    unit: str
    inside: str | None = None
    packed: Decimal | None = None


@dataclass
class Ev:
    """A correctable event: who signed it, its body and its own deltas."""

    author: str
    body: dict[str, Any]
    deltas: list[tuple[str, Decimal]]  # (resource, change to both quantities)
    corrected: bool = False


class LedgerMachine(RuleBasedStateMachine):
    """The ledger against the model; subclasses say which database each example runs on."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.sc, self.store = self.open_scene(Path(self.tmp.name))
        sc = self.sc
        self.agents = [sc.A, sc.B, sc.C]
        self.model: dict[str, Res] = {
            sc.R: Res(Decimal(10), Decimal(10), sc.A, sc.A, KG),
            sc.S: Res(Decimal(3), Decimal(3), sc.B, sc.B, KG),
            sc.BOX: Res(Decimal(1), Decimal(1), sc.A, sc.A, ONE),
        }
        self.events: dict[str, Ev] = {}
        self.trips: list[tuple[str, str, Decimal]] = []  # (process, resource, quantity)
        self.last: Record | None = None

    def open_scene(self, directory: Path) -> tuple[Scene, SqlStore]:
        raise NotImplementedError

    def teardown(self) -> None:
        try:
            live = core_digest(self.store)
            rebuild(self.store, NETWORK)
            assert core_digest(self.store) == live
            self.quantities_match_the_model()
        finally:
            self.store.close()
            self.tmp.cleanup()

    # -- submitting ---------------------------------------------------------------------------

    def submit(self, signer: str, body: dict[str, Any], kind: str = "vf.event") -> Receipt:
        rec = self.sc.w.chain.sign(self.sc.w.keys[signer], kind, body)
        [receipt] = self.sc.w.ledger.append_many([rec])
        if receipt.status == "applied":
            self.sc.w.chain.accepted(rec)
            self.last = rec
        return receipt

    def expect(self, valid: bool, signer: str, event: dict[str, Any]) -> Receipt:
        before = state_digest(self.store)
        receipt = self.submit(signer, {"event": event})
        if valid:
            assert receipt.status == "applied", (event, receipt.error)
        else:
            assert receipt.status == "rejected", event
            assert receipt.error is not None and receipt.error.field
            assert state_digest(self.store) == before
        return receipt

    def refused_record(self, record: Any, status: str = "rejected") -> None:
        before = state_digest(self.store)
        [receipt] = self.sc.w.ledger.append_many([record])
        assert receipt.status == status, receipt
        assert state_digest(self.store) == before

    # -- model helpers ------------------------------------------------------------------------

    def holds(self, rid: str) -> bool:
        return any(r.inside == rid for r in self.model.values())

    def nested(self, rid: str) -> list[str]:
        out, stack = [], [rid]
        while stack:
            cur = stack.pop()
            for k, r in self.model.items():
                if r.inside == cur:
                    out.append(k)
                    stack.append(k)
        return out

    def amount(self, rid: str, n: int, grams: bool) -> dict[str, str]:
        unit = self.model[rid].unit
        if unit == KG and grams:
            return qty(n * 1000, "om2:gram")
        return qty(n, unit)

    def pick(self, data: st.DataObject, label: str = "resource") -> str:
        return data.draw(st.sampled_from(list(self.model)), label=label)

    def signer(self, data: st.DataObject, likely: str) -> str:
        """Usually the agent who may act (so most events are valid), sometimes anyone."""
        return data.draw(st.sampled_from([likely, likely, likely, *self.agents]), label="signer")

    def record(
        self, receipt: Receipt, signer: str, body: dict[str, Any], deltas: list[tuple[str, Decimal]]
    ) -> None:
        self.events[receipt.created["EconomicEvent"]] = Ev(signer, body, deltas)

    # -- rules: events ------------------------------------------------------------------------

    @rule(data=st.data(), n=AMOUNTS)
    def raise_new(self, data: st.DataObject, n: int) -> None:
        who = data.draw(st.sampled_from(self.agents))
        body = {
            "action": "raise",
            "provider": who,
            "receiver": who,
            "resourceConformsTo": self.sc.cotton,
            "resourceQuantity": qty(n),
        }
        receipt = self.expect(True, who, body)
        rid = receipt.created["EconomicResource"]
        self.model[rid] = Res(Decimal(n), Decimal(n), who, who, KG)
        self.record(receipt, who, {**body, "resourceInventoriedAs": rid}, [(rid, Decimal(n))])

    @rule(data=st.data(), n=AMOUNTS)
    def produce_for_someone(self, data: st.DataObject, n: int) -> None:
        who, to = data.draw(st.sampled_from(self.agents)), data.draw(st.sampled_from(self.agents))
        receipt = self.expect(
            True,
            who,
            {
                "action": "produce",
                "provider": who,
                "receiver": to,
                "outputOf": self.sc.P,
                "resourceConformsTo": self.sc.cotton,
                "resourceQuantity": qty(n),
            },
        )
        self.model[receipt.created["EconomicResource"]] = Res(Decimal(n), Decimal(n), to, to, KG)

    @rule(data=st.data(), n=AMOUNTS, grams=st.booleans())
    def raise_more(self, data: st.DataObject, n: int, grams: bool) -> None:
        rid = self.pick(data)
        r = self.model[rid]
        who = self.signer(data, r.acct)
        valid = r.acct == r.cust == who and r.inside is None and not self.holds(rid)
        body = {
            "action": "raise",
            "provider": who,
            "receiver": who,
            "resourceInventoriedAs": rid,
            "resourceQuantity": self.amount(rid, n, grams),
        }
        receipt = self.expect(valid, who, body)
        if valid:
            r.acc += n
            r.on += n
            self.record(receipt, who, body, [(rid, Decimal(n))])

    @rule(data=st.data(), n=AMOUNTS, grams=st.booleans())
    def consume(self, data: st.DataObject, n: int, grams: bool) -> None:
        rid = self.pick(data)
        r = self.model[rid]
        who = self.signer(data, r.acct)
        valid = (
            r.acct == r.cust == who
            and r.inside is None
            and not self.holds(rid)
            and n <= r.acc
            and n <= r.on
        )
        body = {
            "action": "consume",
            "provider": who,
            "receiver": who,
            "inputOf": self.sc.P,
            "resourceInventoriedAs": rid,
            "resourceQuantity": self.amount(rid, n, grams),
        }
        receipt = self.expect(valid, who, body)
        if valid:
            r.acc -= n
            r.on -= n
            self.record(receipt, who, body, [(rid, -Decimal(n))])

    def _give(self, action: str, data: st.DataObject, n: int, to: str) -> None:
        rid = self.pick(data)
        r = self.model[rid]
        who = self.signer(data, r.acct)
        inner = self.nested(rid)
        valid = r.acct == r.cust == who and r.inside is None and n <= r.acc and n <= r.on
        if inner:
            valid = valid and n == r.on
            if action == "transfer":
                valid = valid and all(self.model[k].acct == r.acct for k in inner)
        receiver = who if action == "move" else to
        body = {
            "action": action,
            "provider": who,
            "receiver": receiver,
            "resourceInventoriedAs": rid,
            "resourceQuantity": self.amount(rid, n, False),
        }
        receipt = self.expect(valid, who, body)
        if not valid:
            return
        tid = receipt.created["toEconomicResource"]
        r.acc -= n
        r.on -= n
        self.model[tid] = Res(Decimal(n), Decimal(n), receiver, receiver, r.unit)
        for k in inner:
            m = self.model[k]
            if m.inside == rid:
                m.inside = tid
            m.cust = receiver
            if action == "transfer":
                m.acct = receiver
        if action == "transfer":
            self.record(
                receipt,
                who,
                {**body, "toResourceInventoriedAs": tid},
                [(rid, -Decimal(n)), (tid, Decimal(n))],
            )

    @rule(data=st.data(), n=AMOUNTS, to=st.integers(0, 2))
    def transfer(self, data: st.DataObject, n: int, to: int) -> None:
        self._give("transfer", data, n, self.agents[to])

    @rule(data=st.data(), n=AMOUNTS)
    def move(self, data: st.DataObject, n: int) -> None:
        self._give("move", data, n, "")

    @rule(data=st.data(), n=AMOUNTS, to=st.integers(0, 2), rights=st.booleans())
    def split_rights_and_custody(self, data: st.DataObject, n: int, to: int, rights: bool) -> None:
        """transferAllRights moves only accounting, transferCustody only onhand."""
        rid = self.pick(data)
        r = self.model[rid]
        receiver, inner = self.agents[to], self.nested(rid)
        who = self.signer(data, r.acct if rights else r.cust)
        if rights:
            valid = r.acct == who and n <= r.acc
            valid = valid and all(self.model[k].acct == r.acct for k in inner)
        else:
            valid = r.cust == who and n <= r.on
        valid = valid and r.inside is None and (not inner or n == r.on)
        action = "transferAllRights" if rights else "transferCustody"
        amount = self.amount(rid, n, True)
        receipt = self.expect(valid, who, {
            "action": action, "provider": who, "receiver": receiver,
            "resourceInventoriedAs": rid, "resourceQuantity": amount})  # fmt: skip
        if not valid:
            return
        tid = receipt.created["toEconomicResource"]
        if rights:
            r.acc -= n
            self.model[tid] = Res(Decimal(n), ZERO, receiver, r.cust, r.unit)
        else:
            r.on -= n
            self.model[tid] = Res(ZERO, Decimal(n), r.acct, receiver, r.unit)
        for k in inner:
            m = self.model[k]
            if m.inside == rid:
                m.inside = tid
            m.cust = self.model[tid].cust
            if rights:
                m.acct = receiver

    @rule(data=st.data())
    def transfer_signed_by_the_receiver_is_refused(self, data: st.DataObject) -> None:
        rid = self.pick(data)
        r = self.model[rid]
        other = next(a for a in self.agents if a != r.acct)
        self.expect(
            False,
            other,
            {
                "action": "transfer",
                "provider": r.acct,
                "receiver": other,
                "resourceInventoriedAs": rid,
                "resourceQuantity": qty(1, r.unit),
            },
        )

    @rule(data=st.data(), carrier=st.integers(0, 2))
    def pickup(self, data: st.DataObject, carrier: int) -> None:
        rid = self.pick(data)
        r = self.model[rid]
        who = self.signer(data, r.cust)
        to = self.agents[carrier]
        valid = r.cust == who and r.inside is None and r.on > ZERO
        proc = self.sc.w.process(self.sc.A, "trip")
        self.expect(
            valid,
            who,
            {
                "action": "pickup",
                "provider": who,
                "receiver": to,
                "inputOf": proc,
                "resourceInventoriedAs": rid,
                "resourceQuantity": qty(str(r.on or 1), r.unit),
            },
        )
        if valid:
            self.trips.append((proc, rid, r.on))
            r.on = ZERO
            if to != who:
                r.cust = to
                for k in self.nested(rid):
                    self.model[k].cust = to

    @rule(data=st.data(), to=st.integers(0, 2))
    def dropoff(self, data: st.DataObject, to: int) -> None:
        if not self.trips:
            return
        proc, rid, q = data.draw(st.sampled_from(self.trips))
        r = self.model[rid]
        who = self.signer(data, r.cust)
        receiver = self.agents[to]
        valid = r.cust == who and r.inside is None  # packed since its pickup: separate first
        self.expect(
            valid,
            who,
            {
                "action": "dropoff",
                "provider": who,
                "receiver": receiver,
                "outputOf": proc,
                "resourceInventoriedAs": rid,
                "resourceQuantity": qty(str(q), r.unit),
            },
        )
        if valid:
            self.trips.remove((proc, rid, q))
            r.on += q
            if receiver != who:
                r.cust = receiver
                for k in self.nested(rid):
                    self.model[k].cust = receiver

    @rule(data=st.data())
    def combine(self, data: st.DataObject) -> None:
        rid, box = self.pick(data), self.pick(data, "container")
        r = self.model[rid]
        who = self.signer(data, r.cust)
        up, cycle = box, False
        while up is not None:
            cycle = cycle or up == rid
            up = self.model[up].inside
        # only the container's custodian packs into it (rule custodian-packs)
        keeps_box = self.model[box].cust == who
        valid = r.cust == who and keeps_box and r.inside is None and r.on > ZERO and not cycle
        self.expect(
            valid,
            who,
            {
                "action": "combine",
                "provider": who,
                "receiver": who,
                "inputOf": self.sc.P,
                "resourceInventoriedAs": rid,
                "toResourceInventoriedAs": box,
                "resourceQuantity": qty(str(r.on or 1), r.unit),
            },
        )
        if valid:
            r.packed, r.on, r.inside = r.on, ZERO, box

    @rule(data=st.data(), extra=st.integers(0, 1))
    def separate(self, data: st.DataObject, extra: int) -> None:
        packed = [k for k, m in self.model.items() if m.inside is not None]
        rid = data.draw(st.sampled_from(packed or list(self.model)), label="packed")
        r = self.model[rid]
        who = self.signer(data, r.cust)
        q = (r.packed or Decimal(1)) + extra
        valid = r.inside is not None and r.cust == who and extra == 0
        self.expect(
            valid,
            who,
            {
                "action": "separate",
                "provider": who,
                "receiver": who,
                "resourceInventoriedAs": rid,
                "resourceQuantity": qty(str(q), r.unit),
            },
        )
        if valid:
            r.on += q
            r.inside, r.packed = None, None

    @rule(data=st.data(), n=st.integers(0, 15))
    def correct(self, data: st.DataObject, n: int) -> None:
        if not self.events:
            return
        eid = data.draw(st.sampled_from(list(self.events)))
        old = self.events[eid]
        who = self.signer(data, old.author)
        signs = {"raise": (1,), "consume": (-1,), "transfer": (-1, 1)}[old.body["action"]]
        new = [(rid, Decimal(n) * sign) for (rid, _), sign in zip(old.deltas, signs, strict=True)]
        after = {rid: (self.model[rid].acc, self.model[rid].on) for rid, _ in old.deltas}
        for rid, d in old.deltas:
            after[rid] = (after[rid][0] - d, after[rid][1] - d)
        for rid, d in new:
            after[rid] = (after[rid][0] + d, after[rid][1] + d)
        valid = (
            who == old.author
            and not old.corrected
            # the rules that hold of the resource now: one packed since is not taken from alone
            and self.model[old.deltas[0][0]].inside is None
            # and a transfer's receiving resource is still the receiver's, unpacked
            and all(
                self.model[rid].inside is None
                and self.model[rid].acct == self.model[rid].cust == old.body["receiver"]
                for rid, _ in old.deltas[1:]
            )
            and all(a >= ZERO and o >= ZERO for a, o in after.values())
            # a correction may lower only what the signer holds, as an event may
            and all(
                self.model[rid].acct == who == self.model[rid].cust
                for rid, (a, _o) in after.items()
                if a < self.model[rid].acc
            )
        )
        unit = self.model[old.deltas[0][0]].unit
        body = {**old.body, "resourceQuantity": qty(n, unit), "corrects": eid}
        receipt = self.expect(valid, who, body)
        if valid:
            old.corrected = True
            for rid, (a, o) in after.items():
                self.model[rid].acc, self.model[rid].on = a, o
            self.record(receipt, who, {k: v for k, v in body.items() if k != "corrects"}, new)

    # -- rules: records that must be refused --------------------------------------------------

    def _valid_raise(self) -> tuple[str, Record]:
        who = self.sc.A
        rec = self.sc.w.chain.sign(
            self.sc.w.keys[who],
            "vf.event",
            {
                "event": {
                    "action": "raise",
                    "provider": who,
                    "receiver": who,
                    "resourceConformsTo": self.sc.cotton,
                    "resourceQuantity": qty(1),
                }
            },
        )
        return who, rec

    @rule()
    def tampered_body(self) -> None:
        _who, rec = self._valid_raise()
        d = rec.to_dict()
        d["body"]["event"]["resourceQuantity"] = qty(1000)
        self.refused_record(d)

    @rule()
    def forged_author(self) -> None:
        who, rec = self._valid_raise()
        forger = KeyPair.generate()
        d = rec.to_dict()
        d["sig"] = forger.sign(rec.payload)
        self.refused_record(d)
        assert who == d["author"]

    @rule(gap=st.integers(2, 5))
    def out_of_chain(self, gap: int) -> None:
        who = self.sc.B
        seq, prev = self.sc.w.chain.heads[who]
        for bad_seq, bad_prev in ((seq + gap, prev), (seq + 1, "0" * 64)):
            self.refused_record(
                sign_record(
                    self.sc.w.keys[who],
                    network=NETWORK,
                    seq=bad_seq,
                    prev=bad_prev,
                    kind="vf.create",
                    body={"type": "SpatialThing", "data": {"name": "x"}},
                )
            )

    @rule()
    def foreign_network(self) -> None:
        who = self.sc.C
        seq, prev = self.sc.w.chain.heads[who]
        self.refused_record(
            sign_record(
                self.sc.w.keys[who],
                network="elsewhere",
                seq=seq + 1,
                prev=prev,
                kind="vf.create",
                body={"type": "SpatialThing", "data": {"name": "x"}},
            )
        )

    @rule()
    def duplicate(self) -> None:
        if self.last is not None:
            self.refused_record(self.last, "duplicate")

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def quantities_match_the_model(self) -> None:
        for rid, m in self.model.items():
            r = self.store.resource(rid)
            assert r is not None
            assert r.accounting_quantity >= ZERO and r.onhand_quantity >= ZERO
            got = (
                r.accounting_quantity,
                r.onhand_quantity,
                r.primary_accountable,
                r.custodian,
                r.contained_in,
            )
            assert got == (m.acc, m.on, m.acct, m.cust, m.inside), rid


_TEMPLATE: dict[str, tuple[Path, Scene]] = {}


class SqliteMachine(LedgerMachine):
    def open_scene(self, directory: Path) -> tuple[Scene, SqlStore]:
        if "t" not in _TEMPLATE:
            _TEMPLATE["t"] = make_template(Path(tempfile.mkdtemp(prefix="reflow-props-")))
        return copy_scene(_TEMPLATE["t"], directory)


SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))


def test_ledger_against_the_model_on_sqlite() -> None:
    run_state_machine_as_test(
        SqliteMachine,
        settings=settings(max_examples=25, stateful_step_count=30, **SETTINGS),  # type: ignore[arg-type]
    )


@pytest.mark.postgres
def test_ledger_against_the_model_on_postgresql(pg_database_factory: Any) -> None:
    class PgMachine(LedgerMachine):
        def open_scene(self, directory: Path) -> tuple[Scene, SqlStore]:
            store = SqlStore.open(pg_database_factory())
            return Scene(Ledger(store, NETWORK)), store

    run_state_machine_as_test(
        PgMachine,
        settings=settings(max_examples=4, stateful_step_count=15, **SETTINGS),  # type: ignore[arg-type]
    )
