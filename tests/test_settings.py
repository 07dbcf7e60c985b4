"""Settings are declared once, typed, and documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from reflow.errors import RuleViolation
from reflow.settings import SETTINGS, Settings

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_documented_in_the_readme(setting: object) -> None:
    assert f"`{setting.env}`" in README.read_text()  # type: ignore[attr-defined]


def test_settings_come_from_the_environment_and_options_override_them() -> None:
    s = Settings.from_env(
        {"REFLOW_PORT": "9001", "REFLOW_PEERS": "http://127.0.0.1:1,"}, data_dir="/tmp/x"
    )
    assert (s.port, s.peers, s.data_dir) == (9001, ("http://127.0.0.1:1",), Path("/tmp/x"))


@pytest.mark.parametrize(
    ("env", "overrides", "field"),
    [
        ({"REFLOW_PORT": "eighty"}, {}, "REFLOW_PORT"),
        ({}, {"colour": "red"}, "colour"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(
    env: dict[str, str], overrides: dict[str, str], field: str
) -> None:
    with pytest.raises(RuleViolation) as err:
        Settings.from_env(env, **overrides)
    assert err.value.field == field
