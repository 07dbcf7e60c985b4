"""A small, fixed economy for the VF conformance tests, and the helpers their tables need.

Three agents (Alice, Bob and the Carol co-op), two specifications (cotton in kg, boxes counted),
a process based on a ProcessSpecification, an unspecified one and a finished one, two places,
and three resources: Alice's bale ``R`` (10 kg at HERE), Bob's bale ``S`` (3 kg) and Alice's
empty box ``BOX`` (1 one). Table rows name these with ``@`` (``"@A"``, ``"@R"``), so a row reads
as the event it describes; ``@new``/``@to`` are the resources the event created.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support import NETWORK, World, qty

from reflow.errors import ReflowError
from reflow.ledger.ledger import Ledger
from reflow.store.digest import state_digest
from reflow.store.sqlstore import SqlStore
from reflow.vf.state import EventState, ResourceState

KG = "om2:kilogram"
ONE = "om2:one"


class Scene:
    """The economy every conformance case starts from, on a real ledger."""

    def __init__(self, ledger: Ledger) -> None:
        w = self.w = World(ledger)
        self.store = ledger.store
        self.A = w.agent("Alice")
        self.B = w.agent("Bob")
        self.C = w.agent("Carol co-op", "Organization")
        self.cotton = w.spec(self.A, "cotton", defaultUnitOfResource=KG)
        self.boxes = w.spec(self.A, "box")
        self.sewing = w.create(self.A, "ProcessSpecification", name="sewing")
        self.P = w.process(self.A, "sew shirts", basedOn=self.sewing)
        self.Q = w.process(self.A, "check bales")
        self.DONE = w.process(self.A, "last year's sewing", finished=True)
        self.HERE = w.place(self.A, "warehouse")
        self.THERE = w.place(self.A, "workshop", "52.1", "5.1")
        self.R = self.raise_(self.A, 10, location=self.HERE, name="bale")
        self.S = self.raise_(self.B, 3, name="Bob's bale")
        self.BOX = self.raise_(self.A, 1, spec=self.boxes, unit=ONE, name="box")
        self.last: dict[str, str] = {}

    def copy_to(self, ledger: Ledger) -> Scene:
        """The same scene over a copy of its database: same keys, chains and names."""
        new = object.__new__(Scene)
        new.__dict__.update(self.__dict__)
        new.w = World(ledger)
        new.w.keys = dict(self.w.keys)
        new.w.chain.heads = dict(self.w.chain.heads)
        new.store = ledger.store
        new.last = {}
        return new

    # -- acting ------------------------------------------------------------------------------

    def raise_(
        self,
        who: str,
        amount: str | int,
        *,
        spec: str | None = None,
        unit: str = KG,
        location: str | None = None,
        name: str | None = None,
    ) -> str:
        fields: dict[str, Any] = {
            "action": "raise",
            "provider": who,
            "receiver": who,
            "resourceConformsTo": spec or self.cotton,
            "resourceQuantity": qty(amount, unit),
        }
        if location:
            fields["toLocation"] = location
        return self.w.event(who, {"name": name} if name else None, **fields)["EconomicResource"]

    def event(self, by: str, new: dict[str, Any] | None = None, **fields: Any) -> dict[str, str]:
        """Record an event; ``@names`` in the values are resolved first."""
        self.last = self.w.event(
            self.resolve(by), self.resolve(new) if new else None, **self.resolve(fields)
        )
        return self.last

    def pack(self, item: str, box: str, by: str | None = None) -> str:
        """Combine the whole of ``item`` into ``box`` (both by name or id)."""
        who = by or self.A
        item_id = self.resolve(item)
        on = self.res(item_id).onhand_quantity
        unit = self.res(item_id).unit or KG
        return self.event(
            who,
            action="combine",
            provider=who,
            receiver=who,
            inputOf=self.P,
            resourceInventoriedAs=item_id,
            toResourceInventoriedAs=self.resolve(box),
            resourceQuantity=qty(str(on), unit),
        )["EconomicEvent"]

    def refuse(
        self, by: str, error: type[ReflowError], field: str, rule: str, **fields: Any
    ) -> ReflowError:
        """The event is refused with exactly this error, field and rule, and nothing changes."""
        new = fields.pop("new", None)
        before = state_digest(self.store)
        with pytest.raises(ReflowError) as caught:
            self.event(by, new, **fields)
        err = caught.value
        assert (type(err).__name__, err.field, err.rule) == (error.__name__, field, rule), str(err)
        assert state_digest(self.store) == before
        return err

    # -- reading -----------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            name = value[1:]
            if name in ("new", "to", "event"):
                role = {"new": "EconomicResource", "to": "toEconomicResource"}.get(
                    name, "EconomicEvent"
                )
                return self.last[role]
            return getattr(self, name)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def res(self, rid: str) -> ResourceState:
        found = self.store.resource(self.resolve(rid))
        assert found is not None, f"no resource {rid}"
        return found

    def ev(self, eid: str) -> EventState:
        found = self.store.event(self.resolve(eid))
        assert found is not None, f"no event {eid}"
        return found

    def check(self, rid: str, expected: dict[str, Any]) -> None:
        """Compare the named fields of a resource (quantities as strings, names resolved)."""
        r = self.res(rid)
        got = {}
        for key in expected:
            v = getattr(r, key)
            got[key] = str(v) if key.endswith("_quantity") else v
        want = {
            k: (str(v) if k.endswith("_quantity") else self.resolve(v)) for k, v in expected.items()
        }
        assert got == want, f"{rid}: {got} != {want}"


def core_digest(store: Any) -> str:
    """A hash over the foundation's projections (resources, events, VF objects) only.

    Rebuild is compared on these: projections of outer services are theirs to test.
    """
    import hashlib

    from sqlalchemy import select

    from reflow.store.schema import events, resources, vf_objects

    h = hashlib.sha256()
    with store.engine.connect() as conn:
        for table in (resources, events, vf_objects):
            pk = list(table.primary_key.columns)
            for row in conn.execute(select(table).order_by(*pk)):
                h.update(repr([str(v) for v in row]).encode())
    return h.hexdigest()


def make_template(directory: Path, extra: Any = None) -> tuple[Path, Scene]:
    """Build the scene once in a SQLite file that each test then copies (fast and isolated)."""
    path = directory / "template.sqlite"
    store = SqlStore.open(f"sqlite:///{path}")
    scene = Scene(Ledger(store, NETWORK))
    if extra is not None:
        extra(scene)
    store.close()
    return path, scene


def copy_scene(template: tuple[Path, Scene], directory: Path) -> tuple[Scene, SqlStore]:
    path, scene = template
    target = directory / "scene.sqlite"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            shutil.copy(source, f"{target}{suffix}")
    store = SqlStore.open(f"sqlite:///{target}", create=False)
    return scene.copy_to(Ledger(store, NETWORK)), store
