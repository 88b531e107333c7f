"""The composition root: builds the core, storage and services from settings. Nothing here runs
at import time; every door starts from build_services()."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.clock import Clock, SystemClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge import load_knowledge
from bot.service.conversations import ConversationService
from bot.service.dispatcher import Dispatcher, Notifier
from bot.service.subscriptions import SubscriptionService
from bot.storage import database_url, open_store
from bot.storage.base import Store


@dataclass
class Services:
    clock: Clock
    answerer: QuestionAnswerer
    conversations: ConversationService
    store: Store
    subscriptions: SubscriptionService

    def dispatcher(self, notifier: Notifier, **options) -> Dispatcher:
        dispatcher = Dispatcher(self.store, notifier, self.answerer.kb, self.clock, **options)
        self.subscriptions.on_change(dispatcher.wake)
        return dispatcher

    def close(self) -> None:
        self.store.close()


def build_services(
    clock: Clock | None = None,
    *,
    database: str | None = None,
    knowledge_dir: Path | str | None = None,
) -> Services:
    clock = clock or SystemClock()
    answerer = QuestionAnswerer(load_knowledge(knowledge_dir), clock)
    conversations = ConversationService(answerer)
    store = open_store(database or database_url())
    subscriptions = SubscriptionService(store, conversations)
    return Services(clock, answerer, conversations, store, subscriptions)
