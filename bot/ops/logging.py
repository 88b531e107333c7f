"""Structured logs, one event per line: `key=value` text, or JSON with OPTOUT_LOG_FORMAT=json.

The bot logs ids, counts and exception types, never message text or tokens; this module keeps
each event on one line (newlines escaped) and quiets libraries whose debug output holds URLs
with the Telegram token in them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from bot.service.log_ids import quiet_token_bearing_loggers


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            # The type only: an exception's text may quote the input that caused it.
            event["error"] = record.exc_info[0].__name__
        return json.dumps(event, ensure_ascii=False)


class LineFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
        record.exc_info, record.exc_text = None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text = saved
        if error:
            line += f" error={error}"
        return line.replace("\r", "\\r").replace("\n", "\\n")


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """The root logger writes one event per line to stderr in the chosen format."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else LineFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_token_bearing_loggers()
