"""Questions the bot could not answer, kept only when the operator opts in
(OPTOUT_COLLECT_UNANSWERED=1): the normalised text, never who asked, counted, for at most
RETENTION. `optout-bot kb gaps` lists them so the knowledge base grows where people need it."""

from __future__ import annotations

import datetime as dt
import logging

from bot.core.clock import Clock
from bot.core.text import normalise
from bot.storage.base import Gap, UnansweredStore

log = logging.getLogger(__name__)

RETENTION = dt.timedelta(days=30)


class UnansweredQuestions:
    def __init__(self, store: UnansweredStore, clock: Clock):
        self.store = store
        self.clock = clock

    def note(self, text: str) -> None:
        """Count one fallback question; purge what is older than RETENTION. Blocking I/O."""
        normalised = normalise(text)
        if not normalised:
            return
        now = self.clock.now()
        self.store.note_unanswered(normalised, now)
        purged = self.store.purge_unanswered(now - RETENTION)
        if purged:
            log.info("unanswered questions purged count=%s", purged)

    def most_frequent(self, limit: int = 20) -> list[Gap]:
        self.store.purge_unanswered(self.clock.now() - RETENTION)
        return self.store.unanswered(limit)
