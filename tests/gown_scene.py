"""The gown's life, recorded through the ledger: the scenario the trace and passport tests share.

Cotton is raised on a farm and part of it sold to an atelier, which sews it into a surgical gown
(cotton scraps are a second output) with a sewing machine that also makes shirts, following a
cited design. A laundry buys the gown and washes it (with another gown in the same wash), lends
it to a hospital for a surgery, gets it back, washes it again, packs it in a box (with the other
gown) that a courier carries to the hospital, where it is unpacked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from support import World, qty

ONE = "om2:one"


@dataclass
class Gown:
    ids: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> str:
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


def build_gown(world: World) -> Gown:
    g = Gown()
    ids = g.ids
    w = world
    farmer = ids["farmer"] = w.agent("Fatima (farmer)")
    designer = ids["designer"] = w.agent("Dario (designer)")
    atelier = ids["atelier"] = w.agent("Atelier Noord", "Organization")
    tailor = ids["tailor"] = w.agent("Tess (tailor)")
    laundry = ids["laundry"] = w.agent("CleanCo laundry", "Organization")
    hospital = ids["hospital"] = w.agent("OLVG hospital", "Organization")
    surgeon = ids["surgeon"] = w.agent("Sam (surgeon)")
    courier = ids["courier"] = w.agent("Cargo bike courier")

    farm = ids["farm"] = w.place(farmer, "Farm", "52.50", "4.95")
    ids["atelier_place"] = w.place(atelier, "Atelier", "52.37", "4.89")
    laundry_place = ids["laundry_place"] = w.place(laundry, "Laundry", "52.35", "4.92")
    hospital_place = ids["hospital_place"] = w.place(hospital, "Hospital", "52.36", "4.96")

    cotton = w.spec(farmer, "cotton")
    gown_spec = w.spec(atelier, "surgical gown")
    scraps_spec = w.spec(atelier, "cotton scraps")
    shirt_spec = w.spec(atelier, "shirt")
    machine_spec = w.spec(atelier, "sewing machine")
    design_spec = w.spec(designer, "gown design")
    water_spec = w.spec(laundry, "water")
    soap_spec = w.spec(laundry, "soap")
    box_spec = w.spec(laundry, "box")

    def ev(by: str, new: dict[str, object] | None = None, **f: object) -> dict[str, str]:
        return w.event(by, new, **f)

    # Cotton: raised on the farm, 3 kg sold to the atelier.
    r = ev(
        farmer,
        {"name": "cotton bale", "currentLocation": farm},
        action="raise",
        provider=farmer,
        receiver=farmer,
        resourceConformsTo=cotton,
        resourceQuantity=qty(10),
    )
    ids["bale"], ids["raise_bale"] = r["EconomicResource"], r["EconomicEvent"]
    r = ev(
        farmer,
        action="transfer",
        provider=farmer,
        receiver=atelier,
        resourceInventoriedAs=g.bale,
        resourceQuantity=qty(3),
        toLocation=g.atelier_place,
    )
    ids["cotton"], ids["sell_cotton"] = r["toEconomicResource"], r["EconomicEvent"]

    # The design, made in a design process.
    p = ids["design"] = w.process(designer, "design the gown")
    ids["design_work"] = ev(
        designer,
        action="work",
        provider=designer,
        receiver=designer,
        inputOf=p,
        effortQuantity=qty(6, "om2:hour"),
    )["EconomicEvent"]
    r = ev(
        designer,
        {"name": "gown pattern"},
        action="produce",
        provider=designer,
        receiver=designer,
        outputOf=p,
        resourceConformsTo=design_spec,
        resourceQuantity=qty(1, ONE),
    )
    ids["pattern"], ids["produce_pattern"] = r["EconomicResource"], r["EconomicEvent"]

    # The sewing machine, which makes shirts before and after the gown.
    r = ev(
        atelier,
        {"name": "sewing machine"},
        action="raise",
        provider=atelier,
        receiver=atelier,
        resourceConformsTo=machine_spec,
        resourceQuantity=qty(1, ONE),
    )
    ids["machine"], ids["raise_machine"] = r["EconomicResource"], r["EconomicEvent"]
    ids["shirts1"] = _shirts(g, w, "shirts (morning)", shirt_spec, "use_m_shirts1", "shirt1")

    # Sewing the gown: cotton consumed, machine used, design cited, tailor's work.
    p = ids["sew"] = w.process(atelier, "sew the gown", atLocation=g.atelier_place)
    ids["consume_cotton"] = ev(
        atelier,
        action="consume",
        provider=atelier,
        receiver=atelier,
        inputOf=p,
        resourceInventoriedAs=g.cotton,
        resourceQuantity=qty(2),
    )["EconomicEvent"]
    ids["use_machine"] = ev(
        atelier,
        action="use",
        provider=atelier,
        receiver=atelier,
        inputOf=p,
        resourceInventoriedAs=g.machine,
        effortQuantity=qty(2, "om2:hour"),
    )["EconomicEvent"]
    ids["cite_design"] = ev(
        atelier,
        action="cite",
        provider=designer,
        receiver=atelier,
        inputOf=p,
        resourceInventoriedAs=g.pattern,
        resourceQuantity=qty(1, ONE),
    )["EconomicEvent"]
    ids["sew_work"] = ev(
        tailor,
        action="work",
        provider=tailor,
        receiver=atelier,
        inputOf=p,
        effortQuantity=qty(2, "om2:hour"),
    )["EconomicEvent"]
    r = ev(
        atelier,
        {"name": "surgical gown", "trackingIdentifier": "GOWN-0001"},
        action="produce",
        provider=atelier,
        receiver=atelier,
        outputOf=p,
        resourceConformsTo=gown_spec,
        resourceQuantity=qty(1, ONE),
    )
    ids["gown_made"], ids["produce_gown"] = r["EconomicResource"], r["EconomicEvent"]
    r = ev(
        atelier,
        {"name": "cotton scraps"},
        action="produce",
        provider=atelier,
        receiver=atelier,
        outputOf=p,
        resourceConformsTo=scraps_spec,
        resourceQuantity=qty("0.4"),
    )
    ids["scraps"], ids["produce_scraps"] = r["EconomicResource"], r["EconomicEvent"]
    ids["shirts2"] = _shirts(g, w, "shirts (evening)", shirt_spec, "use_m_shirts2", "shirt2")

    # The laundry buys the gown; it also owns another gown, water, soap and a box.
    r = ev(
        atelier,
        action="transfer",
        provider=atelier,
        receiver=laundry,
        resourceInventoriedAs=g.gown_made,
        resourceQuantity=qty(1, ONE),
        toLocation=laundry_place,
    )
    ids["gown"], ids["sell_gown"] = r["toEconomicResource"], r["EconomicEvent"]
    r = ev(
        laundry,
        {"name": "other gown"},
        action="raise",
        provider=laundry,
        receiver=laundry,
        resourceConformsTo=gown_spec,
        resourceQuantity=qty(1, ONE),
    )
    ids["other"], ids["raise_other"] = r["EconomicResource"], r["EconomicEvent"]
    for name, spec, amount, unit in (
        ("water", water_spec, 100, "om2:litre"),
        ("soap", soap_spec, 5, "om2:kilogram"),
        ("box", box_spec, 1, ONE),
    ):
        r = ev(
            laundry,
            {"name": name, "currentLocation": laundry_place},
            action="raise",
            provider=laundry,
            receiver=laundry,
            resourceConformsTo=spec,
            resourceQuantity=qty(amount, unit),
        )
        ids[name], ids[f"raise_{name}"] = r["EconomicResource"], r["EconomicEvent"]

    _wash(g, w, "wash1", with_other=True)
    # Lent to the hospital for a surgery, and given back.
    r = ev(
        laundry,
        action="transferCustody",
        provider=laundry,
        receiver=hospital,
        resourceInventoriedAs=g.gown,
        resourceQuantity=qty(1, ONE),
        toLocation=hospital_place,
    )
    ids["lent"], ids["lend"] = r["toEconomicResource"], r["EconomicEvent"]
    p = ids["surgery"] = w.process(hospital, "surgery", atLocation=hospital_place)
    ids["surgeon_work"] = ev(
        surgeon,
        action="work",
        provider=surgeon,
        receiver=hospital,
        inputOf=p,
        effortQuantity=qty(3, "om2:hour"),
    )["EconomicEvent"]
    ids["use_gown"] = ev(
        hospital,
        action="use",
        provider=hospital,
        receiver=hospital,
        inputOf=p,
        resourceInventoriedAs=g.lent,
        effortQuantity=qty(3, "om2:hour"),
    )["EconomicEvent"]
    ids["give_back"] = ev(
        hospital,
        action="transferCustody",
        provider=hospital,
        receiver=laundry,
        resourceInventoriedAs=g.lent,
        toResourceInventoriedAs=g.gown,
        resourceQuantity=qty(1, ONE),
        toLocation=laundry_place,
    )["EconomicEvent"]
    _wash(g, w, "wash2", with_other=False)

    # Packed in a box with the other gown, carried to the hospital, unpacked there.
    p = ids["ship"] = w.process(laundry, "deliver to the hospital")
    for item in ("gown", "other"):
        ids[f"pack_{item}"] = ev(
            laundry,
            action="combine",
            provider=laundry,
            receiver=laundry,
            inputOf=p,
            resourceInventoriedAs=g.ids[item],
            toResourceInventoriedAs=g.box,
            resourceQuantity=qty(1, ONE),
        )["EconomicEvent"]
    ids["pickup_box"] = ev(
        laundry,
        action="pickup",
        provider=laundry,
        receiver=courier,
        inputOf=p,
        resourceInventoriedAs=g.box,
        resourceQuantity=qty(1, ONE),
        atLocation=laundry_place,
    )["EconomicEvent"]
    ids["dropoff_box"] = ev(
        courier,
        action="dropoff",
        provider=courier,
        receiver=hospital,
        outputOf=p,
        resourceInventoriedAs=g.box,
        resourceQuantity=qty(1, ONE),
        toLocation=hospital_place,
    )["EconomicEvent"]
    for item in ("gown", "other"):
        ids[f"unpack_{item}"] = ev(
            hospital,
            action="separate",
            provider=hospital,
            receiver=hospital,
            outputOf=p,
            resourceInventoriedAs=g.ids[item],
            resourceQuantity=qty(1, ONE),
        )["EconomicEvent"]
    return g


def _shirts(g: Gown, w: World, name: str, spec: str, use_key: str, shirt_key: str) -> str:
    atelier = g.atelier
    p = w.process(atelier, name)
    g.ids[use_key] = w.event(
        atelier,
        action="use",
        provider=atelier,
        receiver=atelier,
        inputOf=p,
        resourceInventoriedAs=g.machine,
        effortQuantity=qty(1, "om2:hour"),
    )["EconomicEvent"]
    r = w.event(
        atelier,
        {"name": name},
        action="produce",
        provider=atelier,
        receiver=atelier,
        outputOf=p,
        resourceConformsTo=spec,
        resourceQuantity=qty(4, ONE),
    )
    g.ids[shirt_key] = r["EconomicResource"]
    g.ids[f"produce_{shirt_key}"] = r["EconomicEvent"]
    return p


def _wash(g: Gown, w: World, key: str, *, with_other: bool) -> None:
    laundry = g.laundry
    p = g.ids[key] = w.process(laundry, key, atLocation=g.laundry_place)
    items = ("gown", "other") if with_other else ("gown",)
    for item in items:
        g.ids[f"{key}_accept_{item}"] = w.event(
            laundry,
            action="accept",
            provider=laundry,
            receiver=laundry,
            inputOf=p,
            resourceInventoriedAs=g.ids[item],
            resourceQuantity=qty(1, ONE),
        )["EconomicEvent"]
    for name, amount, unit in (("water", 10, "om2:litre"), ("soap", "0.1", "om2:kilogram")):
        g.ids[f"{key}_{name}"] = w.event(
            laundry,
            action="consume",
            provider=laundry,
            receiver=laundry,
            inputOf=p,
            resourceInventoriedAs=g.ids[name],
            resourceQuantity=qty(amount, unit),
        )["EconomicEvent"]
    for item in items:
        g.ids[f"{key}_modify_{item}"] = w.event(
            laundry,
            action="modify",
            provider=laundry,
            receiver=laundry,
            outputOf=p,
            resourceInventoriedAs=g.ids[item],
            resourceQuantity=qty(1, ONE),
        )["EconomicEvent"]
