"""bench/bench_reminders.py runs as shipped: on a tiny input here, so it cannot silently break
again (its figures are measured by hand, never in tests)."""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import ROOT

# Subprocesses or large volumes: outside the inner loop (pytest -m "not slow").
pytestmark = pytest.mark.slow


def load_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_reminders", ROOT / "bench/bench_reminders.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reminder_bench_dispatches_everything_it_schedules():
    bench = load_bench()
    result = bench.run_backend("sqlite", 20, 10, None)
    assert result["reminders"] > 0 and result["dispatched"] == result["reminders"]
    assert result["outcomes"]["failed"] == 0 and result["left_scheduled"] == 0
