"""New-event notices: when the knowledge base gains an event for a subscriber's region (after a
reload or a restart), each such subscriber is told once; a subscriber who subscribed after the
event was known, and an event already over, get none. On SQLite and real PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import FixedClock
from bot.core.knowledge import Event, KnowledgeBase
from bot.core.reminders import Subscription, event_ids, new_event_notices
from bot.service import Dispatcher
from bot.storage import Store
from tests.databases import Database
from tests.service.fakes import FakeNotifier, RecordingSleep, run_until, subscribe

BERLIN = ZoneInfo("Europe/Berlin")
SUBSCRIBED = dt.datetime(2025, 10, 1, 12, 0, tzinfo=BERLIN)
RELOADED = dt.datetime(2025, 10, 5, 8, 0, tzinfo=BERLIN)  # the knowledge base gains events
NEW_ID = "new_deadline_2025_12"


def with_events(kb: KnowledgeBase, *added: Event) -> KnowledgeBase:
    events = kb.events + added
    return dataclasses.replace(kb, events=events, event_index={e.id: e for e in events})


def new_event(kb: KnowledgeBase, event_id: str, day: dt.date, title: str) -> Event:
    """Like the EEA/CH/GB training event (so it concerns Germany, not the United States)."""
    template = kb.event_index["ai_training_start_2025"]
    return dataclasses.replace(template, id=event_id, date=day, title=title)


@pytest.fixture
def kb2(kb: KnowledgeBase) -> KnowledgeBase:
    """The knowledge base after a reload: one future event, one already over."""
    return with_events(
        kb,
        new_event(kb, NEW_ID, dt.date(2025, 12, 1), "A new objection deadline"),
        new_event(kb, "already_over_2025", dt.date(2025, 10, 3), "Something that is over"),
    )


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    opened = database.open()
    yield opened
    opened.close()


def dispatcher_for(store: Store, kb: KnowledgeBase, clock: FixedClock, notifier) -> Dispatcher:
    """A dispatcher as a (re)started bot builds it, with the knowledge base it loaded."""
    return Dispatcher(store, notifier, kb, clock, sleep=RecordingSleep())


def notices(notifier: FakeNotifier) -> list[tuple[str, str, dt.datetime]]:
    return [
        (chat.chat_id, text, at)
        for chat, text, at in notifier.sent
        if text.startswith("New date for")
    ]


async def test_a_new_event_is_told_once_to_those_it_concerns(store, kb, kb2):
    clock = FixedClock(SUBSCRIBED)
    notifier = FakeNotifier(clock)
    subscribe(store, "before")  # Germany
    subscribe(store, "elsewhere", region="US", timezone="America/New_York")
    await dispatcher_for(store, kb, clock, notifier).run_once()  # the old knowledge base

    clock.set(RELOADED)  # restart with the new knowledge base
    restarted = dispatcher_for(store, kb2, clock, notifier)
    await restarted.run_once()
    assert notices(notifier) == []  # due at 10:00 their time, not at once at 08:00
    await run_until(restarted, clock, dt.datetime(2025, 10, 5, 11, 0, tzinfo=BERLIN))
    subscribe(store, "after", created_at=clock.now())  # the new event is known by now
    await run_until(restarted, clock, dt.datetime(2025, 10, 8, tzinfo=BERLIN))

    [(chat_id, text, at)] = notices(notifier)
    assert chat_id == "before"
    assert at == dt.datetime(2025, 10, 5, 10, 0, tzinfo=BERLIN)
    assert "A new objection deadline" in text and "1 December 2025" in text
    assert "Something that is over" not in "".join(t for _c, t, _a in notifier.sent)

    # Restart again, run to past the new date: no second notice; deadline reminders as usual.
    again = dispatcher_for(store, kb2, clock, notifier)
    await run_until(again, clock, dt.datetime(2025, 12, 2, tzinfo=BERLIN))
    assert len(notices(notifier)) == 1
    fourteen_days = [
        chat.chat_id for chat, text, _at in notifier.sent if "In 14 days, on 1 December" in text
    ]
    assert sorted(fourteen_days) == ["after", "before"]
    sent = store.stats()["sent"]
    assert sent == len(notifier.sent) and store.stats()["late"] == 0


async def test_the_notice_says_what_when_why_what_to_do_and_how_to_stop(store, kb, kb2):
    clock = FixedClock(SUBSCRIBED)
    notifier = FakeNotifier(clock)
    subscribe(store)
    await dispatcher_for(store, kb, clock, notifier).run_once()
    clock.set(dt.datetime(2025, 10, 5, 10, 0, tzinfo=BERLIN))
    await dispatcher_for(store, kb2, clock, notifier).run_once()
    [(_chat, text, _at)] = notices(notifier)
    event = kb2.event_index[NEW_ID]
    assert text.startswith("New date for Germany. In 57 days, on 1 December 2025: ")
    assert event.title in text
    assert "Why you get this: this date was added after you subscribed" in text
    assert f"What to do: {event.what_to_do}" in text
    assert "Sources: https://" in text
    assert text.rstrip().endswith('To stop these reminders, send "unsubscribe".')
    assert "late" not in text


async def test_a_subscriber_who_subscribes_after_the_event_was_known_gets_no_notice(store, kb2):
    clock = FixedClock(RELOADED)
    notifier = FakeNotifier(clock)
    dispatcher = dispatcher_for(store, kb2, clock, notifier)
    await dispatcher.run_once()
    subscribe(store, "late-comer", created_at=RELOADED + dt.timedelta(minutes=1))
    # The door may also say at once what it knew (no pass needed in between).
    subscribe(store, "told", created_at=RELOADED, known_events=event_ids(kb2))
    await run_until(dispatcher, clock, dt.datetime(2025, 11, 18, tzinfo=BERLIN))
    assert notices(notifier) == []
    assert {chat.chat_id for chat, text, _a in notifier.sent if "1 December" in text} == {
        "late-comer",
        "told",
    }


async def test_an_event_added_on_its_own_day_is_told_at_once_and_replaces_missed_reminders(
    store, kb
):
    clock = FixedClock(SUBSCRIBED)
    notifier = FakeNotifier(clock)
    subscribe(store)
    await dispatcher_for(store, kb, clock, notifier).run_once()
    today = dt.date(2025, 10, 5)
    kb_today = with_events(kb, new_event(kb, "today_2025", today, "Something happens today"))
    clock.set(dt.datetime.combine(today, dt.time(15, 0), tzinfo=BERLIN))
    report = await dispatcher_for(store, kb_today, clock, notifier).run_once()
    [(_chat, text, at)] = notices(notifier)
    assert at == clock.now() and "Today, 5 October 2025: Something happens today." in text
    # Its 14-, 7-, 1- and 0-day reminders fell before anyone knew of it: none goes, not even late.
    assert len(notifier.sent) == 1 and (report.sent, report.late, report.skipped) == (1, 0, 0)


async def test_a_notice_missed_in_downtime_goes_late_once(store, kb, kb2):
    clock = FixedClock(SUBSCRIBED)
    notifier = FakeNotifier(clock)
    subscribe(store)
    await dispatcher_for(store, kb, clock, notifier).run_once()
    clock.set(RELOADED)
    await dispatcher_for(store, kb2, clock, notifier).run_once()  # then the bot is down a day
    clock.set(dt.datetime(2025, 10, 6, 12, 0, tzinfo=BERLIN))
    restarted = dispatcher_for(store, kb2, clock, notifier)
    report = await restarted.run_once()
    [(_chat, text, _at)] = notices(notifier)
    assert "This notice is late" in text and report.late == 1
    assert (await restarted.run_once()).claimed == 0


async def test_changing_region_starts_over_and_renewing_settles_again(store, kb, kb2):
    sub = subscribe(store, known_events=event_ids(kb))
    assert sub.known_events == event_ids(kb)
    assert (
        store.update_subscription(sub.id, timezone="Europe/Vienna").known_events == sub.known_events
    )
    moved = store.update_subscription(sub.id, region="FR", timezone="Europe/Paris")
    assert moved.known_events is None  # the next pass settles it with the knowledge base it has
    renewed = subscribe(store, created_at=RELOADED)
    assert renewed.id == sub.id and renewed.known_events is None
    assert store.settle_known_events(event_ids(kb2)) == 1
    assert store.subscription_for("terminal", "42").known_events == event_ids(kb2)
    assert store.settle_known_events(event_ids(kb)) == 0  # settled once, not overwritten


async def test_every_subscriber_is_reached_page_after_page(
    store, kb, kb2, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(type(store), "PAGE", 3)
    clock = FixedClock(SUBSCRIBED)
    notifier = FakeNotifier(clock)
    for n in range(10):
        subscribe(store, f"s{n}")
    subscribe(store, "gone")
    store.deactivate(store.subscription_for("terminal", "gone").id)
    assert [s.chat_id for s in store.active_subscriptions()] == [f"s{n}" for n in range(10)]
    await dispatcher_for(store, kb, clock, notifier).run_once()
    clock.set(dt.datetime(2025, 10, 5, 10, 0, tzinfo=BERLIN))
    await dispatcher_for(store, kb2, clock, notifier).run_once()
    assert sorted(chat_id for chat_id, _t, _a in notices(notifier)) == [f"s{n}" for n in range(10)]


def test_notices_need_settled_known_events(kb, kb2):
    def subscription(known_events: frozenset[str] | None) -> Subscription:
        return Subscription(
            1, "terminal", "42", "DE", "en", "Europe/Berlin", "off", SUBSCRIBED, True, known_events
        )

    until = RELOADED + dt.timedelta(days=35)
    assert new_event_notices(subscription(None), kb2, RELOADED, until) == []
    [notice] = new_event_notices(subscription(event_ids(kb)), kb2, RELOADED, until)
    assert notice.key == (1, f"notice:{NEW_ID}", -1) and notice.kind == "notice"
    assert notice.due_at == dt.datetime(2025, 10, 5, 10, 0, tzinfo=BERLIN)
    assert new_event_notices(subscription(event_ids(kb2)), kb2, RELOADED, until) == []
