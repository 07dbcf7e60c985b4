"""Food market 2.0 in Cluj-Napoca: market surplus redistributed, the rest composted, compost back
to an urban farm.

At closing time market vendors hand their unsold produce to a food bank. The food bank sorts it:
what is good goes to families, what is not goes to a compost hub. The compost goes to an urban
farm, whose vegetables come back to the market and are sold; the sale's income is shared by a value
equation. The headline question: how many kg of surplus were redistributed, and how many composted?
"""

from __future__ import annotations

from reflow.node import Node
from reflow.scenarios.builder import EUR, Loaded, Progress, Scenario, cls, q, wd

NAME = "food"
CITY = "Cluj-Napoca"
FOOD, VEGETABLE, FRUIT = wd("Q2095"), wd("Q11004"), wd("Q1364")
FOOD_WASTE, COMPOST = cls("food-waste"), cls("compost")


PASSPORT = "urban-farm greens back at the market"  # what the demo's passport link shows
TERRITORY = "Cluj-Napoca"
DISTRICTS = [  # (id, name, (west, south, east, north))
    ("CLJ-C", "Centru", ("23.57", "46.76", "23.60", "46.78")),
    ("CLJ-M", "Mărăști", ("23.60", "46.77", "23.62", "46.79")),
    ("CLJ-S", "Someșeni", ("23.62", "46.78", "23.66", "46.80")),
    ("CLJ-G", "Grigorescu", ("23.52", "46.76", "23.57", "46.78")),
    ("CLJ-H", "Gheorgheni", ("23.58", "46.74", "23.63", "46.76")),
]


def load(node: Node, *, seed: int = 0, progress: Progress | None = None) -> Loaded:
    s = Scenario(node, NAME, seed=seed, start="2026-03-02T17:00:00Z", progress=progress)
    s.agent("vendor", "Organization", "Producătorii din Piața Mihai Viteazu")
    s.agent("bank", "Organization", "Banca de Alimente Cluj")
    s.agent("compost", "Organization", "Compost Urban Cluj")
    s.agent("farm", "Organization", "Ferma Urbană Someș")
    s.agent("ioana", "Person", "Ioana Pop")
    s.agent("family", "Person", "Familia Moldovan")
    s.agent("fund", "Organization", "Fondul Pieței Cluj")

    s.place("vendor", "market", "Piața Mihai Viteazu", "46.7712", "23.5930", "Centru, Cluj-Napoca")
    s.place("bank", "depot", "Food bank depot", "46.7800", "23.6100", "Mărăști, Cluj-Napoca")
    s.place("compost", "hub", "Compost hub", "46.7900", "23.6300", "Someșeni, Cluj-Napoca")
    s.place("farm", "fields", "Urban farm", "46.7650", "23.5500", "Grigorescu, Cluj-Napoca")
    s.place("family", "home", "Moldovan family", "46.7560", "23.5950", "Gheorgheni, Cluj-Napoca")

    s.spec("vendor", "surplus", "Unsold fresh produce", [FOOD, VEGETABLE, FRUIT])
    s.spec("bank", "edible", "Edible produce for redistribution", [FOOD, VEGETABLE, FRUIT])
    s.spec("bank", "waste", "Food waste", [FOOD_WASTE])
    s.spec("compost", "compost", "Compost", [COMPOST])
    s.spec("farm", "veg", "Urban farm vegetables", [FOOD, VEGETABLE])
    s.spec("vendor", "euro", "Euro", [wd("Q4916")], EUR, mediumOfExchange=True)
    for role, key, name in (
        ("vendor", "gathering", "Closing-time gathering"),
        ("bank", "sorting", "Food sorting"),
        ("compost", "composting", "Composting"),
        ("farm", "growing", "Growing"),
    ):
        s.pspec(role, key, name)

    s.offer("bank", "offer_food", "Fresh produce for families", "edible", q("100"), "depot")
    s.offer(
        "farm",
        "request_compost",
        "Compost wanted",
        "compost",
        q("200"),
        "fields",
        purpose="request",
    )
    s.recipe(
        "compost",
        "recipe",
        {
            "recipe": {"name": "compost from food waste", "primaryOutput": s.ids["compost"]},
            "processes": [{"key": "rot", "name": "compost", "hasDuration": q(3, "om2:day")}],
            "flows": [
                {
                    "action": "consume",
                    "recipeInputOf": "rot",
                    "resourceConformsTo": s.ids["waste"],
                    "resourceQuantity": q("2"),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "rot",
                    "resourceConformsTo": s.ids["compost"],
                    "resourceQuantity": q("1"),
                },
            ],
        },
    )
    s.plan("compost", "plan", "compost", q("100"), 14, "hub", "compost for the spring beds")

    # 1. Closing time: vendors gather the surplus and give it to the food bank.
    s.process("vendor", "gather", "Closing time, Monday", "gathering", "market")
    s.work("vendor", "gather", "1")
    s.produce(
        "vendor",
        "unsold",
        "gather",
        "surplus",
        q("300"),
        "market",
        "Monday's surplus",
        trackingIdentifier="PMV-0302",
    )
    s.finish("vendor", "gather")
    s.transfer("vendor", "bank", "unsold", q("300"), "bank_lot", "depot")

    # 2. The food bank sorts: edible food to families, the rest to compost.
    s.day(3, 8)
    s.process("bank", "sort", "Sorting, Tuesday", "sorting", "depot")
    s.consume("bank", "sort", "bank_lot", q("300"))
    s.work("ioana", "sort", "4")
    s.produce("bank", "good", "sort", "edible", q("210"), "depot", "Edible produce, Tuesday")
    s.produce("bank", "unfit", "sort", "waste", q("90"), "depot", "Unfit produce, Tuesday")
    s.finish("bank", "sort")
    s.transfer("bank", "family", "good", q("60"), "family_food", "home")
    s.transfer("bank", "vendor", "good", q("150"), "canteen_food", "market")  # a social canteen
    s.transfer("bank", "compost", "unfit", q("90"), "hub_waste", "hub")

    # 3. Composting, then the compost goes to the urban farm.
    s.process("compost", "rot", "Compost pile 3", "composting", "hub")
    s.consume("compost", "rot", "hub_waste", q("90"))
    s.work("compost", "rot", "2")
    s.day(20)
    s.produce(
        "compost",
        "pile",
        "rot",
        "compost",
        q("45"),
        "hub",
        "Compost pile 3",
        trackingIdentifier="CUC-P3",
    )
    s.finish("compost", "rot")
    s.accept("compost", "agreement", "request_compost", q("45"))
    s.transfer("compost", "farm", "pile", q("45"), "farm_compost", "fields")

    # 4. The farm grows vegetables with it and sells them at the market.
    s.day(21)
    s.process("farm", "grow", "Spring greens", "growing", "fields")
    s.consume("farm", "grow", "farm_compost", q("45"))
    s.work("farm", "grow", "12")
    s.day(28)
    s.produce(
        "farm",
        "greens",
        "grow",
        "veg",
        q("200"),
        "fields",
        "Spring greens",
        trackingIdentifier="FUS-G1",
    )
    s.finish("farm", "grow")
    s.transfer("farm", "vendor", "greens", q("60"), "stall_greens", "market")
    s.stock("vendor", "till", "euro", q("500", EUR), "market", "Market till")
    s.ids["income"] = s.event(
        "vendor",
        "transfer",
        receiver="farm",
        resourceInventoriedAs="till",
        resourceQuantity=q("90", EUR),
        triggeredBy=s.ids["stall_greens_event"],
    )["EconomicEvent"]
    s.share_income(
        "farm",
        "shared",
        "income",
        {
            "name": "Market loop equation",
            "scope": "network",
            "currency": EUR,
            "buckets": [
                {
                    "name": "market fund",
                    "percent": "10",
                    "of": "total",
                    "pays": {"fixed": [{"agent": s.a("fund"), "share": "1"}]},
                },
                {
                    "name": "contributors",
                    "percent": "100",
                    "of": "remainder",
                    "pays": {"contributions": {"kinds": ["work", "resource"]}},
                },
            ],
            "rates": {"work": {"*": "8"}, "resource": {s.ids["compost"]: "0.2"}},
        },
    )

    s.territory("bank", TERRITORY, DISTRICTS)
    return s.close("farm", "stall_greens")
