"""Fair tracking of a supply chain in Milan: certified organic rice from farm to shop, with its
passport.

A rice farm south of Milan grows paddy rice; an organic certifier inspects the harvest and marks
it certified; a cooperative mill husks and polishes it; a packer fills 1 kg packs; a fair-trade
shop in the city sells a pack to a customer. The customer's pack carries a passport that anyone can
verify offline and that names the farm. The shop's income is shared by a value equation.
(No Wikidata item is used for paddy or milled rice: their classes are descriptive URIs.)
"""

from __future__ import annotations

from reflow.node import Node
from reflow.scenarios.builder import EUR, KG, ONE, Loaded, Progress, Scenario, cls, q, wd

NAME = "fair"
CITY = "Milan"
FOOD = wd("Q2095")
PADDY, MILLED, ORGANIC = cls("paddy-rice"), cls("milled-rice"), cls("certified-organic")
FARM_NAME = "Cascina Riso Bio Chiaravalle"


PASSPORT = "Giulia's pack of organic rice"  # what the demo's passport link shows
TERRITORY = "Milano"
DISTRICTS = [  # (id, name, (west, south, east, north))
    ("MIL-1", "Municipio 1 (Centro)", ("9.16", "45.45", "9.21", "45.48")),
    ("MIL-9", "Municipio 9 (Isola, Niguarda)", ("9.16", "45.48", "9.22", "45.52")),
    ("MIL-5", "Municipio 5 (Vigentino, Chiaravalle)", ("9.17", "45.40", "9.24", "45.45")),
    ("MIL-4", "Municipio 4 (Porta Romana)", ("9.21", "45.45", "9.26", "45.48")),
]


def load(node: Node, *, seed: int = 0, progress: Progress | None = None) -> Loaded:
    s = Scenario(node, NAME, seed=seed, start="2026-03-02T08:00:00Z", progress=progress)
    s.agent("farm", "Organization", FARM_NAME)
    s.agent("certifier", "Organization", "Ente Certificazione Bio Lombardia")
    s.agent("mill", "Organization", "Riseria Cooperativa Sud Milano")
    s.agent("packer", "Organization", "Confezioni Eque Milano")
    s.agent("shop", "Organization", "Bottega Equa Isola")
    s.agent("giulia", "Person", "Giulia Rossi")
    s.agent("fund", "Organization", "Fondo Filiera Equa")

    s.place("farm", "fields", "Rice fields", "45.4180", "9.2270", "Chiaravalle, Milano")
    s.place("mill", "millhouse", "Cooperative mill", "45.4300", "9.2050", "Vigentino, Milano")
    s.place("packer", "packhouse", "Packing house", "45.4600", "9.2300", "Porta Romana, Milano")
    s.place("shop", "store", "Fair-trade shop", "45.4880", "9.1890", "Isola, Milano")

    s.spec("farm", "paddy", "Organic paddy rice", [FOOD, PADDY, ORGANIC])
    s.spec("mill", "rice", "Organic milled rice", [FOOD, MILLED, ORGANIC])
    s.spec(
        "packer",
        "pack",
        "Organic rice, 1 kg pack",
        [FOOD, MILLED, ORGANIC],
        ONE,
        massPerUnit=q("1"),
    )
    s.spec("shop", "euro", "Euro", [wd("Q4916")], EUR, mediumOfExchange=True)
    for role, key, name in (
        ("farm", "growing", "Rice cultivation"),
        ("certifier", "inspecting", "Organic inspection"),
        ("mill", "milling", "Milling"),
        ("packer", "packing", "Packing"),
    ):
        s.pspec(role, key, name)

    s.offer(
        "packer", "offer_packs", "Certified organic rice packs", "pack", q(200, ONE), "packhouse"
    )
    s.offer(
        "shop",
        "request_packs",
        "Organic rice wanted",
        "pack",
        q(300, ONE),
        "store",
        purpose="request",
    )
    s.recipe(
        "packer",
        "recipe",
        {
            "recipe": {"name": "rice packs from paddy", "primaryOutput": s.ids["pack"]},
            "processes": [
                {"key": "mill", "name": "mill paddy", "hasDuration": q(1, "om2:day")},
                {"key": "pack", "name": "pack rice", "hasDuration": q(1, "om2:day")},
            ],
            "flows": [
                {
                    "action": "consume",
                    "recipeInputOf": "mill",
                    "resourceConformsTo": s.ids["paddy"],
                    "resourceQuantity": q("1.5"),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "mill",
                    "resourceConformsTo": s.ids["rice"],
                    "resourceQuantity": q("1"),
                },
                {
                    "action": "consume",
                    "recipeInputOf": "pack",
                    "resourceConformsTo": s.ids["rice"],
                    "resourceQuantity": q("1"),
                },
                {
                    "action": "produce",
                    "recipeOutputOf": "pack",
                    "resourceConformsTo": s.ids["pack"],
                    "resourceQuantity": q(1, ONE),
                },
            ],
        },
    )
    s.plan("packer", "plan", "pack", q(300, ONE), 14, "packhouse", "packs for the spring order")

    # 1. The harvest, then the certifier inspects it and marks it certified organic.
    s.process("farm", "grow", "Harvest 2025, field 4", "growing", "fields")
    s.work("farm", "grow", "40")
    s.produce(
        "farm",
        "harvest",
        "grow",
        "paddy",
        q("2000"),
        "fields",
        "Paddy rice, field 4",
        trackingIdentifier="CRB-2025-F4",
    )
    s.finish("farm", "grow")
    s.day(3)
    s.process("certifier", "inspect", "Inspection CRB-2025-F4", "inspecting", "fields")
    s.event(
        "farm",
        "accept",
        receiver="certifier",
        inputOf="inspect",
        resourceInventoriedAs="harvest",
        resourceQuantity=q("2000"),
    )
    s.work("certifier", "inspect", "3")
    s.event(
        "certifier",
        "modify",
        receiver="farm",
        outputOf="inspect",
        resourceInventoriedAs="harvest",
        resourceQuantity=q("2000"),
        state="certified-organic",
    )
    s.finish("certifier", "inspect")

    # 2. Milling at the cooperative.
    s.day(5)
    s.transfer("farm", "mill", "harvest", q("2000"), "mill_paddy", "millhouse")
    s.process("mill", "mill", "Milling run 5", "milling", "millhouse")
    s.consume("mill", "mill", "mill_paddy", q("2000"))
    s.work("mill", "mill", "6")
    s.produce(
        "mill",
        "milled",
        "mill",
        "rice",
        q("1300"),
        "millhouse",
        "Milled rice, run 5",
        trackingIdentifier="RCS-R5",
    )
    s.finish("mill", "mill")

    # 3. Packing, then to the shop, and one pack to Giulia.
    s.day(9)
    s.transfer("mill", "packer", "milled", q("1000"), "packer_rice", "packhouse")
    s.process("packer", "packrun", "Packing lot 9", "packing", "packhouse")
    s.consume("packer", "packrun", "packer_rice", q("1000"))
    s.work("packer", "packrun", "8")
    s.produce(
        "packer",
        "packs",
        "packrun",
        "pack",
        q(1000, ONE),
        "packhouse",
        "Rice packs, lot 9",
        trackingIdentifier="CEM-L9",
    )
    s.finish("packer", "packrun")
    s.day(12)
    s.transfer("packer", "shop", "packs", q(200, ONE), "shelf", "store")
    s.day(14)
    s.transfer("shop", "giulia", "shelf", q(1, ONE), "giulia_pack", "store")
    s.stock("shop", "till", "euro", q("50", EUR), "store", "Shop till")
    s.stock("giulia", "wallet", "euro", q("40", EUR), "store", "Giulia's wallet")
    s.ids["income"] = s.event(
        "giulia",
        "transfer",
        receiver="shop",
        resourceInventoriedAs="wallet",
        resourceQuantity=q("4.80", EUR),
        triggeredBy=s.ids["giulia_pack_event"],
    )["EconomicEvent"]
    s.share_income(
        "shop",
        "shared",
        "income",
        {
            "name": "Fair rice equation",
            "scope": "network",
            "currency": EUR,
            "buckets": [
                {
                    "name": "fair fund",
                    "percent": "5",
                    "of": "total",
                    "pays": {"fixed": [{"agent": s.a("fund"), "share": "1"}]},
                },
                {
                    "name": "chain",
                    "percent": "100",
                    "of": "remainder",
                    "pays": {"contributions": {"kinds": ["work", "resource"]}},
                },
            ],
            "rates": {"work": {"*": "18"}, "resource": {s.ids["paddy"]: "0.9"}},
        },
    )

    s.territory("shop", TERRITORY, DISTRICTS)
    return s.close("shop", "giulia_pack")


__all__ = ["CITY", "FARM_NAME", "KG", "NAME", "load"]
