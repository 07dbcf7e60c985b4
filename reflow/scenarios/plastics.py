"""Circular plastics in Paris: plastic waste collected at events, shredded, extruded into
filament and printed into products.

A festival collects the plastic cups and bottles its visitors leave; a collective washes and
shreds them into flakes; a fab lab extrudes the flakes into 3D-printing filament and prints plant
pots from a designer's open design; a concept store sells them, and the income is shared by a
value equation. The headline question: how many kg of waste were turned into filament?
"""

from __future__ import annotations

from reflow.node import Node
from reflow.scenarios.builder import EUR, KG, ONE, Loaded, Progress, Scenario, cls, q, wd

NAME = "plastics"
CITY = "Paris"
PLASTIC, WASTE = wd("Q11474"), wd("Q45701")
FLAKES, FILAMENT = cls("plastic-flakes"), cls("3d-printing-filament")
PRINTED, DESIGN = cls("3d-printed-product"), cls("open-design")


PASSPORT = "Hugo's printed plant pots"  # what the demo's passport link shows
TERRITORY = "Paris nord-est"
DISTRICTS = [  # (id, name, (west, south, east, north))
    ("PAR-10", "10e arrondissement", ("2.34", "48.86", "2.37", "48.885")),
    ("PAR-19", "19e arrondissement", ("2.37", "48.875", "2.41", "48.905")),
    ("PAR-20", "20e arrondissement", ("2.37", "48.845", "2.42", "48.875")),
]


def load(node: Node, *, seed: int = 0, progress: Progress | None = None) -> Loaded:
    s = Scenario(node, NAME, seed=seed, start="2026-03-07T22:00:00Z", progress=progress)
    s.agent("festival", "Organization", "Festival Canal Saint-Martin")
    s.agent("collective", "Organization", "Collectif Plastique Paris Nord")
    s.agent("fablab", "Organization", "Fab Lab La Villette")
    s.agent("designer", "Person", "Léa Martin (designer)")
    s.agent("store", "Organization", "Boutique Circulaire Belleville")
    s.agent("customer", "Person", "Hugo Bernard")
    s.agent("fund", "Organization", "Fonds Plastique Circulaire")

    s.place(
        "festival", "quay", "Festival grounds", "48.8720", "2.3650", "Canal Saint-Martin, Paris"
    )
    s.place("collective", "atelier", "Shredding atelier", "48.8900", "2.3700", "Paris 19e")
    s.place("fablab", "lab", "Fab lab", "48.8940", "2.3880", "La Villette, Paris")
    s.place("store", "boutique", "Concept store", "48.8710", "2.3850", "Belleville, Paris")

    s.spec("festival", "waste", "Mixed plastic cups and bottles", [PLASTIC, WASTE])
    s.spec("collective", "flakes", "Washed plastic flakes", [PLASTIC, FLAKES])
    s.spec("fablab", "filament", "Recycled filament, 1.75 mm", [PLASTIC, FILAMENT])
    s.spec("fablab", "pot", "Printed plant pot", [PLASTIC, PRINTED], ONE, massPerUnit=q("0.25"))
    s.spec("designer", "design", "Plant pot design (open)", [DESIGN], ONE)
    s.spec("store", "euro", "Euro", [wd("Q4916")], EUR, mediumOfExchange=True)
    for role, key, name in (
        ("festival", "collecting", "Event collection"),
        ("collective", "shredding", "Washing and shredding"),
        ("fablab", "extruding", "Extrusion"),
        ("fablab", "printing", "Printing"),
        ("designer", "designing", "Design"),
    ):
        s.pspec(role, key, name)

    s.offer("fablab", "offer_filament", "Recycled filament", "filament", q("20"), "lab")
    s.offer(
        "collective",
        "request_waste",
        "Event plastic wanted",
        "waste",
        q("300"),
        "atelier",
        purpose="request",
    )
    s.recipe(
        "fablab",
        "recipe",
        {
            "recipe": {"name": "filament from event plastic", "primaryOutput": s.ids["filament"]},
            "processes": [
                {"key": "shred", "name": "wash and shred", "hasDuration": q(1, "om2:day")},
                {"key": "extrude", "name": "extrude", "hasDuration": q(1, "om2:day")},
            ],
            "flows": [
                {
                    "action": "consume",
                    "recipeInputOf": "shred",
                    "resourceConformsTo": s.ids["waste"],
                    "resourceQuantity": q("1.2"),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "shred",
                    "resourceConformsTo": s.ids["flakes"],
                    "resourceQuantity": q("1"),
                },
                {
                    "action": "consume",
                    "recipeInputOf": "extrude",
                    "resourceConformsTo": s.ids["flakes"],
                    "resourceQuantity": q("1.1"),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "extrude",
                    "resourceConformsTo": s.ids["filament"],
                    "resourceQuantity": q("1"),
                },
            ],
        },
    )
    s.plan("fablab", "plan", "filament", q("50"), 14, "lab", "filament for the school workshop")

    # 0. Léa designs the pot (cited later by the printing).
    s.process("designer", "design_work", "Plant pot design", "designing", "lab")
    s.work("designer", "design_work", "6")
    s.produce(
        "designer", "pot_design", "design_work", "design", q(1, ONE), "lab", "Plant pot design v2"
    )
    s.finish("designer", "design_work")

    # 1. The festival's volunteers collect the plastic left behind.
    s.process("festival", "collect", "Festival night collection", "collecting", "quay")
    s.work("festival", "collect", "5")
    s.produce(
        "festival",
        "sacks",
        "collect",
        "waste",
        q("120"),
        "quay",
        "Festival plastic sacks",
        trackingIdentifier="FCSM-0307",
    )
    s.finish("festival", "collect")

    # 2. Washing and shredding.
    s.day(9)
    s.transfer("festival", "collective", "sacks", q("120"), "atelier_waste", "atelier")
    s.process("collective", "shred", "Shredding batch 9", "shredding", "atelier")
    s.consume("collective", "shred", "atelier_waste", q("120"))
    s.work("collective", "shred", "4")
    s.produce(
        "collective",
        "flake_lot",
        "shred",
        "flakes",
        q("100"),
        "atelier",
        "Flakes, batch 9",
        trackingIdentifier="CPPN-F9",
    )
    s.finish("collective", "shred")

    # 3. Extrusion into filament at the fab lab.
    s.day(11)
    s.transfer("collective", "fablab", "flake_lot", q("100"), "lab_flakes", "lab")
    s.process("fablab", "extrude", "Extrusion run 11", "extruding", "lab")
    s.consume("fablab", "extrude", "lab_flakes", q("100"))
    s.work("fablab", "extrude", "6")
    s.produce(
        "fablab",
        "spools",
        "extrude",
        "filament",
        q("90"),
        "lab",
        "Filament spools, run 11",
        trackingIdentifier="FLV-E11",
    )
    s.finish("fablab", "extrude")

    # 4. Printing pots from Léa's design, then to the store and to Hugo.
    s.day(13)
    s.process("fablab", "print", "Print run 13", "printing", "lab")
    s.consume("fablab", "print", "spools", q("25"))
    s.event(
        "designer",
        "cite",
        receiver="fablab",
        inputOf="print",
        resourceInventoriedAs="pot_design",
        resourceQuantity=q(1, ONE),
    )
    s.work("fablab", "print", "10")
    s.produce(
        "fablab",
        "pots",
        "print",
        "pot",
        q(100, ONE),
        "lab",
        "Plant pots, run 13",
        trackingIdentifier="FLV-P13",
    )
    s.finish("fablab", "print")
    s.day(16)
    s.transfer("fablab", "store", "pots", q(40, ONE), "shelf", "boutique")
    s.day(18)
    s.transfer("store", "customer", "shelf", q(2, ONE), "hugo_pots", "boutique")
    s.stock("customer", "wallet", "euro", q("80", EUR), "boutique", "Hugo's wallet")
    s.ids["income"] = s.event(
        "customer",
        "transfer",
        receiver="store",
        resourceInventoriedAs="wallet",
        resourceQuantity=q("30", EUR),
        triggeredBy=s.ids["hugo_pots_event"],
    )["EconomicEvent"]
    s.share_income(
        "store",
        "shared",
        "income",
        {
            "name": "Printed pot equation",
            "scope": "network",
            "currency": EUR,
            "buckets": [
                {
                    "name": "plastic fund",
                    "percent": "10",
                    "of": "total",
                    "pays": {"fixed": [{"agent": s.a("fund"), "share": "1"}]},
                },
                {
                    "name": "makers",
                    "percent": "100",
                    "of": "remainder",
                    "pays": {"contributions": {"kinds": ["work", "resource", "cite"]}},
                },
            ],
            "rates": {
                "work": {"*": "16"},
                "resource": {s.ids["waste"]: "0.1"},
                "cite": {"*": "20"},
            },
        },
    )

    s.territory("collective", TERRITORY, DISTRICTS)
    return s.close("store", "hugo_pots")


__all__ = ["CITY", "KG", "NAME", "load"]
