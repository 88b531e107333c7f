"""Conversation context per chat: the last region, intent and language, never a message's text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

SESSION_TTL = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Session:
    region: str | None = None
    intent: str | None = None
    awaiting_region_for: str | None = None  # the intent whose answer waits for a country
    updated_at: dt.datetime | None = None
    language: str | None = None  # the language the conversation is in
    chosen_language: str | None = None  # set by "language <code>"; wins over detection
    # What the bot has just asked, so that a short reply ("yes", "2") answers it: "forget" (the
    # delete-everything confirmation) or "pick:a,b,c" (a did-you-mean's topics, in order).
    pending: str | None = None

    def current(self, now: dt.datetime) -> Session:
        """This session, or an empty one if it has been idle longer than SESSION_TTL. A session
        not used yet is current (it may start in a subscriber's stored language)."""
        if self.updated_at is not None and now - self.updated_at > SESSION_TTL:
            return Session()
        return self

    def after(
        self,
        now: dt.datetime,
        *,
        intent: str | None,
        region: str | None,
        awaiting: str | None,
        language: str | None = None,
        pending: str | None = None,
    ) -> Session:
        """The session after a reply; what the bot asked before is answered or dropped."""
        return replace(
            self,
            intent=intent or self.intent,
            region=region or self.region,
            awaiting_region_for=awaiting,
            updated_at=now,
            language=language or self.language,
            pending=pending,
        )
