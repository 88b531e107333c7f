"""Time zones from what people type: an IANA zone name in any case, or a city (the most populous
of that name); anything else is no zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.core.timezones import zone_for


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("utc", "UTC"),
        ("america/new york", "America/New_York"),  # a space for the underscore
        ("  Asia/Tokyo  ", "Asia/Tokyo"),
    ],
)
def test_a_zone_name_in_any_case_gives_the_zones_own_spelling(text, zone):
    assert zone_for(text) == zone


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Toronto", "America/Toronto"),
        ("berlin", "Europe/Berlin"),
        ("Hamburg", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("Zürich", "Europe/Zurich"),  # accents folded
        ("Kraków", "Europe/Warsaw"),
        ("São Paulo", "America/Sao_Paulo"),
        ("München", "Europe/Berlin"),  # a name the city is also known by
        ("Wien", "Europe/Vienna"),
        ("St. Petersburg", "Europe/Moscow"),
    ],
)
def test_a_city_gives_its_zone(text, zone):
    assert zone_for(text) == zone


@pytest.mark.parametrize(
    ("city", "zone"),
    [("London", "Europe/London"), ("Paris", "Europe/Paris"), ("Sydney", "Australia/Sydney")],
)
def test_a_name_several_cities_share_is_the_most_populous_ones(city, zone):
    # London, Ontario; Paris, Texas; Sydney, Nova Scotia are smaller.
    assert zone_for(city) == zone


@pytest.mark.parametrize("text", ["", "   ", "Xqzzyville", "Mars/Olympus_Mons", "x" * 101])
def test_anything_else_is_no_zone(text):
    assert zone_for(text) is None


def test_a_zone_found_is_one_the_system_knows():
    for text in ("europe/paris", "Toronto", "Zürich", "utc"):
        assert ZoneInfo(zone_for(text)).key == zone_for(text)
