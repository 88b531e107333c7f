"""Scoring the core on labelled questions (bot.core.evaluation): what counts as right for an
intent, a region, a language and an out-of-scope question, and the misses and confusion kept
for the report. On a scripted answerer, so that each count is known, and on a few real
questions. tests/core/test_eval.py holds the quality gates on tests/data/eval.yaml."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from bot.core.evaluation import EvalReport, Example, evaluate, load_examples, outcome
from bot.core.reply import Reply


class ScriptedAnswerer:
    """Answers each question as scripted: (intent or None, kind, region, language)."""

    def __init__(self, script: dict[str, tuple[str | None, str, str | None, str]]):
        kinds = {"opt_out_steps": "topic", "deadline": "topic", "greeting": "smalltalk"}
        self.kb = SimpleNamespace(intents={i: SimpleNamespace(kind=k) for i, k in kinds.items()})
        self.script = script
        self.asked: list[str] = []

    def respond(self, question: str):
        self.asked.append(question)
        intent, kind, region, language = self.script[question]
        reply = Reply(kind, intent, 0.9, region, "title", language=language)
        return reply, object()


SCRIPT = {
    "how do I opt out": ("opt_out_steps", "answer", None, "en"),
    "wie widerspreche ich": ("opt_out_steps", "answer", None, "de"),  # right, other language
    "deadline in Norway": ("deadline", "answer", None, "en"),  # right intent, region missed
    "too late?": ("opt_out_steps", "answer", None, "en"),  # wrong intent
    "weather": (None, "fallback", None, "en"),  # out of scope, not answered: right
    "hi there, what's for dinner": ("greeting", "answer", None, "en"),  # small talk: right
    "best pizza": ("deadline", "answer", None, "en"),  # out of scope answered on-topic
    "vague": (None, "did_you_mean", None, "en"),
}
EXAMPLES = [
    Example("how do I opt out", "opt_out_steps", None),
    Example("wie widerspreche ich", "opt_out_steps", None),
    Example("deadline in Norway", "deadline", "NO"),
    Example("too late?", "deadline", None),
    Example("weather", "out_of_scope", None),
    Example("hi there, what's for dinner", "out_of_scope", None),
    Example("best pizza", "out_of_scope", None),
    Example("vague", "deadline", None),
]


def test_the_outcome_is_the_intent_or_else_the_kind_of_non_answer():
    answerer = ScriptedAnswerer(SCRIPT)
    assert outcome(answerer, "wie widerspreche ich") == ("opt_out_steps", None, "de")
    assert outcome(answerer, "vague") == ("did_you_mean", None, "en")
    assert outcome(answerer, "weather") == ("fallback", None, "en")


def test_each_question_is_asked_once_and_counted():
    answerer = ScriptedAnswerer(SCRIPT)
    report = evaluate(answerer, EXAMPLES)
    assert answerer.asked == [e.question for e in EXAMPLES]
    assert report.total == 8
    # Wrong: "too late?", "best pizza" (answered on-topic) and "vague".
    assert report.intent_correct == 5 and report.intent_accuracy == 5 / 8
    assert report.region_correct == 7 and report.region_accuracy == 7 / 8
    assert report.language_correct == 7 and report.language_accuracy == 7 / 8


def test_an_out_of_scope_question_is_wrong_only_when_answered_on_a_topic():
    report = evaluate(ScriptedAnswerer(SCRIPT), EXAMPLES)
    assert (report.out_of_scope_total, report.out_of_scope_answered) == (3, 1)
    assert report.out_of_scope_rate == 1 / 3
    assert report.per_intent["out_of_scope"] == [2, 3]


def test_per_intent_confusion_and_misses():
    report = evaluate(ScriptedAnswerer(SCRIPT), EXAMPLES)
    assert dict(report.per_intent) == {
        "opt_out_steps": [2, 2],
        "deadline": [1, 3],
        "out_of_scope": [2, 3],
    }
    # A missed region is a miss, but no confusion: the intent was right.
    assert report.confusion == {
        ("deadline", "opt_out_steps"): 1,
        ("out_of_scope", "deadline"): 1,
        ("deadline", "did_you_mean"): 1,
    }
    assert [(e.question, got, region) for e, got, region in report.misses] == [
        ("deadline in Norway", "deadline", None),
        ("too late?", "opt_out_steps", None),
        ("best pizza", "deadline", None),
        ("vague", "did_you_mean", None),
    ]


def test_the_set_language_decides_what_counts_as_answered_in_it():
    report = evaluate(ScriptedAnswerer(SCRIPT), EXAMPLES[:3], language="de")
    assert report.language_correct == 1 and report.language_accuracy == 1 / 3


def test_an_empty_report_scores_zero_rather_than_dividing_by_it():
    report = EvalReport()
    assert report.intent_accuracy == report.region_accuracy == report.language_accuracy == 0.0
    assert report.out_of_scope_rate == 0.0
    assert report.render().startswith("questions: 0\nintent accuracy: 0.000\n")


def test_the_rendered_report():
    text = evaluate(ScriptedAnswerer(SCRIPT), EXAMPLES).render()
    for line in (
        "questions: 8",
        "intent accuracy: 0.625",
        "region accuracy: 0.875",
        "answered in the set's language: 0.875",
        "out-of-scope answered on-topic: 1/3 (33.3%)",
        "  deadline -> opt_out_steps: 1",
        "  'deadline in Norway': expected deadline/NO, got deadline/None",
    ):
        assert line in text.splitlines(), line
    # Per intent in the order of their names.
    assert (
        "per intent (correct/total):\n"
        "  deadline               1/3   0.33\n"
        "  opt_out_steps          2/2   1.00\n"
        "  out_of_scope           2/3   0.67\n"
    ) in text


def test_examples_load_from_yaml(tmp_path: Path):
    path = tmp_path / "eval.yaml"
    path.write_text(
        """\
- q: how do I opt out?
  intent: opt_out_steps
- q: 2025
  intent: out_of_scope
- q: am I affected in Norway?
  intent: am_i_affected
  region: "NO"
""",
        "utf-8",
    )
    assert load_examples(path) == [
        Example("how do I opt out?", "opt_out_steps", None),
        Example("2025", "out_of_scope", None),  # a question is text, even a number
        Example("am I affected in Norway?", "am_i_affected", "NO"),
    ]
    assert load_examples(str(path)) == load_examples(path)


def test_an_unquoted_country_code_is_a_region_not_a_boolean(tmp_path):
    # YAML 1.2, as the knowledge base is read: NO is Norway, not false.
    path = tmp_path / "set.yaml"
    path.write_text("- {q: and in Norway?, intent: am_i_affected, region: NO}\n", "utf-8")
    assert load_examples(path) == [Example("and in Norway?", "am_i_affected", "NO")]


def test_real_questions_on_the_shipped_knowledge_base(answerer):
    examples = [
        Example("how do I turn this off?", "opt_out_steps", None),
        Example("am I affected in Germany?", "am_i_affected", "DE"),
        Example("what will the weather be like tomorrow?", "out_of_scope", None),
        Example("hello", "greeting", None),
    ]
    report = evaluate(answerer, examples)
    assert report.intent_accuracy == report.region_accuracy == report.language_accuracy == 1.0
    assert (report.out_of_scope_total, report.out_of_scope_answered) == (1, 0)
    assert report.misses == [] and not report.confusion
    german = evaluate(
        answerer, [Example("wie kann ich widersprechen?", "opt_out_steps", None)], "de"
    )
    assert german.language_accuracy == 1.0 and german.intent_accuracy == 1.0
