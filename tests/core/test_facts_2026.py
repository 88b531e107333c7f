"""The facts corrected in December 2026 (shared/research/facts-update-2026-12.md, section 7): each
answer in English and one other language, today (2026-12-04) and before 3 November 2025."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.clock import FixedClock
from bot.core.reply import render_plain

TODAY = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
BEFORE = dt.datetime(2025, 10, 20, 12, 0, tzinfo=dt.UTC)
NEW_US_LINK = "https://www.linkedin.com/mypreferences/s/settings/share-data-with-trusted-partners"
OLD_US_LINK = "https://www.linkedin.com/mypreferences/d/settings/share-data-with-select-partners"
OTHERS_LINK = "https://www.linkedin.com/mypreferences/d/settings/ads-interactions-with-business"


def _text(answerer, when, intent_id, region=None, language="en"):
    answerer.clock = FixedClock(when)
    reply = answerer.answer_intent(intent_id, region, language=language)
    return render_plain(reply)


@pytest.mark.parametrize("when", [TODAY, BEFORE])
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_us_ads_links_are_the_2026_ones(answerer, when, language):
    text = _text(answerer, when, "microsoft_sharing", "US", language)
    assert NEW_US_LINK in text and OTHERS_LINK in text
    assert OLD_US_LINK not in text
    assert "Data from others for Ads" in text and "Global" in text


@pytest.mark.parametrize(
    ("language", "anywhere"), [("en", "23 February 2026"), ("fr", "23 février 2026")]
)
def test_microsoft_may_show_the_ads_anywhere_since_february_2026(answerer, language, anywhere):
    assert anywhere in _text(answerer, TODAY, "microsoft_sharing", "US", language)
    assert "2026" not in _text(answerer, BEFORE, "microsoft_sharing", "US", language)


@pytest.mark.parametrize(
    ("language", "policy"),
    [
        ("en", "no exception for Canada or Hong Kong"),
        ("de", "ohne Ausnahme für Kanada oder Hongkong"),
    ],
)
@pytest.mark.parametrize("when", [TODAY, BEFORE])
def test_canada_and_hong_kong_ads_stay_unclear_with_the_policy_text(
    answerer, language, policy, when
):
    text = _text(answerer, when, "microsoft_sharing", "CA", language)
    assert policy in text
    general = _text(answerer, when, "am_i_affected", None, language)
    assert ("has not said" if language == "en" else "nicht gesagt") in general


def test_the_policy_text_for_the_ads_sharing_is_cited_as_confirmed(kb):
    for intent_id in ("microsoft_sharing", "am_i_affected"):
        refs = {r.source.id: r.status for r in kb.intents[intent_id].sources}
        assert refs.get("S2") == "confirmed", intent_id
    event = next(e for e in kb.events if e.id == "microsoft_ads_sharing_start_2025")
    assert "S2" in {s.id for s in event.sources}
    assert not event.regions.contains("CA") and not event.regions.contains("HK")


@pytest.mark.parametrize(
    ("language", "past", "none_found"),
    [("en", "had to report", "no DPC statement"), ("pl", "miał złożyć", "nie znaleźliśmy")],
)
def test_the_dpc_report_is_past_and_nothing_was_published(answerer, language, past, none_found):
    today = _text(answerer, TODAY, "legal_basis", "DE", language)
    assert past in today and "2026" in today and none_found in today
    before = _text(answerer, BEFORE, "legal_basis", "DE", language)
    assert "2026" not in before and none_found not in before
    assert "2025" in before  # notified in March 2025


@pytest.mark.parametrize(
    ("language", "shorter"), [("en", "reduced the time period"), ("it", "ridotto il periodo")]
)
def test_the_shorter_data_period_replaces_2003_after_the_start(answerer, language, shorter):
    today = _text(answerer, TODAY, "data_used", "DE", language)
    assert shorter in today and "2003" in today
    before = _text(answerer, BEFORE, "data_used", "DE", language)
    assert shorter not in before and "2003" in before


@pytest.mark.parametrize(
    ("language", "statement"),
    [
        ("en", "does not cover information and content provided earlier"),
        ("nl", "niet geldt voor eerder verstrekte informatie"),
    ],
)
def test_linkedins_start_day_statement_on_earlier_content(answerer, language, statement):
    assert statement in _text(answerer, TODAY, "already_used_data", "DE", language)
    assert statement not in _text(answerer, BEFORE, "already_used_data", "DE", language)


def test_the_european_notice_and_last_verified(kb):
    assert "21 Aug 2026" in kb.sources["S1"].title
    assert kb.last_verified >= dt.date(2026, 12, 4)


MYTHS = [
    ("Do I have to opt out again every 60 days?", "en", "No source says it expires or resets"),
    ("Muss ich alle 60 Tage erneut widersprechen?", "de", "Keine Quelle sagt, dass sie abläuft"),
    ("Did LinkedIn change its terms in January 2026?", "en", "Data for Generative AI Improvement"),
    ("Czy linkedin zmienił regulamin w styczniu 2026?", "pl", "Data for Generative AI Improvement"),
    ("Does LinkedIn train AI on my passport from ID verification?", "en", "verification data"),
    ("Trainiert LinkedIn KI mit meinem Ausweis?", "de", "keine Verifizierungsdaten"),
    ("Was LinkedIn sued over InMail messages?", "en", "called the claims false"),
    (
        "¿Es cierta la demanda contra LinkedIn por los InMail?",
        "es",
        "calificó las acusaciones de falsas",
    ),
]


@pytest.mark.parametrize(("question", "language", "expected"), MYTHS)
@pytest.mark.parametrize("when", [TODAY, BEFORE])
def test_the_common_myths_are_answered(answerer, question, language, expected, when):
    answerer.clock = FixedClock(when)
    reply, _ = answerer.respond(question)
    text = render_plain(reply)
    assert answerer.kb.in_language(language).intents["myths"].title in text
    assert expected in text


@pytest.mark.parametrize(
    ("language", "january", "persona"),
    [("en", "January 2026", "Persona"), ("it", "gennaio 2026", "Persona")],
)
def test_the_myths_answer_speaks_of_2026_only_after_the_start(answerer, language, january, persona):
    today = _text(answerer, TODAY, "myths", None, language)
    assert january in today and "21" in today and persona in today
    before = _text(answerer, BEFORE, "myths", None, language)
    assert "2026" not in before and persona not in before
    assert "60" in before  # the reset myth is answered on both sides of the date
