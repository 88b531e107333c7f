"""A chat (bot.core.chats.ChatRef): a platform and that platform's own id, one value everywhere,
the key of a conversation's session and a reminder's address."""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.chats import ChatRef


def test_a_chat_is_its_platform_and_id():
    chat = ChatRef("telegram", "-1001234")
    assert (chat.platform, chat.chat_id) == ("telegram", "-1001234")
    assert [f.name for f in dataclasses.fields(ChatRef)] == ["platform", "chat_id"]
    # What a log line shows: the two ids, nothing else (never a name).
    assert str(chat) == "ChatRef(platform='telegram', chat_id='-1001234')"


def test_two_refs_to_one_chat_are_equal_and_one_key():
    first, again = ChatRef("discord", "user:42"), ChatRef("discord", "user:42")
    assert first == again and hash(first) == hash(again)
    sessions = {first: "session"}
    assert sessions[again] == "session"
    assert len({first, again}) == 1


def test_the_same_id_on_another_platform_is_another_chat():
    assert ChatRef("telegram", "42") != ChatRef("discord", "42")
    assert ChatRef("telegram", "42") != ChatRef("telegram", "43")
    assert len({ChatRef("telegram", "42"), ChatRef("discord", "42")}) == 2


def test_a_chat_cannot_change():
    chat = ChatRef("terminal", "local")
    with pytest.raises(dataclasses.FrozenInstanceError):
        chat.chat_id = "other"  # type: ignore[misc]
    moved = dataclasses.replace(chat, chat_id="other")  # a new chat, the old one kept
    assert chat.chat_id == "local" and moved == ChatRef("terminal", "other")
