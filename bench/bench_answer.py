"""Answer latency and throughput against a bare rapidfuzz baseline, measured in the same run.

Run by hand: `.venv/bin/python bench/bench_answer.py` (or `make bench`). The baseline is what the
simplest matcher would do: `rapidfuzz.process.extractOne(normalise(q), phrasings,
scorer=fuzz.token_sort_ratio)` over the English phrasings. The core is the whole reply
(`QuestionAnswerer.respond`: language detection, region, intent in up to three languages, the
answer). Baseline and core run in alternating rounds over the same questions, so a noisy
machine slows both alike; each line gives min / median / max over the rounds. Two sets: the
English eval questions, and a mix of all seven languages' eval questions.

Then growth: every language's phrasings x1, x2, x4, x8, each added copy of a phrasing with a
filler word of its own (so no two are alike), the reply time of each size against x1's in
alternating rounds, and the public eval accuracy at each size. `--skip-growth` leaves it out.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.core.clock import FixedClock
from bot.core.engine import QuestionAnswerer
from bot.core.evaluation import evaluate, load_examples
from bot.core.knowledge import KnowledgeBase
from bot.core.knowledge_loader import load_knowledge
from bot.core.regions import RegionResolver
from bot.core.text import normalise
from bot.settings import cache_dir

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = 2_000  # per round
ROUNDS = 5
EXTRA = [
    "", "?", "🇨🇦🇨🇦🇨🇦", "<b>hi</b>", "x" * 5000, "how do i opt otu of linkdin ai traning",
    "Привет, я из Канады", "what about Norway?", "is it too late", "am I affected in Toronto?",
]  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(function, questions: list[str]) -> tuple[list[float], float]:
    latencies = []
    start = time.perf_counter()
    for question in questions:
        t0 = time.perf_counter()
        function(question)
        latencies.append(time.perf_counter() - t0)
    return latencies, time.perf_counter() - start


def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    """min / median / max."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low * scale:.{digits}f} / {mid * scale:.{digits}f} / {high * scale:.{digits}f}"


FILLERS = ("please", "now", "today", "really", "exactly", "quickly", "honestly")
GROWTH = (1, 2, 4, 8)


def grown(kb: KnowledgeBase, factor: int) -> KnowledgeBase:
    """`kb` with every language's phrasings `factor` times over: each copy with its own filler."""

    def more(words: KnowledgeBase) -> KnowledgeBase:
        intents = {
            intent_id: dataclasses.replace(
                intent,
                phrasings=intent.phrasings
                + tuple(
                    f"{p} {filler}" for filler in FILLERS[: factor - 1] for p in intent.phrasings
                ),
            )
            for intent_id, intent in words.intents.items()
        }
        return dataclasses.replace(words, intents=intents, translations={})

    translations = {code: more(words) for code, words in kb.translations.items()}
    for words in translations.values():
        words.translations.update(translations)
    return translations[kb.language]


def growth(kb: KnowledgeBase, questions: list[str]) -> None:
    examples = load_examples(ROOT / "tests/data/eval.yaml")
    clock = FixedClock(__import__("datetime").datetime(2026, 1, 1))
    sized = {factor: QuestionAnswerer(grown(kb, factor), clock, cache_dir()) for factor in GROWTH}
    base = sized[1]
    print(f"\ngrowth: {ROUNDS} rounds of {len(questions)} questions, each size against x1")
    for factor, answerer in sized.items():
        for question in questions[:200]:
            answerer.respond(question)
        times: dict[str, list[float]] = {"x1": [], "grown": []}
        for n in range(ROUNDS):
            order = [("x1", base.respond), ("grown", answerer.respond)]
            for label, function in order if n % 2 == 0 else reversed(order):
                times[label].append(timed(function, questions)[1])
        ratios = [g / b for g, b in zip(times["grown"], times["x1"], strict=True)]
        phrasings = sum(len(i.phrasings) for i in answerer.kb.intents.values())
        accuracy = evaluate(answerer, examples, "en").intent_accuracy
        print(
            f"x{factor}: {phrasings} English phrasings, time per reply against x1 "
            f"(min / median / max) {spread(ratios)}, English eval intent accuracy {accuracy:.3f}"
        )


def main() -> None:
    loads = []
    for _ in range(5):
        t0 = time.perf_counter()
        kb = load_knowledge(ROOT / "knowledge")
        loads.append(time.perf_counter() - t0)
    print(f"knowledge base load: median {statistics.median(loads) * 1e3:.0f} ms over 5 loads")
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        RegionResolver(kb, Path(cache))
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        RegionResolver(kb, Path(cache))
        warm = time.perf_counter() - t0
    print(
        f"region index: {cold * 1e3:.0f} ms built from packages, {warm * 1e3:.0f} ms from its cache"
    )

    t0 = time.perf_counter()
    answerer = QuestionAnswerer(
        kb, FixedClock(__import__("datetime").datetime(2026, 1, 1)), cache_dir()
    )
    answerer.detector.warm()
    print(
        f"answerer with {len(answerer.matchers)} languages built in {time.perf_counter() - t0:.2f} s"
    )
    phrasings = [normalise(p) for intent in kb.intents.values() for p in intent.phrasings]
    rng = random.Random(7)
    sets = {
        "English": ["tests/data/eval.yaml"],
        "all seven languages": sorted(
            str(p.relative_to(ROOT)) for p in (ROOT / "tests/data").glob("eval*.yaml")
        ),
    }
    for name, files in sets.items():
        labelled = [
            item["q"] for file in files for item in yaml.safe_load((ROOT / file).read_text())
        ]
        questions = [rng.choice(labelled + EXTRA) for _ in range(QUESTIONS)]
        print(f"\n{name}: {ROUNDS} rounds of {QUESTIONS} questions, {len(phrasings)} phrasings")

        def baseline(question: str) -> object:
            return process.extractOne(normalise(question), phrasings, scorer=fuzz.token_sort_ratio)

        for question in questions[:200]:  # warm caches on both sides alike
            answerer.respond(question)
            baseline(question)
        rounds: dict[str, list[tuple[list[float], float]]] = {"baseline": [], "core": []}
        for n in range(ROUNDS):
            # Alternate which goes first, so neither always meets a warmer machine.
            order = [("baseline", baseline), ("core", answerer.respond)]
            for label, function in order if n % 2 == 0 else reversed(order):
                rounds[label].append(timed(function, questions))
        for label, title in (("baseline", "bare extractOne (baseline)"), ("core", "respond")):
            p50 = [percentile(lat, 0.50) for lat, _ in rounds[label]]
            p99 = [percentile(lat, 0.99) for lat, _ in rounds[label]]
            qps = [len(lat) / total for lat, total in rounds[label]]
            print(
                f"{title:28} p50 {spread(p50, 1e3)} ms   p99 {spread(p99, 1e3)} ms   "
                f"{spread(qps, 1, 0)} questions/s"
            )
        ratios = [
            (len(core) / core_total) / (len(base) / base_total)
            for (core, core_total), (base, base_total) in zip(
                rounds["core"], rounds["baseline"], strict=True
            )
        ]
        print(f"throughput ratio core/baseline per round (min / median / max): {spread(ratios)}")
    if "--skip-growth" not in sys.argv:
        growth(kb, questions)


if __name__ == "__main__":
    main()
