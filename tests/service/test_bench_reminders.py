"""bench/bench_reminders.py runs as shipped: on a tiny input here, so it cannot silently break
again (its figures are measured by hand, never in tests)."""

from __future__ import annotations

import pytest

from tests.conftest import load_bench

# Subprocesses or large volumes: outside the inner loop (pytest -m "not slow").
pytestmark = pytest.mark.slow


def test_the_reminder_bench_dispatches_everything_it_schedules():
    bench = load_bench("bench_reminders")
    result = bench.run_backend("sqlite", 20, 10, None)
    assert result["reminders"] > 0 and result["dispatched"] == result["reminders"]
    assert result["outcomes"]["failed"] == 0 and result["left_scheduled"] == 0
