"""The matcher's own rules: a teenager's age is one word to it, and points at the under-18 topic;
only the phrasings closest to a question are compared with it, which changes no answer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core import matching
from bot.core.evaluation import Example, load_examples
from bot.core.matching import TEEN_AGE_WORD, IntentMatcher, fold_ages
from bot.core.text import normalise
from tests.conftest import DATA_DIR


@pytest.mark.parametrize(
    "words",
    ["im 17 does this apply to me", "my son is 15yo", "ho 14 anni", "tengo 16 anos", "mam 13 lat"],
)
def test_a_teenagers_age_is_one_word(words):
    assert TEEN_AGE_WORD in fold_ages(words.split())


@pytest.mark.parametrize(
    "words",
    [
        "wie viel sind 15 prozent von 80",
        "what is 17 times 23",
        "i turned it off on 15 november",
        "ile to jest 12 do kwadratu",
        "what is 13 squared",
        "cuanto es 14 al cuadrado",
    ],
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


def public_examples(language: str = "en") -> list[Example]:
    name = "eval.yaml" if language == "en" else f"eval.{language}.yaml"
    return load_examples(DATA_DIR / name)


def top_intents(matcher: IntentMatcher, questions: list[str]) -> list[str | None]:
    ranked = (matcher.rank(normalise(q).split()) for q in questions)
    return [r[0].intent if r else None for r in ranked]


@pytest.mark.parametrize("language", ["en", "de", "pl"])
def test_scoring_only_the_closest_phrasings_costs_no_accuracy(kb, language, monkeypatch):
    """The bound on string comparisons (CANDIDATES, CONTENDER_PHRASINGS) is for speed: against
    every phrasing compared, at most two in a hundred of the public eval's questions lose their
    right topic, and as many are right in all. (Where the two differ, the bounded ranking is as
    often the right one: closer phrasings by character n-grams are the better evidence.)"""
    examples = public_examples(language)
    questions = [example.question for example in examples]
    matcher = IntentMatcher(kb.in_language(language))
    bounded = top_intents(matcher, questions)
    monkeypatch.setattr(matching, "CANDIDATES", 10**6)
    monkeypatch.setattr(matching, "CONTENDER_PHRASINGS", 10**6)
    exhaustive = top_intents(matcher, questions)
    lost = sum(a != e.intent == b for a, b, e in zip(bounded, exhaustive, examples, strict=True))
    assert lost <= len(questions) / 50
    right = [
        sum(found == e.intent for found, e in zip(tops, examples, strict=True))
        for tops in (bounded, exhaustive)
    ]
    assert right[0] >= right[1]


def test_a_question_is_compared_with_a_bounded_number_of_phrasings(kb, monkeypatch):
    matcher = IntentMatcher(kb)
    compared: list[int] = []
    real_cdist = matching.process.cdist

    def counting_cdist(queries, choices, **options):
        compared.append(len(choices))
        return real_cdist(queries, choices, **options)

    monkeypatch.setattr(matching.process, "cdist", counting_cdist)
    matcher.rank(normalise("how do I turn off the AI training setting on my phone").split())
    limit = matching.CANDIDATES + len(kb.intents)
    assert compared and max(compared) <= limit
    assert limit < sum(len(intent.phrasings) for intent in kb.intents.values()) / 4


def test_more_phrasings_of_the_same_kind_keep_the_answers(kb):
    """Each phrasing again with a filler word, four times over: the matcher still finds the same
    topics (the speed issue's growth benchmark, bench/bench_answer.py, times it)."""
    fillers = ("please", "now", "today", "really")
    grown = replace(
        kb,
        intents={
            intent_id: replace(
                intent,
                phrasings=intent.phrasings
                + tuple(f"{p} {f}" for f in fillers for p in intent.phrasings),
            )
            for intent_id, intent in kb.intents.items()
        },
    )
    questions = [example.question for example in public_examples()[:120]]
    same = sum(
        a == b
        for a, b in zip(
            top_intents(IntentMatcher(kb), questions),
            top_intents(IntentMatcher(grown), questions),
            strict=True,
        )
    )
    assert same >= 0.95 * len(questions)
