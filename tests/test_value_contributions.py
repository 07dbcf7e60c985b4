"""Which contributions are found behind a product, and how an equation values and selects them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support import World, qty
from value_scene import EUR, HOUR, ONE, build_shirt, pay, shirt_equation

from reflow.errors import RuleViolation, UnitError
from reflow.value.contributions import contributions_to, find_contributions
from reflow.value.distribute import plan_distribution
from reflow.value.equation import parse_equation
from reflow.value.facts import Ev, Facts, Res

D = Decimal


def _values(world: World, product: str, eq: dict[str, object]) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = {}
    for c in find_contributions(world.ledger.store, product, parse_equation(eq)):
        out[(c.agent, c.kind)] = out.get((c.agent, c.kind), D(0)) + c.value
    return out


def test_an_unpriced_material_carries_the_work_behind_it_by_the_share_used(world: World) -> None:
    s = build_shirt(world)
    # Without a price for fabric, the fabric is worth what made it: the collector's raise has
    # no process behind it, so it brings nothing, and the work/use/cite stay.
    eq = shirt_equation(s, rates={"work": {"*": "20"}, "use": {s.machine_spec: "3"}})
    assert _values(world, s.shirt, eq) == {
        (s.anna, "work"): D(100), (s.ben, "cite"): D(20), (s.makerspace, "use"): D(6)
    }  # fmt: skip

    # Yarn spun in 3 h into 10 kg, 4 kg given to the makerspace, 2 kg of them knitted into a
    # scarf: the scarf carries 2/10 of the spinning.
    w = world
    spin = w.process(s.collector, "spin")
    w.event(s.collector, action="work", provider=s.collector, receiver=s.collector, inputOf=spin,
            effortQuantity=qty(3, HOUR))  # fmt: skip
    yarn = w.event(s.collector, {"name": "yarn"}, action="produce", provider=s.collector,
                   receiver=s.collector, outputOf=spin, resourceConformsTo=s.fabric,
                   resourceQuantity=qty(10))["EconomicResource"]  # fmt: skip
    given = w.event(
        s.collector,
        action="transfer",
        provider=s.collector,
        receiver=s.makerspace,
        resourceInventoriedAs=yarn,
        resourceQuantity=qty(4),
    )["toEconomicResource"]
    knit = w.process(s.makerspace, "knit")
    w.event(s.makerspace, action="consume", provider=s.makerspace, receiver=s.makerspace,
            inputOf=knit, resourceInventoriedAs=given, resourceQuantity=qty(2))  # fmt: skip
    scarf = w.event(s.makerspace, {"name": "scarf"}, action="produce", provider=s.makerspace,
                    receiver=s.makerspace, outputOf=knit, resourceConformsTo=s.shirt_spec,
                    resourceQuantity=qty(1, ONE))["EconomicResource"]  # fmt: skip
    assert _values(world, scarf, eq) == {(s.collector, "work"): D(12)}  # 3 h × 20 × 2/10
    # Priced, the same yarn is worth 2 kg × 4 to whoever brought it in, and no deeper.
    assert _values(world, scarf, shirt_equation(s)) == {(s.collector, "resource"): D(8)}


def test_multipliers_rates_by_skill_and_corrections(world: World) -> None:
    s = build_shirt(world)
    # Anna corrects her hours: 4, not 5. The corrected event is left out.
    world.event(s.anna, action="work", provider=s.anna, receiver=s.makerspace, inputOf=s.sew,
                resourceConformsTo=s.sewing, effortQuantity=qty(4, HOUR),
                corrects=s.sew_work)  # fmt: skip
    eq = shirt_equation(
        s,
        rates={"work": {s.sewing: "25", "*": "20"}, "use": {s.machine_spec: "3"},
               "resource": {s.fabric: "4"}},
        multipliers={s.anna: "1.5", "use": "2"},
    )  # fmt: skip
    assert _values(world, s.shirt, eq) == {
        (s.anna, "work"): D(150),  # 4 h × 25 (sewing) × 1.5 (Anna)
        (s.ben, "cite"): D(20),  # 1 h × 20 (any other skill)
        (s.collector, "resource"): D(8),
        (s.makerspace, "use"): D(12),  # 2 h × 3 × 2 (use)
    }  # fmt: skip


def test_a_rate_may_say_what_it_is_per(world: World) -> None:
    s = build_shirt(world)
    rates = {"work": {"*": {"value": "160", "per": "om2:day"}}, "use": {"*": "3"},
             "resource": {s.fabric: {"value": "0.004", "per": "g"}}}  # fmt: skip
    assert _values(world, s.shirt, shirt_equation(s, rates=rates)) == {
        (s.anna, "work"): D(5) * 160 / 24,  # 5 h at 160 a day
        (s.ben, "cite"): D(160) / 24,
        (s.collector, "resource"): D(8),  # 2000 g × 0.004
        (s.makerspace, "use"): D(6),
    }  # fmt: skip
    wrong = {"work": {"*": {"value": "20", "per": "kg"}}}
    with pytest.raises(UnitError) as err:
        _values(world, s.shirt, shirt_equation(s, rates=wrong))
    assert (err.value.field, err.value.rule) == ("rates.work", "rate-unit")


def test_buckets_select_contributions_by_kind_process_and_date(world: World) -> None:
    s = build_shirt(world)
    eq = shirt_equation(s)
    eq["buckets"] = [
        {"name": "design", "percent": "20", "of": "total",
         "pays": {"contributions": {"kinds": ["work"], "process": s.design_process}}},
        {"name": "makers", "percent": "100", "of": "remainder",
         "pays": {"contributions": {"kinds": ["work", "use"], "from": "2000-01-01",
                                    "to": "2999-12-31"}}},
    ]  # fmt: skip
    # The design bucket finds no work in the design process: Ben's work reaches the shirt as a
    # cite, valued in the sewing process. Nothing else takes its 20%: refused by name.
    with pytest.raises(RuleViolation) as err:
        plan_distribution(world.ledger.store, s.income, world.submit(
            world.keys[s.fund], "value.equation", eq)["ValueEquation"])  # fmt: skip
    assert "'design'" in err.value.message
    eq["name"] = "by kind"
    eq["buckets"][0]["pays"]["contributions"] = {"kinds": ["cite"]}
    eq["buckets"][1]["pays"]["contributions"] = {"kinds": ["work", "use"]}
    plan = plan_distribution(world.ledger.store, s.income, world.submit(
        world.keys[s.fund], "value.equation", eq)["ValueEquation"])  # fmt: skip
    # 12 to Ben (20% of 60, the only cite); 48 by work and use: Anna 100, makerspace 6:
    # 45.2830… and 2.7169… → 45.28 and 2.72 (largest remainder).
    assert {x.agent: x.amount for x in plan.shares} == {
        s.ben: D(12), s.anna: D("45.28"), s.makerspace: D("2.72")
    }  # fmt: skip


def test_events_without_a_time_are_outside_a_date_range(world: World) -> None:
    s = build_shirt(world)
    eq = shirt_equation(s)
    eq["buckets"][1]["pays"]["contributions"]["from"] = "2020-01-01"
    eq["buckets"].append({"name": "fund again", "percent": "100", "of": "remainder",
                          "pays": {"fixed": [{"agent": s.fund}]}})  # fmt: skip
    plan = plan_distribution(world.ledger.store, s.income, world.submit(
        world.keys[s.fund], "value.equation", eq)["ValueEquation"])  # fmt: skip
    assert [(x.agent, x.amount) for x in plan.shares] == [(s.fund, D(60))]
    # Ben's second hour, dated in 2026, is the only contribution in the range: 10% of the
    # total still goes to the fund (first bucket), the contributors' 54 all to Ben.
    world.event(s.ben, action="work", provider=s.ben, receiver=s.makerspace, inputOf=s.sew,
                effortQuantity=qty(1, HOUR), hasPointInTime="2026-03-01T10:00:00Z")  # fmt: skip
    eq["name"], eq["buckets"][1]["pays"]["contributions"]["to"] = "2026", "2026-12-31"
    plan = plan_distribution(world.ledger.store, s.income, world.submit(
        world.keys[s.fund], "value.equation", eq)["ValueEquation"])  # fmt: skip
    assert {x.agent: x.amount for x in plan.shares} == {s.fund: D(6), s.ben: D(54)}


def test_the_product_is_given_found_by_agreement_or_missing(world: World) -> None:
    s = build_shirt(world)
    eq = world.submit(world.keys[s.fund], "value.equation", shirt_equation(s))["ValueEquation"]
    store = world.ledger.store
    agreement = world.create(s.makerspace, "Agreement", name="shirt sale")
    shirt2 = world.event(s.makerspace, {"name": "shirt 2"}, action="produce",
                         provider=s.makerspace, receiver=s.makerspace, outputOf=s.sew,
                         resourceConformsTo=s.shirt_spec,
                         resourceQuantity=qty(1, ONE))["EconomicResource"]  # fmt: skip
    world.event(s.makerspace, action="transfer", provider=s.makerspace, receiver=s.buyer,
                resourceInventoriedAs=shirt2, resourceQuantity=qty(1, ONE),
                realizationOf=agreement)  # fmt: skip
    income = pay(world, s.buyer, s.makerspace, s.wallet, "30",
                 realizationOf=agreement)["EconomicEvent"]  # fmt: skip
    assert plan_distribution(store, income, eq).product == shirt2
    loose = pay(world, s.buyer, s.makerspace, s.wallet, "30")["EconomicEvent"]
    with pytest.raises(RuleViolation) as err:
        plan_distribution(store, loose, eq)
    assert err.value.rule == "income-product"
    # Two shirts came out of the sewing now: each carries half of it.
    plan = plan_distribution(store, loose, eq, product=s.shirt)
    assert sum(c.value for c in plan.contributions) == D(67)


def test_an_income_must_be_a_payment_in_the_equation_currency(world: World) -> None:
    s = build_shirt(world)
    eq = world.submit(world.keys[s.fund], "value.equation", shirt_equation(s))["ValueEquation"]
    store = world.ledger.store
    with pytest.raises(RuleViolation) as err:
        plan_distribution(store, s.sew_work, eq)
    assert err.value.rule == "income-is-transfer"
    usd = world.submit(world.keys[s.fund], "value.equation",
                       shirt_equation(s, currency="iso4217:USD"))["ValueEquation"]  # fmt: skip
    with pytest.raises(UnitError) as unit:
        plan_distribution(store, s.income, usd)
    assert unit.value.rule == "same-currency"
    assert EUR in unit.value.message


def _ev(eid: str, action: str, who: str, **f: object) -> Ev:
    fields: dict[str, object] = dict.fromkeys(Ev.__dataclass_fields__)
    fields.update(id=eid, action=action, provider=who, receiver=who, **f)
    return Ev(**fields)  # type: ignore[arg-type]


def test_a_material_recycled_through_thousands_of_processes_is_walked_without_recursion() -> None:
    """Pure: 3000 processes, each working 1 h on the previous batch; no recursion limit hit."""
    n = 3000
    events: dict[str, Ev] = {}
    resources = {f"r{i}": Res(f"r{i}", "spec", "om2:kilogram", "maker") for i in range(n + 1)}
    kg = {"quantity": D(1), "unit": "om2:kilogram"}
    events["raise"] = _ev("raise", "raise", "maker", res="r0", **kg)
    for i in range(1, n + 1):
        p = f"p{i}"
        events[f"w{i}"] = _ev(f"w{i}", "work", "worker", input_of=p, effort=D(1),
                              effort_unit=HOUR)  # fmt: skip
        events[f"c{i}"] = _ev(f"c{i}", "consume", "maker", input_of=p, res=f"r{i - 1}", **kg)
        events[f"o{i}"] = _ev(f"o{i}", "produce", "maker", output_of=p, res=f"r{i}",
                              conforms_to="spec", **kg)  # fmt: skip
    eq = parse_equation({"name": "e", "currency": EUR, "rates": {"work": {"*": "20"}},
                         "buckets": [{"name": "all", "percent": "100",
                                      "pays": {"contributions": {}}}]})  # fmt: skip
    found = contributions_to(Facts(events, resources, {}), f"r{n}", eq)
    assert len(found) == n
    assert sum(c.value for c in found) == 20 * n
    assert len(found[-1].via) == n - 1  # the deepest knows the way back to the product


def test_a_batch_split_and_recombined_many_times_is_valued_once_per_process() -> None:
    """Pure: 200 levels of split-and-recombine are 2^200 paths; each process counts once."""
    n = 200
    events: dict[str, Ev] = {}
    resources: dict[str, Res] = {}
    kg = {"unit": "om2:kilogram"}
    for i in range(n + 1):
        resources[f"x{i}"] = Res(f"x{i}", "spec", "om2:kilogram", "maker")
    events["raise"] = _ev("raise", "raise", "maker", res="x0", quantity=D(2), **kg)
    for i in range(1, n + 1):
        p = f"p{i}"
        events[f"w{i}"] = _ev(f"w{i}", "work", "worker", input_of=p, effort=D(1),
                              effort_unit=HOUR)  # fmt: skip
        for half in ("l", "r"):
            rid = f"{half}{i}"
            resources[rid] = Res(rid, "spec", "om2:kilogram", "maker")
            events[f"t{half}{i}"] = _ev(f"t{half}{i}", "transfer", "maker", res=f"x{i - 1}",
                                        to=rid, quantity=D(1), **kg)  # fmt: skip
            events[f"c{half}{i}"] = _ev(f"c{half}{i}", "consume", "maker", input_of=p,
                                        res=rid, quantity=D(1), **kg)  # fmt: skip
        events[f"o{i}"] = _ev(f"o{i}", "produce", "maker", output_of=p, res=f"x{i}",
                              conforms_to="spec", quantity=D(2), **kg)  # fmt: skip
    eq = parse_equation({"name": "e", "currency": EUR, "rates": {"work": {"*": "20"}},
                         "buckets": [{"name": "all", "percent": "100",
                                      "pays": {"contributions": {}}}]})  # fmt: skip
    found = contributions_to(Facts(events, resources, {}), f"x{n}", eq)
    assert len(found) == n
    assert sum(c.value for c in found) == 20 * n


def test_services_and_plans(world: World) -> None:
    s = build_shirt(world)
    cleaner = world.agent("Cleaner")
    cleaning = world.spec(cleaner, "cleaning")
    world.event(cleaner, action="deliverService", provider=cleaner, receiver=s.makerspace,
                inputOf=s.sew, resourceConformsTo=cleaning,
                resourceQuantity=qty(1, HOUR))  # fmt: skip
    plan = world.create(s.makerspace, "Plan", name="summer shirts")
    other = world.create(s.makerspace, "Plan", name="winter shirts")
    world.submit(world.keys[s.makerspace], "vf.update",
                 {"id": s.sew, "data": {"plannedWithin": plan}})  # fmt: skip
    rates = {"work": {"*": "20"}, "deliverService": {cleaning: "10"}}
    eq = shirt_equation(s, rates=rates)
    eq["buckets"][1]["pays"]["contributions"] = {"kinds": ["deliverService"], "plan": plan}
    got = plan_distribution(world.ledger.store, s.income, world.submit(
        world.keys[s.fund], "value.equation", eq)["ValueEquation"])  # fmt: skip
    assert {x.agent: x.amount for x in got.shares} == {s.fund: D(6), cleaner: D(54)}
    [service] = [c for c in got.contributions if c.kind == "deliverService"]
    assert (service.value, service.plan, service.process) == (D(10), plan, s.sew)
    eq["name"] = "winter"
    eq["buckets"][1]["pays"]["contributions"]["plan"] = other
    with pytest.raises(RuleViolation):
        plan_distribution(world.ledger.store, s.income, world.submit(
            world.keys[s.fund], "value.equation", eq)["ValueEquation"])  # fmt: skip
