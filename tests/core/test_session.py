"""Conversation context per chat: the last region, intent and language, forgotten after half an
hour idle; what the bot has just asked lasts one reply."""

from __future__ import annotations

import datetime as dt

from bot.core.session import SESSION_TTL, Session

NOW = dt.datetime(2025, 10, 15, 9, 0, tzinfo=dt.UTC)


def test_a_session_is_current_until_idle_longer_than_its_ttl():
    session = Session(region="CA", intent="deadline", updated_at=NOW)
    assert dt.timedelta(minutes=30) == SESSION_TTL
    assert session.current(NOW + SESSION_TTL) is session
    assert session.current(NOW + SESSION_TTL + dt.timedelta(seconds=1)) == Session()


def test_a_session_not_used_yet_is_current():
    fresh = Session(language="de", chosen_language="de")  # e.g. a subscriber's stored language
    assert fresh.current(NOW + dt.timedelta(days=365)) is fresh


def test_after_a_reply_what_it_named_replaces_what_the_session_had():
    session = Session(region="CA", intent="deadline", language="en", updated_at=NOW)
    later = NOW + dt.timedelta(minutes=5)
    after = session.after(later, intent="opt_out_steps", region="DE", awaiting=None, language="de")
    assert (after.intent, after.region, after.language) == ("opt_out_steps", "DE", "de")
    assert after.updated_at == later


def test_after_a_reply_that_names_nothing_the_context_stays():
    session = Session(region="CA", intent="deadline", language="fr", chosen_language="fr")
    after = session.after(NOW, intent=None, region=None, awaiting=None)
    assert (after.region, after.intent, after.language) == ("CA", "deadline", "fr")
    assert after.chosen_language == "fr"  # only "language <code>" changes it


def test_what_the_bot_asked_is_answered_or_dropped_by_the_next_reply():
    asked = Session().after(NOW, intent="am_i_affected", region=None, awaiting="am_i_affected")
    asked = asked.after(NOW, intent=None, region=None, awaiting=None, pending="pick:a,b")
    assert asked.pending == "pick:a,b" and asked.awaiting_region_for is None
    after = asked.after(NOW, intent="a", region=None, awaiting=None)
    assert after.pending is None


def test_a_session_holds_no_text_of_a_message():
    assert set(Session.__dataclass_fields__) == {
        "region",
        "intent",
        "awaiting_region_for",
        "updated_at",
        "language",
        "chosen_language",
        "pending",
    }
