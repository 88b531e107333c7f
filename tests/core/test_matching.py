"""The matcher's own rules: a teenager's age is one word to it, and points at the under-18 topic."""

from __future__ import annotations

import pytest

from bot.core.matching import TEEN_AGE_WORD, fold_ages


@pytest.mark.parametrize(
    "words",
    ["im 17 does this apply to me", "my son is 15yo", "ho 14 anni", "tengo 16 anos", "mam 13 lat"],
)
def test_a_teenagers_age_is_one_word(words):
    assert TEEN_AGE_WORD in fold_ages(words.split())


@pytest.mark.parametrize(
    "words",
    ["wie viel sind 15 prozent von 80", "what is 17 times 23", "i turned it off on 15 november"],
)
def test_other_numbers_are_not_ages(words):
    assert fold_ages(words.split()) == words.split()


@pytest.mark.parametrize(
    "question", ["I'm 16, does this apply to me?", "tengo 15 años, me afecta esto?"]
)
def test_an_age_asks_about_minors(answerer, question):
    reply, _ = answerer.respond(question)
    assert reply.intent == "under_18"


def test_a_number_among_others_is_no_age(answerer):
    reply, _ = answerer.respond("what is 16 times 23")
    assert reply.intent != "under_18"
