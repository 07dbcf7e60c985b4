"""Inventory from a CSV file: one row per resource held somewhere, checked whole before any write.

Columns (a header row names them; order is free; unknown columns are refused):

=================  ========  ==============================================================
column             required  meaning
=================  ========  ==============================================================
name               yes       the resource's name ("Cotton bales, lot 4")
spec               yes       its kind: the name of a ResourceSpecification (created if new)
quantity           yes       a decimal number ("120", "2.5"), greater than zero
unit               yes       a unit id or symbol: om2:kilogram, kg, l, kWh, one, each...
holder             yes       who holds it: an agent id, or the name of an agent whose key this
                             node keeps (an Organization with a new key is declared if none)
place              no        a place name; with lat/long it is created if new
lat, long          no        decimal degrees (both or neither; -90..90, -180..180)
classification     no        space-separated URIs (e.g. http://www.wikidata.org/entity/Q11457)
tracking           no        a tracking identifier (lot, serial number)
note               no        free text
=================  ========  ==============================================================

Every row is checked before anything is recorded; each problem is reported as (line, column,
reason). A file with any bad row imports nothing, unless ``skip_bad`` is given, which imports
the good rows and reports the bad ones.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from reflow.errors import ReflowError, RuleViolation
from reflow.ledger.keys import KeyPair
from reflow.node import Node
from reflow.vf.units import canonical_unit_id

COLUMNS = (
    "name",
    "spec",
    "quantity",
    "unit",
    "holder",
    "place",
    "lat",
    "long",
    "classification",
    "tracking",
    "note",
)
REQUIRED = ("name", "spec", "quantity", "unit", "holder")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class Row:
    line: int
    values: dict[str, str]
    quantity: Decimal = Decimal(0)
    unit: str = ""


@dataclass
class CsvReport:
    imported: list[str] = field(default_factory=list)  # resource ids, in row order
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": len(self.imported),
            "resources": self.imported,
            "errors": [e.as_dict() for e in self.errors],
        }


class CsvRowsError(RuleViolation):
    """A file with bad rows: nothing was imported; ``errors`` lists every problem."""

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        super().__init__(
            f"{len(errors)} problem(s) in the file, nothing imported; line {first.line}, column "
            f"{first.column}: {first.reason}",
            field=f"line {first.line}, column {first.column}",
            rule="csv-rows",
        )
        self.errors = errors


def check(text: str) -> tuple[list[Row], list[RowError]]:
    """Parse and check every row; nothing touches a node here."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    errors = [RowError(1, h, "unknown column") for h in header if h not in COLUMNS]
    errors += [RowError(1, c, "required column missing") for c in REQUIRED if c not in header]
    if errors:
        return [], errors
    rows: list[Row] = []
    for raw in reader:
        line = reader.line_num
        values = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        row, problems = _check_row(line, values)
        errors += problems
        if not problems:
            rows.append(row)
    return rows, errors


def _check_row(line: int, v: dict[str, str]) -> tuple[Row, list[RowError]]:
    row = Row(line, v)
    out = [RowError(line, c, "required") for c in REQUIRED if not v.get(c)]
    if v.get("quantity"):
        try:
            row.quantity = Decimal(v["quantity"])
            if not row.quantity.is_finite() or row.quantity <= 0:
                out.append(RowError(line, "quantity", "must be a number greater than zero"))
        except InvalidOperation:
            out.append(RowError(line, "quantity", f"not a decimal number: {v['quantity']!r}"))
    if v.get("unit"):
        try:
            row.unit = canonical_unit_id(v["unit"])
        except ReflowError:
            out.append(RowError(line, "unit", f"unknown unit {v['unit']!r}"))
    if bool(v.get("lat")) != bool(v.get("long")):
        out.append(RowError(line, "lat" if not v.get("lat") else "long", "give lat and long"))
    for col, limit in (("lat", 90), ("long", 180)):
        if v.get(col):
            try:
                if abs(Decimal(v[col])) > limit:
                    out.append(RowError(line, col, f"out of range (±{limit})"))
            except InvalidOperation:
                out.append(RowError(line, col, f"not a decimal number: {v[col]!r}"))
    if (v.get("lat") or v.get("long")) and not v.get("place"):
        out.append(RowError(line, "place", "coordinates need a place name"))
    for uri in v.get("classification", "").split():
        if ":" not in uri:
            out.append(RowError(line, "classification", f"not a URI: {uri!r}"))
    return row, out


class _Writer:
    """Finds or creates the agents, specs and places rows name, then raises each resource."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.agents: dict[str, KeyPair] = {}
        for public in node.keystore.list():
            obj = node.store.object(public)
            if obj is not None and not node.keystore.is_sealed(public):
                key = node.keystore.get(public)
                self.agents[public] = key
                self.agents.setdefault(str(obj.data.get("name")), key)
        self.specs = {
            str(s.data.get("name")): s.id
            for s in node.store.objects_of_type("ResourceSpecification")
        }
        self.places = {
            str(p.data.get("name")): p.id for p in node.store.objects_of_type("SpatialThing")
        }

    def holder(self, name: str) -> KeyPair:
        if name not in self.agents:
            self.agents[name] = self.node.new_agent("Organization", {"name": name})
        return self.agents[name]

    def write(self, row: Row) -> str:
        v = row.values
        key = self.holder(v["holder"])
        classes = v.get("classification", "").split()
        if v["spec"] not in self.specs:
            data: dict[str, Any] = {"name": v["spec"], "defaultUnitOfResource": row.unit}
            if classes:
                data["resourceClassifiedAs"] = classes
            self.specs[v["spec"]] = self._create(key, "ResourceSpecification", data)
        new: dict[str, Any] = {"name": v["name"]}
        if v.get("place"):
            if v["place"] not in self.places:
                data = {"name": v["place"]}
                if v.get("lat"):
                    data.update(
                        lat=format(Decimal(v["lat"]), "f"), long=format(Decimal(v["long"]), "f")
                    )
                self.places[v["place"]] = self._create(key, "SpatialThing", data)
            new["currentLocation"] = self.places[v["place"]]
        for col, name in (("tracking", "trackingIdentifier"), ("note", "note")):
            if v.get(col):
                new[name] = v[col]
        if classes:
            new["classifiedAs"] = classes
        event = {
            "action": "raise",
            "provider": key.public,
            "receiver": key.public,
            "resourceConformsTo": self.specs[v["spec"]],
            "resourceQuantity": {
                "hasNumericalValue": format(row.quantity, "f"),
                "hasUnit": row.unit,
            },
        }
        if "currentLocation" in new:
            event["toLocation"] = new["currentLocation"]
        body = {"event": event, "newInventoriedResource": new}
        return self.node.submit(key, "vf.event", body).created["EconomicResource"]

    def _create(self, key: KeyPair, type_name: str, data: dict[str, Any]) -> str:
        body = {"type": type_name, "data": data}
        return self.node.submit(key, "vf.create", body).created[type_name]


def import_inventory(node: Node, text: str, *, skip_bad: bool = False) -> CsvReport:
    """Check the whole file, then record the rows (all of them, or the good ones with skip_bad)."""
    rows, errors = check(text)
    if errors and not skip_bad:
        raise CsvRowsError(errors)
    report = CsvReport(errors=errors)
    writer = _Writer(node)
    for row in rows:
        report.imported.append(writer.write(row))
    return report
