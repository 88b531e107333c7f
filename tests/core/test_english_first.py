"""A new dated event or entry can go live in English first: `kb check` warns, the translations
use English's entry for it, and the bot says in the person's language that this part is in
English. What a translation has and English lacks, or gets wrong, is still refused."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.clock import FixedClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge import KnowledgeBase
from bot.core.knowledge_loader import KnowledgeError, load_knowledge
from bot.core.reminders import Reminder, Subscription, reminder_text
from bot.core.reply import render_plain
from tests.conftest import CACHE_DIR, KNOWLEDGE_DIR

BEFORE = dt.datetime(2025, 10, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
TRANSLATED = ("de", "fr", "nl", "it", "es", "pl")
NEW_EVENT = """  - id: new_event_2027
    date: 2027-01-15
    title: A new date that only English has so far
    regions: [EEA, CH, GB]
    what_to_do: Check the setting again.
    sources: [S1]
"""
NEW_RULE = """  - regions: [MO]
    label: Macao
    ai_training:
      value: "yes"
      since: 2024-09
      status: reported
      sources: [S14]
      note: A rule that only English has so far.
    microsoft_ads:
      value: unclear
      status: reported
      sources: [S14]
      note: Nothing yet.
"""


@pytest.fixture(scope="module")
def english_first(tmp_path_factory) -> Path:
    """The knowledge base with an event and a coverage rule English has and no translation has,
    an intent German lacks, and a regulator French lacks."""
    root = Path(shutil.copytree(KNOWLEDGE_DIR, tmp_path_factory.mktemp("kb") / "knowledge"))
    events = root / "events.yaml"
    events.write_text(events.read_text("utf-8") + NEW_EVENT, "utf-8")
    regions = root / "regions.yaml"
    text = regions.read_text("utf-8")
    regions.write_text(
        text.replace(
            '  - regions: ["*"]\n    label:', NEW_RULE + '  - regions: ["*"]\n    label:', 1
        ),
        "utf-8",
    )
    (root / "i18n/de/intents/why_linkedin.yaml").unlink()
    fr = root / "i18n/fr/regions.yaml"
    lines = fr.read_text("utf-8").splitlines(keepends=True)
    at = lines.index("  - regions: [CA]\n", lines.index("regulators:\n"))
    del lines[at : at + 2]
    fr.write_text("".join(lines), "utf-8")
    return root


@pytest.fixture(scope="module")
def loaded(english_first: Path) -> KnowledgeBase:
    """That knowledge base, loaded once for the tests that only read it."""
    return load_knowledge(english_first)


def test_kb_check_warns_and_accepts(english_first, capsys):
    assert main(["kb", "check", "--dir", str(english_first)]) == 0
    out = capsys.readouterr()
    assert "warning(s)" in out.out
    for language in TRANSLATED:
        assert f"i18n/{language}/events.yaml" in out.err and "new_event_2027" in out.err
    assert "i18n/de/intents/why_linkedin.yaml" in out.err
    assert "regulators[6]: missing entry for CA" in out.err
    assert "missing entry for MO" in out.err


def test_the_translations_use_english_for_what_they_lack(loaded):
    kb = loaded
    german = kb.in_language("de")
    assert german.event_index["new_event_2027"].english_only
    assert german.event_index["new_event_2027"].title == kb.event_index["new_event_2027"].title
    assert not german.event_index["ai_training_start_2025"].english_only
    assert german.intents["why_linkedin"].english_only
    assert not kb.in_language("fr").intents["why_linkedin"].english_only
    assert kb.in_language("fr").regulator_for("CA").english_only
    assert german.coverage_for("MO").english_only and not german.coverage_for("DE").english_only


@pytest.mark.parametrize("when", [TODAY, BEFORE])
def test_the_answer_says_this_part_is_in_english(loaded, when):
    answerer = QuestionAnswerer(loaded, FixedClock(when), CACHE_DIR)
    german = answerer.kb.in_language("de")
    note = german.say("answers.english_only")
    reply = answerer.answer_intent("why_linkedin", language="de")
    assert reply.paragraphs[0] == note and reply.language == "de"
    assert reply.paragraphs[1:] == answerer.kb.intents["why_linkedin"].answer.paragraphs
    assert note not in render_plain(answerer.answer_intent("opt_out_steps", language="de"))
    french = answerer.kb.in_language("fr")
    reply = answerer.answer_intent("complain", "CA", language="fr")
    assert reply.paragraphs[0].endswith(french.say("answers.english_only"))
    assert "Office of the Privacy Commissioner of Canada" in reply.paragraphs[0]
    reply = answerer.answer_intent("complain", "DE", language="fr")
    assert french.say("answers.english_only") not in render_plain(reply)
    reply = answerer.answer_intent("am_i_affected", "MO", language="pl")
    assert reply.paragraphs[0] == answerer.kb.in_language("pl").say("answers.english_only")
    assert "A rule that only English has so far." in render_plain(reply)
    # English itself never says it.
    assert answerer.kb.say("answers.english_only") not in render_plain(
        answerer.answer_intent("am_i_affected", "MO")
    )


def test_a_reminder_of_a_new_event_says_it_is_in_english(loaded):
    kb = loaded
    for code in TRANSLATED:
        sub = Subscription(1, "terminal", "x", "DE", code, "Europe/Berlin", "off", TODAY)
        now = dt.datetime(2027, 1, 1, 10, 0, tzinfo=sub.zone)
        reminder = Reminder(sub.id, "deadline", "new_event_2027", 14, now, now)
        text = reminder_text(reminder, sub, kb, now)
        assert kb.in_language(code).say("answers.english_only") in text
        assert "A new date that only English has so far" in text
        old = Reminder(sub.id, "deadline", "ai_training_start_2025", 14, now, now)
        assert kb.in_language(code).say("answers.english_only") not in reminder_text(
            old, sub, kb, now
        )


def test_what_english_lacks_or_differs_is_still_refused(tmp_path):
    root = Path(shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge"))
    de = root / "i18n/de/regions.yaml"
    de.write_text(
        de.read_text("utf-8").replace("  - regions: [CA]\n", "  - regions: [MO]\n", 1), "utf-8"
    )
    events = root / "i18n/fr/events.yaml"
    events.write_text(
        events.read_text("utf-8") + "  no_such_event:\n    title: x\n    what_to_do: y\n", "utf-8"
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    issues = "\n".join(str(i) for i in caught.value.issues)
    assert "not English's regions here" in issues
    assert "English has no such event" in issues
