"""Every way an event can be refused, per action, through the real ledger.

Each row is (a preparation, the signer, the event) and the refusal it must meet: the error class,
the ``field`` that is wrong and the ``rule`` that refuses it; and after every refusal the state
digest is unchanged (a refused record changes nothing). The scene (``vf_scene``) is Alice's 10 kg
bale ``R``, Bob's 3 kg bale ``S`` and Alice's empty ``BOX``; ``P`` is based on a specification,
``Q`` is not, ``DONE`` is finished. The bulk runs on SQLite; ``test_refusals_on_every_backend``
repeats a representative set on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import NETWORK, qty
from vf_scene import ONE, Scene, copy_scene, make_template

from reflow.errors import (
    AuthorisationError,
    ConflictError,
    NotFound,
    ReflowError,
    RuleViolation,
    UnitError,
)
from reflow.ledger.ledger import Ledger
from reflow.store.sqlstore import SqlStore

Prep = Callable[[Scene], object] | None
RV, AE, NF, CE, UE = RuleViolation, AuthorisationError, NotFound, ConflictError, UnitError
RES, TO, RQ = (
    "event.resourceInventoriedAs",
    "event.toResourceInventoriedAs",
    "event.resourceQuantity",
)


def _picked(sc: Scene) -> object:
    """Alice hands R to Bob for process P (Bob is now its custodian)."""
    return sc.event(
        "@A",
        action="pickup",
        provider="@A",
        receiver="@B",
        inputOf="@P",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(10),
    )


def _accepted(sc: Scene) -> object:
    return sc.event(
        "@A",
        action="accept",
        provider="@A",
        receiver="@A",
        inputOf="@P",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(10),
    )


def _packed(sc: Scene) -> object:
    """R is packed in BOX: R is contained, BOX is a container."""
    return sc.pack("@R", "@BOX")


def _round_trip(sc: Scene) -> object:
    _picked(sc)
    return sc.event(
        "@B",
        action="dropoff",
        provider="@B",
        receiver="@A",
        outputOf="@P",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(10),
    )


def _rights_sold(sc: Scene) -> object:
    return sc.event(
        "@A",
        action="transferAllRights",
        provider="@A",
        receiver="@B",
        resourceInventoriedAs="@R",
        resourceQuantity=qty(10),
    )


def _litre_cotton(sc: Scene) -> object:
    sc.LITRES = sc.raise_(sc.A, 1, unit="om2:litre")  # type: ignore[attr-defined]
    return sc.LITRES  # type: ignore[attr-defined]


def _gram_cotton(sc: Scene) -> object:
    sc.GRAMS = sc.raise_(sc.B, 1, unit="om2:gram")  # type: ignore[attr-defined]
    return sc.GRAMS  # type: ignore[attr-defined]


def _bale2_packed(sc: Scene) -> object:
    sc.BALE2 = sc.raise_(sc.A, 1)  # type: ignore[attr-defined]
    return sc.pack("@BALE2", "@BOX")


def ev(action: str, provider: str = "@A", receiver: str = "@A", **fields: Any) -> dict[str, Any]:
    return {"action": action, "provider": provider, "receiver": receiver, **fields}


def on_r(action: str, amount: str | int = 1, unit: str = "om2:kilogram", **fields: Any) -> Any:
    """An event by Alice on her bale R, with the process side its action needs."""
    side = {
        "consume": {"inputOf": "@P"}, "use": {"inputOf": "@P"}, "cite": {"inputOf": "@P"},
        "pickup": {"inputOf": "@P"}, "accept": {"inputOf": "@P"}, "combine": {"inputOf": "@P"},
        "produce": {"outputOf": "@P"}, "dropoff": {"outputOf": "@P"},
        "modify": {"outputOf": "@P"}, "separate": {"outputOf": "@P"},
    }.get(action, {})  # fmt: skip
    extra: dict[str, Any] = (
        {"receiver": "@B"}
        if action in ("transfer", "transferAllRights", "transferCustody", "copy")
        else {}
    )
    if action == "combine":
        extra["toResourceInventoriedAs"] = "@BOX"
    base = {"provider": "@A", "receiver": "@A", **side, **extra, **fields}
    return ev(
        action,
        resourceInventoriedAs=fields.pop("resourceInventoriedAs", "@R"),
        resourceQuantity=qty(amount, unit),
        **{k: v for k, v in base.items() if k != "resourceInventoriedAs"},
    )


def by_bob(action: str, amount: int = 1, **fields: Any) -> Any:
    """Bob, as the provider, acting on Alice's bale."""
    return on_r(action, amount, provider="@B", **({"receiver": "@B"} | fields))


WHOLE = ("pickup", "accept", "combine")
DECREMENTING = ("lower", "consume", "transfer", "transferAllRights", "transferCustody", "move")
WITH_RESOURCE = (
    "raise",
    "produce",
    "lower",
    "consume",
    "use",
    "cite",
    "pickup",
    "accept",
    "combine",
    "transfer",
    "transferAllRights",
    "transferCustody",
    "move",
    "copy",
)

# (id, prep, signer, event, error, field, rule)
Row = tuple[str, Prep, str, dict[str, Any], type[ReflowError], str | None, str | None]
REFUSALS: list[Row] = [
    # -- not the holder: decrements only by the accountable agent / custodian, as provider ---
    *[(f"not-accountable-{a}", None, "@B", by_bob(a, 10 if a in WHOLE else 1), AE, RES,
       "accountable-decrements") for a in ("lower", "consume", "transfer", "transferAllRights",
                                           "move", "copy")],
    *[(f"not-custodian-{a}", None, "@B", by_bob(a, 10), AE, RES, "custodian-decrements")
      for a in ("transferCustody", "pickup", "accept", "combine")],
    *[(f"not-own-{a}", None, "@B", by_bob(a, 1), AE, RES, "increment-own")
      for a in ("raise", "produce")],
    ("holder-but-receiver-signs-transfer", None, "@B", on_r("transfer"), AE, RES,
     "accountable-decrements"),
    ("holder-but-receiver-signs-consume", None, "@B", on_r("consume", receiver="@B"), AE, RES,
     "accountable-decrements"),
    ("owner-cannot-consume-what-bob-carries", _picked, "@A", on_r("consume"), AE, RES,
     "custodian-decrements"),
    ("carrier-cannot-transfer-rights", _picked, "@B",
     on_r("transfer", provider="@B", receiver="@C"), AE, RES, "accountable-decrements"),
    ("rights-buyer-cannot-hand-over-goods-it-does-not-hold", _rights_sold, "@B",
     ev("transferCustody", "@B", "@C", resourceInventoriedAs="@to", resourceQuantity=qty(1)),
     AE, RES, "custodian-decrements"),
    ("owner-without-rights-cannot-lower", _rights_sold, "@A", on_r("lower"), RV, RQ,
     "no-negative-quantity"),
    ("dropoff-by-non-custodian", _picked, "@C",
     on_r("dropoff", 10, provider="@C", receiver="@C"), AE, "event.provider",
     "custodian-returns"),
    ("dropoff-signed-by-receiver-not-custodian", _picked, "@C",
     on_r("dropoff", 10, provider="@B", receiver="@C"), AE, "event.provider",
     "custodian-returns"),
    ("modify-by-non-custodian", _accepted, "@B",
     on_r("modify", 10, provider="@B", receiver="@B"), AE, "event.provider", "custodian-returns"),
    ("separate-by-outsider", _packed, "@B", by_bob("separate", 10), AE, RES,
     "custodian-changes"),
    ("use-changing-state-by-outsider", None, "@B",
     by_bob("use", receiver="@C", state="broken"), AE, RES, "custodian-changes"),
    ("cite-changing-state-by-outsider", None, "@B",
     by_bob("cite", receiver="@C", state="quoted"), AE, RES, "custodian-changes"),
    ("signer-is-neither-party", None, "@A",
     ev("work", "@B", "@C", inputOf="@P", effortQuantity=qty(1, "om2:hour")), AE,
     "event.provider", "signer-is-party"),
    ("transfer-into-someone-elses-resource", None, "@A",
     on_r("transfer", receiver="@C", toResourceInventoriedAs="@S"), AE, TO, "receiver-holds-to"),
    ("move-into-bobs-resource", None, "@A", on_r("move", toResourceInventoriedAs="@S"), AE, TO,
     "receiver-holds-to"),
    ("copy-into-someone-elses-resource", None, "@A",
     on_r("copy", receiver="@C", toResourceInventoriedAs="@S"), AE, TO, "receiver-holds-to"),
    # -- same agent for raise / lower / move --------------------------------------------------
    *[(f"{a}-needs-one-agent", None, "@A", on_r(a, receiver="@B"), RV, "event.receiver",
       "same-agent") for a in ("raise", "lower", "move")],
    # -- units ---------------------------------------------------------------------------------
    *[(f"incompatible-unit-{a}", None, "@A", on_r(a, 10 if a in WHOLE else 1, "om2:litre"), UE,
       "event.resourceQuantity.hasUnit", "compatible-units") for a in WITH_RESOURCE],
    ("incompatible-unit-dropoff", _picked, "@B",
     on_r("dropoff", 10, "om2:litre", provider="@B"), UE, "event.resourceQuantity.hasUnit",
     "compatible-units"),
    ("unknown-unit", None, "@A", on_r("consume", 1, "om2:furlongs"), UE,
     "event.resourceQuantity.hasUnit", "known-unit"),
    ("transfer-into-resource-in-incompatible-unit", _litre_cotton, "@A",
     on_r("transfer", receiver="@A", toResourceInventoriedAs="@LITRES"), UE, TO,
     "compatible-units"),
    ("transfer-into-resource-in-another-unit", _gram_cotton, "@A",
     on_r("transfer", receiver="@B", toResourceInventoriedAs="@GRAMS"), RV, TO, "same-unit"),
    # -- contained resource: only separate may touch it --------------------------------------
    *[(f"contained-{a}", _packed, "@A", on_r(a, 1), RV, RES,
       "contained-resource") for a in WITH_RESOURCE],
    ("transfer-into-contained-resource", _bale2_packed, "@A",
     on_r("move", toResourceInventoriedAs="@BALE2"), RV, TO, "contained-resource"),
    # -- container: cannot grow, shrink or be copied while it holds; moves only whole --------
    *[(f"container-{a}", _packed, "@A",
       on_r(a, 1, ONE, resourceInventoriedAs="@BOX") | (
           {"receiver": "@B"} if a == "copy" else {}), RV, RES, "container")
      for a in ("raise", "produce", "lower", "consume", "copy")],
    *[(f"container-part-{a}", _packed, "@A",
       on_r(a, "0.5", ONE, resourceInventoriedAs="@BOX"), RV, RQ, "whole-resource")
      for a in ("transfer", "transferAllRights", "transferCustody", "move", "pickup")],
    # -- whole resource ----------------------------------------------------------------------
    *[(f"part-{a}", None, "@A", on_r(a, 4), RV, RQ, "whole-resource") for a in WHOLE],
    *[(f"more-than-all-{a}", None, "@A", on_r(a, 11), RV, RQ, "whole-resource") for a in WHOLE],
    ("separate-not-contained", None, "@A", on_r("separate", 10), RV, RES, "not-contained"),
    ("separate-more-than-was-packed", _packed, "@A", on_r("separate", 100), RV, RQ,
     "whole-resource"),
    ("box-into-itself", None, "@A",
     on_r("combine", 1, ONE, resourceInventoriedAs="@BOX", toResourceInventoriedAs="@BOX"), RV,
     TO, "containment-cycle"),
    ("box-into-what-it-holds", _packed, "@A",
     on_r("combine", 1, ONE, resourceInventoriedAs="@BOX", toResourceInventoriedAs="@R"), RV,
     TO, "containment-cycle"),
    ("combine-into-nothing", None, "@A", on_r("combine", 10, toResourceInventoriedAs=None), RV,
     TO, "required"),
    # -- over-consume: never below zero ------------------------------------------------------
    *[(f"over-{a}", None, "@A", on_r(a, 11), RV, RQ, "no-negative-quantity")
      for a in DECREMENTING],
    ("over-consume-in-grams", None, "@A", on_r("consume", 10001, "om2:gram"), RV, RQ,
     "no-negative-quantity"),
    ("consume-rights-sold", _rights_sold, "@A", on_r("consume"), RV, RQ,
     "no-negative-quantity"),
    ("too-many-digits-to-stay-exact", None, "@A", on_r("raise", "1" + "0" * 1000 + ".5"), RV,
     RQ + ".hasNumericalValue", "quantity-range"),
    *[(f"zero-{a}", None, "@A", on_r(a, 0), RV, RQ, "positive-quantity")
      for a in ("raise", "consume", "transfer")],
    # -- pairing -----------------------------------------------------------------------------
    ("unpaired-dropoff", None, "@A", on_r("dropoff", 10), RV, "event.outputOf", "paired"),
    ("unpaired-modify", None, "@A", on_r("modify", 10), RV, "event.outputOf", "paired"),
    ("dropoff-in-another-process", _picked, "@B",
     on_r("dropoff", 10, provider="@B", outputOf="@Q"), RV, "event.outputOf", "paired"),
    ("modify-after-pickup", _picked, "@B", on_r("modify", 10, provider="@B"), RV,
     "event.outputOf", "paired"),
    ("dropoff-after-accept", _accepted, "@A", on_r("dropoff", 10), RV, "event.outputOf",
     "paired"),
    ("dropoff-quantity-differs", _picked, "@B", on_r("dropoff", 9, provider="@B"), RV, RQ,
     "paired-quantity"),
    ("dropoff-grams-differ", _picked, "@B", on_r("dropoff", 9999, "om2:gram", provider="@B"),
     RV, RQ, "paired-quantity"),
    ("modify-quantity-differs", _accepted, "@A", on_r("modify", 11), RV, RQ, "paired-quantity"),
    ("second-dropoff", _round_trip, "@A", on_r("dropoff", 10), CE, "event.outputOf", "paired"),
    ("second-pickup-same-process", _round_trip, "@A", on_r("pickup", 10), CE, RES,
     "one-pair-per-process"),
    # -- required fields ---------------------------------------------------------------------
    ("no-action", None, "@A", {"provider": "@A", "receiver": "@A"}, RV, "event.action",
     "required"),
    ("unknown-action", None, "@A", ev("pack"), RV, "event.action", "vf-action"),
    ("no-provider", None, "@A", {"action": "raise", "receiver": "@A"}, RV, "event.provider",
     "required"),
    ("no-receiver", None, "@A", {"action": "raise", "provider": "@A"}, RV, "event.receiver",
     "required"),
    *[(f"no-resourceQuantity-{a}", None, "@A",
       {k: v for k, v in on_r(a).items() if k != "resourceQuantity"}, RV, RQ, "required")
      for a in ("raise", "produce", "lower", "consume", "cite", "pickup", "accept", "combine",
                "transfer", "transferAllRights", "transferCustody", "move", "copy")],
    ("no-quantity-use", None, "@A", ev("use", inputOf="@P", resourceInventoriedAs="@R"), RV, RQ,
     "required"),
    ("no-effortQuantity-work", None, "@A", ev("work", inputOf="@P"), RV,
     "event.effortQuantity", "required"),
    ("work-with-resourceQuantity", None, "@A",
     ev("work", inputOf="@P", effortQuantity=qty(1, "om2:hour"), resourceQuantity=qty(1)), RV,
     RQ, "event-quantity"),
    *[(f"no-inputOf-{a}", None, "@A", on_r(a, 10, inputOf=None), RV, "event.inputOf",
       "required") for a in ("use", "cite", "pickup", "accept")],
    ("no-inputOf-work", None, "@A", ev("work", effortQuantity=qty(1, "om2:hour")), RV,
     "event.inputOf", "required"),
    *[(f"no-outputOf-{a}", _accepted if a == "modify" else _picked, "@A",
       on_r(a, 10, outputOf=None), RV, "event.outputOf", "required")
      for a in ("dropoff", "modify")],
    *[(f"no-resource-{a}", None, "@A",
       {k: v for k, v in on_r(a).items() if k != "resourceInventoriedAs"}, RV, RES, "required")
      for a in ("consume", "pickup", "accept", "combine", "separate", "transfer",
                "transferAllRights", "transferCustody", "move", "copy")],
    ("no-resource-cite", None, "@A", ev("cite", inputOf="@P", resourceQuantity=qty(1)), RV,
     RES, "required"),
    *[(f"{a}-new-without-specification", None, "@A", on_r(a, resourceInventoriedAs=None), RV,
       "event.resourceConformsTo", "required") for a in ("raise", "produce", "lower")],
    ("unknown-event-field", None, "@A", on_r("raise", colour="red"), RV, "event.colour",
     "known-fields"),
    ("point-and-interval", None, "@A",
     on_r("raise", hasPointInTime="2026-01-01T00:00:00Z", hasEnd="2026-01-02T00:00:00Z"), RV,
     "event.hasPointInTime", "one-kind-of-time"),
    ("end-before-beginning", None, "@A",
     on_r("raise", hasBeginning="2026-01-02T00:00:00Z", hasEnd="2026-01-01T00:00:00Z"), RV,
     "event.hasEnd", "time-order"),
    ("not-a-date", None, "@A", on_r("raise", hasPointInTime="yesterday"), RV,
     "event.hasPointInTime", "datetime"),
    ("quantity-not-a-number", None, "@A",
     ev("raise", resourceInventoriedAs="@R", resourceQuantity=qty("ten")), RV,
     "event.resourceQuantity.hasNumericalValue", "decimal-string"),
    ("negative-quantity", None, "@A",
     ev("raise", resourceInventoriedAs="@R", resourceQuantity=qty("-1")), RV,
     "event.resourceQuantity.hasNumericalValue", "non-negative-quantity"),
    # -- process side --------------------------------------------------------------------------
    *[(f"input-{a}-as-output", None, "@A", on_r(a, 10, inputOf=None, outputOf="@P"), RV,
       "event.outputOf", "io") for a in ("consume", "use", "cite", "pickup", "accept", "combine")],
    ("input-work-as-output", None, "@A",
     ev("work", outputOf="@P", effortQuantity=qty(1, "om2:hour")), RV, "event.outputOf", "io"),
    *[(f"output-{a}-as-input", None, "@A", on_r(a, 10, outputOf=None, inputOf="@P"), RV,
       "event.inputOf", "io") for a in ("produce", "dropoff", "modify", "separate")],
    *[(f"{a}-outside-processes", None, "@A", on_r(a, inputOf="@P"), RV, "event.inputOf", "io")
      for a in ("raise", "lower", "transfer", "transferAllRights", "transferCustody", "move",
                "copy")],
    ("move-as-output", None, "@A", on_r("move", outputOf="@P"), RV, "event.outputOf", "io"),
    ("service-into-its-own-process", None, "@A",
     ev("deliverService", receiver="@B", outputOf="@P", inputOf="@P", resourceQuantity=qty(1)),
     RV, "event.inputOf", "io"),
    ("consume-in-finished-process", None, "@A", on_r("consume", inputOf="@DONE"), RV,
     "event.inputOf", "process-open"),
    ("produce-in-finished-process", None, "@A", on_r("produce", outputOf="@DONE"), RV,
     "event.outputOf", "process-open"),
    ("work-in-finished-process", None, "@A",
     ev("work", inputOf="@DONE", effortQuantity=qty(1, "om2:hour")), RV, "event.inputOf",
     "process-open"),
    ("unknown-process", None, "@A", on_r("consume", inputOf="nope"), NF, "event.inputOf",
     "must-exist"),
    ("a-place-is-not-a-process", None, "@A", on_r("consume", inputOf="@HERE"), NF,
     "event.inputOf", "must-exist"),
    ("consume-with-receiving-resource", None, "@A",
     on_r("consume", toResourceInventoriedAs="@S"), RV, TO, "io"),
    # -- unknown references ------------------------------------------------------------------
    ("unknown-provider", None, "@A", on_r("raise", provider="nobody", receiver="nobody"), NF,
     "event.provider", "must-exist"),
    ("unknown-receiver", None, "@A", on_r("transfer", receiver="nobody"), NF,
     "event.receiver", "must-exist"),
    ("a-place-is-not-an-agent", None, "@A", on_r("transfer", receiver="@HERE"), NF,
     "event.receiver", "must-exist"),
    ("unknown-specification", None, "@A",
     ev("raise", resourceConformsTo="nope", resourceQuantity=qty(1)), NF,
     "event.resourceConformsTo", "must-exist"),
    ("a-process-is-not-a-specification", None, "@A",
     ev("raise", resourceConformsTo="@P", resourceQuantity=qty(1)), NF,
     "event.resourceConformsTo", "must-exist"),
    ("unknown-toLocation", None, "@A", on_r("move", toLocation="atlantis"), NF,
     "event.toLocation", "must-exist"),
    ("unknown-atLocation", None, "@A", on_r("raise", atLocation="atlantis"), NF,
     "event.atLocation", "must-exist"),
    ("unknown-resource", None, "@A", on_r("consume", resourceInventoriedAs="nope"), NF, RES,
     "must-exist"),
    ("unknown-receiving-resource", None, "@A", on_r("transfer", toResourceInventoriedAs="nope"),
     NF, TO, "must-exist"),
    ("unknown-corrected-event", None, "@A", on_r("raise", corrects="nope"), NF,
     "event.corrects", "must-exist"),
    ("unknown-new-resource-location", None, "@A",
     ev("raise", resourceConformsTo="@cotton", resourceQuantity=qty(1),
        new={"currentLocation": "atlantis"}), NF, "newInventoriedResource.currentLocation",
     "must-exist"),
    ("unknown-new-resource-field", None, "@A",
     ev("raise", resourceConformsTo="@cotton", resourceQuantity=qty(1), new={"colour": "red"}),
     RV, "newInventoriedResource.colour", "known-fields"),
    # -- identity of the resources -----------------------------------------------------------
    ("other-specification", None, "@A", on_r("raise", resourceConformsTo="@boxes"), RV,
     "event.resourceConformsTo", "same-specification"),
    ("transfer-into-other-specification", None, "@A",
     on_r("move", toResourceInventoriedAs="@BOX"), RV, TO, "same-specification"),
    ("transfer-into-itself", None, "@A", on_r("move", toResourceInventoriedAs="@R"), RV, TO,
     "distinct-resources"),
]  # fmt: skip


def _scene(store: SqlStore) -> Scene:
    return Scene(Ledger(store, NETWORK))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Scene]:
    return make_template(tmp_path_factory.mktemp("refusals"))


@pytest.fixture
def scene(template: tuple[Path, Scene], tmp_path: Path) -> Iterator[Scene]:
    """A fresh copy of the scene on SQLite for each case."""
    sc, store = copy_scene(template, tmp_path)
    yield sc
    store.close()


def _refuse(
    sc: Scene, prep: Prep, by: str, event: dict[str, Any], error: Any, field: Any, rule: Any
) -> None:
    if prep is not None:
        prep(sc)
    event = {k: v for k, v in event.items() if v is not None}
    sc.refuse(by, error, field, rule, **event)


@pytest.mark.parametrize(
    ("prep", "by", "event", "error", "field", "rule"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_refusal(
    scene: Scene, prep: Prep, by: str, event: dict[str, Any], error: Any, field: Any, rule: Any
) -> None:  # fmt: skip
    _refuse(scene, prep, by, event, error, field, rule)


BACKEND_SUBSET = (
    "not-accountable-transfer",
    "incompatible-unit-consume",
    "contained-transfer",
    "container-lower",
    "unpaired-dropoff",
    "over-consume",
    "no-action",
    "input-consume-as-output",
    "consume-in-finished-process",
    "unknown-provider",
)


@pytest.mark.parametrize("name", BACKEND_SUBSET)
def test_refusals_on_every_backend(store: SqlStore, name: str) -> None:
    _id, prep, by, event, error, field, rule = next(r for r in REFUSALS if r[0] == name)
    _refuse(_scene(store), prep, by, event, error, field, rule)


def test_ids_are_unique() -> None:
    ids = [r[0] for r in REFUSALS]
    assert len(ids) == len(set(ids))
