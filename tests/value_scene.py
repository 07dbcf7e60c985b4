"""The issue's shirt, recorded through the ledger: the scene the value tests share.

Ben designs a shirt (1 h of design work); a collector raises 2 kg of fabric and gives it to a
makerspace; Anna sews the shirt there in 5 h, on the makerspace's sewing machine (used 2 h), from
the fabric, citing Ben's design. The makerspace sells the shirt to a buyer for 60 EUR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from support import World, qty

ONE = "om2:one"
EUR = "iso4217:EUR"
HOUR = "om2:hour"


@dataclass
class Shirt:
    ids: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> str:
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


def build_shirt(w: World, price: str = "60") -> Shirt:
    s = Shirt()
    ids = s.ids
    anna = ids["anna"] = w.agent("Anna (tailor)")
    ben = ids["ben"] = w.agent("Ben (designer)")
    collector = ids["collector"] = w.agent("Cleo (collector)")
    ms = ids["makerspace"] = w.agent("Makerspace", "Organization")
    ids["fund"] = w.agent("Network fund", "Organization")
    buyer = ids["buyer"] = w.agent("Buyer")

    ids["sewing"] = w.spec(ms, "sewing")
    ids["designing"] = w.spec(ben, "designing")
    ids["fabric"] = w.spec(collector, "fabric")
    ids["machine_spec"] = w.spec(ms, "sewing machine")
    ids["shirt_spec"] = w.spec(ms, "shirt")
    ids["design_spec"] = w.spec(ben, "shirt design")
    ids["euro"] = w.spec(buyer, "euro", mediumOfExchange=True)

    p = ids["design_process"] = w.process(ben, "design the shirt")
    ids["design_work"] = w.event(ben, action="work", provider=ben, receiver=ben, inputOf=p,
                                 resourceConformsTo=s.designing,
                                 effortQuantity=qty(1, HOUR))["EconomicEvent"]  # fmt: skip
    ids["design"] = w.event(ben, {"name": "shirt pattern"}, action="produce", provider=ben,
                            receiver=ben, outputOf=p, resourceConformsTo=s.design_spec,
                            resourceQuantity=qty(1, ONE))["EconomicResource"]  # fmt: skip

    bale = w.event(collector, {"name": "fabric"}, action="raise", provider=collector,
                   receiver=collector, resourceConformsTo=s.fabric,
                   resourceQuantity=qty(2))["EconomicResource"]  # fmt: skip
    ids["fabric_ms"] = w.event(collector, action="transfer", provider=collector, receiver=ms,
                               resourceInventoriedAs=bale,
                               resourceQuantity=qty(2))["toEconomicResource"]  # fmt: skip
    ids["machine"] = w.event(ms, {"name": "sewing machine"}, action="raise", provider=ms,
                             receiver=ms, resourceConformsTo=s.machine_spec,
                             resourceQuantity=qty(1, ONE))["EconomicResource"]  # fmt: skip

    p = ids["sew"] = w.process(ms, "sew the shirt")
    ids["sew_work"] = w.event(anna, action="work", provider=anna, receiver=ms, inputOf=p,
                              resourceConformsTo=s.sewing,
                              effortQuantity=qty(5, HOUR))["EconomicEvent"]  # fmt: skip
    w.event(ms, action="consume", provider=ms, receiver=ms, inputOf=p,
            resourceInventoriedAs=s.fabric_ms, resourceQuantity=qty(2))  # fmt: skip
    w.event(ms, action="use", provider=ms, receiver=ms, inputOf=p, resourceInventoriedAs=s.machine,
            effortQuantity=qty(2, HOUR))  # fmt: skip
    w.event(ben, action="cite", provider=ben, receiver=ms, inputOf=p,
            resourceInventoriedAs=s.design, resourceQuantity=qty(1, ONE))  # fmt: skip
    ids["shirt"] = w.event(ms, {"name": "shirt"}, action="produce", provider=ms, receiver=ms,
                           outputOf=p, resourceConformsTo=s.shirt_spec,
                           resourceQuantity=qty(1, ONE))["EconomicResource"]  # fmt: skip

    ids["sale"] = w.event(ms, action="transfer", provider=ms, receiver=buyer,
                          resourceInventoriedAs=s.shirt,
                          resourceQuantity=qty(1, ONE))["EconomicEvent"]  # fmt: skip
    ids["wallet"] = w.event(buyer, {"name": "wallet"}, action="raise", provider=buyer,
                            receiver=buyer, resourceConformsTo=s.euro,
                            resourceQuantity=qty(1000, EUR))["EconomicResource"]  # fmt: skip
    r = pay(w, buyer, ms, s.wallet, price, triggeredBy=s.sale)
    ids["income"], ids["till"] = r["EconomicEvent"], r["toEconomicResource"]
    return s


def pay(w: World, by: str, to: str, wallet: str, amount: str, **more: Any) -> dict[str, str]:
    return w.event(by, action="transfer", provider=by, receiver=to, resourceInventoriedAs=wallet,
                   resourceQuantity=qty(amount, EUR), **more)  # fmt: skip


def shirt_equation(s: Shirt, **more: Any) -> dict[str, Any]:
    """The network's equation: 10% of the total to the fund, the rest by contribution."""
    return {
        "name": "shirt equation",
        "scope": "network",
        "currency": EUR,
        "buckets": [
            {"name": "network fund", "percent": "10", "of": "total",
             "pays": {"fixed": [{"agent": s.fund, "share": "1"}]}},
            {"name": "contributors", "percent": "100", "of": "remainder",
             "pays": {"contributions": {"kinds": ["work", "resource", "use", "cite"]}}},
        ],
        "rates": {"work": {"*": "20"}, "use": {s.machine_spec: "3"},
                  "resource": {s.fabric: "4"}},
        **more,
    }  # fmt: skip
