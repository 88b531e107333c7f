"""Both tokens set: one process answers on Telegram and Discord over one core and one store, and
one dispatcher delivers each platform's reminders through its own door."""

from __future__ import annotations

import asyncio

from bot.bootstrap import serve_doors
from bot.core.chats import ChatRef
from bot.discord.chats import channel_chat
from bot.telegram.settings import TelegramSettings
from tests.discord_adapter.harness import point_gateway_at
from tests.discord_adapter.support import CHANNEL, FIRST_REMINDER
from tests.telegram_adapter.fake_bot_api import FakeBotApi

TELEGRAM_CHAT = 1001


async def test_one_process_serves_both_doors(rest, services, settings, clock, monkeypatch):
    point_gateway_at(monkeypatch, rest.gateway_url)
    telegram_api = await FakeBotApi().start()
    try:
        telegram = TelegramSettings(token=telegram_api.token, api_base_url=telegram_api.base_url)
        await services.subscriptions.subscribe(channel_chat(CHANNEL), "DE")
        await services.subscriptions.subscribe(ChatRef("telegram", str(TELEGRAM_CHAT)), "DE")
        clock.set(FIRST_REMINDER)
        stop = asyncio.Event()
        running = asyncio.create_task(serve_doors(services, telegram, settings, stop))
        try:
            await asyncio.wait_for(rest.identified.wait(), 10)
            telegram_api.message("how do I opt out?", chat_id=TELEGRAM_CHAT)
            await rest.wait_until(lambda: rest.posted(CHANNEL))  # Discord's reminder
            sent = await telegram_api.wait_for("sendMessage", count=2, timeout=10)
            texts = [m["text"] for m in sent]
            assert any("November" in t and "unsubscribe" in t for t in texts)  # Telegram's reminder
            assert any("Data for Generative AI Improvement" in t for t in texts)  # the answer
            (reminder,) = rest.posted(CHANNEL)
            assert "November" in reminder["content"]
        finally:
            stop.set()
            await asyncio.wait_for(running, 15)
        assert services.store.stats()["failed"] == 0
    finally:
        await telegram_api.stop()
