"""The one action, always: every answer to someone who is or may be affected carries the direct
link to the setting (from the knowledge base's opt_out_steps links), and where the Microsoft ads
sharing applies to the region (coverage yes), the ads opt-out link (microsoft_sharing's) too."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.clock import FixedClock
from bot.core.engine import QuestionAnswerer
from bot.core.reply import render_plain, render_short
from tests.conftest import AFTER_DEADLINE, BEFORE_DEADLINE, CACHE_DIR

MOMENTS = {"before": BEFORE_DEADLINE, "after": AFTER_DEADLINE}
# The people who are or may be affected ask these; each answer carries the setting's link.
ACTION_TOPICS = ("am_i_affected", "deadline", "should_i_opt_out", "under_18", "opt_out_steps")
PLACES = ("DE", "GB", "CH", "NO", "CA", "HK", "US", "BR", "JP", "EU")


def topic_ids(kb):
    return [i.id for i in kb.intents.values() if i.kind == "topic"]


def setting_url(kb) -> str:
    return kb.intents["opt_out_steps"].answer.links[0].url


def ads_url(kb) -> str:
    return kb.intents["microsoft_sharing"].answer.links[0].url


@pytest.fixture
def at(kb):
    def make(moment: dt.datetime) -> QuestionAnswerer:
        return QuestionAnswerer(kb, FixedClock(moment), CACHE_DIR)

    return make


@pytest.mark.parametrize("moment", ("before", "after"))
def test_every_answer_to_someone_affected_carries_the_setting_link(kb, at, moment):
    answerer = at(MOMENTS[moment])
    for language in kb.languages:
        for intent_id in ACTION_TOPICS:
            for region in (None, "DE", "US", "CA"):
                reply = answerer.answer_intent(intent_id, region, language=language)
                urls = [link.url for link in reply.links]
                assert setting_url(kb) in urls, (language, intent_id, region)
                assert len(urls) == len(set(urls))  # each link once


def test_every_topic_but_non_members_and_reminders_carries_the_link(answerer, kb):
    for intent_id in topic_ids(kb):
        urls = [link.url for link in answerer.answer_intent(intent_id).links]
        assert (setting_url(kb) in urls) == (intent_id not in ("non_members", "reminders"))


def test_small_talk_and_non_members_get_no_action_links(answerer, kb):
    for intent_id in ("greeting", "thanks", "non_members", "reminders"):
        urls = [link.url for link in answerer.answer_intent(intent_id, "US").links]
        assert setting_url(kb) not in urls and ads_url(kb) not in urls, intent_id


def test_the_ads_opt_out_where_the_ads_sharing_applies(answerer, kb):
    for region in PLACES:
        coverage = kb.coverage_for(region).policies["microsoft_ads"].value
        for intent_id in ("am_i_affected", "deadline", "should_i_opt_out"):
            urls = [link.url for link in answerer.answer_intent(intent_id, region).links]
            assert (ads_url(kb) in urls) == (coverage == "yes"), (region, intent_id)


def test_the_links_come_from_the_knowledge_base(kb):
    assert (
        setting_url(kb)
        == "https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement"
    )
    assert ads_url(kb).startswith("https://www.linkedin.com/mypreferences/")


def test_asked_questions_carry_the_link_in_the_terminal_text(answerer, kb):
    for question in (
        "am I affected?",
        "I live in Germany",
        "is it too late",
        "should I opt out?",
        "what about under 18s?",
    ):
        reply, _ = answerer.respond(question)
        if reply.kind != "answer":
            continue  # "which country?" comes first for a question without a place
        assert setting_url(kb) in render_short(reply), question
        assert setting_url(kb) in render_plain(reply), question


def test_an_us_member_is_pointed_at_the_ads_opt_out(answerer, kb):
    reply, _ = answerer.respond("I live in the US, am I affected?")
    assert ads_url(kb) in render_short(reply)


# --- reminders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["DE", "US", "CA"])
def test_every_reminder_text_carries_the_setting_link(kb, region):
    from bot.core.reminders import Reminder, Subscription, reminder_text

    for language in kb.languages:
        sub = Subscription(
            1, "telegram", "1", region, language, "Europe/Berlin", "monthly", BEFORE_DEADLINE
        )
        now = dt.datetime(2025, 10, 19, 10, 0, tzinfo=sub.zone)
        label = kb.in_language(language).intents["opt_out_steps"].answer.links[0].label
        for kind, subject in (
            ("deadline", "ai_training_start_2025"),
            ("notice", "notice:ai_training_start_2025"),
            ("checkup", "checkup:2025-10"),
        ):
            text = reminder_text(Reminder(sub.id, kind, subject, 14, now, now), sub, kb, now)
            assert text is not None, (kind, subject)
            assert f"- {label}: {setting_url(kb)}" in text, (language, kind)
            assert text.count(setting_url(kb)) == 1
            ads = kb.coverage_for(region).policies["microsoft_ads"].value == "yes"
            assert (ads_url(kb) in text) == ads, (region, kind)
