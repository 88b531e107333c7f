"""Direct messages in free text: MESSAGE_CREATE through discord.py's real connection state, the
answer posted through its real HTTP client to the fake REST API."""

from __future__ import annotations

import json

from bot.discord.bot import bot_intents
from bot.discord.chats import user_chat
from tests.discord_adapter.harness import DM_CHANNEL_ID, USER_ID, dm_message, receive


def test_the_bot_asks_for_no_privileged_intent():
    intents = bot_intents()
    assert intents.dm_messages and intents.guilds
    assert not intents.message_content and not intents.members and not intents.presences
    assert not intents.guild_messages  # in servers the bot answers only slash commands


async def test_a_question_by_dm_is_answered_with_embeds_and_buttons(rest, online_bot, services):
    await receive(online_bot, dm_message("how do I opt out?"))
    (message,) = rest.posted(DM_CHANNEL_ID)
    assert message["embeds"][0]["title"] == "How to turn off AI training on LinkedIn"
    assert message["allowed_mentions"] == {"parse": []}
    buttons = [b for row in message["components"] for b in row["components"]]
    assert any(b.get("url", "").startswith("https://www.linkedin.com/") for b in buttons)
    assert "optout:v1:t:objection_form" in [b.get("custom_id") for b in buttons]


async def test_the_dm_conversation_remembers_the_country(rest, online_bot, services):
    await receive(online_bot, dm_message("am I affected in Norway?"))
    await receive(online_bot, dm_message("how do I opt out?"))
    assert await services.conversations.remembered_region(user_chat(USER_ID)) == "NO"
    answers = rest.posted(DM_CHANNEL_ID)
    assert answers[0]["embeds"][0]["title"] == "Am I affected? Norway"
    assert len(answers) == 2


async def test_everyone_in_a_dm_is_never_a_mention(rest, online_bot):
    await receive(online_bot, dm_message("@everyone @here what is the deadline?"))
    (message,) = rest.posted(DM_CHANNEL_ID)
    assert message["allowed_mentions"] == {"parse": []}
    text = json.dumps(message, ensure_ascii=False)
    assert "@everyone" not in text and "@here" not in text


async def test_the_bots_own_messages_and_empty_ones_are_ignored(rest, online_bot):
    await receive(online_bot, dm_message("Subscribed", bot=True))
    await receive(online_bot, dm_message("   "))
    assert rest.posted(DM_CHANNEL_ID) == []


async def test_command_words_typed_in_a_dm_run_and_the_reply_names_slash_commands(
    rest, online_bot, services
):
    for typed in ("subscribe Germany", "timezone Toronto", "unsubscribe"):
        await receive(online_bot, dm_message(typed))
    subscribed, zone, unsubscribed = rest.posted(DM_CHANNEL_ID)
    assert subscribed["embeds"][0]["title"] == "Subscribed"
    assert '"/optout timezone <zone or city>"' in subscribed["embeds"][0]["description"]
    assert zone["embeds"][0]["title"] == "Time zone: America/Toronto"
    assert unsubscribed["embeds"][0]["title"] == "Unsubscribed"
    assert services.store.subscription_for("discord", user_chat(USER_ID).chat_id) is None
