"""Operator views of the reminder engine: what would be sent by a moment (a dry run)."""

from __future__ import annotations

import datetime as dt

from bot.core.knowledge import KnowledgeBase
from bot.core.reminders import DEFAULT_OFFSETS, Reminder, Subscription, reminders_between
from bot.storage.base import SubscriptionStore


def due_between(
    store: SubscriptionStore,
    kb: KnowledgeBase,
    start: dt.datetime,
    end: dt.datetime,
    offsets: tuple[int, ...] = DEFAULT_OFFSETS,
) -> list[tuple[Reminder, Subscription]]:
    """Every reminder the rules put in [start, end] for active subscriptions, soonest first.
    Reads only: nothing is scheduled or sent."""
    found = []
    for sub in store.active_subscriptions():
        for reminder in reminders_between(
            sub, kb, start, end + dt.timedelta(microseconds=1), offsets
        ):
            found.append((reminder, sub))
    found.sort(key=lambda pair: (pair[0].due_at, pair[1].id))
    return found
