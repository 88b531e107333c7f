"""bench/bench_discord.py runs as shipped: a few interactions here, so it cannot silently stop
measuring (its figures are measured by hand, never in tests; the one time checked here is
Discord's own 3-second deadline)."""

from __future__ import annotations

import pytest

from tests.conftest import load_bench

pytestmark = pytest.mark.slow  # builds the whole service set, as the bench does


def test_the_discord_bench_answers_every_interaction_within_discords_deadline(capsys):
    bench = load_bench("bench_discord")
    # Five questions and two store commands (0.4 a question), the real door then the echo bot.
    rounds = bench.run(questions_=5, rounds=1, rate=50.0, users=3, store=0.4)
    assert [r.bot for r in rounds] == ["optout", "echo"]
    optout, echo = rounds
    assert [t.kind for t in optout.timings].count("ask") == 5
    assert sorted(t.kind for t in optout.timings if t.kind != "ask") == ["reminders", "subscribe"]
    assert [t.kind for t in echo.timings] == ["ask"] * 5  # the questions only
    for r in rounds:
        assert r.unanswered == 0 and r.late == 0 and r.warnings == 0
        assert all(0 < t.first <= t.final for t in r.timings)
    # The store commands are deferred first; the echo bot never defers.
    assert all(t.deferred for t in optout.timings if t.kind != "ask")
    assert echo.deferred == 0
    bench.report(rounds)
    printed = capsys.readouterr().out
    assert "after 3 s 0" in printed and "/ask first response p99 bot / echo" in printed
