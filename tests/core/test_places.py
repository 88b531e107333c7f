"""Every place a person can name gets the coverage the fact sheet gives it.

The answer key below is written by hand from shared/research/facts.md (1.3, 1.4, 6.2, 7.3, 8.4,
§10.1, §10.2) and the issue-13 rulings on places the sheet does not name: the EU's outermost
regions and Åland are in the EU; Gibraltar and the crown dependencies are settled by no source;
Kosovo and every other place get the answer for "most other countries". It is not read from
knowledge/regions.yaml: a change there that moves a place fails here.
"""

from __future__ import annotations

import datetime as dt

import pycountry
import pytest

from bot.core.clock import FixedClock
from bot.core.knowledge import COUNTRY_CODES
from bot.core.regions import _country_names
from bot.core.reply import render_plain

START = dt.date(2025, 11, 3)
BEFORE = dt.datetime(2025, 10, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)

EU = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]
OUTERMOST = {"GP": "FR", "MQ": "FR", "GF": "FR", "RE": "FR", "YT": "FR", "MF": "FR", "AX": "FI"}
EEA_ONLY = ["IS", "LI", "NO"]
CROWN_AND_GIBRALTAR = ["GI", "JE", "GG", "IM"]

# (value, basis, since) per policy.
EUROPE = {"ai_training": ("yes", "confirmed", START), "microsoft_ads": ("no", "reported", None)}
CANADA_HK = {
    "ai_training": ("yes", "reported", START),
    "microsoft_ads": ("unclear", "reported", None),
}
US = {
    "ai_training": ("yes", "reported", dt.date(2024, 9, 1)),
    "microsoft_ads": ("yes", "reported", START),
}
UNSETTLED = {
    "ai_training": ("yes", "reported", None),
    "microsoft_ads": ("unclear", "reported", None),
}
DEFAULT = US  # "the US and most other regions" (7.3), reportedly; AI training since 2024 (6.2)

ANSWER_KEY: dict[str, dict] = {
    **{code: EUROPE for code in [*EU, *OUTERMOST, *EEA_ONLY, "CH", "GB"]},
    "CA": CANADA_HK,
    "HK": CANADA_HK,
    "US": US,
    **{code: UNSETTLED for code in CROWN_AND_GIBRALTAR},
    "XK": DEFAULT,
}
# Names that are not the place's code of their own, and the place they are part of.
NAMED_PARTS = {"canary islands": "ES", "madeira": "PT", "azores": "PT", "kosovo": "XK"}
# A continent, not a country: read as no region on purpose ("Antarctica" is not "America").
NOT_A_COUNTRY = {"AQ"}


def expected(code: str) -> dict:
    return ANSWER_KEY.get(code, DEFAULT)


def actual(kb, code: str) -> dict:
    return {
        policy: (cover.value, cover.status, cover.since)
        for policy, cover in kb.coverage_for(code).policies.items()
    }


def test_every_code_gets_the_answer_key_s_coverage(kb):
    codes = {c.alpha_2 for c in pycountry.countries} | {"XK"}
    assert codes == COUNTRY_CODES
    default = next(rule for rule in kb.coverage if "*" in rule.regions.codes)
    wrong = {code: actual(kb, code) for code in sorted(codes) if actual(kb, code) != expected(code)}
    assert not wrong
    for code in sorted(codes - set(ANSWER_KEY)):
        assert kb.coverage_for(code) is default, code


def test_every_alias_gets_the_coverage_of_its_place(kb):
    for language in kb.translations.values():
        for name, region in language.aliases.items():
            if region in kb.groups:
                continue
            assert actual(kb, region) == expected(region), (language.language, name)


def test_groups_are_the_eu_and_the_eea(kb):
    assert kb.groups["EU"][1] == frozenset(EU)
    assert kb.groups["EEA"][1] == frozenset(EU + EEA_ONLY)
    assert kb.parts == OUTERMOST


@pytest.fixture(scope="module")
def resolver(_shared_answerer):
    return _shared_answerer.regions


def test_no_code_goes_unresolved(resolver):
    missed = {}
    for code in sorted(COUNTRY_CODES - NOT_A_COUNTRY):
        found = {
            (m.region if m else None)
            for name in _country_names()[code][0]
            for m in [resolver.find(f"am I affected in {name}?")]
        }
        if code not in found:
            missed[code] = found
    assert not missed


@pytest.mark.parametrize(
    ("place", "region"),
    [
        *NAMED_PARTS.items(),
        ("the Canaries", "ES"),
        ("Gran Canaria", "ES"),
        ("Pristina", "XK"),
        ("Guadeloupe", "GP"),
        ("Martinique", "MQ"),
        ("French Guiana", "GF"),
        ("Réunion", "RE"),
        ("Mayotte", "YT"),
        ("Saint-Martin", "MF"),
        ("Åland", "AX"),
        ("Gibraltar", "GI"),
        ("Jersey", "JE"),
        ("Guernsey", "GG"),
        ("the Isle of Man", "IM"),
    ],
)
def test_places_issue_13_names_are_recognised(resolver, kb, place, region):
    match = resolver.find(f"am I affected in {place}?")
    assert match is not None and match.region == region
    assert actual(kb, region) == expected(region)


# --- the answers, in English and another language, today and before 3 November 2025 ----------


def _ask(answerer, question, when, language="en"):
    answerer.clock = FixedClock(when)
    reply, _ = answerer.respond(question)
    assert reply.language == language, question
    return reply, render_plain(reply)


@pytest.mark.parametrize("when", [TODAY, BEFORE])
@pytest.mark.parametrize(
    ("question", "language", "region"),
    [
        ("am I affected in Guadeloupe?", "en", "GP"),
        ("Bin ich auf Réunion betroffen?", "de", "RE"),
        ("am I affected in the Canary Islands?", "en", "ES"),
        ("¿Me afecta en las Islas Canarias?", "es", "ES"),
        ("am I affected in the Azores?", "en", "PT"),
        ("am I affected in Åland?", "en", "AX"),
    ],
)
def test_outermost_regions_get_the_eu_answer(answerer, when, question, language, region):
    reply, text = _ask(answerer, question, when, language)
    assert reply.intent == "am_i_affected" and reply.region == region
    assert reply.coverage == {"ai_training": "yes", "microsoft_ads": "no"}
    assert reply.coverage_basis == {"ai_training": "confirmed", "microsoft_ads": "reported"}
    kb = answerer.kb.in_language(language)
    assert kb.coverage_for("DE").policies["ai_training"].note in text
    assert "2024" not in text  # not the rest of the world's September 2024
    turn_off = "answers.turn_off_before" if when == BEFORE else "answers.can_turn_off"
    assert kb.say(turn_off) in text


@pytest.mark.parametrize("when", [TODAY, BEFORE])
@pytest.mark.parametrize(
    ("question", "language", "region"),
    [
        ("am I affected in Jersey?", "en", "JE"),
        ("am I affected in Gibraltar?", "en", "GI"),
        ("Suis-je concerné sur l'île de Man ?", "fr", "IM"),
        ("Bin ich in Guernsey betroffen?", "de", "GG"),
    ],
)
def test_crown_dependencies_and_gibraltar_are_unsettled(answerer, when, question, language, region):
    reply, text = _ask(answerer, question, when, language)
    assert reply.region == region
    assert reply.coverage == {"ai_training": "yes", "microsoft_ads": "unclear"}
    assert reply.coverage_basis == {"ai_training": "reported", "microsoft_ads": "reported"}
    kb = answerer.kb.in_language(language)
    rule = kb.coverage_for(region)
    for cover in rule.policies.values():
        assert cover.note in text
    # What the UK answer would be is said, and no date is claimed for the place itself.
    uk = {"en": "the UK", "de": "Vereinigte Königreich", "fr": "Royaume-Uni"}[language]
    assert uk in rule.policies["ai_training"].note and uk in rule.policies["microsoft_ads"].note
    assert kb.say("answers.since", date=_date(START, language)) not in text


def _date(day, language):
    from bot.core.formats import format_date

    return format_date(day, language)


@pytest.mark.parametrize("when", [TODAY, BEFORE])
@pytest.mark.parametrize(
    ("question", "language", "region"),
    [
        ("am I affected in Kosovo?", "en", "XK"),
        ("Czy dotyczy mnie to w Kosowie?", "pl", "XK"),
        ("am I affected in Brazil?", "en", "BR"),
        ("¿Me afecta en Brasil?", "es", "BR"),
    ],
)
def test_other_places_get_reportedly_yes(answerer, when, question, language, region):
    reply, text = _ask(answerer, question, when, language)
    assert reply.region == region
    assert reply.coverage == {"ai_training": "yes", "microsoft_ads": "yes"}
    assert reply.coverage_basis == {"ai_training": "reported", "microsoft_ads": "reported"}
    kb = answerer.kb.in_language(language)
    assert kb.say("answers.status_reported") in text
    assert kb.say("answers.status_confirmed") not in text


# --- where to complain, per place ------------------------------------------------------------


@pytest.mark.parametrize("when", [TODAY, BEFORE])
@pytest.mark.parametrize(
    ("question", "language", "region", "authority"),
    [
        ("how do I complain in the US?", "en", "US", "no national data protection authority"),
        ("Wo kann ich mich in den USA beschweren?", "de", "US", "keine nationale"),
        ("who do I complain to in the UK?", "en", "GB", "LinkedIn Corporation"),
        ("Jak złożyć skargę w Wielkiej Brytanii?", "pl", "GB", "LinkedIn Corporation"),
        ("how do I complain in France?", "en", "FR", "CNIL"),
        ("Quelle autorité contacter en France ?", "fr", "FR", "CNIL"),
        ("how do I complain in Guadeloupe?", "en", "GP", "CNIL"),
        ("how do I complain in Norway?", "en", "NO", "Datatilsynet"),
        ("how do I complain in Brazil?", "en", "BR", "if it has one"),
    ],
)
def test_complaints_name_the_place_s_authority(
    answerer, when, question, language, region, authority
):
    reply, _ = _ask(answerer, question, when, language)
    assert (reply.intent, reply.region) == ("complain", region)
    kb = answerer.kb.in_language(language)
    regulator = kb.regulator_for(region)
    assert regulator.name in reply.paragraphs[0] and authority in reply.paragraphs[0]
    assert "http" not in reply.paragraphs[0]  # no complaint page is in the fact sheet yet
    if region == "US":
        assert regulator.none and "authority to contact" not in reply.paragraphs[0]


def test_regulators_link_no_news_release(kb):
    for language in kb.translations.values():
        for regulator in language.regulators:
            assert regulator.url is None or not any(
                word in regulator.url for word in ("news", "media", "press", "statement")
            ), regulator
    assert kb.regulator_for("AX").name == kb.regulator_for("FI").name
    assert kb.regulator_for("US").none and not kb.regulator_for("BR").none


ASKED = {
    "en": "am I affected in {}?",
    "de": "Bin ich in {} betroffen?",
    "fr": "Suis-je concerné en {} ?",
    "nl": "Ben ik in {} getroffen?",
    "it": "Sono interessato in {}?",
    "es": "¿Me afecta en {}?",
    "pl": "Czy dotyczy mnie to w {}?",
}


def test_no_alias_goes_unresolved(kb, resolver):
    missed = []
    for language in kb.translations.values():
        for name, region in language.aliases.items():
            question = ASKED[language.language].format(name.title())
            match = resolver.find(question, (language.language,))
            if match is None or match.region != region:
                missed.append((language.language, name, region))
    assert not missed


def test_reminders_follow_the_same_places(kb):
    def ids(region):
        return {event.id for event in kb.events_for(region)}

    for part, country in OUTERMOST.items():
        assert ids(part) == ids(country) and "ai_training_start_2025" in ids(part)
    for place in CROWN_AND_GIBRALTAR:
        # No source settles their start or the ads sharing: no date is sent for either.
        assert not ids(place) & {"ai_training_start_2025", "microsoft_ads_sharing_start_2025"}
    assert ids("XK") == ids("BR") and "microsoft_ads_sharing_start_2025" in ids("XK")
    assert ids("ES") == ids("DE")  # the Canary Islands, Madeira and the Azores are their country
