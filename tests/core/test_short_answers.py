"""A short answer first, then the details.

Every topic has a short answer (the verdict or the key step, then the one action) of at most 400
characters in English and 480 in the other languages, right on both sides of 3 November 2025;
"am I affected" with a place is that place's verdict (tests/core/test_one_action.py: the links).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.core.clock import FixedClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge_loader import KnowledgeError, load_knowledge
from bot.core.knowledge_reader import short_limit
from bot.core.reply import render_plain, render_short
from tests.conftest import AFTER_DEADLINE, BEFORE_DEADLINE, CACHE_DIR, KNOWLEDGE_DIR

MOMENTS = {
    "before": BEFORE_DEADLINE,  # 15 October 2025
    "the day before": dt.datetime(2025, 11, 2, 12, 0, tzinfo=dt.UTC),
    "the day": dt.datetime(2025, 11, 3, 12, 0, tzinfo=dt.UTC),
    "after": AFTER_DEADLINE,
}
# JE: affected with no start date in any source, so its verdict names none.
PLACES = ("DE", "GB", "CH", "NO", "CA", "HK", "US", "BR", "JP", "EU", "JE")


def topic_ids(kb):
    return [i.id for i in kb.intents.values() if i.kind == "topic"]


@pytest.fixture
def at(kb):
    """An answerer over the real knowledge base at a given moment."""

    def make(moment: dt.datetime) -> QuestionAnswerer:
        return QuestionAnswerer(kb, FixedClock(moment), CACHE_DIR)

    return make


# --- the knowledge base -------------------------------------------------------------------------


def test_every_topic_has_a_short_answer_in_every_language(kb):
    for language in kb.languages:
        words = kb.in_language(language)
        for intent_id in topic_ids(kb):
            assert words.intents[intent_id].answer.short, (language, intent_id)


@pytest.mark.parametrize("moment", MOMENTS)
def test_short_answers_fit_their_length_on_every_day(kb, at, moment):
    answerer = at(MOMENTS[moment])
    for language in kb.languages:
        limit = short_limit(language)
        for intent_id in topic_ids(kb):
            regions = PLACES if intent_id == "am_i_affected" else (None,)
            for region in regions:
                reply = answerer.answer_intent(intent_id, region, language=language)
                assert reply.short, (language, intent_id, region)
                assert len(reply.short) <= limit, (language, intent_id, region, len(reply.short))
                assert "{" not in reply.short, (language, intent_id, reply.short)
                assert ",  " not in reply.short and " ," not in reply.short, reply.short


def test_short_limits():
    assert short_limit("en") == 400
    assert all(short_limit(code) == 480 for code in ("de", "fr", "nl", "it", "es", "pl"))


def test_a_short_answer_is_shorter_than_the_full_one(answerer, kb):
    for intent_id in topic_ids(kb):
        reply = answerer.answer_intent(intent_id)
        assert len(render_short(reply)) < len(render_plain(reply)), intent_id


# --- what the person asked decides the first sentence ------------------------------------------


@pytest.mark.parametrize("moment", MOMENTS)
def test_is_it_too_late_starts_with_no_on_both_sides_of_the_date(at, moment):
    reply, _ = at(MOMENTS[moment]).respond("is it too late to opt out?")
    assert reply.intent == "deadline"
    assert reply.short.startswith("No, it is ")


def test_the_deadline_short_answer_is_time_aware(at):
    before, _ = at(BEFORE_DEADLINE).respond("is it too late to opt out?")
    assert "training starts on 3 November 2025, in 19 days" in before.short
    assert "before then" in before.short
    after, _ = at(AFTER_DEADLINE).respond("is it too late to opt out?")
    assert "started on 3 November 2025" in after.short and "never too late" in after.short


def test_a_translated_short_answer_is_time_aware_too(at):
    before = at(BEFORE_DEADLINE).answer_intent("deadline", language="de")
    assert before.short.startswith("Nein") and "noch 19 Tage" in before.short
    after = at(AFTER_DEADLINE).answer_intent("deadline", language="de")
    assert after.short.startswith("Nein") and "3. November 2025" in after.short


def test_a_place_gets_its_own_verdict_and_what_to_do_there(at):
    after = at(AFTER_DEADLINE)
    germany = after.answer_intent("am_i_affected", "DE")
    assert germany.short.startswith("Yes. In Germany, LinkedIn uses your data")
    assert "since 3 November 2025 (confirmed)" in germany.short
    assert "Microsoft for ads does not apply there" in germany.short
    assert "at any time with the link below" in germany.short
    us = after.answer_intent("am_i_affected", "US")
    assert "since September 2024 (reported)" in us.short
    assert "Data sharing setting" in us.short
    canada = after.answer_intent("am_i_affected", "CA")
    assert "(reported)" in canada.short and "is unclear" in canada.short


def test_a_place_before_the_date_is_told_what_is_coming(at):
    germany = at(BEFORE_DEADLINE).answer_intent("am_i_affected", "DE")
    assert "will use your data" in germany.short
    assert "from 3 November 2025, in 19 days" in germany.short
    assert "before then" in germany.short
    us = at(BEFORE_DEADLINE).answer_intent("am_i_affected", "US")
    assert "since September 2024" in us.short  # the US has had it since 2024
    assert "will also share" in us.short


def test_a_place_in_another_language(at):
    reply = at(AFTER_DEADLINE).answer_intent("am_i_affected", "PL", language="pl")
    assert reply.short.startswith("Tak.") and "3 listopada 2025" in reply.short


# --- the loader and kb check --------------------------------------------------------------------


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def errors_of(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return [str(issue) for issue in caught.value.issues]


def replace_short(path: Path, new: str) -> int:
    lines = path.read_text().split("\n")
    index = next(n for n, line in enumerate(lines) if line.startswith("  short: "))
    lines[index] = "  short: " + new
    path.write_text("\n".join(lines))
    return index + 1


def test_a_topic_without_a_short_answer_is_refused(kb_copy):
    path = kb_copy / "intents" / "under_18.yaml"
    lines = [line for line in path.read_text().split("\n") if not line.startswith("  short: ")]
    path.write_text("\n".join(lines))
    errors = errors_of(kb_copy)
    assert any("under_18.yaml" in e and "answer.short: missing" in e for e in errors)
    assert any("i18n/de/intents/under_18.yaml" in e and "English has no short" in e for e in errors)


def test_a_short_answer_over_the_limit_is_refused(kb_copy):
    line = replace_short(kb_copy / "intents" / "under_18.yaml", "'" + "word " * 81 + "'")
    errors = errors_of(kb_copy)
    assert any(
        e.startswith(f"knowledge/intents/under_18.yaml:{line}: answer.short: 404 characters")
        for e in errors
    ), errors


def test_a_translated_short_answer_may_be_longer_but_not_over_480(kb_copy):
    path = kb_copy / "i18n" / "de" / "intents" / "under_18.yaml"
    replace_short(path, "'unter 18: " + "Wort " * 95 + "'")
    errors = errors_of(kb_copy)
    assert any("de/intents/under_18.yaml" in e and "at most 480" in e for e in errors), errors


def test_a_translation_keeps_the_numbers_and_links_of_the_short_answer(kb_copy):
    replace_short(kb_copy / "i18n" / "fr" / "intents" / "under_18.yaml", "'Moins de 17 ans.'")
    errors = errors_of(kb_copy)
    assert any(
        "fr/intents/under_18.yaml" in e and "answer.short: numbers differ" in e for e in errors
    )


def test_a_dated_short_answer_keeps_its_shape_in_translations(kb_copy):
    path = kb_copy / "i18n" / "nl" / "intents" / "deadline.yaml"
    text = path.read_text()
    start = text.index("  short:\n")
    end = text.index("\n  paragraphs:")
    path.write_text(text[:start] + "  short: 'Nee, nooit te laat.'" + text[end:])
    errors = errors_of(kb_copy)
    assert any("nl/intents/deadline.yaml" in e and "before and after texts" in e for e in errors)
