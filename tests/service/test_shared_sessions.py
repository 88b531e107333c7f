"""Conversation context shared by replicas: two ConversationServices over one PostgreSQL
database, as two bot instances behind a load balancer would be."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot.bootstrap import build_services
from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge import KnowledgeBase
from bot.service.conversations import ConversationService
from bot.service.sessions import InMemorySessions, StoredSessions
from bot.storage import Store
from tests.conftest import AFTER_DEADLINE, CACHE_DIR, KNOWLEDGE_DIR
from tests.databases import Database

ALICE = ChatRef("telegram", "1001")
pytestmark = pytest.mark.postgres


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(AFTER_DEADLINE)


@pytest.fixture
def stores(postgres_database: Database) -> Iterator[tuple[Store, Store]]:
    first, second = postgres_database.open(), postgres_database.open()
    yield first, second
    first.close()
    second.close()


@pytest.fixture
def replicas(stores, kb: KnowledgeBase, clock) -> tuple[ConversationService, ConversationService]:
    return tuple(  # type: ignore[return-value]
        ConversationService(QuestionAnswerer(kb, clock, CACHE_DIR), sessions=StoredSessions(store))
        for store in stores
    )


async def test_a_follow_up_reaching_another_replica_completes_the_question(replicas, stores):
    one, other = replicas
    asked = await one.ask(ALICE, "am I affected?")
    assert asked.kind == "ask_region"
    pending = stores[1].load_session("telegram", "1001")
    assert pending is not None and pending.awaiting_region_for == "am_i_affected"
    answer = await other.ask(ALICE, "Canada")
    assert answer.intent == "am_i_affected" and answer.region == "CA"
    # Back on the first replica the country is remembered: the button needs no new question.
    assert await one.remembered_region(ALICE) == "CA"
    follow_up = await one.topic(ALICE, "am_i_affected")
    assert follow_up.kind == "answer" and follow_up.region == "CA"


async def test_sessions_expire_after_thirty_minutes(replicas, stores, clock, postgres_database):
    one, other = replicas
    await one.ask(ALICE, "am I affected in Canada?")
    clock.advance(dt.timedelta(minutes=29))
    assert await other.remembered_region(ALICE) == "CA"
    clock.advance(dt.timedelta(minutes=2))  # 31 minutes idle
    assert await other.remembered_region(ALICE) is None
    asked = await other.topic(ALICE, "am_i_affected")
    assert asked.kind == "ask_region"  # the old country is not used
    # The sweep deleted the stale row; the new session is the only one left.
    await one.ask(ChatRef("telegram", "1002"), "hello")
    clock.advance(dt.timedelta(minutes=31))
    await one.ask(ChatRef("telegram", "1003"), "hello")
    chats = sorted(row[1] for row in postgres_database.table_rows()["sessions"])
    assert chats == ["1003"]


async def test_forget_deletes_the_shared_session(replicas, stores):
    one, _other = replicas
    await one.ask(ALICE, "am I affected in Canada?")
    stores[0].forget("telegram", "1001")
    assert stores[1].load_session("telegram", "1001") is None


def test_bootstrap_shares_sessions_only_on_postgresql(postgres_database, sqlite_database):
    shared = build_services(database=postgres_database.url, knowledge_dir=KNOWLEDGE_DIR)
    local = build_services(database=sqlite_database.url, knowledge_dir=KNOWLEDGE_DIR)
    try:
        assert isinstance(shared.conversations.sessions, StoredSessions)
        assert isinstance(local.conversations.sessions, InMemorySessions)
    finally:
        shared.close()
        local.close()
