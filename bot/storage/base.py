"""The storage ports, one per concern, typed to our domain: subscriptions, reminders, sender
leases, sessions, unanswered questions, erasing a chat and the operators' counts. Each consumer
takes the smallest port it needs; `Store` is all of them at once, what each backend implements
and bootstrap holds.

It stores no names and no message text: a subscription is platform, chat id, region, language,
time zone, check-up cadence, created time, the knowledge base's event ids at that time and, for
a chat set up by someone else (a Discord channel), that person's chat id; a reminder is its
dedupe key, times and state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.core.reminders import Cadence, Reminder, Subscription
from bot.core.session import Session


class ReminderState(StrEnum):
    SCHEDULED = "scheduled"  # waiting, or claimed under a lease
    SENT = "sent"
    LATE = "late"  # sent, after its time
    SKIPPED = "skipped"  # missed, and pointless by the time it could go
    FAILED = "failed"  # transient failures until the retry limit
    REFUSED = "refused"  # the platform refused for good; the subscription was deactivated


FINAL_STATES = frozenset(ReminderState) - {ReminderState.SCHEDULED}


@dataclass(frozen=True)
class Claim:
    """A reminder leased to one worker until lease_until, with its subscription."""

    id: int
    reminder: Reminder
    subscription: Subscription
    attempts: int


@dataclass(frozen=True)
class Gap:
    """A question the bot could not answer: its normalised text and how often it came, no id."""

    text: str
    count: int
    first_seen: dt.datetime
    last_seen: dt.datetime


@dataclass(frozen=True)
class Outcome:
    reminder_id: int
    state: ReminderState


class SubscriptionStore(Protocol):
    """Chats' subscriptions and their settings (bot.service.subscriptions; the dispatcher
    schedules for the active ones and stops a refused one)."""

    def add_subscription(
        self,
        platform: str,
        chat_id: str,
        *,
        region: str,
        language: str,
        timezone: str,
        checkup: Cadence,
        created_at: dt.datetime,
        known_events: Iterable[str] | None = None,
        set_up_by: str | None = None,
    ) -> Subscription:
        """Subscribe a chat, or renew its subscription (new settings, new created time).
        known_events: the knowledge base's event ids now, which will bring no new-event notice;
        None leaves them to settle_known_events. set_up_by: the chat id, on the same platform,
        of whoever set up this chat's reminders when it is not their own (a Discord channel)."""
        ...

    def subscription_for(self, platform: str, chat_id: str) -> Subscription | None: ...

    def update_subscription(
        self,
        subscription_id: int,
        *,
        region: str | None = None,
        language: str | None = None,
        timezone: str | None = None,
        checkup: Cadence | None = None,
        language_chosen: bool | None = None,
    ) -> Subscription:
        """Change settings; reminders not yet sent are dropped, to be scheduled anew. A new
        region also drops the known events, as if subscribing anew."""
        ...

    def deactivate(self, subscription_id: int) -> None:
        """Stop everything for a subscription; reminders not yet sent are dropped."""
        ...

    def move_chat(self, platform: str, chat_id: str, new_chat_id: str) -> bool:
        """The chat has a new id (a Telegram group became a supergroup): its subscription and
        reminders follow it. False when there was none to move, or the new id has its own."""
        ...

    def active_subscriptions(self) -> Iterator[Subscription]:
        """Every active subscription by id, read a page at a time."""
        ...

    def settle_known_events(self, event_ids: Iterable[str]) -> int:
        """Give these event ids as known to every subscription whose known events are not set
        yet; returns how many subscriptions were settled."""
        ...


class ReminderStore(Protocol):
    """Reminders, from scheduling to their outcome (bot.service.dispatcher): claimed under a
    lease, recorded once, given back at shutdown."""

    def schedule(self, reminders: Iterable[Reminder]) -> int:
        """Add reminders, ignoring any whose dedupe key exists; returns how many were new."""
        ...

    def claim_due(
        self,
        now: dt.datetime,
        *,
        limit: int,
        lease: dt.timedelta,
        worker: str,
        platforms: frozenset[str] | None = None,
    ) -> list[Claim]:
        """Lease up to `limit` due reminders of active subscriptions, oldest first; a reminder
        whose lease has expired may be claimed again. With `platforms`, only reminders for those
        platforms: a process claims only what it can deliver."""
        ...

    def record(self, outcomes: Iterable[Outcome], at: dt.datetime) -> None:
        """Finish claimed reminders; a reminder already finished is left as it is."""
        ...

    def release(self, worker: str) -> int:
        """Give back this worker's claims not yet finished (at shutdown), so another instance
        can take them at once rather than when the lease expires; returns how many."""
        ...

    def next_due_at(self, platforms: frozenset[str] | None = None) -> dt.datetime | None: ...

    def upcoming(self, subscription_id: int, limit: int = 10) -> list[Reminder]: ...


class SenderLeaseStore(Protocol):
    """One sender per platform account across replicas (bot.service.dispatcher)."""

    def hold_sender(self, key: str, worker: str, now: dt.datetime, lease: dt.timedelta) -> bool:
        """Take or renew the lease on sending as `key` (one platform account, e.g. one Telegram
        bot) until now + lease; True while this worker holds it. Another worker's lease is taken
        only once it has expired: one sender per account at a time, so replicas together keep to
        the account's rate limit."""
        ...

    def release_sender(self, key: str, worker: str) -> None:
        """Give up this worker's lease on `key` (at shutdown), so a standby takes over at once."""
        ...


class ChatSessionStore(Protocol):
    """Conversation context per chat (bot.service.sessions.StoredSessions): never message text."""

    def load_session(self, platform: str, chat_id: str) -> Session | None: ...

    def save_session(self, platform: str, chat_id: str, session: Session) -> None:
        """Insert or replace a chat's session; its updated_at must be set."""
        ...

    def delete_session(self, platform: str, chat_id: str) -> None: ...

    def expire_sessions(self, before: dt.datetime) -> int:
        """Delete sessions last updated before `before`; returns how many."""
        ...


class UnansweredStore(Protocol):
    """Unanswered questions, counted by normalised text (bot.service.unanswered; opt-in:
    OPTOUT_COLLECT_UNANSWERED)."""

    def note_unanswered(self, text: str, at: dt.datetime) -> None:
        """Count one more fallback for this normalised text (no user id is ever passed)."""
        ...

    def purge_unanswered(self, before: dt.datetime) -> int:
        """Delete texts first seen before `before`; returns how many."""
        ...

    def unanswered(self, limit: int = 20) -> list[Gap]:
        """The most frequent unanswered texts, most frequent first."""
        ...


class ChatEraser(Protocol):
    """Deleting everything about one chat (/forget, a chat that is gone)."""

    def forget(self, platform: str, chat_id: str) -> int:
        """Delete every row about this chat (its session too), and clear it as the setter of
        other chats' subscriptions (which stay); returns how many subscriptions went."""
        ...


class StoreCounts(Protocol):
    """What operators count: /metrics' subscriber gauge and `reminders stats`."""

    def subscriber_counts(self) -> dict[tuple[str, str], int]:
        """Active subscriptions counted by (platform, region)."""
        ...

    def stats(self) -> dict[str, int]:
        """Reminder counts by state (every state present), and subscriptions active/inactive."""
        ...


class Store(
    SubscriptionStore,
    ReminderStore,
    SenderLeaseStore,
    ChatSessionStore,
    UnansweredStore,
    ChatEraser,
    StoreCounts,
    Protocol,
):
    """Every port at once, as each backend implements them: what bootstrap opens and closes."""

    def close(self) -> None: ...


def empty_stats() -> dict[str, int]:
    stats = {state.value: 0 for state in ReminderState}
    stats |= {"subscriptions_active": 0, "subscriptions_inactive": 0}
    return stats
