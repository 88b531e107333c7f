"""One contract for every store: the same tests on SQLite (a temporary file) and real PostgreSQL
(OPTOUT_TEST_POSTGRES_URL, each test in its own schema, dropped afterwards)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.core.reminders import Reminder
from bot.core.session import Session
from bot.settings import database_url
from bot.storage import ReminderState, Store, open_store
from bot.storage.base import Outcome
from bot.storage.migrations import POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS
from bot.storage.sqlite import SqliteStore

POSTGRES_ENV = "OPTOUT_TEST_POSTGRES_URL"
T0 = dt.datetime(2025, 10, 1, 8, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


@dataclass
class Database:
    """A fresh, empty database for one test, and a way to read every table of it raw."""

    kind: str
    url: str
    schema: str | None = None

    def open(self) -> Store:
        return open_store(self.url)

    def table_rows(self) -> dict[str, list[tuple]]:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                names = [
                    row[0]
                    for row in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                        " AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                return {name: conn.execute(f'SELECT * FROM "{name}"').fetchall() for name in names}
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (self.schema,),
                )
            ]
            return {
                name: conn.execute(f'SELECT * FROM "{self.schema}"."{name}"').fetchall()
                for name in names
            }


def postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    return url


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    """A schema of its own on the test server, dropped after the test."""
    base = postgres_url_or_skip()
    import psycopg

    schema = f"optout_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    joiner = "&" if "?" in base else "?"
    url = f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"
    try:
        yield Database("postgres", url, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    return Database("sqlite", f"sqlite:///{tmp_path / 'data' / 'optout.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(f"{request.param}_database")


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    opened = database.open()
    yield opened
    opened.close()


def subscribe(store: Store, chat_id: str = "42", **changes) -> object:
    settings = {
        "region": "DE",
        "language": "en",
        "timezone": "Europe/Berlin",
        "checkup": "off",
        "created_at": T0,
    } | changes
    return store.add_subscription("terminal", chat_id, **settings)


def reminder(sub_id: int, subject: str = "ai_training_start_2025", offset: int = 14, **times):
    due = times.get("due", T0 + dt.timedelta(hours=offset))
    expires = times.get("expires", due + dt.timedelta(days=30))
    return Reminder(sub_id, "deadline", subject, offset, due, expires)


# --- subscriptions -----------------------------------------------------------------------------


def test_a_subscription_keeps_exactly_its_settings(store: Store):
    sub = subscribe(store, checkup="monthly")
    found = store.subscription_for("terminal", "42")
    assert found == sub
    assert (found.region, found.language, found.timezone, found.checkup) == (
        "DE",
        "en",
        "Europe/Berlin",
        "monthly",
    )
    assert found.created_at == T0 and found.active
    assert store.subscription_for("terminal", "43") is None
    assert store.subscription_for("telegram", "42") is None


def test_subscribing_again_renews_the_same_subscription(store: Store):
    first = subscribe(store)
    store.schedule([reminder(first.id)])
    store.deactivate(first.id)
    later = T0 + dt.timedelta(days=3)
    again = subscribe(store, region="FR", timezone="Europe/Paris", created_at=later)
    assert again.id == first.id
    assert again.active and again.region == "FR" and again.created_at == later
    assert store.upcoming(again.id) == []


def test_a_channel_keeps_who_set_it_up_until_they_are_forgotten(store: Store):
    channel = store.add_subscription(
        "discord",
        "channel:77",
        region="DE",
        language="de",
        timezone="Europe/Berlin",
        checkup="off",
        created_at=T0,
        set_up_by="user:42",
    )
    assert channel.set_up_by == "user:42"
    assert store.subscription_for("discord", "channel:77") == channel
    assert [s.set_up_by for s in store.active_subscriptions()] == ["user:42"]
    claimable = store.add_subscription(
        "discord",
        "channel:77",
        region="FR",
        language="fr",
        timezone="Europe/Paris",
        checkup="off",
        created_at=T0,
        set_up_by="user:43",
    )
    assert claimable.id == channel.id and claimable.set_up_by == "user:43"  # the latest setter
    store.schedule([reminder(channel.id)])
    (claim,) = store.claim_due(T0 + dt.timedelta(days=1), limit=5, lease=LEASE, worker="a")
    assert claim.subscription.set_up_by == "user:43"  # what the dispatcher sees
    own = subscribe(store, "42")
    assert own.set_up_by is None

    # Forgetting the setter (on Discord) clears them from the channel; the channel stays.
    assert store.forget("terminal", "user:43") == 0  # another platform's chat: not them
    assert store.subscription_for("discord", "channel:77").set_up_by == "user:43"
    assert store.forget("discord", "user:43") == 0
    kept = store.subscription_for("discord", "channel:77")
    assert kept is not None and kept.active and kept.set_up_by is None
    assert store.subscription_for("terminal", "42") == own


def test_update_changes_settings_and_drops_unsent_reminders(store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=14), reminder(sub.id, offset=7)])
    assert not sub.language_chosen
    chosen = store.update_subscription(sub.id, language="pl", language_chosen=True)
    assert (chosen.language, chosen.language_chosen) == ("pl", True)
    updated = store.update_subscription(sub.id, timezone="America/Toronto", checkup="quarterly")
    assert updated.language_chosen
    assert (updated.timezone, updated.checkup, updated.region) == (
        "America/Toronto",
        "quarterly",
        "DE",
    )
    assert store.upcoming(sub.id) == []
    with pytest.raises(LookupError):
        store.update_subscription(sub.id + 1000, region="FR")


def test_deactivated_subscriptions_get_nothing(store: Store):
    sub = subscribe(store)
    other = subscribe(store, "43")
    store.schedule([reminder(sub.id), reminder(other.id)])
    store.deactivate(sub.id)
    assert [s.id for s in store.active_subscriptions()] == [other.id]
    claims = store.claim_due(T0 + dt.timedelta(days=1), limit=10, lease=LEASE, worker="a")
    assert [c.subscription.id for c in claims] == [other.id]
    assert store.stats()["subscriptions_inactive"] == 1


# --- reminders ---------------------------------------------------------------------------------


def test_scheduling_is_idempotent_by_dedupe_key(store: Store):
    sub = subscribe(store)
    batch = [reminder(sub.id, offset=o) for o in (14, 7, 1, 0)]
    assert store.schedule(batch) == 4
    assert store.schedule(batch) == 0
    moved = reminder(sub.id, offset=14, due=T0 + dt.timedelta(days=2))
    assert store.schedule([moved, reminder(sub.id, "other_event")]) == 1
    assert store.stats()["scheduled"] == 5
    assert store.schedule([]) == 0


def test_claims_take_due_reminders_oldest_first_with_their_subscription(store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=o) for o in (14, 7, 1, 0)])
    now = T0 + dt.timedelta(hours=7)  # offsets 0, 1 and 7 are due, 14 is not
    claims = store.claim_due(now, limit=2, lease=LEASE, worker="a")
    assert [c.reminder.offset_days for c in claims] == [0, 1]
    assert claims[0].subscription == sub and claims[0].attempts == 1
    assert claims[0].reminder == reminder(sub.id, offset=0)
    rest = store.claim_due(now, limit=10, lease=LEASE, worker="b")
    assert [c.reminder.offset_days for c in rest] == [7]


def test_claims_and_next_due_can_be_limited_to_platforms(store: Store):
    terminal = subscribe(store)
    telegram = store.add_subscription(
        "telegram",
        "7",
        region="DE",
        language="en",
        timezone="Europe/Berlin",
        checkup="off",
        created_at=T0,
    )
    store.schedule([reminder(terminal.id, offset=0), reminder(telegram.id, offset=1)])
    now = T0 + dt.timedelta(hours=2)
    assert store.next_due_at(frozenset({"telegram"})) == T0 + dt.timedelta(hours=1)
    assert store.next_due_at(frozenset({"discord"})) is None
    claims = store.claim_due(
        now, limit=10, lease=LEASE, worker="tg", platforms=frozenset({"telegram"})
    )
    assert [c.subscription.platform for c in claims] == ["telegram"]
    assert (
        store.claim_due(now, limit=10, lease=LEASE, worker="dc", platforms=frozenset({"discord"}))
        == []
    )
    rest = store.claim_due(now, limit=10, lease=LEASE, worker="any")
    assert [c.subscription.platform for c in rest] == ["terminal"]


def test_a_lease_keeps_others_off_until_it_expires(store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=0)])
    now = T0 + dt.timedelta(hours=1)
    [claim] = store.claim_due(now, limit=10, lease=LEASE, worker="crashed")
    assert store.claim_due(now + LEASE / 2, limit=10, lease=LEASE, worker="b") == []
    [again] = store.claim_due(now + LEASE, limit=10, lease=LEASE, worker="b")
    assert again.id == claim.id and again.attempts == 2


def test_release_gives_back_only_this_workers_unfinished_claims(database: Database, store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=o) for o in (14, 7, 1, 0)])
    now = T0 + dt.timedelta(days=1)
    mine = store.claim_due(now, limit=3, lease=LEASE, worker="stopping")
    [theirs] = store.claim_due(now, limit=10, lease=LEASE, worker="other")
    store.record([Outcome(mine[0].id, ReminderState.SENT)], now)
    assert store.release("stopping") == 2
    assert store.release("stopping") == 0
    rows = {row[0]: row for row in database.table_rows()["reminders"]}
    leased = {rid for rid, row in rows.items() if row[8] is not None}  # lease_until
    assert leased == {theirs.id}
    # Released reminders can be taken at once, before the lease would have run out.
    again = store.claim_due(now, limit=10, lease=LEASE, worker="next")
    assert sorted(c.id for c in again) == sorted(c.id for c in mine[1:])


def test_recorded_outcomes_are_final_and_counted(store: Store):
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=o) for o in (14, 7, 1, 0)])
    claims = store.claim_due(T0 + dt.timedelta(days=1), limit=10, lease=LEASE, worker="a")
    states = [ReminderState.SENT, ReminderState.LATE, ReminderState.SKIPPED, ReminderState.FAILED]
    at = T0 + dt.timedelta(days=1)
    store.record([Outcome(c.id, s) for c, s in zip(claims, states, strict=True)], at)
    store.record([Outcome(claims[0].id, ReminderState.FAILED)], at)  # already final: kept
    stats = store.stats()
    assert {s: stats[s] for s in ("scheduled", "sent", "late", "skipped", "failed", "refused")} == {
        "scheduled": 0,
        "sent": 1,
        "late": 1,
        "skipped": 1,
        "failed": 1,
        "refused": 0,
    }
    later = T0 + dt.timedelta(days=2) + LEASE
    assert store.claim_due(later, limit=10, lease=LEASE, worker="b") == []


def test_next_due_and_upcoming(store: Store):
    assert store.next_due_at() is None
    sub = subscribe(store)
    store.schedule([reminder(sub.id, offset=o) for o in (14, 7)])
    assert store.next_due_at() == T0 + dt.timedelta(hours=7)
    assert [r.offset_days for r in store.upcoming(sub.id)] == [7, 14]
    assert [r.offset_days for r in store.upcoming(sub.id, limit=1)] == [7]


def test_forget_leaves_no_row_about_the_user(database: Database, store: Store):
    gone = subscribe(store, "gone")
    kept = subscribe(store, "kept")
    for chat in ("gone", "kept"):
        store.save_session("terminal", chat, Session(region="CA", updated_at=T0))
    store.schedule([reminder(s.id, offset=o) for s in (gone, kept) for o in (14, 0)])
    claims = store.claim_due(T0 + dt.timedelta(hours=1), limit=10, lease=LEASE, worker="a")
    store.record([Outcome(c.id, ReminderState.SENT) for c in claims], T0)
    assert store.forget("terminal", "gone") == 1
    assert store.forget("terminal", "gone") == 0
    rows = database.table_rows()
    assert set(rows) >= {"subscriptions", "reminders", "schema_migrations"}
    assert all(row[0] == kept.id for row in rows["subscriptions"])
    assert rows["reminders"] and all(row[1] == kept.id for row in rows["reminders"])
    assert [row[1] for row in rows["sessions"]] == ["kept"]
    flat = [str(value) for table in rows.values() for row in table for value in row]
    assert "gone" not in flat
    store.forget("terminal", "kept")
    rows = database.table_rows()
    assert {name: len(table) for name, table in rows.items() if name != "schema_migrations"} == {
        "subscriptions": 0,
        "reminders": 0,
        "sessions": 0,
        "unanswered": 0,
        "senders": 0,
    }


# --- conversation context ----------------------------------------------------------------------


def test_a_session_keeps_region_intent_language_pending_and_time_and_nothing_else(
    database: Database, store: Store
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


def test_expired_sessions_are_deleted(store: Store):
    store.save_session("telegram", "old", Session(region="DE", updated_at=T0))
    store.save_session("telegram", "new", Session(region="CA", updated_at=T0 + LEASE))
    assert store.expire_sessions(T0 + dt.timedelta(minutes=1)) == 1
    assert store.load_session("telegram", "old") is None
    assert store.load_session("telegram", "new") is not None


def test_migrations_apply_once(database: Database):
    first = database.open()
    first.close()
    second = database.open()  # start-up again: nothing to apply, nothing fails
    second.close()
    versions = sorted(row[0] for row in database.table_rows()["schema_migrations"])
    expected = SQLITE_MIGRATIONS if database.kind == "sqlite" else POSTGRES_MIGRATIONS
    assert versions == list(range(1, len(expected) + 1))


# --- choosing a store --------------------------------------------------------------------------


def test_sqlite_urls_relative_and_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    relative = open_store("sqlite:///var/bot.db")
    assert isinstance(relative, SqliteStore) and (tmp_path / "var" / "bot.db").exists()
    relative.close()
    absolute = open_store(f"sqlite:///{tmp_path / 'abs' / 'bot.db'}")  # four slashes
    assert (tmp_path / "abs" / "bot.db").exists()
    assert sqlite3.connect(tmp_path / "abs" / "bot.db").execute("PRAGMA journal_mode").fetchone()[
        0
    ] == ("wal")
    absolute.close()
    with pytest.raises(ValueError, match="scheme"):
        open_store("mysql://localhost/db")


def test_database_url_defaults_to_a_file_in_the_data_dir():
    assert database_url({}) == "sqlite:///data/optout-bot.db"
    assert database_url({"OPTOUT_DATA_DIR": "/srv/bot"}) == "sqlite:////srv/bot/optout-bot.db"
    assert database_url({"OPTOUT_DATABASE_URL": "postgresql://h/db"}) == "postgresql://h/db"


def test_concurrent_claims_never_share_a_reminder(database: Database, store: Store):
    """Four workers, each with its own connection, claim at the same moment: disjoint sets."""
    subs = [subscribe(store, str(n)) for n in range(50)]
    store.schedule([reminder(s.id, offset=o) for s in subs for o in (0, 1, 7, 14)])
    workers = [database.open() for _ in range(4)]
    barrier = threading.Barrier(len(workers))
    now = T0 + dt.timedelta(days=1)

    def claim_all(worker: Store, name: str) -> list[int]:
        barrier.wait()
        taken: list[int] = []
        while claims := worker.claim_due(now, limit=7, lease=LEASE, worker=name):
            taken += [c.id for c in claims]
        return taken

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            results = list(pool.map(claim_all, workers, ["a", "b", "c", "d"]))
    finally:
        for worker in workers:
            worker.close()
    every = [i for taken in results for i in taken]
    assert len(every) == len(set(every)) == 200


def test_outcomes_of_different_states_are_recorded_in_one_call(store: Store):
    subs = [subscribe(store, str(n)) for n in range(3)]
    store.schedule([reminder(s.id, offset=0) for s in subs])
    claims = store.claim_due(T0 + dt.timedelta(hours=1), limit=10, lease=LEASE, worker="a")
    states = [ReminderState.SENT, ReminderState.LATE, ReminderState.FAILED]
    store.record([Outcome(c.id, s) for c, s in zip(claims, states, strict=True)], T0)
    stats = store.stats()
    assert (stats["sent"], stats["late"], stats["failed"], stats["scheduled"]) == (1, 1, 1, 0)


# --- one sender per platform account -----------------------------------------------------------

SENDER_LEASE = dt.timedelta(seconds=30)


def test_one_sender_per_account_until_its_lease_runs_out(store: Store):
    key = "telegram:123456"
    assert store.hold_sender(key, "a", T0, SENDER_LEASE)
    assert not store.hold_sender(key, "b", T0 + dt.timedelta(seconds=29), SENDER_LEASE)
    assert store.hold_sender("telegram:999", "b", T0, SENDER_LEASE)  # another bot: its own
    # The holder renews; the other still waits, then takes over once a renewal is missed.
    assert store.hold_sender(key, "a", T0 + dt.timedelta(seconds=20), SENDER_LEASE)
    assert not store.hold_sender(key, "b", T0 + dt.timedelta(seconds=49), SENDER_LEASE)
    assert store.hold_sender(key, "b", T0 + dt.timedelta(seconds=50), SENDER_LEASE)
    assert not store.hold_sender(key, "a", T0 + dt.timedelta(seconds=51), SENDER_LEASE)


def test_a_released_sender_lease_is_taken_at_once(store: Store):
    key = "telegram:123456"
    assert store.hold_sender(key, "a", T0, SENDER_LEASE)
    store.release_sender(key, "b")  # not b's to release
    assert not store.hold_sender(key, "b", T0, SENDER_LEASE)
    store.release_sender(key, "a")
    assert store.hold_sender(key, "b", T0, SENDER_LEASE)


def test_concurrent_takers_of_a_sender_lease_one_wins(database: Database, store: Store):
    workers = [database.open() for _ in range(4)]
    barrier = threading.Barrier(len(workers))

    def take(worker: Store, name: str) -> bool:
        barrier.wait()
        return worker.hold_sender("telegram:123456", name, T0, SENDER_LEASE)

    try:
        with ThreadPoolExecutor(len(workers)) as pool:
            results = list(pool.map(take, workers, ["a", "b", "c", "d"]))
    finally:
        for worker in workers:
            worker.close()
    assert sorted(results) == [False, False, False, True]
