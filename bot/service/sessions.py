"""Where conversation context lives between messages: the SessionStore port, in this process's
memory (one process, SQLite) or in the shared database (several replicas on PostgreSQL, so a
follow-up that reaches another replica still works). Never the text of a message."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from bot.core.chats import ChatRef
from bot.core.session import SESSION_TTL, Session

if TYPE_CHECKING:
    from bot.storage.base import ChatSessionStore

MAX_SESSIONS = (
    100_000  # in memory, oldest dropped first; a dropped session only forgets a follow-up
)
# The shared table is swept of expired sessions at most this often, not on every message.
EXPIRY_INTERVAL = dt.timedelta(minutes=1)


class SessionStore(Protocol):
    """The last region and intent per chat. `blocking`: calls do I/O, so async code runs them
    in a thread."""

    blocking: bool

    def get(self, chat: ChatRef) -> Session | None: ...

    def put(self, chat: ChatRef, session: Session) -> None: ...

    def expire(self, now: dt.datetime) -> int:
        """Drop sessions idle longer than SESSION_TTL; returns how many went (if known)."""
        ...

    def delete(self, chat: ChatRef) -> None: ...


class InMemorySessions:
    """One process's sessions, least recently used first, at most `max_sessions`."""

    blocking = False

    def __init__(self, max_sessions: int = MAX_SESSIONS):
        self._sessions: OrderedDict[ChatRef, Session] = OrderedDict()
        self._max_sessions = max_sessions

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, chat: ChatRef) -> Session | None:
        return self._sessions.get(chat)

    def put(self, chat: ChatRef, session: Session) -> None:
        self._sessions[chat] = session
        self._sessions.move_to_end(chat)

    def expire(self, now: dt.datetime) -> int:
        dropped = 0
        while self._sessions:
            oldest_key, oldest = next(iter(self._sessions.items()))
            stale = oldest.updated_at is None or now - oldest.updated_at > SESSION_TTL
            if len(self._sessions) <= self._max_sessions and not stale:
                break
            del self._sessions[oldest_key]
            dropped += 1
        return dropped

    def delete(self, chat: ChatRef) -> None:
        self._sessions.pop(chat, None)


class StoredSessions:
    """Sessions in the store's `sessions` table, shared by every replica on one database."""

    blocking = True

    def __init__(self, store: ChatSessionStore, *, expiry_interval: dt.timedelta = EXPIRY_INTERVAL):
        self.store = store
        self.expiry_interval = expiry_interval
        self._last_expiry: dt.datetime | None = None

    def get(self, chat: ChatRef) -> Session | None:
        return self.store.load_session(chat.platform, chat.chat_id)

    def put(self, chat: ChatRef, session: Session) -> None:
        if session.updated_at is None:  # never current: nothing worth sharing
            self.delete(chat)
            return
        self.store.save_session(chat.platform, chat.chat_id, session)

    def expire(self, now: dt.datetime) -> int:
        if self._last_expiry is not None and now - self._last_expiry < self.expiry_interval:
            return 0
        self._last_expiry = now
        return self.store.expire_sessions(now - SESSION_TTL)

    def delete(self, chat: ChatRef) -> None:
        self.store.delete_session(chat.platform, chat.chat_id)
