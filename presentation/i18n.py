"""Languages of everything people read: message catalogues (gettext, via Babel) and number formats.

Swedish is the default; English on request (`--lang en`, the setting `CAPPLAN_LANG`, or the
browser's `Accept-Language` on the web page). Source strings in the code are English and wrapped in
`_()`; their Swedish translations live in `presentation/locales/sv/LC_MESSAGES/*.po` (one plain-text
file per area: report, CLI, web page), compiled in memory into one catalogue when first used, so
there is no build step and no binary `.mo` file in the repository. `tests/test_i18n.py` extracts
every `_()` string from the code with Babel and fails when one has no Swedish translation. Never call
`_()` inside an f-string: on Python 3.11 the extractor cannot see into one.

    from presentation.i18n import Locale
    loc = Locale.for_lang("sv")
    loc._("Treated")              # "Behandlade"
    loc.number(2251593.4)         # "2 251 593" (non-breaking spaces)
    loc.patients(55419.5)         # "55 420": whole patients wherever people read numbers
    loc.percent(0.371)            # "37,1 %"
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale as BabelLocale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "capplan"
SUPPORTED_LANGS = ("sv", "en")
DEFAULT_LANG = "sv"
#: The Babel locale used for number and date formats of each language.
_FORMAT_LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def N_(message: str) -> str:
    """Mark `message` for translation without translating it (module-level labels, translated where
    they are shown with `Locale._`). Babel's extractor knows `N_` as a keyword."""
    return message


def resolve_lang(lang: str | None = None) -> str:
    """The language to use: `lang` if given, else `CAPPLAN_LANG`, else Swedish.

    Accepts region forms (`sv-SE`, `en_GB`); raises ValueError naming the supported languages.
    """
    chosen = lang or os.environ.get("CAPPLAN_LANG") or DEFAULT_LANG
    base = chosen.replace("_", "-").split("-")[0].lower()
    if base not in SUPPORTED_LANGS:
        raise ValueError(f"language {chosen!r} is not supported; choose one of {', '.join(SUPPORTED_LANGS)}")
    return base


def negotiate_lang(accept_language: str | None) -> str:
    """The supported language a browser prefers most (`Accept-Language` header), else the default."""
    if not accept_language:
        return resolve_lang(None)
    preferred = [part.split(";")[0].strip() for part in accept_language.split(",") if part.strip()]
    chosen = BabelLocale.negotiate(preferred, list(SUPPORTED_LANGS), sep="-")
    return str(chosen) if chosen else resolve_lang(None)


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of `lang` (English is the source language: no catalogue).

    A language's folder may hold several `.po` files, one per area (report, CLI, web page), so that
    people translating one area do not edit the same file; they are merged into one catalogue and a
    message defined twice with different translations is an error.
    """
    po_files = sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po"))
    if lang == "en" or not po_files:
        return NullTranslations()
    merged = Catalog(locale=lang, domain=DOMAIN)
    for po_file in po_files:
        with po_file.open("rb") as source:
            catalog = read_po(source, locale=lang, domain=DOMAIN)
        for message in catalog:
            if not message.id:
                continue
            known = merged.get(message.id)
            if known is not None and known.string != message.string:
                raise ValueError(f"{po_file.name}: {message.id!r} is translated differently in another catalogue")
            merged[message.id] = message
    compiled = io.BytesIO()
    write_mo(compiled, merged)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Locale:
    """One language's translations and number and date formats, passed to whatever people read."""

    lang: str

    @classmethod
    def for_lang(cls, lang: str | None = None) -> Locale:
        """The locale of `lang` (see `resolve_lang` for the fallbacks)."""
        return cls(resolve_lang(lang))

    @property
    def _babel(self) -> str:
        return _FORMAT_LOCALES[self.lang]

    def _(self, message: str) -> str:
        """`message` (English source text) in this language."""
        return translations(self.lang).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The singular or plural form of a message for `count`."""
        return translations(self.lang).ngettext(singular, plural, count)

    def number(self, value: float, decimals: int = 0) -> str:
        """A number with this language's thousands separator and decimal sign."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        return babel_numbers.format_decimal(value, format=pattern, locale=self._babel)

    def patients(self, value: float) -> str:
        """A count of patients: whole patients, rounded half up (55 419.5 is 55 420)."""
        return self.number(int(value + 0.5) if value >= 0 else -int(-value + 0.5))

    def percent(self, share: float, decimals: int = 1) -> str:
        """A share (0.371) as a percentage ("37,1 %" in Swedish, "37.1%" in English)."""
        suffix = "%" if self.lang == "en" else "\u00a0%"
        return self.number(share * 100, decimals) + suffix

    def sek(self, amount: float, unit: str = "MSEK") -> str:
        """An amount of money in MSEK (default), kSEK or SEK."""
        divisor = {"SEK": 1, "kSEK": 1e3, "MSEK": 1e6}[unit]
        decimals = 1 if unit == "MSEK" else 0
        return f"{self.number(amount / divisor, decimals)}\u00a0{unit}"

    @property
    def plotly_separators(self) -> str:
        """plotly's `separators` layout setting: the decimal sign, then the thousands separator."""
        return ".," if self.lang == "en" else ", "

    def date(self, day: dt.date, form: str = "medium") -> str:
        """A date ("31 mars 2025" in long Swedish form, "2025-03-31" as medium)."""
        return babel_dates.format_date(day, format=form, locale=self._babel)

    def week(self, iso_week: str) -> str:
        """An ISO week label (`2025-W14`) as people write it ("v. 14 2025", "week 14 2025")."""
        year, week = iso_week.split("-W")
        prefix = self._("wk.")  # outside the f-string: Babel's extractor cannot see into one on 3.11
        return f"{prefix} {int(week)} {year}"
