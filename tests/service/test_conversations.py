from __future__ import annotations

import datetime as dt

import pytest

from bot.core.chats import ChatRef
from bot.core.reply import render_plain
from bot.service.conversations import ConversationService

ALICE = ChatRef("telegram", "1001")
BOB = ChatRef("telegram", "1002")


@pytest.fixture
def service(answerer):
    return ConversationService(answerer)


async def test_sessions_are_kept_per_chat(service):
    reply = await service.ask(ALICE, "am I affected?")
    assert reply.kind == "ask_region"
    reply = await service.ask(BOB, "Canada")  # Bob has no pending question: a bare place
    assert reply.intent == "am_i_affected" and reply.region == "CA"
    reply = await service.ask(ALICE, "Norway")
    assert reply.intent == "am_i_affected" and reply.region == "NO"


async def test_start_with_region_payload(service):
    reply = await service.command(ALICE, "start", "CA")
    assert reply.intent == "am_i_affected" and reply.region == "CA"
    assert reply.coverage["ai_training"] == "yes"


async def test_start_without_payload_greets(service):
    reply = await service.command(ALICE, "start")
    assert reply.intent == "greeting"


@pytest.mark.parametrize(
    ("place", "region"), [("DE", "DE"), ("uk", "GB"), ("Toronto", "CA"), ("EU", "EU")]
)
async def test_affected_command(service, place, region):
    reply = await service.command(ALICE, "affected", place)
    assert reply.region == region and reply.coverage


async def test_affected_unknown_place_is_not_echoed(service):
    reply = await service.command(ALICE, "affected", "<b>Atlantis</b>")
    assert reply.kind == "fallback"
    assert "Atlantis" not in render_plain(reply)


async def test_affected_without_argument_asks_then_completes(service):
    reply = await service.command(ALICE, "affected")
    assert reply.kind == "ask_region"
    reply = await service.ask(ALICE, "Switzerland")
    assert reply.region == "CH" and reply.intent == "am_i_affected"


@pytest.mark.parametrize(
    ("name", "intent"),
    [
        ("optout", "opt_out_steps"),
        ("object", "objection_form"),
        ("deadline", "deadline"),
        ("help", "help"),
        ("nonsense", "help"),
    ],
)
async def test_question_commands(service, name, intent):
    reply = await service.command(ALICE, name)
    assert reply.intent == intent


async def test_sources_and_topics(service):
    assert "last checked" in (await service.command(ALICE, "sources")).title
    topics = await service.command(ALICE, "topics")
    assert {t.id for t in topics.follow_ups} >= {"opt_out_steps", "am_i_affected"}


async def test_follow_up_button_uses_the_remembered_region(service):
    await service.ask(ALICE, "am I affected in Canada?")
    reply = await service.topic(ALICE, "am_i_affected")
    assert reply.region == "CA"


async def test_stale_sessions_are_dropped(service, answerer):
    await service.ask(ALICE, "am I affected in Canada?")
    answerer.clock.advance(dt.timedelta(hours=1))
    await service.ask(BOB, "hello")
    assert len(service.sessions) == 1
