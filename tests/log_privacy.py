"""What no log line may hold, checked the way an operator reads logs: each record's message,
and each record as both formatters write it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.ops.logging import JsonFormatter, LineFormatter


def log_lines(records: Iterable[logging.LogRecord]) -> list[str]:
    lines = []
    for record in records:
        lines.append(record.getMessage())
        lines += [formatter.format(record) for formatter in (JsonFormatter(), LineFormatter())]
    return lines


def assert_logs_hold_none_of(records: list[logging.LogRecord], forbidden: Iterable[str]) -> None:
    """No id and no message text in any line, at any level."""
    assert records, "nothing was logged: the conversation did not run"
    lines = log_lines(records)
    for text in forbidden:
        leaks = [line for line in lines if text in line]
        assert not leaks, f"{text!r} is in the logs: {leaks[0]}"
