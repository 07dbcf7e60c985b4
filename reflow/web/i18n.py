"""Translation of the web pages' text: a small dict-based gettext.

Every string a page shows goes through ``_()`` so that the pilots' languages (Dutch, French,
German, Italian, Danish, Romanian) can be added as catalogues without touching templates. English
is the source language: a message missing from a catalogue falls back to the English text, and
``%(name)s`` placeholders are filled after the look-up so a translation may reorder them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LANGUAGES = ("en", "nl", "fr", "de", "it", "da", "ro")
DEFAULT_LANGUAGE = "en"

# language -> {English message: translation}. English needs no entries; the others start empty
# and are filled by translators (a missing entry shows the English text).
CATALOGUES: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}


def choose_language(accept_language: str | None, wanted: str | None = None) -> str:
    """The language to answer in: an explicit choice, else the browser's first known one."""
    if wanted in CATALOGUES:
        return str(wanted)
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in CATALOGUES:
            return code
    return DEFAULT_LANGUAGE


def translator(language: str) -> Callable[..., str]:
    """``_("Hello %(name)s", name=...)`` for one language."""
    catalogue = CATALOGUES.get(language, {})

    def _(message: str, **values: Any) -> str:
        text = catalogue.get(message, message)
        return text % values if values else text

    return _
