"""Every log line of a Discord conversation, at every level the bot lets through: no user,
channel or server id, and no word the person wrote."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from bot.core.chats import ChatRef
from bot.discord.chats import user_chat
from bot.discord.notifier import DiscordNotifier, Pacer
from bot.service.errors import PermanentRefusal
from bot.service.log_ids import quiet_token_bearing_loggers
from tests.discord_adapter.fake_rest_api import Canned
from tests.discord_adapter.harness import (
    CHANNEL_ID,
    DM_CHANNEL_ID,
    GUILD_ID,
    IN_DM,
    IN_SERVER,
    MODERATOR,
    USER_ID,
    button_press,
    dispatch,
    dm_message,
    receive,
    slash,
)
from tests.log_privacy import assert_logs_hold_none_of

SECRET_TEXT = "Zorblax Quuxley of 12 Wibble Lane"
REFUSING_USER = 400000000000000077
REFUSING_DM = 700000000000000077


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG but the libraries the bot always quiets (as configure_logging
    does in production)."""
    caplog.set_level(logging.DEBUG)
    quiet_token_bearing_loggers()
    return caplog


async def test_a_whole_conversation_logs_no_id_and_no_text(rest, online_bot, adapter, all_logs):
    moderator = replace(IN_SERVER, permissions=MODERATOR)
    for text in (f"how do I opt out? {SECRET_TEXT}", "subscribe CA", "privacy", "forget", "yes"):
        await receive(online_bot, dm_message(text))
    await dispatch(online_bot, slash("ask", IN_SERVER, question=f"am I affected? {SECRET_TEXT}"))
    await dispatch(online_bot, slash("affected", IN_DM, country="CA"))
    await dispatch(online_bot, slash("subscribe", IN_DM, region="DE"))
    await dispatch(online_bot, slash("privacy", IN_DM))
    await dispatch(online_bot, slash("channel-reminders", moderator, region="DE"))
    await dispatch(online_bot, slash("channel-reminders", moderator, region="off"))
    answered = next(m for m in adapter.messages() if m.get("components"))
    await dispatch(online_bot, button_press(answered, "optout:v1:t:deadline"))
    await dispatch(online_bot, slash("forget", IN_DM))
    rest.dm_channels[REFUSING_USER] = REFUSING_DM
    rest.errors[REFUSING_DM] = Canned(403, 50007, "Cannot send messages to this user")
    notifier = DiscordNotifier(online_bot, pacer=Pacer(per_second=0.0))
    with pytest.raises(PermanentRefusal):
        await notifier.send(ChatRef("discord", user_chat(REFUSING_USER).chat_id), "reminder")
    messages = [r.getMessage() for r in all_logs.records]
    ids = (USER_ID, GUILD_ID, CHANNEL_ID, DM_CHANNEL_ID, REFUSING_USER, REFUSING_DM)
    assert_logs_hold_none_of(all_logs.records, [*map(str, ids), SECRET_TEXT, "Zorblax", "Wibble"])
    assert any(m.startswith("discord dm kind=answer") for m in messages)
    assert any(m.startswith("discord reply in_server=True") for m in messages)
    assert any(m.startswith("discord delivery refused kind=user id=") for m in messages)
