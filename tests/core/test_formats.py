"""Dates, day counts and place names in the reader's language (babel's CLDR data): English dates
the British way, exact day counts never rounded to months, Polish months after "since" in the
genitive, and the short names people use for Hong Kong and Macao."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.formats import format_date, format_days, format_month, territory_names

DAY = dt.date(2025, 11, 3)
MONTH = dt.date(2024, 9, 1)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "3 November 2025"),  # British order, as the fact sheet writes it
        ("de", "3. November 2025"),
        ("fr", "3 novembre 2025"),
        ("nl", "3 november 2025"),
        ("it", "3 novembre 2025"),
        ("es", "3 de noviembre de 2025"),
        ("pl", "3 listopada 2025"),
    ],
)
def test_a_day_in_each_language(language, text):
    assert format_date(DAY, language) == text


def test_english_is_the_default():
    assert format_date(DAY) == "3 November 2025"
    assert format_days(12) == "12 days"
    assert format_month(MONTH) == "September 2024"


def test_a_month_and_the_polish_month_after_since():
    assert format_month(MONTH, "de") == "September 2024"
    assert format_month(MONTH, "es") == "septiembre de 2024"
    assert format_month(MONTH, "pl") == "wrzesień 2024"
    assert format_month(MONTH, "pl", after_since=True) == "września 2024"  # "od września 2024"
    assert format_month(MONTH, "en", after_since=True) == "September 2024"


@pytest.mark.parametrize(
    ("language", "count", "plain", "ahead", "ago"),
    [
        ("en", 12, "12 days", "in 12 days", "12 days ago"),
        ("en", 1, "1 day", "in 1 day", "1 day ago"),
        ("de", 12, "12 Tage", "in 12 Tagen", "vor 12 Tagen"),
        ("es", 3, "3 días", "dentro de 3 días", "hace 3 días"),
        ("pl", 1, "1 dzień", "za 1 dzień", "1 dzień temu"),
    ],
)
def test_a_day_count_with_and_without_direction(language, count, plain, ahead, ago):
    assert format_days(count, language) == plain
    assert format_days(count, language, direction=True) == ahead
    assert format_days(-count, language, direction=True) == ago


def test_a_day_count_is_exact_never_rounded_to_months():
    assert format_days(45) == "45 days"
    assert format_days(400, "de") == "400 Tage"


def test_country_names_from_cldr_with_the_short_names_people_use():
    assert territory_names("de")["CH"] == "Schweiz"
    assert territory_names("fr")["NL"] == "Pays-Bas"
    assert territory_names("pl")["PL"] == "Polska"
    for language, hong_kong, macao in [
        ("de", "Hongkong", "Macau"),
        ("nl", "Hongkong", "Macau"),
        ("pl", "Hongkong", "Makau"),
        ("fr", "Hong Kong", "Macao"),
        ("it", "Hong Kong", "Macao"),
        ("es", "Hong Kong", "Macao"),
    ]:
        names = territory_names(language)
        assert (names["HK"], names["MO"]) == (hong_kong, macao)
        assert "SAR" not in names["HK"] and "Sonderverwaltungsregion" not in names["HK"]
