"""The Telegram door: a python-telegram-bot Application built from settings, whose handlers only
translate updates into ConversationService calls and Replies into messages.

Logs carry chat ids, reply kinds, intents and counts; never a message's text, a name or the token.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections import Counter
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    MaybeInaccessibleMessage,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    InlineQueryHandler,
    InvalidCallbackData,
    MessageHandler,
    filters,
)
from telegram.helpers import create_deep_linked_url

from bot.core.languages import normalise_language
from bot.core.reply import Reply
from bot.service.conversations import ChatKey, ConversationService
from bot.telegram.render import (
    ButtonPress,
    decode_press,
    deep_link_payload,
    link_rows,
    render_reply,
    short_answer,
    short_description,
    without_feedback,
)
from bot.telegram.settings import TelegramSettings

if TYPE_CHECKING:
    from bot.bootstrap import Services

log = logging.getLogger(__name__)

PLATFORM = "telegram"
INLINE_CACHE = dt.timedelta(seconds=30)
# Replies that are not answers; a group only hears the bot when it has something to say.
UNKNOWN_COMMAND_GROUP = 1  # after every door's handlers in group 0
QUIET_IN_GROUPS = frozenset({"fallback", "did_you_mean"})
# Loggers that would print request URLs, and so the token, at INFO or DEBUG.
TOKEN_BEARING_LOGGERS = ("httpx", "httpcore", "telegram")

# (command, description) for the menu; /start is handled but, as usual, not listed.
# The menu's descriptions are the knowledge base's "commands" messages, in each language.
QUESTION_COMMANDS = ("help", "affected", "optout", "object", "deadline", "sources", "topics")


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
    arguments; build_application fills it in. The reminder door adds its commands here, and
    the services (subscriptions, store) its handlers use."""

    def __init__(self) -> None:
        self.service: ConversationService | None = None
        self.services: Services | None = None
        self.feedback = FeedbackTally()
        self.commands: list[str] = list(QUESTION_COMMANDS)


class TelegramContext(CallbackContext[ExtBot, dict, dict, BotData]):
    @property
    def service(self) -> ConversationService:
        service = self.bot_data.service
        if service is None:
            raise RuntimeError("the Application was not made by build_application()")
        return service

    @property
    def feedback(self) -> FeedbackTally:
        return self.bot_data.feedback

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:
            raise RuntimeError("the reminder handlers were not added (add_reminder_handlers)")
        return services


TelegramApplication = Application[ExtBot, TelegramContext, dict, dict, BotData, Any]


def quiet_token_bearing_loggers() -> None:
    """httpx logs every request URL at INFO, and the URL holds the bot token."""
    for name in TOKEN_BEARING_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def build_application(
    settings: TelegramSettings, service: ConversationService
) -> TelegramApplication:
    """The Application for these settings, with the question handlers; not started."""
    quiet_token_bearing_loggers()
    app = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .context_types(ContextTypes(context=TelegramContext, bot_data=BotData))
        # Overall 30/s and 20/min per group. max_retries=0: a 429 reaches the caller, so the
        # reminder notifier can report it (AIORateLimiter reads a per-call 0 as "use default").
        .rate_limiter(AIORateLimiter(max_retries=0))
        .post_init(publish_commands)
        .build()
    )
    app.bot_data.service = service
    add_question_handlers(app)
    app.add_error_handler(on_error)
    return app


def add_question_handlers(app: TelegramApplication) -> None:
    # Edits are not questions asked again: only new messages.
    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    free_text = filters.TEXT & ~filters.COMMAND
    commands = ["start", *QUESTION_COMMANDS]
    app.add_handler(CommandHandler(commands, on_command, filters=new))
    app.add_handler(MessageHandler(new & private & free_text, on_private_text))
    # Groups (privacy mode on) only deliver commands and replies to the bot's own messages.
    app.add_handler(
        MessageHandler(new & filters.ChatType.GROUPS & filters.REPLY & free_text, on_group_reply)
    )
    app.add_handler(CallbackQueryHandler(on_old_button, pattern=InvalidCallbackData))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(on_inline_query))
    # Any other command in a private chat gets the help answer, unless it is in the menu
    # (bot_data.commands): then another door's handler owns it, in whatever group it was added.
    unknown = new & private & filters.COMMAND & _Unlisted(app.bot_data)
    app.add_handler(MessageHandler(unknown, on_command), group=UNKNOWN_COMMAND_GROUP)


class _Unlisted(filters.MessageFilter):
    """Commands that are neither handled here nor in the published menu."""

    def __init__(self, bot_data: BotData):
        super().__init__(name="Unlisted")
        self._bot_data = bot_data

    def filter(self, message: Message) -> bool:
        listed = {*self._bot_data.commands, "start"}
        return command_name(message.text or "") not in listed


async def publish_commands(app: TelegramApplication) -> None:
    """post_init: the command menu, from bot_data so other doors' commands join it; English for
    everyone, and each other language for users whose app is set to it."""
    kb = app.bot_data.service.answerer.kb
    for language in kb.languages:
        words = kb.in_language(language)
        menu = [BotCommand(name, words.say("commands." + name)) for name in app.bot_data.commands]
        code = None if language == kb.language else language
        await app.bot.set_my_commands(menu, language_code=code)
    log.info("telegram ready bot_id=%s commands=%d", app.bot.id, len(app.bot_data.commands))


# --- messages ----------------------------------------------------------------------------------


async def on_command(update: Update, context: TelegramContext) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    name = command_name(message.text)
    argument = " ".join(context.args or [])
    reply = await context.service.command(
        chat_key(message), name, argument, language_hint(update.effective_user)
    )
    await send_reply(context, message, reply, quote=True)


async def on_private_text(update: Update, context: TelegramContext) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    reply = await context.service.ask(
        chat_key(message), message.text, language_hint(update.effective_user)
    )
    await send_reply(context, message, reply, quote=True)


async def on_group_reply(update: Update, context: TelegramContext) -> None:
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if message is None or not message.text or replied is None:
        return
    if replied.from_user is None or replied.from_user.id != context.bot.id:
        return  # a reply to someone else
    reply = await context.service.ask(
        chat_key(message), message.text, language_hint(update.effective_user)
    )
    if reply.kind in QUIET_IN_GROUPS:
        log.info("telegram group reply not sent chat=%s kind=%s", message.chat_id, reply.kind)
        return
    await send_reply(context, message, reply, quote=True)


# --- buttons -----------------------------------------------------------------------------------


async def on_button(update: Update, context: TelegramContext) -> None:
    query = update.callback_query
    if query is None:
        return
    press = decode_press(query.data)
    message = query.message
    # Command presses belong to the reminder door, which sees them first when it is there.
    known = (
        press is not None
        and press.action != "command"
        and (press.intent is None or press.intent in context.service.answerer.kb.intents)
    )
    if press is None or not known or message is None:
        await on_old_button(update, context)
        return
    if press.action == "feedback":
        await _count_feedback(query, press, message, context)
        return
    await query.answer()
    chat = chat_key(message)
    log.info(
        "telegram button chat=%s action=%s intent=%s", message.chat.id, press.action, press.intent
    )
    if press.action in ("pick", "none"):
        await edit_keyboard(query, None)  # the choice is made: the menu goes
    hint = language_hint(query.from_user)
    if press.action == "none":
        reply = await context.service.command(chat, "topics", hint=hint)
    else:
        reply = await context.service.topic(chat, press.intent or "help", hint=hint)
    await send_reply(context, message, reply, quote=False)


async def on_old_button(update: Update, context: TelegramContext) -> None:
    """A button this version cannot read: older callback data, or a lost callback cache."""
    query = update.callback_query
    if query is None:
        return
    log.info("telegram old button chat=%s", query.message.chat.id if query.message else None)
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
    chat = chat_key(query.message) if query.message else None
    hint = language_hint(query.from_user)
    language = await context.service.language_of(chat, hint) if chat else hint
    return context.service.answerer.kb.in_language(language).say("labels." + key)


async def edit_keyboard(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as exc:  # too old to edit, or already edited: the answer still goes out
        log.info("telegram keyboard not edited error=%s", type(exc).__name__)


# --- inline mode -------------------------------------------------------------------------------


async def on_inline_query(update: Update, context: TelegramContext) -> None:
    """ "@bot canada" in any chat: a short, shareable answer and a button to start the bot."""
    query = update.inline_query
    if query is None:
        return
    text = query.query.strip()
    if not text:
        await query.answer([], cache_time=INLINE_CACHE, is_personal=True)
        return
    chat = ChatKey(PLATFORM, f"inline:{query.from_user.id}")
    reply = await context.service.ask(chat, text, language_hint(query.from_user))
    if reply.kind != "answer" or reply.intent is None:
        await query.answer([], cache_time=INLINE_CACHE, is_personal=True)
        log.info("telegram inline user=%s kind=%s results=0", query.from_user.id, reply.kind)
        return
    username = context.bot.username
    start_link = create_deep_linked_url(username, deep_link_payload(reply.region))
    rows = [[InlineKeyboardButton(f"Ask @{username}", url=start_link)]]
    rows += link_rows(reply)
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
    await query.answer([result], cache_time=INLINE_CACHE, is_personal=True)
    log.info("telegram inline user=%s intent=%s results=1", query.from_user.id, reply.intent)


# --- sending -----------------------------------------------------------------------------------


async def send_reply(
    context: TelegramContext, anchor: MaybeInaccessibleMessage, reply: Reply, *, quote: bool
) -> None:
    """The reply in the anchor's chat (and forum thread); in groups the first part quotes it."""
    messages = render_reply(reply, feedback=_wants_feedback(context.service, reply))
    in_group = anchor.chat.type != ChatType.PRIVATE
    preview = LinkPreviewOptions(is_disabled=True)
    for n, out in enumerate(messages):
        if isinstance(anchor, Message):
            await anchor.reply_text(
                out.text,
                parse_mode=ParseMode.HTML,
                reply_markup=out.keyboard,
                link_preview_options=preview,
                do_quote=quote and in_group and n == 0,
            )
        else:
            await context.bot.send_message(
                anchor.chat.id,
                out.text,
                parse_mode=ParseMode.HTML,
                reply_markup=out.keyboard,
                link_preview_options=preview,
            )
    log.info(
        "telegram reply chat=%s kind=%s intent=%s region=%s messages=%d",
        anchor.chat.id,
        reply.kind,
        reply.intent,
        reply.region,
        len(messages),
    )


def _wants_feedback(service: ConversationService, reply: Reply) -> bool:
    """👍/👎 go under answers to topics, not under greetings or menus."""
    intent = service.answerer.kb.intents.get(reply.intent or "")
    return reply.kind == "answer" and intent is not None and intent.kind == "topic"


def command_name(text: str) -> str:
    """ "/Start@optout_bot CA" -> "start"."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    return first.lstrip("/").split("@")[0].lower()


def chat_key(message: MaybeInaccessibleMessage) -> ChatKey:
    return ChatKey(PLATFORM, str(message.chat.id))


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
            kb = context.service.answerer.kb.in_language(normalise_language(language_hint(user)))
            await context.bot.send_message(chat.id, kb.say("doors.sorry"))
        except TelegramError as exc:
            log.info("telegram apology not sent error=%s", type(exc).__name__)
