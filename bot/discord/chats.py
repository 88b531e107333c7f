"""Which conversation a Discord event belongs to: a user ("user:<id>", their DMs and their own
slash commands anywhere) or a channel ("channel:<id>", channel reminders). Ids only, never names."""

from __future__ import annotations

from typing import Literal

from bot.core.chats import ChatRef
from bot.service.commands import CommandForm

PLATFORM = "discord"
# Commands as Discord users run them, wherever a reply is shown (a server, a DM): the /optout
# subcommand; typed "yes" never reaches the bot from a server, so replies point at buttons.
DISCORD_COMMANDS = CommandForm(prefix="/optout ", discord=True, typed_answers=False)

ChatKind = Literal["user", "channel"]


def user_chat(user_id: int) -> ChatRef:
    return ChatRef(PLATFORM, f"user:{user_id}")


def channel_chat(channel_id: int) -> ChatRef:
    return ChatRef(PLATFORM, f"channel:{channel_id}")


def parse_chat_id(chat_id: str) -> tuple[ChatKind, int]:
    """ "user:42" -> ("user", 42); ValueError for anything else."""
    kind, _, number = chat_id.partition(":")
    if kind not in ("user", "channel") or not number.isdigit():
        raise ValueError("not a Discord chat id")
    return kind, int(number)  # type: ignore[return-value]
