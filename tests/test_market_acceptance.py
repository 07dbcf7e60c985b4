"""Acceptance in two steps: the acceptor offers, the publisher (the quantity's one writer) decides.

Two acceptors on two nodes may both ask for the last 15 kg of an offer. Whatever order their
records arrive in, every node reaches the same state: the acceptances are pending everywhere,
and only the publisher's confirmations, ordered by the publisher's own chain, take quantity.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from market_world import C, Market
from sqlalchemy import func, select
from support import NETWORK, World, qty

from reflow.errors import AuthorisationError, RuleViolation
from reflow.ledger.keys import KeyPair
from reflow.ledger.ledger import Ledger
from reflow.ledger.records import Record
from reflow.market.service import (
    accept,
    acceptance,
    confirm,
    decline,
    intent,
    pending_acceptances,
    publish,
    withdraw,
)
from reflow.market.stream import AcceptanceNews, MatchStream, announce_applied
from reflow.market.tables import acceptances, agreements, intents
from reflow.node import Node
from reflow.store.digest import state_digest
from reflow.store.sqlstore import SqlStore


def _available(store: SqlStore, proposal: str) -> str:
    with store.engine.connect() as conn:
        return conn.execute(
            select(intents.c.available).where(
                intents.c.proposal == proposal, intents.c.role == "primary"
            )
        ).scalar_one()


def _replay(path: Path, records: list[Record]) -> tuple[SqlStore, list[str]]:
    """A fresh ledger fed ``records`` one at a time, as a node receiving them would be."""
    store = SqlStore.open(f"sqlite:///{path}")
    ledger = Ledger(store, NETWORK)
    statuses = [ledger.append_many([r])[0] for r in records]
    return store, [s.status for s in statuses]


def test_two_acceptors_of_the_last_15_kg_converge_whatever_the_order(
    world: World, tmp_path: Path
) -> None:
    market = Market(world)
    shop = world.agent("Textile workshop", "Organization")
    first, a, b = (world.agent(n, "Organization") for n in ("Maker", "Upholsterer", "Felter"))
    offer = market.offer(shop, resourceClassifiedAs=[C["cotton"]], quantity=qty(40))
    market.accept(first, offer, qty(25))
    base = list(world.ledger.store.iter_records())
    # A and B each ask for the last 15 kg, signed against the same state.
    from_a = market.offer_to_accept(a, offer, qty(15))
    from_b = market.offer_to_accept(b, offer, qty(15))
    acc_a, acc_b = (market.row(x)["record"] for x in (from_a, from_b))  # type: ignore[index]
    # The publisher confirms A on its chain; confirming B next is refused at the publisher's
    # node, and a confirmation of B signed anyway is refused on every node.
    market.confirm(shop, from_a)
    key = world.keys[shop]
    late = world.chain.sign(key, "market.confirm", {"acceptance": from_b}, (acc_b,))
    with pytest.raises(RuleViolation) as err:
        world.ledger.append(late)
    assert (err.value.rule, err.value.field) == ("not-more-than-available", "body.acceptance")
    signed = {r.hash: r for r in world.ledger.store.iter_records()}
    conf_a = next(r for r in signed.values() if r.kind == "market.confirm" and acc_a in r.deps)

    x, x_status = _replay(
        tmp_path / "x.sqlite", [*base, signed[acc_a], signed[acc_b], conf_a, late]
    )
    y, y_status = _replay(
        tmp_path / "y.sqlite", [*base, signed[acc_b], signed[acc_a], conf_a, late]
    )
    assert x_status[len(base) :] == ["applied", "applied", "applied", "rejected"]
    assert y_status[len(base) :] == x_status[len(base) :]
    assert state_digest(x) == state_digest(y) == state_digest(world.ledger.store)
    for store in (x, y):
        with store.engine.connect() as conn:
            taken = conn.execute(
                select(agreements.c.accepted_by).where(
                    agreements.c.proposal == offer, agreements.c.accepted_by.in_([a, b])
                )
            ).all()
            status = dict(conn.execute(select(acceptances.c.acceptor, acceptances.c.status)).all())
        assert [t.accepted_by for t in taken] == [a]  # exactly one agreement for the last 15 kg
        assert (status[a], status[b]) == ("confirmed", "pending")
        assert _available(store, offer) == "0"

    # a node that hears these records tells each one the news that concerns them
    z = SqlStore.open(f"sqlite:///{tmp_path / 'z.sqlite'}")
    heard = Ledger(z, NETWORK)
    heard.append_many(base)
    replayed = [signed[acc_a], signed[acc_b], conf_a]
    news = announce_applied(z, replayed, heard.append_many(replayed), MatchStream())
    assert [(n.agent, n.status) for n in news if isinstance(n, AcceptanceNews)] == [
        (a, "confirmed"), (shop, "pending"),
    ]  # fmt: skip
    z.close()
    x.close()
    y.close()


def _outside_shop(node: Node) -> tuple[KeyPair, KeyPair, str]:
    """A publisher whose key this node does not hold (it signs its own records elsewhere)."""
    shop = KeyPair.generate()
    node.submit(shop, "agent.declare", {"type": "Organization", "data": {"name": "Workshop"}})
    maker = node.new_agent("Organization", {"name": "Maker"})
    given = intent("offer", shop.public, qty(40), classes=[C["cotton"]])
    offer = publish(node, shop, {"purpose": "offer"}, [given], stream=None)["proposal"]
    return shop, maker, offer


def test_an_acceptance_waits_for_a_publisher_whose_key_the_node_does_not_hold(
    node: Node,
) -> None:
    shop, maker, offer = _outside_shop(node)
    out = accept(node, maker, offer, qty(25), stream=None)
    assert (out["status"], out["agreement"]) == ("pending", None)
    assert _available(node.store, offer) == "40"  # nothing is taken before the publisher agrees
    (waiting,) = pending_acceptances(node.store, shop.public)
    assert (waiting["id"], waiting["acceptor"], waiting["quantity"]) == (
        out["acceptance"], maker.public, "25",
    )  # fmt: skip
    # only the publisher may confirm
    with pytest.raises(AuthorisationError) as err:
        confirm(node, maker, out["acceptance"], stream=None)
    assert (err.value.rule, err.value.field) == ("publisher", "body.acceptance")
    done = confirm(node, shop, out["acceptance"], stream=None)
    assert done["status"] == "confirmed" and node.store.object(done["agreement"]) is not None
    assert acceptance(node.store, out["acceptance"])["agreement"] == done["agreement"]
    assert _available(node.store, offer) == "15"
    assert pending_acceptances(node.store, shop.public) == []
    with pytest.raises(RuleViolation) as again:
        confirm(node, shop, out["acceptance"], stream=None)
    assert again.value.rule == "pending-acceptance"


def test_the_publisher_declines_and_nothing_is_taken(node: Node) -> None:
    shop, maker, offer = _outside_shop(node)
    out = accept(node, maker, offer, qty(10), stream=None)
    with pytest.raises(AuthorisationError):
        decline(node, maker, out["acceptance"], "changed my mind", stream=None)
    decline(node, shop, out["acceptance"], "promised elsewhere", stream=None)
    row = acceptance(node.store, out["acceptance"])
    assert (row["status"], row["reason"], row["agreement"]) == (
        "declined", "promised elsewhere", None,
    )  # fmt: skip
    assert _available(node.store, offer) == "40"
    with pytest.raises(RuleViolation) as err:
        confirm(node, shop, out["acceptance"], stream=None)
    assert err.value.rule == "pending-acceptance"
    with node.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(agreements)).scalar_one() == 0


def test_a_withdrawn_proposal_leaves_its_pending_acceptances_lapsed(node: Node) -> None:
    shop, maker, offer = _outside_shop(node)
    out = accept(node, maker, offer, qty(10), stream=None)
    node.submit(shop, "market.withdraw", {"proposal": offer})
    assert acceptance(node.store, out["acceptance"])["status"] == "lapsed"
    assert pending_acceptances(node.store, shop.public) == []
    with pytest.raises(RuleViolation) as err:
        confirm(node, shop, out["acceptance"], stream=None)
    assert err.value.rule == "open-proposal"


def test_a_confirmation_must_name_the_acceptance_it_confirms_in_its_deps(world: World) -> None:
    market = Market(world)
    shop, maker = world.agent("Workshop"), world.agent("Maker")
    offer = market.offer(shop, resourceClassifiedAs=[C["cotton"]], quantity=qty(40))
    pending = market.offer_to_accept(maker, offer, qty(5))
    with pytest.raises(RuleViolation) as err:
        market.confirm(shop, pending, deps=())
    assert (err.value.rule, err.value.field) == ("deps-acceptance", "deps")
    with pytest.raises(AuthorisationError):
        market.confirm(maker, pending)  # the acceptor cannot confirm its own offer
    assert "Agreement" in market.confirm(shop, pending)


def test_an_answering_request_is_reserved_by_the_acceptor_when_it_offers(world: World) -> None:
    market = Market(world)
    shop, maker = world.agent("Workshop"), world.agent("Maker")
    offer = market.offer(shop, resourceClassifiedAs=[C["cotton"]], quantity=qty(40))
    request = market.request(maker, resourceClassifiedAs=[C["cotton"]], quantity=qty(25))
    pending = market.offer_to_accept(maker, offer, qty(25), own=request)
    store = world.ledger.store
    # the maker's own request is the maker's to decrease; the shop's offer waits for the shop
    assert (_available(store, request), _available(store, offer)) == ("0", "40")
    made = market.confirm(shop, pending)
    assert _available(store, offer) == "15"
    satisfied = store.object(made["Commitment:0"]).data["satisfies"]
    assert store.object(request).data["publishes"][0] in satisfied


def test_a_declined_acceptance_gives_the_answering_request_back(world: World) -> None:
    market = Market(world)
    shop, maker, other = world.agent("Workshop"), world.agent("Maker"), world.agent("Other")
    offer = market.offer(shop, resourceClassifiedAs=[C["cotton"]], quantity=qty(40))
    request = market.request(maker, resourceClassifiedAs=[C["cotton"]], quantity=qty(25))
    pending = market.offer_to_accept(maker, offer, qty(25), own=request)
    store = world.ledger.store
    accepted = market.row(pending)["record"]  # type: ignore[index]
    with pytest.raises(RuleViolation) as early:
        market.release(maker, pending, (accepted,))  # still pending: nothing to give back
    assert early.value.rule == "acceptance-ended"
    market.decline(shop, pending, "sold out")
    declined = market.row(pending)["decided"]  # type: ignore[index]
    with pytest.raises(AuthorisationError):
        market.release(other, pending, (declined,))
    market.release(maker, pending, (declined,))
    assert _available(store, request) == "25"
    assert not store.object(store.object(request).data["publishes"][0]).data.get("finished")
    with pytest.raises(RuleViolation) as twice:
        market.release(maker, pending, (declined,))
    assert twice.value.rule == "once"
    assert _available(store, offer) == "40"


def test_withdrawing_releases_the_reservations_of_acceptors_this_node_holds(node: Node) -> None:
    shop, maker, offer = _outside_shop(node)
    ask = intent("request", maker.public, qty(25), classes=[C["cotton"]])
    request = publish(node, maker, {"purpose": "request"}, [ask], stream=None)["proposal"]
    out = accept(node, maker, offer, qty(25), own=request, stream=None)
    assert (out["status"], _available(node.store, request)) == ("pending", "0")
    withdraw(node, shop, offer)
    assert _available(node.store, request) == "25"
    assert acceptance(node.store, out["acceptance"])["status"] == "lapsed"
