"""Textile (life)cycling in Amsterdam: garments collected, sorted, repaired or shredded into
insulation; hospital gowns cleaned and reused.

A collection round gathers 400 kg of used garments. A sorting workshop buys 300 kg and sorts
them: wearable garments go to a tailor who repairs them, the rest is shredded into fibre and
pressed into insulation panels. The repaired garments are steam-cleaned at a second-hand shop and
sold; the shop's income is shared by a value equation among those who worked on them. A laundry
cleans the hospital's gowns so they are worn again. The headline question: how many kg of
garments were kept from waste this month (repaired or turned into insulation)?
"""

from __future__ import annotations

from reflow.node import Node
from reflow.scenarios.builder import EUR, KG, ONE, Loaded, Progress, Scenario, cls, q, wd

NAME = "textile"
CITY = "Amsterdam"
COTTON, CLOTHING, TEXTILE = wd("Q11457"), wd("Q11460"), wd("Q28823")
INSULATION = cls("thermal-insulation")
KEPT_FROM_WASTE = ("repair", "shred")  # the processes whose outputs count as kept from waste


PASSPORT = "repaired garments bought by Sanne"  # what the demo's passport link shows
TERRITORY = "Amsterdam"
DISTRICTS = [  # (id, name, (west, south, east, north))
    ("AMS-W", "West", ("4.75", "52.33", "4.87", "52.42")),
    ("AMS-N", "Noord", ("4.87", "52.37", "5.00", "52.42")),
    ("AMS-C", "Centrum", ("4.87", "52.35", "4.91", "52.37")),
    ("AMS-O", "Oost", ("4.91", "52.33", "5.00", "52.37")),
    ("AMS-Z", "Zuid", ("4.80", "52.30", "4.91", "52.35")),
]


def load(node: Node, *, seed: int = 0, progress: Progress | None = None) -> Loaded:
    s = Scenario(node, NAME, seed=seed, start="2026-03-02T08:00:00Z", progress=progress)
    s.agent("collector", "Organization", "Textielinzameling Amsterdam")
    s.agent("sorter", "Organization", "Sorteerwerkplaats Noord")
    s.agent("tailor", "Person", "Mira de Vries (tailor)")
    s.agent("insulator", "Organization", "Isolatiewerkplaats Westpoort")
    s.agent("shop", "Organization", "Kringloopwinkel Oost")
    s.agent("hospital", "Organization", "Ziekenhuis Oost")
    s.agent("laundry", "Organization", "Wasserij Zuid")
    s.agent("resident", "Person", "Sanne Bakker")
    s.agent("fund", "Organization", "Circulair Fonds Amsterdam")

    s.place("collector", "depot", "Collection depot", "52.3961", "4.8283", "Westpoort, Amsterdam")
    s.place(
        "sorter", "workshop", "Sorting workshop", "52.3906", "4.9232", "Buiksloterham, Amsterdam"
    )
    s.place("tailor", "studio", "Tailor's studio", "52.3745", "4.8810", "Jordaan, Amsterdam")
    s.place(
        "insulator", "plant", "Insulation workshop", "52.3890", "4.8420", "Westpoort, Amsterdam"
    )
    s.place("shop", "shop", "Second-hand shop", "52.3600", "4.9260", "Oost, Amsterdam")
    s.place("hospital", "ward", "Hospital linen room", "52.3590", "4.9160", "Oosterpark, Amsterdam")
    s.place("laundry", "laundry", "Laundry", "52.3380", "4.8900", "Zuid, Amsterdam")

    s.spec("collector", "garments", "Used cotton garments", [COTTON, CLOTHING])
    s.spec("sorter", "wearable", "Wearable garments", [CLOTHING])
    s.spec("sorter", "scraps", "Textile for shredding", [TEXTILE])
    s.spec("tailor", "repaired", "Repaired garments", [CLOTHING])
    s.spec("insulator", "fibre", "Textile fibre", [TEXTILE])
    s.spec(
        "insulator",
        "panel",
        "Textile insulation panel",
        [TEXTILE, INSULATION],
        ONE,
        massPerUnit=q("5"),
    )
    s.spec(
        "hospital", "gown", "Cotton hospital gown", [COTTON, CLOTHING], ONE, massPerUnit=q("0.4")
    )
    s.spec("shop", "euro", "Euro", [wd("Q4916")], EUR, mediumOfExchange=True)
    for role, key, name in (
        ("collector", "collecting", "Collecting"),
        ("sorter", "sorting", "Sorting"),
        ("tailor", "repairing", "Repair"),
        ("insulator", "shredding", "Shredding"),
        ("insulator", "pressing", "Pressing"),
        ("shop", "cleaning", "Steam cleaning"),
        ("laundry", "laundering", "Laundering"),
    ):
        s.pspec(role, key, name)

    # Offers and requests on the market.
    s.offer("tailor", "offer_repair", "Garment repair", "repaired", q("50"), "studio")
    s.offer(
        "insulator",
        "request_scraps",
        "Textile wanted for insulation",
        "scraps",
        q("500"),
        "plant",
        purpose="request",
    )

    # A recipe for panels and a plan for 20 of them (the planning service reads the recipe).
    s.recipe(
        "insulator",
        "recipe",
        {
            "recipe": {"name": "insulation panels from textile", "primaryOutput": s.ids["panel"]},
            "processes": [
                {"key": "shred", "name": "shred textile", "hasDuration": q(1, "om2:day")},
                {"key": "press", "name": "press panels", "hasDuration": q(1, "om2:day")},
            ],
            "flows": [
                {
                    "action": "consume",
                    "recipeInputOf": "shred",
                    "resourceConformsTo": s.ids["scraps"],
                    "resourceQuantity": q("1.1"),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "shred",
                    "resourceConformsTo": s.ids["fibre"],
                    "resourceQuantity": q("1"),
                },
                {
                    "action": "consume",
                    "recipeInputOf": "press",
                    "resourceConformsTo": s.ids["fibre"],
                    "resourceQuantity": q("5"),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "press",
                    "resourceConformsTo": s.ids["panel"],
                    "resourceQuantity": q(1, ONE),
                },
            ],
        },
    )
    s.plan("insulator", "plan", "panel", q(20, ONE), 10, "plant", "20 panels for a school roof")

    # 1. Collection round, then the sorter buys 300 kg.
    s.process("collector", "collect", "Collection round week 10", "collecting", "depot")
    s.work("collector", "collect", "6")
    s.produce(
        "collector",
        "bulk",
        "collect",
        "garments",
        q("400"),
        "depot",
        "Collected garments, week 10",
        trackingIdentifier="TIA-2026-W10",
    )
    s.finish("collector", "collect")
    s.day(3)
    s.transfer("collector", "sorter", "bulk", q("300"), "to_sort", "workshop")

    # 2. Sorting: wearable garments and textile for shredding.
    s.process("sorter", "sort", "Sorting batch 10", "sorting", "workshop")
    s.consume("sorter", "sort", "to_sort", q("300"))
    s.work("sorter", "sort", "8")
    s.produce(
        "sorter",
        "wearable_lot",
        "sort",
        "wearable",
        q("120"),
        "workshop",
        "Wearable garments, batch 10",
        trackingIdentifier="SWN-B10-W",
    )
    s.produce(
        "sorter",
        "scraps_lot",
        "sort",
        "scraps",
        q("180"),
        "workshop",
        "Textile for shredding, batch 10",
        trackingIdentifier="SWN-B10-S",
    )
    s.finish("sorter", "sort")

    # 3. Repair: 40 kg to the tailor, repaired, sold on to the shop.
    s.day(5)
    s.transfer("sorter", "tailor", "wearable_lot", q("40"), "tailor_lot", "studio")
    s.process("tailor", "repair", "Repairs, week 10", "repairing", "studio")
    s.consume("tailor", "repair", "tailor_lot", q("40"))
    s.work("tailor", "repair", "12")
    s.produce(
        "tailor",
        "repaired_lot",
        "repair",
        "repaired",
        q("38"),
        "studio",
        "Repaired garments, week 10",
        trackingIdentifier="MDV-W10",
    )
    s.finish("tailor", "repair")
    s.day(6)
    s.transfer("tailor", "shop", "repaired_lot", q("38"), "shop_lot", "shop")

    # 4. The shop steam-cleans them and sells 5 kg to a resident, who pays 60 EUR.
    s.process("shop", "clean", "Steam cleaning, week 10", "cleaning", "shop")
    s.consume("shop", "clean", "shop_lot", q("38"))
    s.work("shop", "clean", "2")
    s.produce(
        "shop",
        "ready",
        "clean",
        "repaired",
        q("38"),
        "shop",
        "Ready-to-wear garments, week 10",
        trackingIdentifier="KWO-W10",
    )
    s.finish("shop", "clean")
    s.day(9)
    s.transfer("shop", "resident", "ready", q("5"), "bought", "shop")
    s.stock("resident", "wallet", "euro", q("200", EUR), "shop", "Sanne's wallet")
    s.ids["income"] = _pay(s)
    s.share_income(
        "shop",
        "shared",
        "income",
        {
            "name": "Second-hand sale equation",
            "scope": "network",
            "currency": EUR,
            "buckets": [
                {
                    "name": "circular fund",
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
            "rates": {"work": {"*": "20"}, "resource": {s.ids["garments"]: "0.5"}},
        },
    )

    # 5. Shredding and pressing into insulation panels.
    s.day(10)
    s.accept("sorter", "agreement", "request_scraps", q("180"))
    s.transfer("sorter", "insulator", "scraps_lot", q("180"), "plant_scraps", "plant")
    s.process("insulator", "shred", "Shredding batch 10", "shredding", "plant")
    s.consume("insulator", "shred", "plant_scraps", q("180"))
    s.work("insulator", "shred", "4")
    s.produce(
        "insulator", "fibre_lot", "shred", "fibre", q("165"), "plant", "Textile fibre, batch 10"
    )
    s.finish("insulator", "shred")
    s.day(11)
    s.process("insulator", "press", "Pressing batch 10", "pressing", "plant")
    s.consume("insulator", "press", "fibre_lot", q("160"))
    s.work("insulator", "press", "5")
    s.produce(
        "insulator",
        "panels",
        "press",
        "panel",
        q(32, ONE),
        "plant",
        "Insulation panels, batch 10",
        trackingIdentifier="IWW-P10",
    )
    s.finish("insulator", "press")

    # 6. Gowns: the laundry takes 50 soiled gowns, cleans them, gives them back to be worn again.
    s.day(12)
    s.stock(
        "hospital",
        "gowns",
        "gown",
        q(50, ONE),
        "ward",
        "Surgical gowns, ward 3",
        trackingIdentifier="ZO-GOWNS-3",
    )
    s.process("laundry", "launder", "Gown laundering, week 11", "laundering", "laundry")
    s.event(
        "hospital",
        "accept",
        receiver="laundry",
        inputOf="launder",
        resourceInventoriedAs="gowns",
        resourceQuantity=q(50, ONE),
        toLocation="laundry",
    )
    s.work("laundry", "launder", "3")
    s.event(
        "laundry",
        "modify",
        receiver="hospital",
        outputOf="launder",
        resourceInventoriedAs="gowns",
        resourceQuantity=q(50, ONE),
        toLocation="ward",
        state="clean",
    )
    s.finish("laundry", "launder")

    s.territory("collector", TERRITORY, DISTRICTS)
    return s.close("shop", "bought")


def _pay(s: Scenario) -> str:
    """The resident pays the shop for the garments (the income the equation shares)."""
    return s.event(
        "resident",
        "transfer",
        receiver="shop",
        resourceInventoriedAs="wallet",
        resourceQuantity=q("60", EUR),
        triggeredBy=s.ids["bought_event"],
    )["EconomicEvent"]


__all__ = ["CITY", "KEPT_FROM_WASTE", "KG", "NAME", "load"]
