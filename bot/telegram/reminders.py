"""The reminder commands in Telegram: /subscribe [region], /unsubscribe, /reminders, /checkup,
/timezone, /privacy and /forget, typed or pressed as buttons, all answered by the
SubscriptionService; and my_chat_member updates, which stop a chat's reminders the moment it
blocks or removes the bot.

In a group the subscription is the group's: only its admins may change it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

from telegram import (
    Chat,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.helpers import create_deep_linked_url

from bot.service.conversations import ChatKey
from bot.service.subscriptions import SUBSCRIPTION_COMMANDS
from bot.telegram.app import (
    PLATFORM,
    TelegramApplication,
    TelegramContext,
    command_name,
    edit_keyboard,
    on_old_button,
    send_reply,
)
from bot.telegram.render import COMMAND_PRESS, decode_press, without_presses

if TYPE_CHECKING:
    from bot.bootstrap import Services

log = logging.getLogger(__name__)

REMINDER_COMMANDS = SUBSCRIPTION_COMMANDS  # described in the menu by "commands" messages
# Anyone in a group may read these; the others change the group's subscription.
OPEN_IN_GROUPS = frozenset({"reminders", "privacy"})
ADMINS = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})
GONE = frozenset({ChatMember.BANNED, ChatMember.LEFT})  # "kicked" is how a block looks, too
# Commands handled before the question door's handlers (group 0), which would take the same
# button presses and words; a handler here that answers stops the update.
BEFORE_QUESTIONS = -1
# In a private chat, "checkup monthly" typed without the slash, as the replies suggest; a
# question that merely starts with one of these words ("privacy on LinkedIn?") is not one.
_BARE = re.compile(
    rf"^\s*({'|'.join(SUBSCRIPTION_COMMANDS)})(\s+[^\s?]+){{0,4}}\s*$", re.IGNORECASE
)


def add_reminder_handlers(app: TelegramApplication, services: Services) -> None:
    """The reminder commands, their buttons and my_chat_member on an Application from
    build_application(); the commands join the published menu."""
    app.bot_data.services = services
    app.bot_data.commands += list(REMINDER_COMMANDS)
    new = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler(list(SUBSCRIPTION_COMMANDS), on_reminder_command, filters=new))
    bare = new & filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & filters.Regex(_BARE)
    app.add_handler(MessageHandler(bare, on_bare_command), group=BEFORE_QUESTIONS)
    app.add_handler(
        CallbackQueryHandler(on_command_button, pattern=COMMAND_PRESS), group=BEFORE_QUESTIONS
    )
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))


# --- commands ------------------------------------------------------------------------------------


async def on_reminder_command(update: Update, context: TelegramContext) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    argument = " ".join(context.args or [])
    await _command(update, context, message, command_name(message.text), argument)


async def on_bare_command(update: Update, context: TelegramContext) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    name, _, argument = message.text.strip().partition(" ")
    await _command(update, context, message, name.lower(), argument)
    raise ApplicationHandlerStop


async def _command(
    update: Update, context: TelegramContext, message: Message, name: str, argument: str
) -> None:
    chat = message.chat
    if not await _may_use(context, chat, message.from_user, message, name):
        kb = await _words(context, chat, message.from_user)
        link = create_deep_linked_url(context.bot.username)
        button = InlineKeyboardButton(kb.say("doors.private_chat_button"), url=link)
        await message.reply_text(
            kb.say("doors.admins_only"),
            reply_markup=InlineKeyboardMarkup([[button]]),
            do_quote=True,
        )
        log.info("telegram reminder command refused chat=%s command=%s", chat.id, name)
        return
    reply = await context.services.subscriptions.handle(
        _key(chat), name, argument, _language(update.effective_user)
    )
    log.info("telegram reminder command chat=%s command=%s", chat.id, name)
    await send_reply(context, message, reply, quote=True)


# --- buttons -------------------------------------------------------------------------------------


async def on_command_button(update: Update, context: TelegramContext) -> None:
    """A command button: "checkup monthly", "forget confirm", "unsubscribe" under a reminder."""
    query = update.callback_query
    if query is None:
        return
    press = decode_press(query.data)
    message = query.message
    name, _, argument = (press.command or "").partition(" ") if press else ("", "", "")
    if press is None or message is None or name not in SUBSCRIPTION_COMMANDS:
        await on_old_button(update, context)
        raise ApplicationHandlerStop
    if not await _may_use(context, message.chat, query.from_user, None, name):
        kb = await _words(context, message.chat, query.from_user)
        await query.answer(kb.say("doors.admins_only_short"), show_alert=True)
        raise ApplicationHandlerStop
    await query.answer()
    if isinstance(message, Message):  # the choice is made: its buttons go
        await edit_keyboard(query, without_presses(message.reply_markup, "command"))
    reply = await context.services.subscriptions.handle(
        _key(message.chat), name, argument, _language(query.from_user)
    )
    log.info("telegram reminder button chat=%s command=%s", message.chat.id, name)
    await send_reply(context, message, reply, quote=False)
    raise ApplicationHandlerStop


# --- blocked, kicked, removed --------------------------------------------------------------------


async def on_my_chat_member(update: Update, context: TelegramContext) -> None:
    """The user blocked the bot, or a group removed it: no reminder is tried again."""
    change = update.my_chat_member
    if change is None or change.new_chat_member.status not in GONE:
        return
    store = context.services.store
    chat_id = str(change.chat.id)
    sub = await asyncio.to_thread(store.subscription_for, PLATFORM, chat_id)
    if sub is None or not sub.active:
        return
    await asyncio.to_thread(store.deactivate, sub.id)
    log.info(
        "telegram chat=%s status=%s: subscription %s deactivated",
        change.chat.id,
        change.new_chat_member.status,
        sub.id,
    )


# --- helpers -------------------------------------------------------------------------------------


async def _may_use(
    context: TelegramContext,
    chat: Chat,
    user: User | None,
    message: MaybeInaccessibleMessage | None,
    name: str,
) -> bool:
    """Private chats and read-only commands: anyone. A group's subscription: its admins."""
    if chat.type == ChatType.PRIVATE or name in OPEN_IN_GROUPS:
        return True
    if isinstance(message, Message) and message.sender_chat and message.sender_chat.id == chat.id:
        return True  # an anonymous admin, posting as the group
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.info("telegram admin check failed chat=%s error=%s", chat.id, type(exc).__name__)
        return False
    return member.status in ADMINS


def _key(chat: Chat) -> ChatKey:
    return ChatKey(PLATFORM, str(chat.id))


async def _words(context: TelegramContext, chat: Chat, user: User | None):
    """The knowledge base in the language this chat is answered in."""
    return await context.services.subscriptions.words(_key(chat), _language(user))


def _language(user: User | None) -> str | None:
    """Telegram's hint at the user's language; the service decides what to answer in."""
    return user.language_code if user else None
