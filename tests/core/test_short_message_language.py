"""The language of a short first message: one to three English words stay English ("I'm Swiss"
was answered in German, "GDPR" in Dutch), unless the words are another language's ("Danke",
"Bedankt!"), which keep the language they are in."""

from __future__ import annotations

import pytest

from bot.core.languages import Detection, keep_english, reads_as_english
from bot.core.reply import render_plain
from bot.core.session import Session


@pytest.mark.parametrize(
    "text", ["I'm Swiss", "GDPR", "ok thanks", "help", "opt out", "I am Swiss"]
)
def test_short_english_stays_english_with_no_hint_and_no_session(answerer, text):
    reply, session = answerer.respond(text)
    assert (reply.language, session.language) == ("en", "en"), text


def test_im_swiss_is_answered_for_switzerland_in_english(answerer):
    reply, _ = answerer.respond("I'm Swiss")
    assert (reply.intent, reply.region, reply.language) == ("am_i_affected", "CH", "en")
    assert "Switzerland" in render_plain(reply)
    reply, _ = answerer.respond("GDPR")
    assert (reply.intent, reply.language) == ("legal_basis", "en")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Bedankt!", "nl"),
        ("Danke", "de"),
        ("danke schön", "de"),
        ("hallo zusammen", "de"),
        ("Ich bin Schweizer", "de"),
        ("opt-out comment ?", "fr"),
        ("grazie mille", "it"),
        ("gracias", "es"),
        ("dzięki", "pl"),
        ("te laat?", "nl"),
    ],
)
def test_short_messages_in_another_language_keep_it(answerer, text, language):
    reply, _ = answerer.respond(text)
    assert reply.language == language, text


def test_the_platform_hint_still_decides_between_english_words(answerer):
    reply, _ = answerer.respond("I'm Swiss", hint="de")
    assert reply.language == "de"  # the hint comes before English (README: which language)
    reply, _ = answerer.respond("ok thanks", hint="de")
    assert reply.language == "en"  # the detector is sure of English


def test_a_conversation_keeps_its_language(answerer):
    reply, _ = answerer.respond("GDPR", Session(language="de"))
    assert reply.language == "de"
    reply, _ = answerer.respond("I'm Swiss", Session(language="fr"))
    assert reply.language == "fr"


def test_longer_messages_are_left_to_the_detector(answerer):
    reply, _ = answerer.respond("Wie kann ich widersprechen?")
    assert reply.language == "de"
    assert keep_english(Detection("de", ("de",)), "I'm Swiss and worried", 4) == Detection(
        "de", ("de",)
    )


def test_what_reads_as_english():
    assert reads_as_english("I'm Swiss", ("de", "nl"))
    assert reads_as_english("GDPR", ("nl", "pl"))  # as common in Dutch as in English
    assert reads_as_english("ok 👍")
    assert not reads_as_english("Danke", ("de",))
    assert not reads_as_english("Bedankt!", ("de", "nl"))
    assert not reads_as_english("opt-out comment ?", ("fr",))  # French "comment" is "how"
    assert keep_english(Detection("de", ("de", "nl")), "I'm Swiss", 2) == Detection(None, ("en",))
    assert keep_english(Detection("en", ("en",)), "help", 1) == Detection("en", ("en",))


def test_a_short_word_is_read_in_the_conversations_language_first(answerer):
    _, session = answerer.respond("I live in France")
    assert session.language == "en"
    # "quit" is not French "huit" (eight, as in under 18) with a typo.
    reply, _ = answerer.respond("quit", session)
    assert reply.intent != "under_18" and reply.language == "en"
    # A word another language's phrasings hold as written still reads in it.
    reply, _ = answerer.respond("merci", session)
    assert reply.intent == "thanks"
