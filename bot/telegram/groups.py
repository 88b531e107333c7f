"""Who may use a command in a Telegram group: anyone may ask and read; a group's subscription
(what the bot keeps for the group) is its admins' to change."""

from __future__ import annotations

import logging

from telegram import Bot, Chat, ChatMember, MaybeInaccessibleMessage, Message, User
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.service.commands import Command
from bot.service.log_ids import log_tag

log = logging.getLogger(__name__)

ADMINS = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})
GONE = frozenset({ChatMember.BANNED, ChatMember.LEFT})  # "kicked" is how a block looks, too


async def may_use(
    bot: Bot,
    chat: Chat,
    user: User | None,
    message: MaybeInaccessibleMessage | None,
    command: Command | None,
) -> bool:
    """Private chats and commands that change nothing: anyone. A group's subscription: its
    admins."""
    if chat.type == ChatType.PRIVATE or command is None or not command.admins_in_groups:
        return True
    if isinstance(message, Message) and message.sender_chat and message.sender_chat.id == chat.id:
        return True  # an anonymous admin, posting as the group
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.info(
            "telegram admin check failed chat=%s error=%s", log_tag(chat.id), type(exc).__name__
        )
        return False
    return member.status in ADMINS
