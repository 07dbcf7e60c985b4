"""Water works in Berlin: rainwater harvested, greywater treated and reused for irrigation.

A housing cooperative in Moabit harvests rainwater from its roofs and collects greywater from its
showers. A small treatment plant cleans the greywater; neighbours in a community garden irrigate
their beds with the treated water and the rainwater, and the vegetables they grow are washed,
packed and sold to a neighbour, whose payment is shared by a value equation. The headline
question: how many litres of water were reused this month?
"""

from __future__ import annotations

from reflow.node import Node
from reflow.scenarios.builder import EUR, KG, LITRE, ONE, Loaded, Progress, Scenario, cls, q, wd

NAME = "water"
CITY = "Berlin"
WATER, VEGETABLE = wd("Q283"), wd("Q11004")


PASSPORT = "Aylin's vegetable box"  # what the demo's passport link shows
TERRITORY = "Berlin"
DISTRICTS = [  # (id, name, (west, south, east, north))
    ("BER-MI", "Mitte", ("13.36", "52.50", "13.42", "52.54")),
    ("BER-MO", "Moabit", ("13.31", "52.52", "13.36", "52.54")),
    ("BER-KR", "Kreuzberg", ("13.36", "52.48", "13.45", "52.50")),
]


def load(node: Node, *, seed: int = 0, progress: Progress | None = None) -> Loaded:
    s = Scenario(node, NAME, seed=seed, start="2026-03-02T07:00:00Z", progress=progress)
    s.agent("coop", "Organization", "Wohnungsgenossenschaft Moabit")
    s.agent("plant", "Organization", "Grauwasserwerkstatt Moabit")
    s.agent("garden", "Organization", "Gemeinschaftsgarten Kreuzberg")
    s.agent("jonas", "Person", "Jonas Weber")
    s.agent("aylin", "Person", "Aylin Demir")
    s.agent("fund", "Organization", "Wasserfonds Berlin")

    s.place(
        "coop", "roofs", "Cooperative roofs and cistern", "52.5300", "13.3420", "Moabit, Berlin"
    )
    s.place("plant", "works", "Greywater treatment plant", "52.5265", "13.3480", "Moabit, Berlin")
    s.place("garden", "beds", "Community garden beds", "52.4990", "13.4100", "Kreuzberg, Berlin")
    s.place("aylin", "home", "Aylin's kitchen", "52.5010", "13.4180", "Kreuzberg, Berlin")

    s.spec("coop", "rain", "Harvested rainwater", [WATER, cls("rainwater")], LITRE)
    s.spec("coop", "grey", "Greywater", [WATER, cls("greywater")], LITRE)
    s.spec(
        "plant",
        "treated",
        "Treated greywater for irrigation",
        [WATER, cls("reclaimed-water")],
        LITRE,
    )
    s.spec("garden", "veg", "Garden vegetables", [VEGETABLE], KG)
    s.spec("garden", "box", "Vegetable box", [VEGETABLE], ONE, massPerUnit=q("4"))
    s.spec("aylin", "euro", "Euro", [wd("Q4916")], EUR, mediumOfExchange=True)
    for role, key, name in (
        ("coop", "harvesting", "Rainwater harvesting"),
        ("coop", "collecting", "Greywater collection"),
        ("plant", "treating", "Greywater treatment"),
        ("garden", "growing", "Irrigated growing"),
        ("garden", "packing", "Washing and packing"),
    ):
        s.pspec(role, key, name)

    s.offer(
        "plant", "offer_water", "Treated water for irrigation", "treated", q("4000", LITRE), "works"
    )
    s.offer(
        "garden",
        "request_water",
        "Irrigation water wanted",
        "treated",
        q("6000", LITRE),
        "beds",
        purpose="request",
    )
    s.recipe(
        "plant",
        "recipe",
        {
            "recipe": {
                "name": "irrigation water from greywater",
                "primaryOutput": s.ids["treated"],
            },
            "processes": [
                {"key": "treat", "name": "treat greywater", "hasDuration": q(1, "om2:day")}
            ],
            "flows": [
                {
                    "action": "consume",
                    "recipeInputOf": "treat",
                    "resourceConformsTo": s.ids["grey"],
                    "resourceQuantity": q("10", LITRE),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "treat",
                    "resourceConformsTo": s.ids["treated"],
                    "resourceQuantity": q("9", LITRE),
                },
            ],
        },
    )
    s.plan("plant", "plan", "treated", q("9000", LITRE), 7, "works", "irrigation water for April")

    # 1. Rain and greywater are gathered at the cooperative.
    s.process("coop", "harvest", "Rainwater harvest, March", "harvesting", "roofs")
    s.work("coop", "harvest", "1")
    s.produce(
        "coop",
        "rainwater",
        "harvest",
        "rain",
        q("12000", LITRE),
        "roofs",
        "Cistern, March",
        trackingIdentifier="WGM-RAIN-03",
    )
    s.finish("coop", "harvest")
    s.process("coop", "collect", "Greywater collection, week 10", "collecting", "roofs")
    s.work("coop", "collect", "2")
    s.produce(
        "coop",
        "greywater",
        "collect",
        "grey",
        q("8000", LITRE),
        "roofs",
        "Greywater tank, week 10",
        trackingIdentifier="WGM-GREY-10",
    )
    s.finish("coop", "collect")

    # 2. The plant treats the greywater.
    s.day(3)
    s.transfer("coop", "plant", "greywater", q("8000", LITRE), "plant_grey", "works")
    s.process("plant", "treat", "Treatment run 10", "treating", "works")
    s.consume("plant", "treat", "plant_grey", q("8000", LITRE))
    s.work("plant", "treat", "3")
    s.produce(
        "plant",
        "clean",
        "treat",
        "treated",
        q("7200", LITRE),
        "works",
        "Treated water, run 10",
        trackingIdentifier="GWM-T10",
    )
    s.finish("plant", "treat")

    # 3. The garden receives treated water and rainwater, and grows vegetables with them.
    s.day(4)
    s.transfer("plant", "garden", "clean", q("3000", LITRE), "garden_treated", "beds")
    s.transfer("coop", "garden", "rainwater", q("4000", LITRE), "garden_rain", "beds")
    s.process("garden", "grow", "Spring beds", "growing", "beds")
    s.consume("garden", "grow", "garden_treated", q("3000", LITRE))
    s.consume("garden", "grow", "garden_rain", q("4000", LITRE))
    s.work("jonas", "grow", "10")
    s.day(20)
    s.produce("garden", "harvest_veg", "grow", "veg", q("150"), "beds", "Spring vegetables")
    s.finish("garden", "grow")

    # 4. Washed and packed into boxes; Aylin buys one for 18 EUR.
    s.process("garden", "pack", "Packing, week 12", "packing", "beds")
    s.consume("garden", "pack", "harvest_veg", q("120"))
    s.work("jonas", "pack", "3")
    s.produce(
        "garden",
        "boxes",
        "pack",
        "box",
        q(30, ONE),
        "beds",
        "Vegetable boxes, week 12",
        trackingIdentifier="GGK-BOX-12",
    )
    s.finish("garden", "pack")
    s.day(21)
    s.transfer("garden", "aylin", "boxes", q(1, ONE), "aylin_box", "home")
    s.stock("aylin", "wallet", "euro", q("100", EUR), "home", "Aylin's wallet")
    s.ids["income"] = s.event(
        "aylin",
        "transfer",
        receiver="garden",
        resourceInventoriedAs="wallet",
        resourceQuantity=q("18", EUR),
        triggeredBy=s.ids["aylin_box_event"],
    )["EconomicEvent"]
    s.share_income(
        "garden",
        "shared",
        "income",
        {
            "name": "Garden box equation",
            "scope": "network",
            "currency": EUR,
            "buckets": [
                {
                    "name": "water fund",
                    "percent": "5",
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
            "rates": {
                "work": {"*": "15"},
                "resource": {s.ids["treated"]: "0.002", s.ids["rain"]: "0.001"},
            },
        },
    )

    s.territory("coop", TERRITORY, DISTRICTS)
    return s.close("garden", "aylin_box")


# Litres reused: water consumed by the growing processes (treated greywater and rainwater).
REUSE_PROCESSES = ("grow",)
