"""Running the Telegram door: long polling by default, a webhook when TELEGRAM_WEBHOOK_URL is set,
the reminder dispatcher alongside it in the same event loop, and a clean stop on SIGTERM or SIGINT.

The lifecycle is written out rather than left to Application.run_polling() for two reasons: it
can then run inside an event loop someone else owns (tests, or more doors in one process), and
start-up failures are caught before python-telegram-bot logs them, since Bot.initialize() puts
the token itself into the InvalidToken message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Updater

from bot.service.dispatcher import Dispatcher, stop_dispatcher
from bot.telegram.app import TelegramApplication
from bot.telegram.settings import TelegramSettings

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits on Telegram's side
# The dispatcher stops between sends and releases what it has not sent; a send still hanging
# after this long is cancelled. Short enough that the whole exit fits in 10 seconds.
DISPATCHER_GRACE = 5.0


class TelegramStartError(RuntimeError):
    """The bot could not start; the message is one line and holds no secret."""


@contextlib.asynccontextmanager
async def running(
    app: TelegramApplication, settings: TelegramSettings, *, poll_timeout: float = POLL_TIMEOUT
) -> AsyncIterator[TelegramApplication]:
    """The Application receiving and answering updates for the duration of the block."""
    try:
        await app.initialize()  # getMe
    except InvalidToken:
        raise TelegramStartError(
            "Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather"
        ) from None
    except TelegramError as exc:
        raise TelegramStartError(
            f"cannot reach the Telegram Bot API ({type(exc).__name__}); "
            "check the network and TELEGRAM_API_BASE_URL"
        ) from None
    updater = app.updater
    if updater is None:  # pragma: no cover - ApplicationBuilder always makes one
        raise TelegramStartError("the Application has no Updater")
    try:
        try:
            await _start_receiving(app, updater, settings, poll_timeout)
        except TelegramError as exc:
            raise TelegramStartError(f"Telegram start-up failed ({type(exc).__name__})") from None
        except OSError as exc:
            raise TelegramStartError(
                f"cannot listen on {settings.webhook_listen}:{settings.webhook_port} "
                f"for the webhook ({exc.strerror or type(exc).__name__})"
            ) from None
        yield app
    finally:
        if updater.running:
            await updater.stop()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
        log.info("telegram stopped")


async def _start_receiving(
    app: TelegramApplication, updater: Updater, settings: TelegramSettings, poll_timeout: float
) -> None:
    if app.post_init:
        await app.post_init(app)  # run_polling() would call it; initialize() does not
    if settings.uses_webhook:
        await updater.start_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=settings.webhook_path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("telegram webhook listening port=%s", settings.webhook_port)
    else:
        # Without allowed_updates Telegram keeps whatever list was set last.
        await updater.start_polling(
            timeout=poll_timeout,
            allowed_updates=Update.ALL_TYPES,
            error_callback=_polling_error,
        )
        log.info("telegram polling")
    await app.start()


@contextlib.asynccontextmanager
async def dispatching(
    dispatcher: Dispatcher, *, grace: float = DISPATCHER_GRACE
) -> AsyncIterator[Dispatcher]:
    """The dispatcher's loop running in this event loop for the duration of the block."""
    task = asyncio.create_task(dispatcher.run_forever(), name="reminder-dispatcher")
    log.info("reminder dispatcher started")
    try:
        yield dispatcher
    finally:
        await stop_dispatcher(dispatcher, task, grace)
        log.info("reminder dispatcher stopped")


async def stop_receiving(app: TelegramApplication) -> None:
    """Take no more updates (the first step of a stop); the bot can still send."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()


def _polling_error(exc: TelegramError) -> None:
    # The default callback logs the whole exception; its type is enough and safe.
    log.warning("telegram polling failed error=%s; retrying", type(exc).__name__)
