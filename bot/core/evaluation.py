"""Scoring the core against labelled questions: accuracy per intent, regions, confusion, misses."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.engine import QuestionAnswerer
from bot.core.knowledge import OUT_OF_SCOPE
from bot.core.yaml_lines import load_yaml_with_lines


@dataclass(frozen=True)
class Example:
    question: str
    intent: str
    region: str | None


@dataclass
class EvalReport:
    total: int = 0
    intent_correct: int = 0
    region_correct: int = 0
    out_of_scope_total: int = 0
    out_of_scope_answered: int = 0  # out-of-scope questions given an on-topic answer
    language_correct: int = 0  # replies in the language the set is written in
    per_intent: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    confusion: Counter = field(default_factory=Counter)
    misses: list[tuple[Example, str, str | None]] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.total if self.total else 0.0

    @property
    def region_accuracy(self) -> float:
        return self.region_correct / self.total if self.total else 0.0

    @property
    def language_accuracy(self) -> float:
        return self.language_correct / self.total if self.total else 0.0

    @property
    def out_of_scope_rate(self) -> float:
        return (
            self.out_of_scope_answered / self.out_of_scope_total if self.out_of_scope_total else 0.0
        )

    def render(self) -> str:
        lines = [
            f"questions: {self.total}",
            f"intent accuracy: {self.intent_accuracy:.3f}",
            f"region accuracy: {self.region_accuracy:.3f}",
            f"answered in the set's language: {self.language_accuracy:.3f}",
            f"out-of-scope answered on-topic: {self.out_of_scope_answered}/{self.out_of_scope_total}"
            f" ({self.out_of_scope_rate:.1%})",
            "",
            "per intent (correct/total):",
        ]
        for intent, (correct, count) in sorted(self.per_intent.items()):
            lines.append(f"  {intent:20} {correct:3}/{count:<3} {correct / count:.2f}")
        lines += ["", "confusion (expected -> got: count):"]
        for (expected, got), count in self.confusion.most_common():
            lines.append(f"  {expected} -> {got}: {count}")
        lines += ["", "misses:"]
        for example, got, region in self.misses:
            lines.append(
                f"  {example.question!r}: expected {example.intent}/{example.region}, got {got}/{region}"
            )
        return "\n".join(lines)


def load_examples(path: Path | str) -> list[Example]:
    # YAML 1.2 booleans, as the knowledge base reads them: an unquoted "region: NO" is Norway.
    raw = load_yaml_with_lines(Path(path).read_text("utf-8"))
    return [Example(str(item["q"]), item["intent"], item.get("region")) for item in raw]


def outcome(answerer: QuestionAnswerer, question: str) -> tuple[str, str | None, str]:
    """What a fresh session makes of one question: the intent answered (or the kind of non-answer:
    did_you_mean, fallback), the region, and the language of the reply."""
    reply, _ = answerer.respond(question)
    return (reply.intent if reply.intent else reply.kind), reply.region, reply.language


def evaluate(
    answerer: QuestionAnswerer, examples: list[Example], language: str = "en"
) -> EvalReport:
    """How a fresh session answers each question of a set written in `language`."""
    report = EvalReport()
    for example in examples:
        got, region, replied_in = outcome(answerer, example.question)
        report.total += 1
        report.language_correct += replied_in == language
        if example.intent == OUT_OF_SCOPE:
            report.out_of_scope_total += 1
            on_topic = got in answerer.kb.intents and answerer.kb.intents[got].kind == "topic"
            correct = not on_topic
            report.out_of_scope_answered += on_topic
        else:
            correct = got == example.intent
        report.intent_correct += correct
        report.region_correct += region == example.region
        report.per_intent[example.intent][0] += correct
        report.per_intent[example.intent][1] += 1
        if not correct or region != example.region:
            report.misses.append((example, got, region))
            if not correct:
                report.confusion[(example.intent, got)] += 1
    return report
