"""Districts of a territory and the rule that puts a point in exactly one of them.

Border rule (deterministic, so every node places an event alike): a point belongs to the
district with the **smallest id** among those whose *closed* polygon (boundary included)
covers it. A point exactly on the border of A and B therefore falls in A if ``"A" < "B"``.
A point outside every polygon has no district (reason ``outside-territory``).

Where a node was given no polygons, the territory falls back to H3 cells (``h3`` v4 API): the
district of a point is the id of its H3 cell at the territory's resolution (default
:data:`DEFAULT_H3_RESOLUTION`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import h3
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from reflow.errors import RuleViolation

DEFAULT_H3_RESOLUTION = 8  # cells of ~0.7 km²: a neighbourhood
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
OUTSIDE = "outside-territory"
NO_PLACE = "no-place"
BAD_COORDINATES = "bad-coordinates"  # lat outside ±90 or long outside ±180


@dataclass(frozen=True, slots=True)
class District:
    id: str
    name: str
    geometry: dict[str, Any]  # GeoJSON geometry
    bbox: tuple[float, float, float, float]  # min_long, min_lat, max_long, max_lat


def parse_feature_collection(doc: Any, where: str = "body.features") -> list[District]:
    """Districts from a GeoJSON FeatureCollection of (Multi)Polygons; ids must be unique."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise RuleViolation(
            "districts must be a GeoJSON FeatureCollection", field=where, rule="geojson"
        )
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise RuleViolation("the FeatureCollection has no features", field=where, rule="geojson")
    out: dict[str, District] = {}
    for i, feat in enumerate(features):
        here = f"{where}.features[{i}]"
        if not isinstance(feat, dict):
            raise RuleViolation("a feature must be an object", field=here, rule="geojson")
        props = feat.get("properties") or {}
        did = feat.get("id", props.get("id"))
        if did is None or not str(did).strip():
            raise RuleViolation("a district needs an id", field=f"{here}.id", rule="required")
        did = str(did)
        geom = feat.get("geometry")
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            geom = None
        else:
            geom = {"type": geom["type"], "coordinates": _floats(geom.get("coordinates"), here)}
        if geom is None:
            raise RuleViolation(
                "a district's geometry must be a Polygon or MultiPolygon",
                field=f"{here}.geometry",
                rule="geojson-polygon",
            )
        try:
            poly = shape(geom)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            raise RuleViolation(
                f"bad polygon: {exc}", field=f"{here}.geometry", rule="geojson-polygon"
            ) from None
        if poly.is_empty or not poly.is_valid:
            raise RuleViolation(
                "the polygon is empty or invalid (self-intersecting?)",
                field=f"{here}.geometry",
                rule="geojson-polygon",
            )
        if did in out:
            raise RuleViolation(f"district id {did!r} twice", field=f"{here}.id", rule="unique")
        name = str(props.get("name") or did)
        out[did] = District(did, name, geom, tuple(poly.bounds))  # type: ignore[arg-type]
    return [out[k] for k in sorted(out)]


class Territory:
    """Locates points: polygons when the node has districts, else H3 cells."""

    def __init__(self, districts: list[District], h3_resolution: int = DEFAULT_H3_RESOLUTION):
        self.districts = sorted(districts, key=lambda d: d.id)
        self.h3_resolution = h3_resolution
        self._shapes: list[BaseGeometry] = [shape(d.geometry) for d in self.districts]
        self._tree = STRtree(self._shapes) if self._shapes else None

    @property
    def uses_h3(self) -> bool:
        return self._tree is None

    def locate(self, lat: Decimal | float, long: Decimal | float) -> tuple[str | None, str | None]:
        """(district id, None) or (None, reason)."""
        y, x = float(lat), float(long)
        if not (-90.0 <= y <= 90.0 and -180.0 <= x <= 180.0):
            return None, BAD_COORDINATES  # a place's lat/long are only checked as decimals
        if self._tree is None:
            return h3.latlng_to_cell(y, x, self.h3_resolution), None
        pt = Point(x, y)
        hits = sorted(int(i) for i in self._tree.query(pt))  # bbox candidates, in id order
        for i in hits:
            if self._shapes[i].covers(pt):  # closed polygon: the border belongs to it
                return self.districts[i].id, None
        return None, OUTSIDE

    def geometry_of(self, district_id: str) -> dict[str, Any] | None:
        """GeoJSON geometry of a district (an H3 cell's hexagon in the fallback)."""
        for d in self.districts:
            if d.id == district_id:
                return d.geometry
        if self.uses_h3 and h3.is_valid_cell(district_id):
            ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(district_id)]
            return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
        return None


def haversine_km(lat1: float, long1: float, lat2: float, long2: float) -> float:
    """Great-circle distance between two points, in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _floats(coords: Any, where: str) -> Any:
    """Coordinates as floats for shapely; records carry them as decimal strings."""
    if isinstance(coords, list):
        return [_floats(c, where) for c in coords]
    if isinstance(coords, str | int) and not isinstance(coords, bool):
        try:
            value = float(Decimal(coords))
        except ArithmeticError:
            value = math.nan
        if math.isfinite(value):
            return value
    raise RuleViolation(
        f"a coordinate must be a decimal string, got {coords!r}",
        field=f"{where}.geometry.coordinates",
        rule="geojson-coordinate",
    )


def for_record(doc: Any) -> Any:
    """A GeoJSON document with every float written as a decimal string (records refuse floats)."""
    if isinstance(doc, dict):
        return {k: for_record(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [for_record(v) for v in doc]
    if isinstance(doc, float):
        return repr(doc)
    return doc


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
