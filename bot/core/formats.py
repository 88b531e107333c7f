"""Dates, day counts and place names in the reader's language, from babel's CLDR data."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import babel
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton, format_timedelta

# Languages whose "since" takes the month in another case than it has standing alone.
_GENITIVE_MONTHS = frozenset({"pl"})
# English dates are written the British way ("3 November 2025"), as the fact sheet writes them.
_LOCALES = {"en": "en_GB"}
# babel names Hong Kong and Macao by their administrative titles ("Sonderverwaltungsregion
# Hongkong"); people, and our answers, use the short names.
_SHORT_NAMES = {
    "HK": {
        "de": "Hongkong",
        "nl": "Hongkong",
        "pl": "Hongkong",
        "fr": "Hong Kong",
        "it": "Hong Kong",
        "es": "Hong Kong",
    },
    "MO": {
        "de": "Macau",
        "nl": "Macau",
        "pl": "Makau",
        "fr": "Macao",
        "it": "Macao",
        "es": "Macao",
    },
}


def _locale(language: str) -> str:
    return _LOCALES.get(language, language)


def format_date(day: dt.date, language: str = "en") -> str:
    """A calendar day in words: "3 November 2025", "3. November 2025", "3 listopada 2025"."""
    return babel_format_date(day, "long", locale=_locale(language))


def format_month(day: dt.date, language: str = "en", *, after_since: bool = False) -> str:
    """A month, for facts whose sources give no day: "September 2024". `after_since`: as it is
    written after "since" (Polish "od" takes the genitive: "od września 2024", not "wrzesień")."""
    if after_since and language in _GENITIVE_MONTHS:
        return babel_format_date(day, "MMMM y", locale=_locale(language))
    return format_skeleton("yMMMM", day, locale=_locale(language))


def format_days(count: int, language: str = "en", *, direction: bool = False) -> str:
    """A number of days: "12 days"; with direction, "in 12 days" or "3 days ago"."""
    return format_timedelta(
        dt.timedelta(days=count),
        granularity="day",
        threshold=100_000,  # never rounded up to months: the exact count is the fact
        add_direction=direction,
        locale=_locale(language),
    )


@lru_cache(maxsize=64)
def territory_names(language: str) -> dict[str, str]:
    names = dict(babel.Locale.parse(_locale(language)).territories)
    for code, short in _SHORT_NAMES.items():
        if language in short:
            names[code] = short[language]
    return names
