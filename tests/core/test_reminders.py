"""Reminder rules, without a dispatcher: which events a subscriber is reminded of, and when a
late reminder is sent or skipped."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.core.reminders import (
    DEFAULT_OFFSETS,
    Reminder,
    Subscription,
    delivery,
    local_delivery,
    reminded_events,
    reminder_text,
    reminders_between,
)

START = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
END = dt.datetime(2025, 11, 5, tzinfo=dt.UTC)


def subscription(region: str, zone: str = "America/Toronto") -> Subscription:
    return Subscription(1, "terminal", "local", region, "en", zone, "off", START)


@pytest.mark.parametrize("region", ["CA", "HK", "DE", "GB", "CH", "NO", "US", "BR", "LI"])
def test_one_series_per_change(kb, region):
    reminders = reminders_between(subscription(region), kb, START, END)
    subjects = {r.subject for r in reminders}
    assert len(subjects) == 1, subjects
    assert len(reminders) == len(DEFAULT_OFFSETS)


def test_an_event_concerns_the_regions_its_source_names(kb):
    assert "last_day_to_object_2025" not in {e.id for e in reminded_events(kb, "CA")}
    (liechtenstein,) = reminded_events(kb, "LI")
    assert liechtenstein.id == "last_day_to_object_2025"  # the day to act by, not the day after


def test_a_late_reminder_is_skipped_when_the_next_one_comes_within_a_day(kb):
    sub = subscription("CA")
    zone = sub.zone
    event_day = dt.date(2025, 11, 3)
    seven = Reminder(
        1,
        "deadline",
        "ai_training_start_2025_ca_hk",
        7,
        local_delivery(event_day - dt.timedelta(days=7), zone),
        dt.datetime(2025, 11, 4, 5, tzinfo=dt.UTC),
    )
    # Three days late: the next (1 day before) is four days away, so this one still goes.
    assert delivery(seven, sub, seven.due_at + dt.timedelta(days=3)) == "late"
    # Six days and some hours late: the next is due within a day and would say the same.
    almost = local_delivery(event_day - dt.timedelta(days=1), zone) - dt.timedelta(hours=7)
    assert delivery(seven, sub, almost) == "skip"
    assert delivery(seven, sub, seven.due_at) == "on_time"


def test_a_reminders_words_are_written_once_per_region_language_and_day(kb):
    """Every Canadian subscriber in English gets the same words on a day: the second is the
    first's text, not written again; another day, region or language gets its own."""
    now = dt.datetime(2025, 10, 27, 14, tzinfo=dt.UTC)
    first, second = subscription("CA"), replace(subscription("CA"), id=2, chat_id="other")
    (reminder, *_) = reminders_between(first, kb, START, END)
    text = reminder_text(reminder, first, kb, now)
    assert text and reminder_text(replace(reminder, subscription_id=2), second, kb, now) is text
    assert reminder_text(reminder, first, kb, now + dt.timedelta(days=1)) != text
    german = replace(first, language="de")
    assert reminder_text(reminder, german, kb, now) != text
    assert reminder_text(reminder, replace(first, region="HK"), kb, now) != text
