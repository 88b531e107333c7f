"""The composition root: builds the core, storage and services from settings. Nothing here runs
at import time; every door starts from build_services()."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bot.core.clock import Clock, SystemClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge import load_knowledge
from bot.core.reminders import DEFAULT_OFFSETS, Subscription
from bot.ops.metrics import Metrics
from bot.service.chat import ChatService, Words
from bot.service.conversations import ConversationService
from bot.service.dispatcher import Dispatcher, Notifier
from bot.service.sessions import InMemorySessions, SessionStore, StoredSessions
from bot.service.subscriptions import SubscriptionService, stored_language
from bot.service.unanswered import UnansweredQuestions
from bot.settings import Settings
from bot.storage import database_url, open_store
from bot.storage.base import Store

log = logging.getLogger(__name__)


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
        self.warmed = True

    def close(self) -> None:
        self.store.close()


def session_store(url: str, store: Store) -> SessionStore:
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
    warms them, as run_doors() does once the operations endpoint answers /healthz."""
    clock = clock or SystemClock()
    metrics = metrics or Metrics(now=clock.now)
    cache_dir = None
    if settings is not None:
        database = database or settings.database_url
        knowledge_dir = knowledge_dir or settings.knowledge_dir
        cache_dir = settings.cache_dir
    knowledge_path = Path(knowledge_dir) if knowledge_dir is not None else None
    answerer = QuestionAnswerer(load_knowledge(knowledge_path), clock, cache_dir)
    url = database or database_url()
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


def door_words(knowledge_dir: Path | str | None = None) -> Words:
    """The bot's own words alone, for `discord sync`, which answers nothing and opens no store."""
    kb = load_knowledge(Path(knowledge_dir) if knowledge_dir is not None else None)
    return Words(lambda: kb)
