from __future__ import annotations

import datetime as dt

import pytest

from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from bot.core.reply import render_plain
from bot.service.conversations import ConversationService
from bot.service.subscriptions import SubscriptionService
from bot.storage import open_store
from tests.conftest import BEFORE_DEADLINE

CHAT = ChatRef("terminal", "local")


@pytest.fixture
def store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/reminders.db")
    yield store
    store.close()


@pytest.fixture
def service(answerer, store):
    answerer.clock = FixedClock(BEFORE_DEADLINE)
    changes = []
    subs = SubscriptionService(store, ConversationService(answerer), on_change=changes.append)
    subs.changes = changes
    return subs


def text(reply):
    return render_plain(reply)


async def test_subscribe_lists_what_will_come_and_when(service, store):
    reply = await service.subscribe(CHAT, "CA")
    body = text(reply)
    assert reply.title == "Subscribed"
    assert "America/Toronto" in body
    # 15 Oct 2025: one series, the start on 3 November; its 14-day reminder comes first.
    assert "20 October 2025 10:00" in body and "19 October 2025" not in body
    assert store.subscription_for("terminal", "local").region == "CA"
    assert service.changes


async def test_subscribe_without_region_asks(service):
    reply = await service.subscribe(CHAT, "")
    assert "Which region" in reply.title


async def test_subscribe_uses_the_region_of_the_conversation(service):
    await service.conversations.ask(CHAT, "am I affected in Norway?")
    reply = await service.subscribe(CHAT, "")
    assert "Norway" in text(reply)


async def test_reminders_lists_dates_in_the_users_zone(service):
    await service.subscribe(CHAT, "DE")
    await service.timezone(CHAT, "Asia/Tokyo")
    body = text(await service.upcoming(CHAT))
    assert "10:00" in body and "20 October 2025" in body


async def test_timezone_from_a_city(service, store):
    await service.subscribe(CHAT, "CA")
    reply = await service.timezone(CHAT, "Vancouver")
    assert reply.title == "Time zone: America/Vancouver"
    assert store.subscription_for("terminal", "local").timezone == "America/Vancouver"
    reply = await service.timezone(CHAT, "Qwzxyville")
    assert "don't know" in reply.title


async def test_checkup_monthly_then_off(service, answerer):
    answerer.clock = FixedClock(dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC))
    await service.subscribe(CHAT, "GB")
    reply = await service.checkup(CHAT, "monthly")
    assert "1 December 2026 10:00: settings check-up" in text(reply)
    reply = await service.checkup(CHAT, "off")
    assert reply.title == "Check-ups off"


async def test_after_the_deadline_says_nothing_dated_is_coming(service, answerer):
    answerer.clock = FixedClock(dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC))
    reply = await service.subscribe(CHAT, "CA")
    assert "every known date has passed" in text(reply)


async def test_unsubscribe_deletes_the_rows(service, store):
    await service.subscribe(CHAT, "CA")
    reply = await service.unsubscribe(CHAT)
    assert reply.title == "Unsubscribed"
    assert store.subscription_for("terminal", "local") is None


async def test_forget_asks_first_then_deletes_everything(service, store):
    await service.conversations.ask(CHAT, "am I affected in Canada?")
    await service.subscribe(CHAT, "CA")
    reply = await service.handle(CHAT, "forget")
    assert reply.commands[0].command == "forget confirm"
    assert store.subscription_for("terminal", "local") is not None
    await service.handle(CHAT, "forget", "confirm")
    assert store.subscription_for("terminal", "local") is None
    assert await service.conversations.remembered_region(CHAT) is None


async def test_privacy_says_what_is_stored(service):
    body = text(service.privacy())
    assert "chat id" in body and "No names, no message text" in body
