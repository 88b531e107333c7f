"""The ChatSessionStore contract: conversation context per chat, on SQLite (a temporary file)
and real PostgreSQL alike (the fixtures in conftest.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.session import Session
from bot.storage.base import ChatSessionStore
from tests.storage.conftest import LEASE, T0, Database


def test_a_session_keeps_region_intent_language_pending_and_time_and_nothing_else(
    database: Database, store: ChatSessionStore
):
    assert store.load_session("telegram", "7") is None
    first = Session(
        region="CA", intent="am_i_affected", updated_at=T0, language="fr", chosen_language="fr"
    )
    store.save_session("telegram", "7", first)
    assert store.load_session("telegram", "7") == first
    later = Session(
        awaiting_region_for="am_i_affected",
        updated_at=T0 + dt.timedelta(minutes=1),
        pending="pick:deadline,complain",
    )
    store.save_session("telegram", "7", later)
    assert store.load_session("telegram", "7") == later
    assert store.load_session("discord", "7") is None
    (row,) = database.table_rows()["sessions"]
    # platform, chat id, region, intent, awaiting_region_for, updated_at, language, chosen language,
    # pending (what the bot asked: never the user's text)
    assert len(row) == 9
    store.delete_session("telegram", "7")
    assert store.load_session("telegram", "7") is None


def test_expired_sessions_are_deleted(store: ChatSessionStore):
    store.save_session("telegram", "old", Session(region="DE", updated_at=T0))
    store.save_session("telegram", "new", Session(region="CA", updated_at=T0 + LEASE))
    assert store.expire_sessions(T0 + dt.timedelta(minutes=1)) == 1
    assert store.load_session("telegram", "old") is None
    assert store.load_session("telegram", "new") is not None


def test_a_session_is_stored_only_with_its_time(store: ChatSessionStore):
    with pytest.raises(ValueError, match="updated_at"):
        store.save_session("telegram", "7", Session(region="DE"))
    assert store.load_session("telegram", "7") is None
