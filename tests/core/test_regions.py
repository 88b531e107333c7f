from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("am I affected in Canada?", "CA"),
        ("I live in Toronto", "CA"),
        ("as a Canadian", "CA"),
        ("I'm Swiss", "CH"),
        ("Deutschland", "DE"),
        ("España", "ES"),
        ("Österreich", "AT"),
        ("Holland", "NL"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("the UK", "GB"),
        ("Britain", "GB"),
        ("england", "GB"),
        ("Scotland", "GB"),
        ("the States", "US"),
        ("America", "US"),
        ("US users", "US"),
        ("HK", "HK"),
        ("hong kong", "HK"),
        ("the EU", "EU"),
        ("EEA", "EEA"),
        ("München", "DE"),
        ("new york", "US"),
        ("I live in Reading", "GB"),
        ("I'm in Nice", "FR"),
        ("what about Norway?", "NO"),
        ("I'm in CH", "CH"),
        ("not the UK, I mean Canada", "CA"),
        ("Boston, Massachusetts", "US"),
        ("Valencia, Spain", "ES"),
        ("I live in London", "GB"),
        ("Barcelona", "ES"),
    ],
)
def test_names_a_region(answerer, text, region):
    match = answerer.regions.find(text)
    assert match is not None and match.region == region


@pytest.mark.parametrize(
    "text",
    [
        "tell me about it",
        "can I do it from the mobile app?",
        "tell us more",
        "I work in IT",
        "NO",
        "is it too late?",
        "opt out of AI",
        "data used in AI training",
        "nice, thanks",
        "I'm reading the settings",
        "can you answer in German",
        "is there a split between the two settings",
        "what about South America",
        "man, this is annoying",
        "como me quito de esto",
        "como lo quito?",
        "I live in Valencia",
        "",
        "\x00\x01",
    ],
)
def test_names_no_region(answerer, text):
    match = answerer.regions.find(text)
    assert match is None or (match.region is None and not match.europe)


def test_europe_is_not_a_region_id(answerer):
    match = answerer.regions.find("I live in Europe")
    assert match is not None and match.region is None and match.europe


def test_the_cities_countries_are_kept_in_the_cache_dir_and_read_from_it(
    tmp_path, monkeypatch: pytest.MonkeyPatch
):
    from bot.core import regions

    path = tmp_path / "cities-test.json"
    monkeypatch.setattr(regions, "_CITY_COUNTRIES", None)
    regions._city_countries_from(path)
    built = regions._city_countries()
    assert path.exists()
    assert built["london"] >= {"GB", "CA"}
    monkeypatch.setattr(regions, "_CITY_COUNTRIES", None)
    regions._city_countries_from(path)
    assert regions._city_countries() == built
