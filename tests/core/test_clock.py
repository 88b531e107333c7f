"""The clock port: the system's time in UTC, a clock that stands still for tests, one that starts
at a chosen moment and runs on, and moments as people type them (--now)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.clock import FixedClock, ShiftedClock, SystemClock, parse_moment

MOMENT = dt.datetime(2025, 10, 15, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def test_the_system_clock_is_aware_and_in_utc():
    before = dt.datetime.now(dt.UTC)
    now = SystemClock().now()
    assert now.tzinfo is dt.UTC and before <= now <= dt.datetime.now(dt.UTC)


def test_a_fixed_clock_stands_still_until_moved():
    clock = FixedClock(MOMENT)
    assert clock.now() == MOMENT and clock.now() == MOMENT
    clock.advance(dt.timedelta(days=5))
    assert clock.now() == MOMENT + dt.timedelta(days=5)
    clock.set(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert clock.now() == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_a_naive_moment_is_taken_as_utc():
    assert FixedClock(dt.datetime(2025, 11, 3)).now() == dt.datetime(2025, 11, 3, tzinfo=dt.UTC)
    clock = FixedClock(MOMENT)
    clock.set(dt.datetime(2025, 11, 3, 12))
    assert clock.now().tzinfo is dt.UTC


class SteppingClock:
    """A base clock that moves only when told."""

    def __init__(self) -> None:
        self.moment = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.moment


def test_a_shifted_clock_starts_at_its_moment_and_runs_on_in_its_zone():
    base = SteppingClock()
    clock = ShiftedClock(MOMENT, base)
    assert clock.now() == MOMENT and clock.now().utcoffset() == dt.timedelta(hours=2)
    base.moment += dt.timedelta(minutes=3)
    assert clock.now() == MOMENT + dt.timedelta(minutes=3)
    clock.advance(dt.timedelta(days=5))  # the terminal chat's /advance
    assert clock.now() == MOMENT + dt.timedelta(days=5, minutes=3)


def test_a_shifted_clock_runs_in_real_time_by_default():
    clock = ShiftedClock(MOMENT)
    assert dt.timedelta(0) <= clock.now() - MOMENT < dt.timedelta(seconds=5)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2025-11-03", dt.datetime(2025, 11, 3, tzinfo=dt.UTC)),  # a date: its midnight, UTC
        (" 2025-11-03 ", dt.datetime(2025, 11, 3, tzinfo=dt.UTC)),
        ("2025-11-03T10:30:00", dt.datetime(2025, 11, 3, 10, 30, tzinfo=dt.UTC)),  # naive: UTC
        ("2025-11-03T10:30:00Z", dt.datetime(2025, 11, 3, 10, 30, tzinfo=dt.UTC)),
        ("2025-10-15T09:00:00+02:00", MOMENT),
    ],
)
def test_a_moment_as_people_type_it(text, moment):
    parsed = parse_moment(text)
    assert parsed == moment and parsed.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize("text", ["yesterday", "2025-13-03", "", "03/11/2025"])
def test_anything_else_is_not_a_moment(text):
    with pytest.raises(ValueError):
        parse_moment(text)
