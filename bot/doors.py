"""Starting the chat-platform doors whose settings are present, over one core and one store.

With both tokens, one process serves Telegram and Discord and runs a single reminder dispatcher
that routes each reminder to its platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TextIO

from bot.bootstrap import Services
from bot.notifiers import NoPlatformConfigured, RoutingNotifier
from bot.ops.http import Operations, operations
from bot.service.dispatcher import Notifier
from bot.settings import Settings

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def configured_doors(environ: Mapping[str, str]) -> list[str]:
    return [
        name
        for name, key in (("telegram", "TELEGRAM_BOT_TOKEN"), ("discord", "DISCORD_BOT_TOKEN"))
        if environ.get(key)
    ]


def run_doors(build: Callable[[], Services], settings: Settings) -> int:
    """Run the doors whose settings are present (settings.doors: telegram, discord) and the
    dispatcher until SIGTERM or SIGINT; SIGHUP reloads the knowledge base. Settings were checked
    before `build` opens the store, so a bad one costs nothing."""
    from bot.discord.runner import DiscordStartError
    from bot.telegram.runner import TelegramStartError

    services = build()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop.set)
        try:
            async with operations(services) as ops:
                await warm_up(services)
                await serve_doors(services, settings.telegram, settings.discord, stop, ops)
        finally:
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)

    try:
        asyncio.run(main())
    except (TelegramStartError, DiscordStartError) as exc:
        print(f"optout-bot: {exc}", file=sys.stderr)
        return 1
    finally:
        services.close()
    log.info("stopped")
    return 0


async def warm_up(services: Services) -> None:
    """Build what a first answer needs before any door takes updates; meanwhile /healthz
    answers and /readyz says not ready."""
    if not services.warmed:
        started = time.perf_counter()
        await asyncio.to_thread(services.warm_up)
        log.info("warmed up seconds=%.1f", time.perf_counter() - started)


async def serve_doors(
    services: Services,
    telegram,
    discord_settings,
    stop: asyncio.Event,
    ops: Operations | None = None,
) -> None:
    from bot.discord.notifier import DiscordNotifier
    from bot.discord.runner import build_bot
    from bot.discord.runner import serve as serve_discord
    from bot.telegram.app import build_application
    from bot.telegram.notifier import TelegramNotifier
    from bot.telegram.runner import dispatching, running, stop_receiving

    async with contextlib.AsyncExitStack() as stack:
        notifiers: dict[str, Notifier] = {}
        tasks = []
        app = None
        if telegram is not None:
            app = build_application(telegram, services.chat)
            if ops is not None:
                ops.platforms["telegram"] = lambda: app.running
            await stack.enter_async_context(running(app, telegram))
            notifiers["telegram"] = TelegramNotifier(app.bot)
        bot = None
        if discord_settings is not None:
            bot = build_bot(services.chat, discord_settings)
            discord_bot = bot
            if ops is not None:
                ops.platforms["discord"] = lambda: (
                    discord_bot.is_ready() and not discord_bot.is_closed()
                )
            notifiers["discord"] = DiscordNotifier(bot)
        dispatcher = services.dispatcher(RoutingNotifier(notifiers))
        if bot is not None:
            # Discord's serve() runs the dispatcher itself and stops it before the gateway closes.
            tasks.append(
                asyncio.create_task(
                    serve_discord(bot, discord_settings, stop, dispatcher=dispatcher)
                )
            )
            await asyncio.gather(*tasks)
        else:
            async with dispatching(dispatcher):
                await stop.wait()
                if app is not None:
                    await stop_receiving(app)
        log.info("stopping: no more updates taken, reminder claims finished or released")


def run_terminal(services: Services, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """The terminal chat, with its reminders and the operations server, until the input ends."""
    return asyncio.run(terminal_chat(services, stdin, stdout))


async def terminal_chat(services: Services, stdin: TextIO, stdout: TextIO) -> int:
    from bot.terminal.chat import TerminalNotifier, chat

    # SIGHUP reloads the knowledge base here too. When it comes from a closed terminal, the
    # next read finds no input, so the chat ends as it would at end of input.
    async with operations(services):
        dispatcher = services.dispatcher(TerminalNotifier(stdout), idle_sleep=5.0, min_sleep=0.2)
        return await chat(services.chat, dispatcher, stdin, stdout)


@contextlib.asynccontextmanager
async def notifier_for_pass(environ: Mapping[str, str]) -> AsyncIterator[RoutingNotifier]:
    """Notifiers for one dispatch pass from cron (`optout-bot reminders run`), no gateway."""
    doors = configured_doors(environ)
    if not doors:
        raise NoPlatformConfigured(
            "no chat platform configured: set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN"
        )
    async with contextlib.AsyncExitStack() as stack:
        notifiers: dict[str, Notifier] = {}
        if "telegram" in doors:
            from bot.telegram.notifier import notifier_from_environment

            telegram = notifier_from_environment(environ)
            if hasattr(telegram, "aclose"):
                stack.push_async_callback(telegram.aclose)
            notifiers["telegram"] = telegram
        if "discord" in doors:
            from bot.discord.runner import http_notifier
            from bot.discord.settings import DiscordSettings

            notifiers["discord"] = await stack.enter_async_context(
                http_notifier(DiscordSettings.from_env(environ))
            )
        yield RoutingNotifier(notifiers)
