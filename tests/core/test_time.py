"""Every answer that speaks of the 3 November 2025 start reads right on both sides of the date, in
every language: before it, as something coming ("from 3 November 2025, in 14 days"), never as
something that has happened ("since 3 November 2025"); from the day on, as something that has."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from bot.core.clock import FixedClock
from bot.core.formats import format_date, format_days
from bot.core.knowledge import KnowledgeBase
from bot.core.knowledge_loader import KnowledgeError, load_knowledge
from bot.core.languages import LANGUAGES
from bot.core.reply import render_plain
from tests.conftest import AFTER_DEADLINE, KNOWLEDGE_DIR

START = dt.date(2025, 11, 3)
BEFORE = dt.datetime(2025, 10, 20, 12, 0, tzinfo=dt.UTC)  # 14 days before
AFTER = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
REGIONS = (None, "CA", "DE", "GB", "US", "CH", "HK", "BR")
# Words that say, on their own, that the start has happened. Italian "dal" and Polish "od" are
# both "from" and "since": their coverage lines are checked through the messages instead.
PAST = {
    "en": ("since 3 November 2025", "training started on"),
    "de": (
        "seit dem 3. November 2025",
        "seit 3. November 2025",
        "Training am 3. November 2025 begonnen",
    ),
    "fr": ("depuis le 3 novembre 2025", "depuis 3 novembre 2025", "a commencé le"),
    "nl": ("sinds 3 november 2025", "is de training begonnen"),
    "it": ("è iniziato il",),
    "es": ("desde el 3 de noviembre de 2025", "empezó el"),
    "pl": ("rozpoczęło się",),
}
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def _only_in(template: str, other: str) -> list[str]:
    """The pieces of `template` between placeholders that are long enough to tell it apart and
    that `other` does not share: if one shows in a reply, `template` was used."""
    return [
        piece.strip()
        for piece in _PLACEHOLDER.split(template)
        if len(piece.strip()) >= 20 and piece.strip() not in other
    ]


def _dated_texts(kb: KnowledgeBase, intent_id: str) -> list[tuple[str, str]]:
    """(before, after) of every text of an intent that is worded by the date."""
    answer = kb.intents[intent_id].answer
    texts = [(d.before, answer.paragraphs[d.index]) for d in answer.dated]
    if answer.after_event is not None:
        texts.append((answer.after_event.before, answer.after_event.after))
    return texts


def _coverage_line(kb: KnowledgeBase, key: str, **values: str) -> str:
    return f"{kb.say('answers.value_yes')}, {kb.say(key, **values)}"


def _starts_on_the_day(kb: KnowledgeBase, region: str) -> list[str]:
    return [
        policy
        for policy, cover in kb.coverage_for(region).policies.items()
        if cover.value == "yes" and cover.since == START
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_before_the_start_nothing_has_started(answerer, language):
    answerer.clock = FixedClock(BEFORE)
    kb = answerer.kb.in_language(language)
    date = format_date(START, language)
    has_started = _coverage_line(kb, "answers.since", date=date) + " "
    coming = _coverage_line(
        kb, "answers.from", date=date, in_days=format_days(14, language, direction=True)
    )
    try:
        for intent_id in kb.intents:
            for region in REGIONS:
                text = render_plain(answerer.answer_intent(intent_id, region, language=language))
                where = (language, intent_id, region)
                for marker in PAST[language]:
                    assert marker not in text, (*where, marker, text)
                assert has_started not in text, (*where, text)
                for before, after in _dated_texts(kb, intent_id):
                    for piece in _only_in(after, before):
                        assert piece not in text, (*where, piece)
                if region is None or intent_id not in ("am_i_affected", "microsoft_sharing"):
                    continue
                starting = _starts_on_the_day(kb, region)
                if intent_id == "microsoft_sharing":
                    starting = [p for p in starting if p == "microsoft_ads"]
                for _policy in starting:
                    assert coming in text, (*where, text)
                if intent_id == "am_i_affected" and "ai_training" in starting:
                    assert kb.say("answers.turn_off_before") in text, (*where, text)
                    assert kb.say("answers.can_turn_off") not in text, (*where, text)
    finally:
        answerer.clock = FixedClock(AFTER_DEADLINE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_after_the_start_it_has_happened(answerer, language):
    answerer.clock = FixedClock(AFTER)
    kb = answerer.kb.in_language(language)
    date = format_date(START, language)
    has_started = _coverage_line(kb, "answers.since", date=date) + " "
    coming = _coverage_line(kb, "answers.from", date=date, in_days="")
    try:
        for intent_id in kb.intents:
            for region in REGIONS:
                text = render_plain(answerer.answer_intent(intent_id, region, language=language))
                where = (language, intent_id, region)
                assert coming not in text, (*where, text)
                assert kb.say("answers.turn_off_before") not in text, (*where, text)
                for before, after in _dated_texts(kb, intent_id):
                    for piece in _only_in(before, after):
                        assert piece not in text, (*where, piece)
                if region is None or intent_id not in ("am_i_affected", "microsoft_sharing"):
                    continue
                starting = _starts_on_the_day(kb, region)
                if intent_id == "microsoft_sharing":
                    starting = [p for p in starting if p == "microsoft_ads"]
                if starting:
                    assert has_started in text, (*where, text)
    finally:
        answerer.clock = FixedClock(AFTER_DEADLINE)


def test_the_dated_paragraphs_read_forward_then_back(answerer):
    """The on-by-default and Microsoft answers, with no region: coming, then done."""
    answerer.clock = FixedClock(BEFORE)
    on = render_plain(answerer.answer_intent("on_by_default"))
    ads = render_plain(answerer.answer_intent("microsoft_sharing"))
    assert "From 3 November 2025, in 14 days, that includes the EU" in on
    assert "From 3 November 2025, in 14 days, LinkedIn will share more member data" in ads
    assert "UK only: from 3 November 2025 LinkedIn will also share" in ads
    answerer.clock = FixedClock(AFTER)
    on = render_plain(answerer.answer_intent("on_by_default"))
    ads = render_plain(answerer.answer_intent("microsoft_sharing"))
    assert "Since 3 November 2025 that includes the EU" in on
    assert "UK only: since 3 November 2025 LinkedIn also shares" in ads
    assert "will share" not in ads


def test_the_day_itself_counts_as_started(answerer):
    answerer.clock = FixedClock(dt.datetime(2025, 11, 3, 9, 0, tzinfo=dt.UTC))
    text = render_plain(answerer.answer_intent("am_i_affected", "DE"))
    assert "Yes, since 3 November 2025 (confirmed)" in text
    answerer.clock = FixedClock(dt.datetime(2025, 11, 2, 9, 0, tzinfo=dt.UTC))
    text = render_plain(answerer.answer_intent("am_i_affected", "DE"))
    assert "Yes, from 3 November 2025, in 1 day (confirmed)" in text


def test_a_question_before_the_start_gets_the_forward_wording(answerer):
    answerer.clock = FixedClock(BEFORE)
    reply, _ = answerer.respond("am I affected in Canada?")
    text = render_plain(reply)
    assert "Yes, from 3 November 2025, in 14 days (reported" in text
    assert "Turn the AI-training setting off before then" in text
    reply, _ = answerer.respond("Bin ich in Deutschland betroffen?")
    assert "Ja, ab dem 3. November 2025, also in 14 Tagen (bestätigt)" in render_plain(reply)


def test_polish_months_after_since_are_in_the_genitive(answerer):
    text = render_plain(answerer.answer_intent("am_i_affected", "US", language="pl"))
    assert "od września 2024" in text and "od wrzesień" not in text


# --- the knowledge base's dated paragraphs ---------------------------------------------------


@pytest.fixture
def knowledge_copy(tmp_path) -> Path:
    return Path(shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge"))


def _issues(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return [str(issue) for issue in caught.value.issues]


def test_a_dated_paragraph_needs_a_known_event(knowledge_copy):
    path = knowledge_copy / "intents/on_by_default.yaml"
    path.write_text(path.read_text("utf-8").replace("event: ai_training_start_2025", "event: nope"))
    assert any(
        "intents/on_by_default.yaml" in i and "unknown event 'nope'" in i
        for i in _issues(knowledge_copy)
    )


def test_a_translation_without_the_before_wording_is_refused(knowledge_copy):
    path = knowledge_copy / "i18n/de/intents/on_by_default.yaml"
    text = path.read_text("utf-8")
    start = text.index("    - before: ")
    end = text.index("      after: ", start)
    path.write_text(text[:start] + "    - " + text[end + len("      ") :].removeprefix("after: "))
    assert any(
        "i18n/de/intents/on_by_default.yaml" in i and "English has before and after texts" in i
        for i in _issues(knowledge_copy)
    )


def test_a_translated_before_wording_keeps_the_english_placeholders(knowledge_copy):
    path = knowledge_copy / "i18n/fr/intents/microsoft_sharing.yaml"
    path.write_text(path.read_text("utf-8").replace("dans {days_left}", "bientôt", 1))
    assert any(
        "i18n/fr/intents/microsoft_sharing.yaml" in i and "before" in i and "placeholders" in i
        for i in _issues(knowledge_copy)
    )
