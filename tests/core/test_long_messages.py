"""A long paste is answered by its question (its last "?" sentences), not by its first 500
characters; the reply says, in one line, that only part was read; a place the writer names
before the paste counts, one the pasted text names does not; huge input stays fast."""

from __future__ import annotations

import time

import pytest

from bot.core.languages import LANGUAGES
from bot.core.reply import render_plain
from bot.core.text import CONTEXT_CHARS, MAX_QUESTION_CHARS, SEARCH_CHARS, read

# LinkedIn's notice as people forward it: it names places, and has a question of its own.
EMAIL = (
    "Hi Jane, we're making some changes to our User Agreement and Privacy Policy. Starting "
    "November 3, 2025, we'll use some data from members in France and other regions to improve "
    "content-generating AI. Questions? Learn more in our Help Center at "
    "https://www.linkedin.com/help/linkedin/answer/a8059228?lang=en. You can opt out in your "
    "settings.\n"
)
NOTE = "I read only the last part of your long message"


def test_a_pasted_email_is_answered_by_the_question_at_its_end(answerer):
    text = EMAIL * 6 + "So my question is: how do I turn this off on my phone?"
    assert len(text) > 3 * MAX_QUESTION_CHARS
    reply, _ = answerer.respond(text)
    assert reply.intent == "opt_out_steps"
    assert reply.paragraphs[0].startswith(NOTE)
    assert render_plain(reply).startswith(f"{reply.title}\n\n{NOTE}")
    assert NOTE in reply.as_json(render_plain(reply))["answer"]


def test_a_message_read_whole_carries_no_note(answerer):
    reply, _ = answerer.respond("how do I turn this off on my phone?")
    assert reply.intent == "opt_out_steps"
    assert not any(NOTE in p for p in reply.paragraphs)
    question = "how do I turn this off on my phone? " + " " * 600
    reply, _ = answerer.respond(question)  # long only by its padding: read whole
    assert not any(NOTE in p for p in reply.paragraphs)


def test_the_note_speaks_the_language_of_the_reply(answerer):
    words = answerer.kb.in_language("de")
    reply, _ = answerer.respond(EMAIL * 4 + "\nWie kann ich das auf dem Handy abschalten?")
    assert (reply.intent, reply.language) == ("opt_out_steps", "de")
    assert reply.paragraphs[0] == words.say("answers.read_last_part")
    for code in LANGUAGES:  # short: one line
        assert len(answerer.kb.in_language(code).say("answers.read_last_part")) <= 130


def test_a_place_the_writer_names_before_the_paste_counts(answerer):
    reply, _ = answerer.respond("I live in Canada. I got this e-mail:\n" + EMAIL * 5 + "Too late?")
    assert (reply.intent, reply.region) == ("deadline", "CA")
    reply, _ = answerer.respond("Ich wohne in Österreich.\n" + EMAIL * 5 + "Ist es zu spät?")
    assert (reply.intent, reply.region, reply.language) == ("deadline", "AT", "de")


def test_a_place_only_the_pasted_text_names_is_not_the_writers(answerer):
    reply, _ = answerer.respond(EMAIL * 6 + "How do I turn this off on my phone?")
    assert reply.region is None  # "members in France" is the e-mail speaking


def test_a_place_in_the_question_wins_over_one_before_it(answerer):
    text = "I'm in Canada.\n" + EMAIL * 5 + "Where do I complain? I moved to Norway?"
    reply, _ = answerer.respond(text)
    assert (reply.intent, reply.region) == ("complain", "NO")


@pytest.mark.parametrize("times", [200_000 // len(EMAIL), 1])
def test_huge_pastes_stay_fast(answerer, times):
    text = "I live in Canada.\n" + EMAIL * times + "a " * 90_000 + "\nhow do I opt out?"
    started = time.perf_counter()
    reply, _ = answerer.respond(text)
    elapsed = time.perf_counter() - started
    assert reply.intent == "opt_out_steps" and reply.paragraphs[0].startswith(NOTE)
    assert elapsed < 1.0, elapsed  # about 10 ms on a laptop


# --- what is read of a message ---------------------------------------------------------------


def test_a_short_message_is_read_whole():
    text = "x" * (MAX_QUESTION_CHARS - 1) + "?"
    assert read(text).text == text and not read(text).cut


def test_the_last_run_of_questions_is_read():
    reading = read(EMAIL * 4 + "I'm confused. Is it too late? How do I opt out?\nThanks, Jane")
    assert reading.text == "Is it too late? How do I opt out?"
    assert reading.cut and "I'm confused." in reading.context[-1]


def test_a_question_mark_inside_a_link_ends_no_sentence():
    reading = read(EMAIL * 4)
    assert reading.text == "Questions?"  # the e-mail's own question; "?lang=en" is no question


def test_without_a_question_the_last_sentences_are_read():
    reading = read(("This is a sentence without a question. " * 40) + "Please explain the change")
    assert reading.text.endswith("Please explain the change")
    assert len(reading.text) <= MAX_QUESTION_CHARS
    assert reading.text.startswith("This is a sentence")  # whole sentences


def test_one_endless_sentence_is_read_from_its_end_in_whole_words():
    text = "word " * 300 + "and how do I opt out?"
    reading = read(text)
    assert reading.text.endswith("how do I opt out?")
    assert len(reading.text) <= MAX_QUESTION_CHARS
    assert reading.text.startswith("word ")


def test_only_the_start_and_end_of_a_huge_paste_are_searched_for_places():
    reading = read("I'm Swiss. " + "x " * (SEARCH_CHARS + 10 * CONTEXT_CHARS) + "opt out?")
    assert sum(len(piece) for piece in reading.context) <= 2 * CONTEXT_CHARS
    assert reading.context[0].startswith("I'm Swiss.")
