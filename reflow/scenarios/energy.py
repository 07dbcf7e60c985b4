"""Energy (PlEnergy) in Vejle: a cooperative's solar panels, the energy shared among members in
kWh, and panels refurbished at the end of their life.

An installer sells 40 panels to an energy cooperative and installs them on a school roof. In March
the panels generate electricity, which the cooperative shares among its members. Four panels are
decommissioned; a refurbisher repairs three of them and recovers the glass of the fourth, and a
member buys a refurbished panel for her allotment shed; the income is shared by a value equation.
The headline question: how many kWh did each member receive?
(Solar panels and recovered glass are classified with descriptive URIs; electricity is Q12725.)
"""

from __future__ import annotations

from reflow.node import Node
from reflow.scenarios.builder import EUR, KG, KWH, ONE, Loaded, Progress, Scenario, cls, q, wd

NAME = "energy"
CITY = "Vejle"
ELECTRICITY = wd("Q12725")
PANEL, GLASS = cls("photovoltaic-module"), cls("recovered-glass")
MEMBERS = ("mette", "lars", "freja")


PASSPORT = "Freja's refurbished solar panel"  # what the demo's passport link shows
TERRITORY = "Vejle"
DISTRICTS = [  # (id, name, (west, south, east, north))
    ("VEJ-N", "Vejle Nord", ("9.50", "55.712", "9.60", "55.74")),
    ("VEJ-C", "Vejle Centrum", ("9.50", "55.702", "9.56", "55.712")),
    ("VEJ-O", "Vejle Øst", ("9.56", "55.69", "9.62", "55.712")),
    ("VEJ-S", "Vejle Syd", ("9.50", "55.68", "9.56", "55.702")),
]


def load(node: Node, *, seed: int = 0, progress: Progress | None = None) -> Loaded:
    s = Scenario(node, NAME, seed=seed, start="2026-03-01T06:00:00Z", progress=progress)
    s.agent("coop", "Organization", "Vejle Solenergi Andelsselskab")
    s.agent("installer", "Organization", "Fjord Solinstallation")
    s.agent("refurb", "Organization", "Solcelle Genbrug Vejle")
    s.agent("mette", "Person", "Mette Jensen")
    s.agent("lars", "Person", "Lars Nielsen")
    s.agent("freja", "Person", "Freja Hansen")
    s.agent("fund", "Organization", "Vejle Energifond")

    s.place("installer", "warehouse", "Installer's warehouse", "55.7200", "9.5600", "Vejle Nord")
    s.place("coop", "roof", "School roof array", "55.7090", "9.5360", "Vejle Centrum")
    s.place("refurb", "workshop", "Refurbishing workshop", "55.7000", "9.5800", "Vejle Øst")
    s.place("freja", "shed", "Allotment shed", "55.6950", "9.5200", "Vejle Syd")
    for m, lat in zip(MEMBERS, ("55.7110", "55.7150", "55.6980"), strict=True):
        s.place(m, f"{m}_home", f"{m.title()}'s home", lat, "9.5400", "Vejle")

    s.spec("installer", "new_panel", "Solar panel, 400 W (new)", [PANEL], ONE, massPerUnit=q("20"))
    s.spec("coop", "installed", "Installed solar panel", [PANEL], ONE, massPerUnit=q("20"))
    s.spec("coop", "retired", "Decommissioned solar panel", [PANEL], ONE, massPerUnit=q("20"))
    s.spec("refurb", "refurbished", "Refurbished solar panel", [PANEL], ONE, massPerUnit=q("20"))
    s.spec("refurb", "tested", "Tested solar panel", [PANEL], ONE, massPerUnit=q("20"))
    s.spec("refurb", "glass", "Recovered panel glass", [GLASS])
    s.spec("coop", "power", "Solar electricity", [ELECTRICITY], KWH)
    s.spec("freja", "euro", "Euro", [wd("Q4916")], EUR, mediumOfExchange=True)
    for role, key, name in (
        ("installer", "installing", "Installation"),
        ("coop", "generating", "Generation"),
        ("coop", "decommissioning", "Decommissioning"),
        ("refurb", "testing", "Testing"),
        ("refurb", "refurbishing", "Refurbishment"),
    ):
        s.pspec(role, key, name)

    s.offer("refurb", "offer_panels", "Refurbished panels", "refurbished", q(10, ONE), "workshop")
    s.offer(
        "coop",
        "request_power",
        "Members' demand for April",
        "power",
        q("3000", KWH),
        "roof",
        purpose="request",
    )
    s.recipe(
        "refurb",
        "recipe",
        {
            "recipe": {"name": "refurbished panels", "primaryOutput": s.ids["refurbished"]},
            "processes": [
                {"key": "fix", "name": "test and repair", "hasDuration": q(2, "om2:day")}
            ],
            "flows": [
                {
                    "action": "consume",
                    "recipeInputOf": "fix",
                    "resourceConformsTo": s.ids["retired"],
                    "resourceQuantity": q("1.25", ONE),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "fix",
                    "resourceConformsTo": s.ids["refurbished"],
                    "resourceQuantity": q(1, ONE),
                },
            ],
        },
    )
    s.plan("refurb", "plan", "refurbished", q(8, ONE), 21, "workshop", "panels for the allotments")

    # 1. The installer sells 40 panels to the cooperative and installs them.
    s.stock(
        "installer",
        "stock",
        "new_panel",
        q(40, ONE),
        "warehouse",
        "Panels, delivery 12",
        trackingIdentifier="FSI-D12",
    )
    s.transfer("installer", "coop", "stock", q(40, ONE), "bought", "roof")
    s.process("coop", "install", "Installation on the school roof", "installing", "roof")
    s.consume("coop", "install", "bought", q(40, ONE))
    s.work("installer", "install", "16")
    s.produce(
        "coop",
        "array",
        "install",
        "installed",
        q(40, ONE),
        "roof",
        "School roof array",
        trackingIdentifier="VSA-ARRAY-1",
    )
    s.finish("coop", "install")

    # 2. March's generation, shared among the members.
    s.process("coop", "generate", "Generation, March", "generating", "roof")
    s.event(
        "coop",
        "use",
        inputOf="generate",
        resourceInventoriedAs="array",
        effortQuantity=q("744", "om2:hour"),
    )
    s.day(31, 20)
    s.produce(
        "coop", "march_power", "generate", "power", q("4200", KWH), "roof", "Electricity, March"
    )
    s.finish("coop", "generate")
    for m, kwh in zip(MEMBERS, ("1400", "1250", "1100"), strict=True):
        s.transfer("coop", m, "march_power", q(kwh, KWH), f"{m}_power", f"{m}_home")

    # 3. Four panels are decommissioned and go to the refurbisher.
    s.process("coop", "decommission", "Decommissioning, row 4", "decommissioning", "roof")
    s.consume("coop", "decommission", "array", q(4, ONE))
    s.work("installer", "decommission", "3")
    s.produce(
        "coop",
        "retired_lot",
        "decommission",
        "retired",
        q(4, ONE),
        "roof",
        "Retired panels, row 4",
        trackingIdentifier="VSA-RET-4",
    )
    s.finish("coop", "decommission")
    s.transfer("coop", "refurb", "retired_lot", q(4, ONE), "refurb_lot", "workshop")

    # 4. Testing, then refurbishment: three panels repaired, the glass of the fourth recovered.
    s.process("refurb", "test", "Testing lot 4", "testing", "workshop")
    s.consume("refurb", "test", "refurb_lot", q(4, ONE))
    s.work("refurb", "test", "2")
    s.produce(
        "refurb", "tested_lot", "test", "tested", q(4, ONE), "workshop", "Tested panels, lot 4"
    )
    s.finish("refurb", "test")
    s.process("refurb", "fix", "Refurbishment lot 4", "refurbishing", "workshop")
    s.consume("refurb", "fix", "tested_lot", q(4, ONE))
    s.work("refurb", "fix", "8")
    s.produce(
        "refurb",
        "second_life",
        "fix",
        "refurbished",
        q(3, ONE),
        "workshop",
        "Refurbished panels, lot 4",
        trackingIdentifier="SGV-R4",
    )
    s.produce("refurb", "cullet", "fix", "glass", q("14"), "workshop", "Recovered glass, lot 4")
    s.finish("refurb", "fix")
    s.transfer("refurb", "freja", "second_life", q(1, ONE), "freja_panel", "shed")
    s.stock("freja", "wallet", "euro", q("500", EUR), "shed", "Freja's account")
    s.ids["income"] = s.event(
        "freja",
        "transfer",
        receiver="refurb",
        resourceInventoriedAs="wallet",
        resourceQuantity=q("95", EUR),
        triggeredBy=s.ids["freja_panel_event"],
    )["EconomicEvent"]
    s.share_income(
        "refurb",
        "shared",
        "income",
        {
            "name": "Second-life panel equation",
            "scope": "network",
            "currency": EUR,
            "buckets": [
                {
                    "name": "energy fund",
                    "percent": "10",
                    "of": "total",
                    "pays": {"fixed": [{"agent": s.a("fund"), "share": "1"}]},
                },
                {
                    "name": "contributors",
                    "percent": "100",
                    "of": "remainder",
                    "pays": {"contributions": {"kinds": ["work", "resource", "use"]}},
                },
            ],
            "rates": {"work": {"*": "30"}, "resource": {s.ids["retired"]: "10"}},
        },
    )

    s.territory("coop", TERRITORY, DISTRICTS)
    return s.close("refurb", "freja_panel")


__all__ = ["CITY", "KG", "MEMBERS", "NAME", "load"]
