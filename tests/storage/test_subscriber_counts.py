"""subscriber_counts() on every store: active subscriptions by platform and region (the
/metrics gauge), run on SQLite and real PostgreSQL like the main contract."""

from __future__ import annotations

from bot.storage import Store
from tests.storage import test_store_contract as contract

# The contract's fixtures: each test runs on SQLite and on PostgreSQL.
database = contract.database
postgres_database = contract.postgres_database
sqlite_database = contract.sqlite_database
store = contract.store
subscribe = contract.subscribe


def test_an_empty_store_counts_nothing(store: Store):
    assert store.subscriber_counts() == {}


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
