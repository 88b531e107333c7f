"""The blind sets' scores, filled by tests/core/test_blind.py and printed at the end of the run by
tests/conftest.py's terminal summary: the figures only, never the questions."""

from __future__ import annotations

from bot.core.evaluation import EvalReport

BLIND_SCORES: dict[str, EvalReport] = {}


def scores(report: EvalReport) -> str:
    """The figures only: never the questions."""
    return (
        f"intent {report.intent_accuracy:.3f}, region {report.region_accuracy:.3f}, "
        f"language {report.language_accuracy:.3f}, out of scope answered "
        f"{report.out_of_scope_answered}/{report.out_of_scope_total}"
    )
