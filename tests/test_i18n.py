"""Every string people read has a Swedish translation, and numbers read the Swedish way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from presentation.i18n import Locale, negotiate_lang, resolve_lang, translations

ROOT = Path(__file__).resolve().parents[1]
#: Where people-facing strings live: reports, figures, workbooks, the CLI and the web page.
TRANSLATED_PACKAGES = ("presentation", "capplan", "api/web")
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def _extracted_messages() -> dict[str, str]:
    """msgid -> 'file:line' of every `_()`/`ngettext()` string in the translated packages."""
    found: dict[str, str] = {}
    for package in TRANSLATED_PACKAGES:
        folder = ROOT / package
        if not folder.exists():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            folder, METHODS, options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    found.setdefault(msgid, f"{package}/{filename}:{lineno}")
    return found


def test_every_message_has_a_swedish_translation():
    messages = _extracted_messages()
    assert "wk." in messages, "the extractor found none of the known messages"
    swedish = translations("sv")
    # in the catalogue with a non-empty translation ("Region" is "Region" in Swedish too: same text, translated)
    catalogue = swedish._catalog  # gettext's own table: msgid -> translation
    missing = [f"{where}: {msgid!r}" for msgid, where in sorted(messages.items()) if not catalogue.get(msgid)]
    where = "the .po files of presentation/locales/sv"
    assert not missing, f"messages without a Swedish translation in {where}:\n" + "\n".join(missing)


def test_swedish_numbers_dates_and_weeks():
    sv = Locale.for_lang("sv")
    nbsp = "\u00a0"
    assert sv.number(2251593.4) == f"2{nbsp}251{nbsp}593"
    assert sv.number(1234.56, 1) == f"1{nbsp}234,6"
    assert sv.patients(55419.5) == f"55{nbsp}420"  # whole patients, half rounded up
    assert sv.percent(0.371) == f"37,1{nbsp}%"
    assert sv.sek(99_540_000) == f"99,5{nbsp}MSEK"
    assert sv.week("2025-W14") == "v. 14 2025"
    assert sv.date(dt.date(2025, 3, 31), "long") == "31 mars 2025"


def test_english_on_request():
    en = Locale.for_lang("en")
    assert en._("Treated") == "Treated"
    assert en.number(2251593.4) == "2,251,593"
    assert en.percent(0.371) == "37.1%"


def test_language_choice(monkeypatch):
    monkeypatch.delenv("CAPPLAN_LANG", raising=False)
    assert resolve_lang(None) == "sv"
    assert resolve_lang("en-GB") == "en"
    monkeypatch.setenv("CAPPLAN_LANG", "en")
    assert resolve_lang(None) == "en"
    with pytest.raises(ValueError, match="not supported"):
        resolve_lang("de")
    monkeypatch.delenv("CAPPLAN_LANG")
    assert negotiate_lang("en-US,en;q=0.9,sv;q=0.8") == "en"
    assert negotiate_lang("de-DE,sv;q=0.5") == "sv"
    assert negotiate_lang("fr") == "sv"  # nothing supported: the default
    assert negotiate_lang(None) == "sv"
