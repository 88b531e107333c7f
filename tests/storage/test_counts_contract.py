"""The StoreCounts contract: what operators count (/metrics' subscriber gauge by platform and
region, `reminders stats`), on SQLite (a temporary file) and real PostgreSQL alike (the fixtures
in conftest.py)."""

from __future__ import annotations

from bot.storage import ReminderState, Store
from bot.storage.base import StoreCounts
from tests.storage.conftest import subscribe


def test_an_empty_store_counts_nothing(store: StoreCounts):
    assert store.subscriber_counts() == {}
    stats = store.stats()
    assert set(stats) == {s.value for s in ReminderState} | {
        "subscriptions_active",
        "subscriptions_inactive",
    }
    assert not any(stats.values())


def test_counts_active_subscriptions_by_platform_and_region(store: Store):
    subscribe(store, "1", region="DE")
    subscribe(store, "2", region="DE")
    subscribe(store, "3", region="CA")
    store.add_subscription(
        "telegram",
        "4",
        region="DE",
        language="en",
        timezone="Europe/Berlin",
        checkup="off",
        created_at=subscribe(store, "5", region="GB").created_at,
    )
    gone = subscribe(store, "6", region="CA")
    store.deactivate(gone.id)
    store.forget("terminal", "5")
    assert store.subscriber_counts() == {
        ("terminal", "DE"): 2,
        ("terminal", "CA"): 1,
        ("telegram", "DE"): 1,
    }


def test_a_region_change_moves_the_count(store: Store):
    sub = subscribe(store, "1", region="DE")
    store.update_subscription(sub.id, region="FR")
    assert store.subscriber_counts() == {("terminal", "FR"): 1}
