"""Direct messages to the bot: free text goes to the chat service (a question, or a bare command
such as "reminders"), the reply comes back as embeds.

Without the message_content intent Discord still delivers the content of DMs to the bot; in
servers the bot only answers slash commands, so guild messages are ignored here.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.discord.chats import DISCORD_COMMANDS, user_chat
from bot.discord.render import render_reply
from bot.discord.views import view_for
from bot.service.chat import ChatService

log = logging.getLogger(__name__)

_CHAT_MESSAGES = (discord.MessageType.default, discord.MessageType.reply)


async def answer_direct_message(service: ChatService, message: discord.Message) -> None:
    if message.guild is not None or message.author.bot or message.type not in _CHAT_MESSAGES:
        return
    text = message.content.strip()
    if not text:
        return  # a sticker or an attachment alone
    try:
        reply = await service.message(user_chat(message.author.id), text, form=DISCORD_COMMANDS)
    except Exception as error:  # logged by type: its message may hold the user's text
        log.error("discord dm failed error=%s", type(error).__name__)
        await message.channel.send(service.words.say("doors.sorry"))
        return
    messages = render_reply(reply)
    for out in messages:
        options: dict[str, Any] = {"embeds": list(out.embeds)}
        view = view_for(out.buttons)
        if view is not None:
            options["view"] = view
        await message.channel.send(**options)
    log.info(
        "discord dm kind=%s intent=%s region=%s messages=%d",
        reply.kind,
        reply.intent,
        reply.region,
        len(messages),
    )
