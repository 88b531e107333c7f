"""The Telegram door: a python-telegram-bot Application built from settings, whose handlers only
translate updates into ChatService calls and Replies into messages.

Logs carry chat ids, reply kinds, intents and counts; never a message's text, a name or the token.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections import Counter
from typing import Any

from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    MaybeInaccessibleMessage,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.helpers import create_deep_linked_url

from bot.core.chats import ChatRef
from bot.core.reply import Reply
from bot.service.chat import ChatService
from bot.service.commands import COMMANDS, SLASH_COMMANDS, Command, CommandForm
from bot.service.log_ids import log_tag, quiet_token_bearing_loggers
from bot.telegram.groups import GONE, may_use
from bot.telegram.limits import REPLY_TERMS, TelegramRateLimiter
from bot.telegram.render import (
    ButtonPress,
    decode_press,
    deep_link_payload,
    link_rows,
    render_reply,
    short_answer,
    short_description,
    without_feedback,
    without_presses,
)
from bot.telegram.settings import TelegramSettings

log = logging.getLogger(__name__)

PLATFORM = "telegram"
INLINE_CACHE = dt.timedelta(seconds=30)
# The /start payload of the "open the bot" button above inline results with no answer: it
# starts the private chat with the greeting, as a bare /start does.
OPEN_PAYLOAD = "inline"
# Replies that are not answers; a group only hears the bot when it has something to say.
QUIET_IN_GROUPS = frozenset({"fallback", "did_you_mean"})
# Every command of the table; the menu lists those it lists (not /start, as usual).
COMMAND_NAMES = tuple(command.name for command in COMMANDS)


class FeedbackTally:
    """👍/👎 counts per intent, in memory; no text and no user is stored."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def record(self, intent: str, vote: str) -> None:
        self._counts[(intent, vote)] += 1

    def counts(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
        for (intent, vote), count in sorted(self._counts.items()):
            result.setdefault(intent, {"up": 0, "down": 0})[vote] = count
        return result


class BotData:
    """context.bot_data: what handlers reach through the context. PTB creates it with no
    arguments; build_application fills it in."""

    def __init__(self) -> None:
        self.service: ChatService | None = None
        self.feedback = FeedbackTally()


class TelegramContext(CallbackContext[ExtBot, dict, dict, BotData]):
    @property
    def service(self) -> ChatService:
        service = self.bot_data.service
        if service is None:
            raise RuntimeError("the Application was not made by build_application()")
        return service

    @property
    def feedback(self) -> FeedbackTally:
        return self.bot_data.feedback


TelegramApplication = Application[ExtBot, TelegramContext, dict, dict, BotData, Any]


def build_application(settings: TelegramSettings, service: ChatService) -> TelegramApplication:
    """The Application for these settings, with every handler; not started."""
    quiet_token_bearing_loggers()
    app = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .context_types(ContextTypes(context=TelegramContext, bot_data=BotData))
        .rate_limiter(TelegramRateLimiter())
        .post_init(publish_commands)
        .build()
    )
    app.bot_data.service = service
    add_handlers(app)
    app.add_error_handler(on_error)
    return app


def add_handlers(app: TelegramApplication) -> None:
    # Edits are not questions asked again: only new messages.
    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    free_text = filters.TEXT & ~filters.COMMAND
    app.add_handler(CommandHandler(list(COMMAND_NAMES), on_command, filters=new))
    # Any other command in a private chat gets the help answer (the handlers of one group are
    # tried in order, so the command table's own commands never reach this one).
    app.add_handler(MessageHandler(new & private & filters.COMMAND, on_command))
    app.add_handler(MessageHandler(new & private & free_text, on_private_text))
    # Groups (privacy mode on) only deliver commands and replies to the bot's own messages.
    app.add_handler(
        MessageHandler(new & filters.ChatType.GROUPS & filters.REPLY & free_text, on_group_reply)
    )
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(on_inline_query))
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))


async def publish_commands(app: TelegramApplication) -> None:
    """post_init: the command menu from the command table; English for everyone, and each other
    language for users whose app is set to it."""
    words = app.bot_data.service.words
    menu: list[tuple[str, str]] = []
    for language in words.languages:
        menu = words.menu(language)
        code = None if language == words.source_language else language
        await app.bot.set_my_commands(
            [BotCommand(name, text) for name, text in menu], language_code=code
        )
    log.info("telegram ready bot_id=%s commands=%d", app.bot.id, len(menu))


# --- messages ----------------------------------------------------------------------------------


async def on_command(update: Update, context: TelegramContext) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    name = command_name(message.text)
    argument = message.text.strip().partition(" ")[2].strip()
    command = context.service.find_command(name)
    if command is not None and command.name == "start" and argument == OPEN_PAYLOAD:
        argument = ""  # from the inline button: the chat opens as a bare /start would
    hint = language_hint(update.effective_user)
    if not await may_use(context.bot, message.chat, message.from_user, message, command):
        await _refuse(context, message, hint)
        log.info("telegram command refused command=%s", command_name_for_log(command))
        return
    form = command_form(message.chat, context.bot.username)
    reply = await context.service.command(chat_key(message), name, argument, hint, form)
    log.info("telegram command command=%s", command_name_for_log(command))
    await send_reply(context, message, reply, quote=True)


async def _refuse(context: TelegramContext, message: Message, hint: str | None) -> None:
    """Only a group's admins change its reminders; anyone can get their own in private."""
    words = context.service.words
    link = create_deep_linked_url(context.bot.username)
    button = InlineKeyboardButton(words.say("doors.private_chat_button", hint), url=link)
    await message.reply_text(
        words.say("doors.admins_only", hint),
        reply_markup=InlineKeyboardMarkup([[button]]),
        do_quote=True,
    )


def command_name_for_log(command: Command | None) -> str:
    """A command's name for the log; never what an unknown command's user typed."""
    return command.name if command is not None else "unknown"


async def on_private_text(update: Update, context: TelegramContext) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    reply = await context.service.message(
        chat_key(message),
        message.text,
        language_hint(update.effective_user),
        form=command_form(message.chat, context.bot.username),
    )
    await send_reply(context, message, reply, quote=True)


async def on_group_reply(update: Update, context: TelegramContext) -> None:
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if message is None or not message.text or replied is None:
        return
    if replied.from_user is None or replied.from_user.id != context.bot.id:
        return  # a reply to someone else
    reply = await context.service.message(
        chat_key(message),
        message.text,
        language_hint(update.effective_user),
        private=False,
        form=command_form(message.chat, context.bot.username),
    )
    if reply.kind in QUIET_IN_GROUPS:
        log.info("telegram group reply not sent kind=%s", reply.kind)
        return
    await send_reply(context, message, reply, quote=True)


# --- buttons -----------------------------------------------------------------------------------


async def on_button(update: Update, context: TelegramContext) -> None:
    query = update.callback_query
    if query is None:
        return
    press = decode_press(query.data)
    message = query.message
    known = press is not None and (
        press.intent is None or context.service.knows_topic(press.intent)
    )
    if press is None or not known or message is None:
        await on_old_button(update, context)
        return
    if press.action == "feedback":
        await _count_feedback(query, press, message, context)
        return
    if press.action == "command":
        await _command_button(query, press, message, context)
        return
    if press.action == "more":
        await _more_button(query, press, message, context)
        return
    await query.answer()
    chat = chat_key(message)
    log.info("telegram button action=%s intent=%s", press.action, press.intent)
    if press.action in ("pick", "none"):
        await edit_keyboard(query, None)  # the choice is made: the menu goes
    hint = language_hint(query.from_user)
    if press.action == "none":
        reply = await context.service.command(chat, "topics", hint=hint)
    else:
        reply = await context.service.topic(chat, press.intent or "help", hint=hint)
    if reply is None:
        await on_old_button(update, context)
        return
    await send_reply(context, message, reply, quote=False)


async def _command_button(
    query: CallbackQuery,
    press: ButtonPress,
    message: MaybeInaccessibleMessage,
    context: TelegramContext,
) -> None:
    """A command button: "checkup monthly", "forget confirm", "unsubscribe" under a reminder."""
    name, _, argument = (press.command or "").partition(" ")
    command = context.service.find_command(name)
    hint = language_hint(query.from_user)
    if command is None:
        await query.answer(await _label(context, query, "old_button"))
        return
    if not await may_use(context.bot, message.chat, query.from_user, None, command):
        await query.answer(
            context.service.words.say("doors.admins_only_short", hint), show_alert=True
        )
        return
    await query.answer()
    if isinstance(message, Message):  # the choice is made: its buttons go
        await edit_keyboard(query, without_presses(message.reply_markup, "command"))
    form = command_form(message.chat, context.bot.username)
    reply = await context.service.command(chat_key(message), command.name, argument, hint, form)
    log.info("telegram command button command=%s", command.name)
    await send_reply(context, message, reply, quote=False)


async def _more_button(
    query: CallbackQuery,
    press: ButtonPress,
    message: MaybeInaccessibleMessage,
    context: TelegramContext,
) -> None:
    """ "More" under a short answer: the full answer for the topic and region the button carries
    (nothing of it is kept in memory: it works after a restart, on any replica)."""
    hint = language_hint(query.from_user)
    reply = await context.service.more(chat_key(message), press.intent or "", press.region, hint)
    if reply is None:
        await query.answer(await _label(context, query, "old_button"))
        return
    await query.answer()
    log.info("telegram more intent=%s region=%s", press.intent, press.region)
    if isinstance(message, Message):  # the details are out: the button goes
        await edit_keyboard(query, without_presses(message.reply_markup, "more"))
    await send_reply(context, message, reply, quote=False)


async def on_old_button(update: Update, context: TelegramContext) -> None:
    """A button this version cannot read: older callback data, or a lost callback cache."""
    query = update.callback_query
    if query is None:
        return
    log.info("telegram old button")
    await query.answer(await _label(context, query, "old_button"))


async def _count_feedback(
    query: CallbackQuery,
    press: ButtonPress,
    message: MaybeInaccessibleMessage,
    context: TelegramContext,
) -> None:
    context.feedback.record(press.intent or "", press.vote or "")
    log.info("telegram feedback intent=%s vote=%s", press.intent, press.vote)
    await query.answer(await _label(context, query, "feedback_thanks"))
    if isinstance(message, Message):  # one vote per message: the 👍/👎 row goes
        await edit_keyboard(query, without_feedback(message.reply_markup))


def language_hint(user: User | None) -> str | None:
    """Telegram's guess at the user's language (the app's interface language), if it sent one."""
    return user.language_code if user else None


async def _label(context: TelegramContext, query: CallbackQuery, key: str) -> str:
    """A short text (a button's toast) in the language of the chat the button is in."""
    hint = language_hint(query.from_user)
    if query.message is None:
        return context.service.words.say("labels." + key, hint)
    return await context.service.say(chat_key(query.message), "labels." + key, hint)


async def edit_keyboard(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as exc:  # too old to edit, or already edited: the answer still goes out
        log.info("telegram keyboard not edited error=%s", type(exc).__name__)


# --- inline mode -------------------------------------------------------------------------------


async def on_inline_query(update: Update, context: TelegramContext) -> None:
    """ "@bot canada" in any chat: the short answer with its action link, shareable as it is.
    Above the results, always, a button that opens a private chat with the bot: for the
    answer's region, or for the greeting when there is no answer to share."""
    query = update.inline_query
    if query is None:
        return
    hint = language_hint(query.from_user)
    text = query.query.strip()
    reply = None
    if text:
        chat = ChatRef(PLATFORM, f"inline:{query.from_user.id}")
        reply = await context.service.message(chat, text, hint, private=False)
    answered = reply is not None and reply.kind == "answer" and reply.intent is not None
    payload = (deep_link_payload(reply.region) if answered and reply else None) or OPEN_PAYLOAD
    label = context.service.words.say("doors.private_chat_button", hint)
    button = InlineQueryResultsButton(text=label, start_parameter=payload)
    if reply is None or not answered:
        await query.answer([], cache_time=INLINE_CACHE, is_personal=True, button=button)
        kind = reply.kind if reply is not None else "empty"
        log.info("telegram inline kind=%s results=0", kind)
        return
    start_link = create_deep_linked_url(context.bot.username, payload)
    rows = link_rows(reply)  # the action first: the setting to switch off
    rows.append([InlineKeyboardButton(label, url=start_link)])
    result = InlineQueryResultArticle(
        id=f"{reply.intent}:{reply.region or '-'}"[:64],
        title=reply.title,
        description=short_description(reply),
        input_message_content=InputTextMessageContent(
            short_answer(reply),
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    await query.answer([result], cache_time=INLINE_CACHE, is_personal=True, button=button)
    log.info("telegram inline intent=%s results=1", reply.intent)


# --- sending -----------------------------------------------------------------------------------


async def send_reply(
    context: TelegramContext, anchor: MaybeInaccessibleMessage, reply: Reply, *, quote: bool
) -> None:
    """The reply in the anchor's chat (and forum thread); in groups the first part quotes it."""
    messages = render_reply(reply, feedback=context.service.wants_feedback(reply))
    quoting = isinstance(anchor, Message) and quote and anchor.chat.type != ChatType.PRIVATE
    # In a forum topic the reply stays in the topic, as Message.reply_text would keep it.
    topic = getattr(anchor, "is_topic_message", False)
    thread = anchor.message_thread_id if topic else None  # type: ignore[union-attr]
    preview = LinkPreviewOptions(is_disabled=True)
    for n, out in enumerate(messages):
        await context.bot.send_message(
            anchor.chat.id,
            out.text,
            parse_mode=ParseMode.HTML,
            reply_markup=out.keyboard,
            link_preview_options=preview,
            message_thread_id=thread,
            reply_parameters=ReplyParameters(anchor.message_id) if quoting and n == 0 else None,
            # Replies go before reminders, and a 429 is waited out and the reply sent again
            # (a reminder's 429 goes back to the dispatcher, which owns its retries).
            rate_limit_args=REPLY_TERMS,
        )
    log.info(
        "telegram reply kind=%s intent=%s region=%s messages=%d",
        reply.kind,
        reply.intent,
        reply.region,
        len(messages),
    )


def command_form(chat: Chat, username: str) -> CommandForm:
    """How replies write commands in this chat: "/timezone", tappable in Telegram; in a group
    "/timezone@bot", the only form a bot in privacy mode is sure to receive there."""
    if chat.type == ChatType.PRIVATE:
        return SLASH_COMMANDS
    return CommandForm(prefix="/", mention=f"@{username}")


def command_name(text: str) -> str:
    """ "/Start@optout_bot CA" -> "start"."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    return first.lstrip("/").split("@")[0].lower()


def chat_key(message: MaybeInaccessibleMessage) -> ChatRef:
    return chat_key_of(message.chat)


def chat_key_of(chat: Chat) -> ChatRef:
    return ChatRef(PLATFORM, str(chat.id))


# --- blocked, kicked, removed ------------------------------------------------------------------


async def on_my_chat_member(update: Update, context: TelegramContext) -> None:
    """The user blocked the bot, or a group removed it: no reminder is tried again."""
    change = update.my_chat_member
    if change is None or change.new_chat_member.status not in GONE:
        return
    if await context.service.chat_gone(chat_key_of(change.chat)):
        log.info(
            "telegram chat=%s status=%s: subscription deactivated",
            log_tag(change.chat.id),
            change.new_chat_member.status,
        )


async def on_migrate(update: Update, context: TelegramContext) -> None:
    """A group became a supergroup, with a new id: its subscription follows it. Telegram posts
    the news in both chats; the supergroup's message (migrate_from_chat_id) is the one read."""
    message = update.effective_message
    if message is None or message.migrate_from_chat_id is None:
        return
    old = ChatRef(PLATFORM, str(message.migrate_from_chat_id))
    if await context.service.chat_moved(old, chat_key_of(message.chat)):
        log.info(
            "telegram chat=%s moved to chat=%s: subscription moved",
            log_tag(message.migrate_from_chat_id),
            log_tag(message.chat.id),
        )


# --- errors ------------------------------------------------------------------------------------


async def on_error(update: object, context: TelegramContext) -> None:
    """Logs the exception's type and where it was raised; its message may hold user text."""
    error = context.error
    frames = traceback.extract_tb(error.__traceback__) if error else []
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "telegram handler failed update=%s error=%s at=%s",
        update_id,
        type(error).__name__,
        where,
    )
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is not None and chat.type == ChatType.PRIVATE:
        try:
            user = update.effective_user if isinstance(update, Update) else None
            sorry = context.service.words.say("doors.sorry", language_hint(user))
            await context.bot.send_message(chat.id, sorry)
        except TelegramError as exc:
            log.info("telegram apology not sent error=%s", type(exc).__name__)
