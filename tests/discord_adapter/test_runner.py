"""The runner: start-up errors, the HTTP-only notifier, and the whole door over a fake gateway."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.chats import ChatRef
from bot.discord.bot import OptOutBot, bot_intents
from bot.discord.chats import channel_chat
from bot.discord.notifier import DiscordNotifier, Pacer
from bot.discord.runner import DiscordStartError, http_notifier, serve
from tests.discord_adapter.fake_rest_api import TOKEN
from tests.discord_adapter.harness import (
    DM_CHANNEL_ID,
    IN_SERVER,
    dm_message,
    point_gateway_at,
    slash,
)
from tests.discord_adapter.support import CHANNEL, FIRST_REMINDER


async def test_a_rejected_token_stops_the_start_with_one_line(rest, services, settings):
    rest.token = "another"
    with pytest.raises(DiscordStartError) as error:
        await serve(OptOutBot(services.chat, settings), settings, asyncio.Event())
    assert "DISCORD_BOT_TOKEN" in str(error.value) and TOKEN not in str(error.value)
    assert rest.synced() == []


async def test_the_http_only_notifier_delivers_without_a_gateway(rest, settings):
    async with http_notifier(settings) as notifier:
        notifier.pacer = Pacer(per_second=0)
        await notifier.send(ChatRef("discord", f"channel:{CHANNEL}"), "Reminder")
    (message,) = rest.posted(CHANNEL)
    assert message["content"] == "Reminder" and message["allowed_mentions"] == {"parse": []}


async def test_serve_answers_over_the_gateway_and_delivers_reminders(
    rest, services, settings, clock, monkeypatch
):
    """The whole door against the fake API: REST login, gateway HELLO/IDENTIFY/READY, a slash
    command and a DM delivered as gateway events, a channel reminder, then a clean stop."""
    point_gateway_at(monkeypatch, rest.gateway_url)
    await services.subscriptions.subscribe(channel_chat(CHANNEL), "DE")
    clock.set(FIRST_REMINDER)
    bot = OptOutBot(services.chat, settings)
    dispatcher = services.dispatcher(DiscordNotifier(bot, pacer=Pacer(per_second=0)))
    stop = asyncio.Event()
    running = asyncio.create_task(serve(bot, settings, stop, dispatcher=dispatcher))
    try:
        await asyncio.wait_for(rest.identified.wait(), 10)
        identify = next(m for m in rest.gateway_received if m["op"] == 2)
        assert identify["d"]["intents"] == bot_intents().value  # nothing privileged
        assert len(rest.synced()) == 1  # first start: the commands were synced

        await rest.send_event("INTERACTION_CREATE", slash("deadline", IN_SERVER))
        await rest.wait_until(lambda: rest.interaction_responses())
        (response,) = rest.interaction_responses()
        assert response["type"] == 4 and response["data"]["flags"] == 64
        assert response["data"]["embeds"][0]["title"] == "The deadline, and whether it is too late"

        await rest.send_event("MESSAGE_CREATE", dm_message("how do I opt out?"))
        await rest.wait_until(lambda: rest.posted(DM_CHANNEL_ID))

        await rest.wait_until(lambda: rest.posted(CHANNEL))  # the dispatcher's first pass
        (reminder,) = rest.posted(CHANNEL)
        assert "November" in reminder["content"]
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    assert bot.is_closed()
