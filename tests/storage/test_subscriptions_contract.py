"""The SubscriptionStore contract: subscriptions and their settings, on SQLite (a temporary
file) and real PostgreSQL alike (the fixtures in conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.storage import Store
from tests.storage.conftest import LEASE, T0, reminder, subscribe


def test_a_subscription_keeps_exactly_its_settings(store: Store):
    sub = subscribe(store, checkup="monthly")
    found = store.subscription_for("terminal", "42")
    assert found == sub
    assert (found.region, found.language, found.timezone, found.checkup) == (
        "DE",
        "en",
        "Europe/Berlin",
        "monthly",
    )
    assert found.created_at == T0 and found.active
    assert store.subscription_for("terminal", "43") is None
    assert store.subscription_for("telegram", "42") is None


def test_subscribing_again_renews_the_same_subscription(store: Store):
    first = subscribe(store)
    store.schedule([reminder(first.id)])
    store.deactivate(first.id)
    later = T0 + dt.timedelta(days=3)
    again = subscribe(store, region="FR", timezone="Europe/Paris", created_at=later)
    assert again.id == first.id
    assert again.active and again.region == "FR" and again.created_at == later
    assert store.upcoming(again.id) == []


def test_a_channel_keeps_who_set_it_up_until_they_are_forgotten(store: Store):
    channel = store.add_subscription(
        "discord",
        "channel:77",
        region="DE",
        language="de",
        timezone="Europe/Berlin",
        checkup="off",
        created_at=T0,
        set_up_by="user:42",
    )
    assert channel.set_up_by == "user:42"
    assert store.subscription_for("discord", "channel:77") == channel
    assert [s.set_up_by for s in store.active_subscriptions()] == ["user:42"]
    claimable = store.add_subscription(
        "discord",
        "channel:77",
        region="FR",
        language="fr",
        timezone="Europe/Paris",
        checkup="off",
        created_at=T0,
        set_up_by="user:43",
    )
    assert claimable.id == channel.id and claimable.set_up_by == "user:43"  # the latest setter
    store.schedule([reminder(channel.id)])
    (claim,) = store.claim_due(T0 + dt.timedelta(days=1), limit=5, lease=LEASE, worker="a")
    assert claim.subscription.set_up_by == "user:43"  # what the dispatcher sees
    own = subscribe(store, "42")
    assert own.set_up_by is None

    # Forgetting the setter (on Discord) clears them from the channel; the channel stays.
    assert store.forget("terminal", "user:43") == 0  # another platform's chat: not them
    assert store.subscription_for("discord", "channel:77").set_up_by == "user:43"
    assert store.forget("discord", "user:43") == 0
    kept = store.subscription_for("discord", "channel:77")
    assert kept is not None and kept.active and kept.set_up_by is None
    assert store.subscription_for("terminal", "42") == own


def test_update_changes_settings_and_drops_unsent_reminders(store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=14), reminder(sub.id, offset=7)])
    assert not sub.language_chosen
    chosen = store.update_subscription(sub.id, language="pl", language_chosen=True)
    assert (chosen.language, chosen.language_chosen) == ("pl", True)
    updated = store.update_subscription(sub.id, timezone="America/Toronto", checkup="quarterly")
    assert updated.language_chosen
    assert (updated.timezone, updated.checkup, updated.region) == (
        "America/Toronto",
        "quarterly",
        "DE",
    )
    assert store.upcoming(sub.id) == []
    with pytest.raises(LookupError):
        store.update_subscription(sub.id + 1000, region="FR")


def test_deactivated_subscriptions_get_nothing(store: Store):
    sub = subscribe(store)
    other = subscribe(store, "43")
    store.schedule([reminder(sub.id), reminder(other.id)])
    store.deactivate(sub.id)
    assert [s.id for s in store.active_subscriptions()] == [other.id]
    claims = store.claim_due(T0 + dt.timedelta(days=1), limit=10, lease=LEASE, worker="a")
    assert [c.subscription.id for c in claims] == [other.id]
    assert store.stats()["subscriptions_inactive"] == 1


def test_known_events_are_kept_settled_once_and_dropped_with_the_region(store: Store):
    sub = subscribe(store, known_events=["b", "a", "a"])
    assert sub.known_events == frozenset({"a", "b"})
    unset = subscribe(store, "43")
    assert unset.known_events is None
    assert store.settle_known_events(["a", "c"]) == 1  # only the one not set yet
    assert store.subscription_for("terminal", "43").known_events == frozenset({"a", "c"})
    assert store.subscription_for("terminal", "42").known_events == frozenset({"a", "b"})
    kept = store.update_subscription(sub.id, region="DE", timezone="Europe/Vienna")
    assert kept.known_events == frozenset({"a", "b"})  # the same region: not a new start
    moved = store.update_subscription(sub.id, region="FR")
    assert moved.known_events is None
    assert store.settle_known_events([]) == 1
    assert store.subscription_for("terminal", "42").known_events == frozenset()


def test_an_update_without_changes_reads_the_subscription_back(store: Store):
    sub = subscribe(store)
    assert store.update_subscription(sub.id) == sub
    with pytest.raises(LookupError):
        store.update_subscription(sub.id + 1000)


def test_a_moved_chat_takes_its_subscription_and_reminders_along(store: Store):
    sub = subscribe(store, chat_id="-100")
    store.schedule([reminder(sub.id)])
    assert store.move_chat("terminal", "-100", "-100200")
    moved = store.subscription_for("terminal", "-100200")
    assert moved is not None and moved.id == sub.id and moved.active
    assert store.subscription_for("terminal", "-100") is None
    assert len(store.upcoming(sub.id)) == 1
    assert not store.move_chat("terminal", "-100", "-100300")  # nothing left there


def test_a_move_onto_a_chat_with_its_own_subscription_keeps_both_as_they_were(store: Store):
    old = subscribe(store, chat_id="-100")
    new = subscribe(store, chat_id="-100200", region="FR", timezone="Europe/Paris")
    assert not store.move_chat("terminal", "-100", "-100200")
    assert store.subscription_for("terminal", "-100") == old
    assert store.subscription_for("terminal", "-100200") == new
