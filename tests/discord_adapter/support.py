"""What the Discord door's reminder tests share besides fixtures (conftest.py) and the gateway
harness (harness.py): a channel that gets reminders, and when a German subscriber's first
reminder falls due."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHANNEL = 300000000000000077
# 14 days before 3 November 2025, at 10:00 in Berlin: the first reminder for DE.
FIRST_REMINDER = dt.datetime(2025, 10, 20, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
