"""The node's settings, read once from the environment and passed down.

Every setting is declared here as (name, default, help); no other module reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from reflow.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("REFLOW_DATA_DIR", "./data", "directory of the node: database, keys, node.json"),
    Setting(
        "REFLOW_DATABASE_URL",
        "",
        "postgresql://… to use PostgreSQL; empty = SQLite in the data directory",
    ),
    Setting("REFLOW_HOST", "127.0.0.1", "address `reflow serve` listens on"),
    Setting("REFLOW_PORT", "8000", "port `reflow serve` listens on"),
    Setting(
        "REFLOW_TILES_URL",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "map tile URL template for the web map; empty = no tiles (offline)",
    ),
    Setting("REFLOW_REQUIRE_SIGNED_READS", "0", "1 = GraphQL reads must be signed too"),
    Setting("REFLOW_PEERS", "", "comma-separated URLs of peers to replicate with"),
)


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str
    port: int
    tiles_url: str
    require_signed_reads: bool
    peers: tuple[str, ...]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        raw = {s.env: env.get(s.env, s.default) for s in SETTINGS}
        try:
            port = int(raw["REFLOW_PORT"])
        except ValueError:
            raise RuleViolation(
                "REFLOW_PORT must be a number", field="REFLOW_PORT", rule="setting-type"
            ) from None
        values: dict[str, object] = {
            "data_dir": Path(raw["REFLOW_DATA_DIR"]),
            "database_url": raw["REFLOW_DATABASE_URL"],
            "host": raw["REFLOW_HOST"],
            "port": port,
            "tiles_url": raw["REFLOW_TILES_URL"],
            "require_signed_reads": raw["REFLOW_REQUIRE_SIGNED_READS"] in ("1", "true", "yes"),
            "peers": tuple(p for p in raw["REFLOW_PEERS"].split(",") if p.strip()),
        }
        known = {f.name for f in fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise RuleViolation(f"unknown setting {key!r}", field=key, rule="setting")
            if value is not None:
                values[key] = Path(value) if key == "data_dir" else value  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]
