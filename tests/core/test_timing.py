"""Wording that depends on the day: facts are said as coming before the day they take effect on
("from 3 November 2025, in 14 days") and as having happened from that day on ("since 3 November
2025"); a dated text takes its `before` wording until its event's day. On a knowledge base of a
few lines, so that each rule is seen on its own."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.core.knowledge import (
    Answer,
    DatedParagraph,
    Event,
    KnowledgeBase,
    PolicyCoverage,
    RegionSet,
)
from bot.core.timing import coverage_when, paragraphs_on, short_on, since_text, starts_later

START = dt.date(2025, 11, 3)
MESSAGES = {
    "en": {"answers.from": "from {date}, {in_days}", "answers.since": "since {date}"},
    "de": {"answers.from": "ab dem {date}, {in_days}", "answers.since": "seit dem {date}"},
}


def knowledge(language: str = "en") -> KnowledgeBase:
    event = Event(
        "start", START, "Training starts", RegionSet(frozenset({"*"})), "Turn it off.", ()
    )
    return KnowledgeBase(
        platform="LinkedIn",
        topic="AI training",
        last_verified=dt.date(2025, 10, 1),
        sources={},
        intents={},
        events=(event,),
        event_index={event.id: event},
        groups={},
        aliases={},
        demonyms={},
        europe_words=(),
        coverage=(),
        regulators=(),
        language=language,
        messages=MESSAGES[language],
    )


def cover(value: str = "yes", since: dt.date | None = START, month_only: bool = False):
    return PolicyCoverage(value, "confirmed", "", (), since, month_only)


ANSWER = Answer(
    paragraphs=("Training started on 3 November 2025.", "You can turn it off at any time."),
    dated=(DatedParagraph(0, "start", "Training starts on {date}, {days_left} from now."),),
    short="Yes, since 3 November 2025.",
    short_dated=DatedParagraph(0, "start", "Yes, from {date} ({days_left} left)."),
)


# --- since when a policy applies ---------------------------------------------------------------


def test_since_is_a_day_or_a_month_where_no_source_gives_the_day():
    assert since_text(cover(), "en") == "3 November 2025"
    assert since_text(cover(), "de") == "3. November 2025"
    month = cover(since=dt.date(2024, 9, 1), month_only=True)
    assert since_text(month, "en") == "September 2024"
    # Polish "od" ("since") takes the month in the genitive.
    assert since_text(month, "pl") == "września 2024"
    assert since_text(cover(since=None), "en") == ""


@pytest.mark.parametrize(
    ("today", "later"),
    [
        (dt.date(2025, 10, 20), True),
        (dt.date(2025, 11, 2), True),
        (START, False),  # it applies from that day
        (dt.date(2026, 1, 1), False),
    ],
)
def test_a_start_is_still_to_come_until_its_day(today, later):
    assert starts_later(cover(), today) is later


def test_a_coverage_without_a_date_never_starts_later():
    assert not starts_later(cover(since=None), dt.date(2000, 1, 1))


# --- when a "yes" applies ----------------------------------------------------------------------


def test_before_the_day_a_yes_applies_from_it_in_so_many_days():
    kb = knowledge()
    assert coverage_when(kb, cover(), dt.date(2025, 10, 20)) == "from 3 November 2025, in 14 days"
    assert coverage_when(kb, cover(), dt.date(2025, 11, 2)) == "from 3 November 2025, in 1 day"


def test_from_the_day_on_a_yes_applies_since_it():
    kb = knowledge()
    assert coverage_when(kb, cover(), START) == "since 3 November 2025"
    assert coverage_when(kb, cover(), dt.date(2026, 12, 4)) == "since 3 November 2025"


def test_the_words_are_the_knowledge_bases_language():
    kb = knowledge("de")
    assert (
        coverage_when(kb, cover(), dt.date(2025, 10, 20)) == "ab dem 3. November 2025, in 14 Tagen"
    )
    assert coverage_when(kb, cover(), START) == "seit dem 3. November 2025"


@pytest.mark.parametrize("value", ["no", "unclear"])
def test_only_a_yes_has_a_when(value):
    assert coverage_when(knowledge(), cover(value), dt.date(2025, 10, 20)) == ""
    assert coverage_when(knowledge(), cover(value), dt.date(2026, 1, 1)) == ""


def test_a_yes_without_a_date_has_no_when():
    assert coverage_when(knowledge(), cover(since=None), dt.date(2025, 10, 20)) == ""


# --- an answer's dated paragraphs and short text -----------------------------------------------


def test_before_the_event_a_dated_paragraph_takes_its_before_wording():
    paragraphs = paragraphs_on(knowledge(), ANSWER, dt.date(2025, 10, 20))
    assert paragraphs == [
        "Training starts on 3 November 2025, 14 days from now.",
        "You can turn it off at any time.",  # undated: the same every day
    ]
    assert ANSWER.paragraphs[0] == "Training started on 3 November 2025."  # not changed


@pytest.mark.parametrize("today", [START, dt.date(2026, 12, 4)])
def test_from_the_events_day_on_a_paragraph_reads_as_written(today):
    assert paragraphs_on(knowledge(), ANSWER, today) == list(ANSWER.paragraphs)


def test_a_dated_paragraph_is_written_in_the_knowledge_bases_language():
    (first, _) = paragraphs_on(knowledge("de"), ANSWER, dt.date(2025, 11, 2))
    assert first == "Training starts on 3. November 2025, 1 Tag from now."


def test_the_short_text_takes_its_before_wording_until_the_events_day():
    kb = knowledge()
    assert (
        short_on(kb, ANSWER, dt.date(2025, 10, 20)) == "Yes, from 3 November 2025 (14 days left)."
    )
    assert short_on(kb, ANSWER, START) == "Yes, since 3 November 2025."
    assert short_on(kb, ANSWER, dt.date(2026, 12, 4)) == "Yes, since 3 November 2025."


def test_a_short_text_without_a_date_is_the_same_every_day():
    undated = replace(ANSWER, short_dated=None)
    assert short_on(knowledge(), undated, dt.date(2025, 10, 20)) == undated.short
    no_event = replace(ANSWER, short_dated=DatedParagraph(0, "", "Yes, from {date}."))
    assert short_on(knowledge(), no_event, dt.date(2025, 10, 20)) == no_event.short
