"""The composition root: builds every object of every command from settings (bot.settings, the
only reader of the environment): the core, the store and the services (build_services), the
doors and the reminder dispatcher over them (run_doors, run_terminal), the notifiers of a cron
pass (notifier_for_pass), the answerer of `ask` and `eval` (build_answerer) and the words of
`discord sync` (door_words). Nothing here runs at import time.

With both tokens, one process serves Telegram and Discord and runs a single reminder dispatcher
that routes each reminder to its platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TextIO

from bot.core.clock import Clock, SystemClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge_loader import load_knowledge
from bot.core.reminders import DEFAULT_OFFSETS, Subscription
from bot.notifiers import NoPlatformConfigured, RoutingNotifier
from bot.ops.http import Operations, operations
from bot.ops.metrics import Metrics
from bot.service.chat import ChatService, Words
from bot.service.conversations import ConversationService
from bot.service.dispatcher import Dispatcher, Notifier, PassReport, stop_dispatcher
from bot.service.sessions import InMemorySessions, SessionStore, StoredSessions
from bot.service.subscriptions import SubscriptionService, stored_language
from bot.service.unanswered import UnansweredQuestions
from bot.settings import Settings
from bot.settings import cache_dir as configured_cache_dir
from bot.settings import database_url as configured_database_url
from bot.settings import knowledge_dir as configured_knowledge_dir
from bot.storage import open_store
from bot.storage.base import ChatSessionStore, Store

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# How long a stopped pass (`reminders run`) lets a send in flight finish before cancelling it.
PASS_STOP_GRACE = 5.0


@dataclass
class Services:
    clock: Clock
    answerer: QuestionAnswerer
    conversations: ConversationService
    store: Store
    subscriptions: SubscriptionService
    settings: Settings | None = None
    metrics: Metrics = field(default_factory=Metrics)
    knowledge_dir: Path | None = None
    cache_dir: Path | None = None
    dispatchers: list[Dispatcher] = field(default_factory=list)
    # Everything a first answer needs is built (see warm_up()); /readyz waits for it.
    warmed: bool = False

    @cached_property
    def chat(self) -> ChatService:
        """The one object every door talks to."""
        return ChatService(self.conversations, self.subscriptions)

    @property
    def reminder_offsets(self) -> tuple[int, ...]:
        return self.settings.reminder_offsets if self.settings else DEFAULT_OFFSETS

    def dispatcher(self, notifier: Notifier, **options) -> Dispatcher:
        options.setdefault("offsets", self.reminder_offsets)
        options.setdefault("metrics", self.metrics)
        dispatcher = Dispatcher(self.store, notifier, self.answerer.kb, self.clock, **options)
        self.dispatchers.append(dispatcher)
        return dispatcher

    def reload_knowledge(self) -> QuestionAnswerer:
        """Load and validate the knowledge base and build a complete answerer from it; raises
        KnowledgeError and changes nothing if it is invalid. Slow: call it off the event loop,
        then swap_answerer() on it."""
        fresh = QuestionAnswerer(
            load_knowledge(self.knowledge_dir), self.answerer.clock, self.cache_dir
        )
        fresh.warm()  # its first answers as fast as the old one's
        return fresh

    def swap_answerer(self, fresh: QuestionAnswerer) -> None:
        """Make a fully built answerer live, with no await in between: every door and dispatcher
        sees the old knowledge base or the new one, never a mix."""
        state = {name: value for name, value in vars(fresh).items() if name != "clock"}
        vars(self.answerer).update(state)
        for dispatcher in self.dispatchers:
            dispatcher.kb = fresh.kb
        log.info(
            "knowledge base reloaded intents=%s events=%s",
            len(fresh.kb.intents),
            len(fresh.kb.events),
        )

    def warm_up(self) -> None:
        """Build now what a first answer would otherwise load on first use, inside the first
        questions and with every queued question waiting behind it: lingua's models and the word
        lists (the detector), country names, date formats and each language's answer path (one
        answer per language). Blocking, a few seconds: run it off the event loop, before a door
        takes updates."""
        if len(self.answerer.matchers) > 1:
            self.answerer.detector.warm()
        self.answerer.warm()
        release_freed_memory()
        self.warmed = True

    def close(self) -> None:
        self.store.close()


def release_freed_memory() -> None:
    """Give back to the system the heap that warming up used and freed (the word lists it read
    whole to keep a few thousand words, lingua's loading): about 50 MiB that glibc's malloc would
    otherwise hold for the life of the process. A no-op where the C library is not glibc."""
    gc.collect()
    # The process's own symbols: glibc's malloc_trim when libc is glibc, else AttributeError.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def session_store(url: str, store: ChatSessionStore) -> SessionStore:
    """Several replicas share a PostgreSQL database, so they share conversation context there;
    SQLite means one process, which keeps it in memory."""
    if url.startswith(("postgresql://", "postgres://")):
        return StoredSessions(store)
    return InMemorySessions()


def build_services(
    clock: Clock | None = None,
    *,
    database: str | None = None,
    knowledge_dir: Path | str | None = None,
    settings: Settings | None = None,
    metrics: Metrics | None = None,
    warm: bool = True,
) -> Services:
    """Every service, warmed up (see Services.warm_up) unless `warm` is False: then the caller
    warms them, as run_doors() does once the operations endpoint answers /healthz. Without
    settings, what is not given comes from the environment unchecked (tests, benchmarks)."""
    clock = clock or SystemClock()
    metrics = metrics or Metrics(now=clock.now)
    if settings is not None:
        database = database or settings.database_url
        knowledge_dir = knowledge_dir or settings.knowledge_dir
        cache_dir = settings.cache_folder
    else:
        knowledge_dir = knowledge_dir or configured_knowledge_dir()
        cache_dir = configured_cache_dir()
    knowledge_path = Path(knowledge_dir) if knowledge_dir is not None else None
    answerer = QuestionAnswerer(load_knowledge(knowledge_path), clock, cache_dir)
    url = database or configured_database_url()
    store = open_store(url)
    collect = settings is not None and settings.collect_unanswered
    conversations = ConversationService(
        answerer,
        metrics=metrics,
        sessions=session_store(url, store),
        unanswered=UnansweredQuestions(store, clock) if collect else None,
        stored_language=stored_language(store),
    )
    metrics.watch_store(store)
    offsets = settings.reminder_offsets if settings else DEFAULT_OFFSETS
    dispatchers: list[Dispatcher] = []  # filled as doors start them
    subscriptions = SubscriptionService(
        store,
        conversations,
        offsets=offsets,
        collect_unanswered=collect,
        on_change=lambda sub: wake_all(dispatchers, sub),
    )
    services = Services(
        clock,
        answerer,
        conversations,
        store,
        subscriptions,
        settings=settings,
        metrics=metrics,
        knowledge_dir=knowledge_path,
        cache_dir=cache_dir,
        dispatchers=dispatchers,
    )
    if warm:
        services.warm_up()
    return services


def wake_all(dispatchers: list[Dispatcher], sub: Subscription) -> None:
    """Every dispatcher of this process schedules a made or changed subscription at once."""
    for dispatcher in dispatchers:
        dispatcher.wake(sub)


def build_answerer(clock: Clock | None = None) -> QuestionAnswerer:
    """The core alone, for `ask` and `eval`, which open no store and check no other setting:
    the knowledge base of OPTOUT_KNOWLEDGE_DIR (or the built-in one), caches in the cache dir."""
    return QuestionAnswerer(
        load_knowledge(configured_knowledge_dir()), clock or SystemClock(), configured_cache_dir()
    )


def door_words(knowledge_dir: Path | str | None = None) -> Words:
    """The bot's own words alone, for `discord sync`, which answers nothing and opens no store."""
    if knowledge_dir is None:
        knowledge_dir = configured_knowledge_dir()
    kb = load_knowledge(Path(knowledge_dir) if knowledge_dir is not None else None)
    return Words(lambda: kb)


# --- the doors, the dispatcher and the operations server over the services ---------------------


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
    hint = services.settings.locale_language if services.settings else None
    return asyncio.run(terminal_chat(services, stdin, stdout, hint))


async def terminal_chat(
    services: Services, stdin: TextIO, stdout: TextIO, hint: str | None = None
) -> int:
    """`hint`: the terminal's language (its locale), as Telegram's language_code is."""
    from bot.terminal.chat import TerminalNotifier, chat

    # SIGHUP reloads the knowledge base here too. When it comes from a closed terminal, the
    # next read finds no input, so the chat ends as it would at end of input.
    async with operations(services):
        dispatcher = services.dispatcher(TerminalNotifier(stdout), idle_sleep=5.0, min_sleep=0.2)
        return await chat(services.chat, dispatcher, stdin, stdout, hint)


async def dispatch_once(
    services: Services, notifier: Notifier, *, grace: float = PASS_STOP_GRACE
) -> PassReport:
    """One dispatch pass (`optout-bot reminders run`, from cron). SIGTERM or SIGINT stops it the
    way the long-running bot stops: sends in flight finish and are recorded, the rest of the
    claims are released at once, so the next pass sends them without waiting out their lease."""
    dispatcher = services.dispatcher(notifier)
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(dispatcher.run_once())
    signalled = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, signalled.set)
    waiting = asyncio.ensure_future(signalled.wait())
    try:
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            log.info("reminder pass stopping: signal received")
            await stop_dispatcher(dispatcher, task, grace)
        return task.result()
    finally:
        waiting.cancel()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
        if not task.done():
            task.cancel()
        await asyncio.to_thread(dispatcher.release)  # a failed pass leaves no claim behind


@contextlib.asynccontextmanager
async def notifier_for_pass(settings: Settings) -> AsyncIterator[RoutingNotifier]:
    """Notifiers for one dispatch pass from cron (`optout-bot reminders run`), no gateway: one
    for each platform whose token is set."""
    if settings.telegram is None and settings.discord is None:
        raise NoPlatformConfigured(
            "no chat platform configured: set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN"
        )
    async with contextlib.AsyncExitStack() as stack:
        notifiers: dict[str, Notifier] = {}
        if settings.telegram is not None:
            from bot.telegram.notifier import standalone_notifier

            telegram = standalone_notifier(settings.telegram)
            stack.push_async_callback(telegram.aclose)
            notifiers["telegram"] = telegram
        if settings.discord is not None:
            from bot.discord.runner import http_notifier

            notifiers["discord"] = await stack.enter_async_context(http_notifier(settings.discord))
        yield RoutingNotifier(notifiers)
