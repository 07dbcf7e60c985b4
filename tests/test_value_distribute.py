"""Distributing an income by a value equation: the issue's shirt, worked by hand, and its edges.

Every test runs on SQLite and PostgreSQL (the ``world`` fixture).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from support import World, qty
from value_scene import EUR, HOUR, ONE, build_shirt, pay, shirt_equation

from reflow.errors import AuthorisationError, ConflictError, NotFound, RuleViolation
from reflow.value.distribute import plan_distribution
from reflow.value.service import claims, get_distribution, verify_distribution

D = Decimal


def _equation(world: World, by: str, data: dict[str, object]) -> str:
    return world.submit(world.keys[by], "value.equation", data)["ValueEquation"]


def test_the_shirt_is_shared_to_the_cent_as_computed_by_hand(world: World) -> None:
    s = build_shirt(world)
    eq = _equation(world, s.fund, shirt_equation(s))
    # By hand: contributions valued by the equation's rates.
    #   who         what                          value
    #   Anna        5 h sewing × 20/h             100
    #   Ben         cited design: 1 h × 20/h       20
    #   collector   2 kg fabric × 4/kg              8
    #   makerspace  sewing machine 2 h × 3/h        6
    #                                       total 134
    # 60 EUR: 10% of the total to the fund = 6.00; the remaining 54 by value:
    #   Anna 54×100/134 = 40.2985…  Ben 54×20/134 = 8.0597…  collector 54×8/134 = 3.2238…
    #   makerspace 54×6/134 = 2.4179…; rounded down 40.29 + 8.05 + 3.22 + 2.41 = 53.97, and
    #   the 3 cents left go to the largest remainders: Ben (.97), Anna (.85), makerspace (.79).
    expected = {
        s.fund: D("6.00"), s.anna: D("40.30"), s.ben: D("8.06"), s.collector: D("3.22"),
        s.makerspace: D("2.42"),
    }  # fmt: skip
    plan = plan_distribution(world.ledger.store, s.income, eq)
    assert plan.product == s.shirt  # found through the income's triggeredBy (the sale)
    assert {x.agent: x.amount for x in plan.shares} == expected
    assert sum(x.amount for x in plan.shares) == D(60)
    values = {}
    for c in plan.contributions:
        values[(c.agent, c.kind)] = values.get((c.agent, c.kind), D(0)) + c.value
    assert values == {
        (s.anna, "work"): D(100), (s.ben, "cite"): D(20), (s.collector, "resource"): D(8),
        (s.makerspace, "use"): D(6),
    }  # fmt: skip

    # The explanation says which bucket and which rule produced each amount, as data.
    anna = next(x for x in plan.as_dict()["shares"] if x["agent"] == s.anna)
    assert anna["amount"] == "40.3"
    [line] = anna["lines"]
    assert (line["bucket"], line["rule"], line["weight"], line["bucketWeight"]) == (
        "contributors",
        "contributions",
        "100",
        "134",
    )
    assert line["contributions"][0]["event"] == s.sew_work
    assert (line["contributions"][0]["rate"], line["contributions"][0]["amount"]) == ("20", "5")

    # Committing writes one claim per beneficiary but the makerspace, which keeps its share.
    created = world.submit(world.keys[s.makerspace], "value.distribute", plan.body())
    store = world.ledger.store
    got = {c.receiver: c.quantity for c in claims(store, income=s.income)}
    assert got == {k: v for k, v in expected.items() if k != s.makerspace}
    claim = store.object(created["Claim:0"])
    assert claim is not None and claim.type == "Claim"
    assert claim.data["provider"] == s.makerspace
    assert claim.data["triggeredBy"] == s.income
    assert claim.data["action"] == "transfer"
    dist = get_distribution(store, eq, s.income)
    assert dist is not None and dist["kept"] == "2.42"
    # The record keeps the explanation, summed per kind and process (records have a size limit).
    [anna_line] = next(c for c in dist["claims"] if c["receiver"] == s.anna)["explanation"]
    assert anna_line["contributions"] == [
        {"kind": "work", "process": s.sew, "unit": "om2:hour", "rate": "20", "amount": "5",
         "value": "100", "events": 1}
    ]  # fmt: skip


def test_any_node_can_recompute_a_distribution_and_find_a_dishonest_one(world: World) -> None:
    s = build_shirt(world)
    eq = _equation(world, s.fund, shirt_equation(s))
    plan = plan_distribution(world.ledger.store, s.income, eq)
    with pytest.raises(NotFound):  # nothing committed yet
        verify_distribution(world.ledger.store, eq, s.income)
    world.submit(world.keys[s.makerspace], "value.distribute", plan.body())
    assert verify_distribution(world.ledger.store, eq, s.income) == {
        "matches": True, "differences": []
    }  # fmt: skip
    # The makerspace shares another income by moving a cent from Anna to itself: accepted (the
    # arithmetic holds), but a recomputation shows it.
    again = pay(world, s.buyer, s.makerspace, s.wallet, "60", triggeredBy=s.sale)["EconomicEvent"]
    body = plan_distribution(world.ledger.store, again, eq).body()
    anna = next(c for c in body["claims"] if c["receiver"] == s.anna)
    anna["resourceQuantity"] = qty("40.29", EUR)
    world.submit(world.keys[s.makerspace], "value.distribute", body)
    assert verify_distribution(world.ledger.store, eq, again) == {
        "matches": False,
        "differences": [{"receiver": s.anna, "recorded": "40.29", "recomputed": "40.3"}],
    }


def test_the_same_income_is_not_distributed_twice_by_one_equation(world: World) -> None:
    s = build_shirt(world)
    eq = _equation(world, s.fund, shirt_equation(s))
    body = plan_distribution(world.ledger.store, s.income, eq).body()
    world.submit(world.keys[s.makerspace], "value.distribute", body)
    with pytest.raises(ConflictError) as err:
        world.submit(world.keys[s.makerspace], "value.distribute", body)
    assert err.value.rule == "distribute-once"
    # Another equation may share the same income (e.g. points besides money).
    other = _equation(world, s.fund, shirt_equation(s, name="second opinion"))
    world.submit(world.keys[s.makerspace], "value.distribute",
                 plan_distribution(world.ledger.store, s.income, other).body())  # fmt: skip


def test_only_the_income_receiver_distributes_and_shares_add_up(world: World) -> None:
    s = build_shirt(world)
    eq = _equation(world, s.fund, shirt_equation(s))
    body = plan_distribution(world.ledger.store, s.income, eq).body()
    with pytest.raises(AuthorisationError):
        world.submit(world.keys[s.anna], "value.distribute", body)
    greedy = dict(body, claims=[dict(c) for c in body["claims"]])
    greedy["claims"][0]["resourceQuantity"] = qty("59", EUR)
    with pytest.raises(RuleViolation) as err:
        world.submit(world.keys[s.makerspace], "value.distribute", greedy)
    assert err.value.rule == "shares-add-up"
    with pytest.raises(RuleViolation) as err:  # the sewing work is no income
        world.submit(world.keys[s.makerspace], "value.distribute",
                     dict(body, income=s.sew_work, claims=[]))  # fmt: skip
    assert err.value.rule == "income-is-transfer"
    greedy["claims"][0]["resourceQuantity"] = qty("0.005", EUR)
    with pytest.raises(RuleViolation) as err:
        world.submit(world.keys[s.makerspace], "value.distribute", greedy)
    assert err.value.rule == "whole-cents"


def test_an_income_of_fewer_cents_than_beneficiaries_still_adds_up(world: World) -> None:
    s = build_shirt(world, price="0.03")
    eq = _equation(world, s.fund, shirt_equation(s))
    plan = plan_distribution(world.ledger.store, s.income, eq)
    # 0.003 to the fund, 0.027 by value: Anna 0.0201…, Ben 0.0040…, collector 0.0016…,
    # makerspace 0.0012…; all round down to 0 but Anna's 0.02, and the cent left goes to the
    # largest remainder: Ben's 0.0040… (the fund's 0.003 comes next).
    assert {x.agent: x.amount for x in plan.shares if x.amount} == {
        s.anna: D("0.02"),
        s.ben: D("0.01"),
    }
    assert sum(x.amount for x in plan.shares) == D("0.03")
    created = world.submit(world.keys[s.makerspace], "value.distribute", plan.body())
    assert sorted(k for k in created if k.startswith("Claim")) == ["Claim:0", "Claim:1"]


def test_no_contributions_go_to_a_remainder_bucket_or_are_refused(world: World) -> None:
    s = build_shirt(world)
    store = world.ledger.store
    # The buyer resells a thing nobody made in a process: nothing to trace back.
    junk = world.event(s.buyer, {"name": "found chair"}, action="raise", provider=s.buyer,
                       receiver=s.buyer, resourceConformsTo=s.shirt_spec,
                       resourceQuantity=qty(1, ONE))["EconomicResource"]  # fmt: skip
    sale = world.event(
        s.buyer,
        action="transfer",
        provider=s.buyer,
        receiver=s.anna,
        resourceInventoriedAs=junk,
        resourceQuantity=qty(1, ONE),
    )["EconomicEvent"]
    anna_wallet = world.event(s.anna, {"name": "purse"}, action="raise", provider=s.anna,
                              receiver=s.anna, resourceConformsTo=s.euro,
                              resourceQuantity=qty(50, EUR))["EconomicResource"]  # fmt: skip
    income = pay(world, s.anna, s.buyer, anna_wallet, "10", triggeredBy=sale)["EconomicEvent"]
    shared = _equation(world, s.fund, shirt_equation(s))
    with pytest.raises(RuleViolation) as err:
        plan_distribution(store, income, shared)
    assert err.value.rule == "bucket-has-contributions"
    fallback = shirt_equation(s, name="fund takes the rest")
    fallback["buckets"] = [
        {"name": "contributors", "percent": "90", "of": "total",
         "pays": {"contributions": {"kinds": ["work"]}}},
        {"name": "fund", "percent": "100", "of": "remainder",
         "pays": {"fixed": [{"agent": s.fund}]}},
    ]  # fmt: skip
    plan = plan_distribution(store, income, _equation(world, s.fund, fallback))
    assert [(x.agent, x.amount) for x in plan.shares] == [(s.fund, D(10))]


def test_a_cycle_of_resources_is_cut_where_it_closes(world: World) -> None:
    """A is consumed into B's process and B into A's: each process is counted once."""
    w = world
    maker = w.agent("Maker", "Organization")
    worker = w.agent("Worker")
    spec_a, spec_b = w.spec(maker, "A"), w.spec(maker, "B")
    pa, pb = w.process(maker, "make A"), w.process(maker, "make B")
    w.event(worker, action="work", provider=worker, receiver=maker, inputOf=pa,
            effortQuantity=qty(2, HOUR))  # fmt: skip
    a = w.event(maker, {"name": "A"}, action="produce", provider=maker, receiver=maker,
                outputOf=pa, resourceConformsTo=spec_a,
                resourceQuantity=qty(4))["EconomicResource"]  # fmt: skip
    w.event(worker, action="work", provider=worker, receiver=maker, inputOf=pb,
            effortQuantity=qty(1, HOUR))  # fmt: skip
    w.event(maker, action="consume", provider=maker, receiver=maker, inputOf=pb,
            resourceInventoriedAs=a, resourceQuantity=qty(2))  # fmt: skip
    b = w.event(maker, {"name": "B"}, action="produce", provider=maker, receiver=maker,
                outputOf=pb, resourceConformsTo=spec_b,
                resourceQuantity=qty(2))["EconomicResource"]  # fmt: skip
    # B goes back into A's process: a second batch of A, from the same process.
    w.event(maker, action="consume", provider=maker, receiver=maker, inputOf=pa,
            resourceInventoriedAs=b, resourceQuantity=qty(1))  # fmt: skip
    w.event(maker, action="produce", provider=maker, receiver=maker, outputOf=pa,
            resourceInventoriedAs=a, resourceQuantity=qty(4))  # fmt: skip
    buyer = w.agent("Buyer")
    wallet = w.event(buyer, {"name": "wallet"}, action="raise", provider=buyer, receiver=buyer,
                     resourceConformsTo=w.spec(buyer, "euro"),
                     resourceQuantity=qty(100, EUR))["EconomicResource"]  # fmt: skip
    sale = w.event(
        maker,
        action="transfer",
        provider=maker,
        receiver=buyer,
        resourceInventoriedAs=b,
        resourceQuantity=qty(1),
    )["EconomicEvent"]
    income = pay(w, buyer, maker, wallet, "30", triggeredBy=sale)["EconomicEvent"]
    eq = {"name": "all to work", "currency": EUR, "rates": {"work": {"*": "10"}},
          "buckets": [{"name": "work", "percent": "100", "of": "total",
                       "pays": {"contributions": {"kinds": ["work"]}}}]}  # fmt: skip
    plan = plan_distribution(w.ledger.store, income, _equation(w, maker, eq))
    # B's process: 1 h (10), and 2 of A's 8 units (A's process: 2 h = 20, shared by its 8
    # units: 5); entering A's process again through B is cut. Everything goes to the worker.
    assert [(x.agent, x.amount) for x in plan.shares] == [(worker, D(30))]
    assert sum(c.value for c in plan.contributions) == D(15)
