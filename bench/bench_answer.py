"""Answer latency and throughput against a bare rapidfuzz baseline, measured in the same run.

Run by hand: `.venv/bin/python bench/bench_answer.py` (or `make bench`). Prints p50/p99 latency
and questions per second for the full core (`QuestionAnswerer.respond`: language detection,
region, intent in up to three languages, the answer) and for a bare
`rapidfuzz.process.extractOne` over the English phrasings, on the English questions and on a mix
of all seven languages' eval questions, plus knowledge-base load time.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from rapidfuzz import process

from bot.core.clock import FixedClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge import load_knowledge
from bot.core.regions import RegionResolver
from bot.core.text import normalise

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = 10_000
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


def report(name: str, latencies: list[float], total: float) -> float:
    qps = len(latencies) / total
    print(
        f"{name:28} p50 {percentile(latencies, 0.50) * 1e3:6.3f} ms   "
        f"p99 {percentile(latencies, 0.99) * 1e3:6.3f} ms   "
        f"mean {statistics.fmean(latencies) * 1e3:6.3f} ms   {qps:8.0f} questions/s"
    )
    return qps


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
    answerer = QuestionAnswerer(kb, FixedClock(__import__("datetime").datetime(2026, 1, 1)))
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
        print(f"\n{QUESTIONS} {name} questions, {len(phrasings)} English phrasings")
        for question in questions[:200]:  # warm caches on both sides alike
            answerer.respond(question)
            process.extractOne(normalise(question), phrasings)
        base_lat, base_total = timed(
            lambda q: process.extractOne(normalise(q), phrasings), questions
        )
        core_lat, core_total = timed(answerer.respond, questions)
        base_qps = report("bare extractOne (baseline)", base_lat, base_total)
        core_qps = report("QuestionAnswerer.respond", core_lat, core_total)
        print(f"throughput ratio core/baseline: {core_qps / base_qps:.2f}")


if __name__ == "__main__":
    main()
