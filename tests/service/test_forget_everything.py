"""`forget` deletes everything held about a chat, the conversation context included, on SQLite
(context in memory) and on PostgreSQL (context in the `sessions` table), through the same path
a door takes; and /privacy names that table and says what the logs hold, in every language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.bootstrap import Services, build_services
from bot.core.chats import ChatRef
from bot.core.clock import FixedClock
from bot.core.reply import render_plain
from bot.service.commands import BARE_WORDS
from bot.service.subscriptions import commands_written, privacy_paragraphs
from tests.conftest import BEFORE_DEADLINE, KNOWLEDGE_DIR
from tests.databases import Database

CHAT = ChatRef("telegram", "918273645")
OTHER = ChatRef("telegram", "111")


@pytest.fixture
def services(database: Database) -> Iterator[Services]:
    built = build_services(
        FixedClock(BEFORE_DEADLINE), database=database.url, knowledge_dir=KNOWLEDGE_DIR
    )
    yield built
    built.close()


def rows_about(database: Database, chat_id: str) -> dict[str, list[tuple]]:
    return {
        name: [row for row in rows if chat_id in map(str, row)]
        for name, rows in database.table_rows().items()
    }


async def test_forget_leaves_nothing_about_the_chat(services: Services, database: Database):
    for chat in (CHAT, OTHER):
        await services.chat.message(chat, "am I affected in Canada?")
        await services.chat.message(chat, "subscribe CA")
    assert await services.conversations.remembered_region(CHAT) == "CA"
    asked = await services.chat.message(CHAT, "forget")
    assert asked.commands[0].command == "forget confirm"
    await services.chat.message(CHAT, "yes")
    assert await services.conversations.remembered_region(CHAT) is None
    assert services.conversations.sessions.get(CHAT) is None
    assert {name: rows for name, rows in rows_about(database, CHAT.chat_id).items() if rows} == {}
    # The other chat keeps its subscription and its context.
    assert await services.conversations.remembered_region(OTHER) == "CA"
    assert rows_about(database, OTHER.chat_id)["subscriptions"]
    if database.kind == "postgres":
        assert rows_about(database, OTHER.chat_id)["sessions"]


async def test_forget_clears_who_set_up_a_channel_and_the_channel_stays(
    services: Services, database: Database
):
    member = ChatRef("discord", "user:400000000000000123")
    channel = ChatRef("discord", "channel:300000000000000456")
    await services.chat.subscribe_for(channel, "DE", member)
    await services.chat.message(member, "subscribe CA")  # the member's own reminders too
    set_up = services.store.subscription_for(channel.platform, channel.chat_id)
    assert set_up is not None and set_up.set_up_by == member.chat_id
    assert rows_about(database, member.chat_id)["subscriptions"]

    await services.chat.command(member, "forget", "confirm")
    assert {name: rows for name, rows in rows_about(database, member.chat_id).items() if rows} == {}
    # The channel's reminders belong to the server: they go on, set up by no one now.
    kept = services.store.subscription_for(channel.platform, channel.chat_id)
    assert kept is not None and kept.active and kept.region == "DE" and kept.set_up_by is None
    assert services.store.subscription_for(member.platform, member.chat_id) is None


def test_privacy_names_the_context_table_and_what_the_logs_hold(kb):
    for language in kb.languages:
        # As the privacy reply words it: commands written as bare words.
        words = commands_written(kb.in_language(language), BARE_WORDS)
        text = "\n".join(privacy_paragraphs(words))
        assert '"sessions"' in text and "30" in text, language
        assert words.say("subscriptions.privacy_logs") in text, language
        # Who sets up a channel's reminders is kept with that channel subscription.
        assert words.say("subscriptions.privacy_channel") in text, language
        assert "Discord" in words.say("subscriptions.privacy_channel"), language


async def test_the_privacy_reply_says_what_the_logs_hold(services: Services):
    english = render_plain(await services.chat.command(CHAT, "privacy"))
    assert "no chat or user id" in english and '"forget" deletes everything' in english
    assert 'in its "sessions" table' in english
    assert "your user id is kept with that channel's subscription" in english
