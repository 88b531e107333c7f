"""The clock port: the one place the core learns what time it is, so tests can set it."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, time-zone aware."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """Stands still at a moment until moved: for tests."""

    def __init__(self, moment: dt.datetime):
        self.moment = _aware(moment)

    def now(self) -> dt.datetime:
        return self.moment

    def advance(self, delta: dt.timedelta) -> None:
        self.moment += delta

    def set(self, moment: dt.datetime) -> None:
        self.moment = _aware(moment)


class ShiftedClock:
    """Starts at a chosen moment and runs on in real time (optout-bot chat --now ...)."""

    def __init__(self, start: dt.datetime, base: Clock | None = None):
        self._base = base or SystemClock()
        self._offset = _aware(start) - self._base.now()
        self._tz = _aware(start).tzinfo

    def now(self) -> dt.datetime:
        return (self._base.now() + self._offset).astimezone(self._tz)

    def advance(self, delta: dt.timedelta) -> None:
        """Jump ahead (the terminal chat's /advance, to see a reminder arrive)."""
        self._offset += delta


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def parse_moment(text: str) -> dt.datetime:
    """ISO 8601 date or date-time; a date means its midnight, a naive time means UTC."""
    value = text.strip()
    if len(value) == 10:
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    return _aware(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
