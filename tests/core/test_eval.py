"""Quality gates on tests/data/eval.yaml, questions written apart from the knowledge base."""

from __future__ import annotations

import pytest

from bot.core.evaluation import evaluate, load_examples
from bot.core.text import normalise
from tests.conftest import DATA_DIR

EVAL_FILE = DATA_DIR / "eval.yaml"


@pytest.fixture(scope="module")
def examples():
    return load_examples(EVAL_FILE)


@pytest.fixture(scope="module")
def report(_shared_answerer, examples):
    return evaluate(_shared_answerer, examples)


def test_enough_questions(examples, kb):
    assert len(examples) >= 300
    labels = {e.intent for e in examples}
    assert labels <= set(kb.intents) | {"out_of_scope"}
    topics = {i.id for i in kb.intents.values() if i.kind == "topic"}
    assert topics <= labels


def test_eval_questions_are_not_knowledge_base_phrasings(examples, kb):
    phrasings = {normalise(p) for intent in kb.intents.values() for p in intent.phrasings}
    copied = [e.question for e in examples if normalise(e.question) in phrasings]
    assert not copied


def test_intent_accuracy(report):
    assert report.intent_accuracy >= 0.97, report.render()


def test_region_accuracy(report):
    assert report.region_accuracy >= 0.97, report.render()


def test_out_of_scope_rarely_answered(report):
    assert report.out_of_scope_total >= 30
    assert report.out_of_scope_rate <= 0.10, report.render()
