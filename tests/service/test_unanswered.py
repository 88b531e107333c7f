"""Unanswered questions: off by default; when the operator opts in, the normalised text of
fallback questions only, with no user id, counted, purged after 30 days, and /privacy says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot.bootstrap import Services, build_services
from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from bot.core.reply import render_plain
from bot.settings import load_settings
from tests.conftest import AFTER_DEADLINE, KNOWLEDGE_DIR
from tests.databases import Database

ALICE = ChatRef("telegram", "700001")
BOB = ChatRef("discord", "800002")
UNANSWERABLE = "What is the Weather on MARS??"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(AFTER_DEADLINE)


def services_for(database: Database, clock: FixedClock, collect: str | None) -> Services:
    env = {"OPTOUT_DATABASE_URL": database.url, "OPTOUT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR)}
    if collect is not None:
        env["OPTOUT_COLLECT_UNANSWERED"] = collect
    return build_services(clock, settings=load_settings(env))


@pytest.fixture
def collecting(database: Database, clock) -> Iterator[Services]:
    services = services_for(database, clock, "1")
    yield services
    services.close()


async def test_off_by_default_nothing_is_stored(database: Database, clock):
    services = services_for(database, clock, None)
    try:
        reply = await services.conversations.ask(ALICE, UNANSWERABLE)
        assert reply.kind == "fallback"
        assert services.conversations.unanswered is None
        assert database.table_rows()["unanswered"] == []
        privacy = render_plain(await services.subscriptions.handle(ALICE, "privacy"))
        assert "could not answer" not in privacy
    finally:
        services.close()


async def test_on_keeps_normalised_text_without_ids_and_counts_repeats(
    database: Database, collecting: Services
):
    conversations = collecting.conversations
    await conversations.ask(ALICE, UNANSWERABLE)
    await conversations.ask(BOB, "what is the weather on mars")
    answered = await conversations.ask(ALICE, "how do I opt out?")
    assert answered.kind == "answer"
    [gap] = collecting.store.unanswered()
    assert (gap.text, gap.count) == ("what is the weather on mars", 2)
    rows = database.table_rows()["unanswered"]
    assert len(rows) == 1 and len(rows[0]) == 4  # text, count, first_seen, last_seen
    flat = " ".join(str(value) for row in rows for value in row)
    for chat in (ALICE, BOB):
        assert chat.chat_id not in flat and chat.platform not in flat
    assert "opt out" not in flat  # answered questions are never kept


async def test_privacy_says_so_when_collection_is_on(collecting: Services):
    reply = await collecting.subscriptions.handle(ALICE, "privacy")
    collection = collecting.answerer.kb.say("subscriptions.privacy_unanswered")
    assert collection in reply.paragraphs
    assert "30 days" in collection


async def test_texts_older_than_thirty_days_are_purged(collecting: Services, clock):
    conversations = collecting.conversations
    await conversations.ask(ALICE, UNANSWERABLE)
    clock.advance(dt.timedelta(days=29))
    await conversations.ask(ALICE, "best pizza recipe")
    assert len(collecting.store.unanswered()) == 2
    clock.advance(dt.timedelta(days=2))  # the first is 31 days old
    await conversations.ask(BOB, "tell me a joke about penguins")
    texts = [gap.text for gap in collecting.store.unanswered()]
    assert "what is the weather on mars" not in texts and len(texts) == 2


def test_kb_gaps_lists_the_most_frequent_first(tmp_path, command_line):
    from bot.core.clock import SystemClock
    from bot.storage import open_store
    from bot.storage.sqlite import SqliteStore

    store = open_store(f"sqlite:///{tmp_path / 'optout-bot.db'}")
    assert isinstance(store, SqliteStore)
    now = SystemClock().now()
    try:
        for text, times in (("weather on mars", 3), ("penguin jokes", 1), ("pizza", 2)):
            for _ in range(times):
                store.note_unanswered(text, now)
        store.note_unanswered("too old", now - dt.timedelta(days=31))
    finally:
        store.close()
    env = {"OPTOUT_DATA_DIR": str(tmp_path), "OPTOUT_COLLECT_UNANSWERED": "1"}
    status, out, err = command_line("kb", "gaps", "--limit", "2", env=env)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["count", "last", "seen", "question", "(normalised)"]
    assert [line.split(maxsplit=2)[::2] for line in lines[1:]] == [
        ["3", "weather on mars"],
        ["2", "pizza"],
    ]
    status, out, err = command_line("kb", "gaps", env={"OPTOUT_DATA_DIR": str(tmp_path / "none")})
    assert status == 0, err
    assert "no unanswered questions" in out and "is off" in out
