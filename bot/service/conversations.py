"""The one inbound path every door uses: a message or a command from a chat, a reply out.

Doors translate platform updates into these calls and render the Reply; they never decide an
answer. Sessions (last region and intent, never text) are kept per chat, in memory here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from bot.core.engine import QuestionAnswerer
from bot.core.reply import Reply
from bot.core.session import SESSION_TTL, Session

MAX_SESSIONS = 100_000  # oldest dropped first; a dropped session only forgets a follow-up


@dataclass(frozen=True)
class ChatKey:
    """Which conversation: platform name and its chat or user id (ids only, never names)."""

    platform: str
    chat_id: str


# Commands every door offers for questions; each maps to an intent of the knowledge base.
COMMAND_INTENTS = {
    "help": "help",
    "optout": "opt_out_steps",
    "steps": "opt_out_steps",
    "object": "objection_form",
    "deadline": "deadline",
    "affected": "am_i_affected",
}


class ReplyObserver(Protocol):
    """Where each answered question is counted (bot.ops.metrics.Metrics)."""

    def observe_reply(self, reply: Reply, seconds: float) -> None: ...


class ConversationService:
    def __init__(
        self,
        answerer: QuestionAnswerer,
        max_sessions: int = MAX_SESSIONS,
        *,
        metrics: ReplyObserver | None = None,
    ):
        self.answerer = answerer
        self.metrics = metrics
        self._sessions: OrderedDict[ChatKey, Session] = OrderedDict()
        self._max_sessions = max_sessions

    # --- sessions ----------------------------------------------------------------------------

    def _session(self, chat: ChatKey) -> Session:
        return self._sessions.get(chat, Session())

    def _keep(self, chat: ChatKey, session: Session) -> None:
        self._sessions[chat] = session
        self._sessions.move_to_end(chat)
        now = self.answerer.clock.now()
        while self._sessions:
            oldest_key, oldest = next(iter(self._sessions.items()))
            stale = oldest.updated_at is None or now - oldest.updated_at > SESSION_TTL
            if len(self._sessions) <= self._max_sessions and not stale:
                break
            del self._sessions[oldest_key]

    def remembered_region(self, chat: ChatKey) -> str | None:
        """The region this conversation last named, if it is still current."""
        return self._session(chat).current(self.answerer.clock.now()).region

    def forget(self, chat: ChatKey) -> None:
        self._sessions.pop(chat, None)

    def session_count(self) -> int:
        return len(self._sessions)

    # --- inbound -----------------------------------------------------------------------------

    async def ask(self, chat: ChatKey, text: str) -> Reply:
        """A free-text question in a conversation."""
        started = time.perf_counter()
        reply, session = self.answerer.respond(text, self._session(chat))
        self._keep(chat, session)
        self._observe(reply, started)
        return reply

    def _observe(self, reply: Reply, started: float) -> None:
        if self.metrics is not None:
            self.metrics.observe_reply(reply, time.perf_counter() - started)

    async def command(self, chat: ChatKey, name: str, argument: str = "") -> Reply:
        """A question command (/help, /optout, /object, /deadline, /affected [country], /sources,
        /topics, /start [region]). Unknown names get the help answer."""
        name = name.lower().lstrip("/")
        argument = argument.strip()
        if name == "sources":
            return self.answerer.sources_reply()
        if name == "topics":
            return self.answerer.topics_reply()
        if name == "start":
            if argument:
                return await self.affected(chat, argument)
            return self.answerer.answer_intent("greeting")
        if name == "affected":
            if argument:
                return await self.affected(chat, argument)
            return await self.ask(chat, "am I affected?")
        intent_id = COMMAND_INTENTS.get(name, "help")
        return await self.topic(chat, intent_id)

    async def affected(self, chat: ChatKey, place: str) -> Reply:
        """Whether a place is affected: a region id ("CA", "EU") or any name the core knows."""
        region = self.answerer.region_from_argument(place)
        if region is None:
            return self.answerer.unknown_region_reply(place)
        return await self.topic(chat, "am_i_affected", region)

    async def topic(self, chat: ChatKey, intent_id: str, region: str | None = None) -> Reply:
        """The answer for a known topic: a command or a follow-up button."""
        started = time.perf_counter()
        session = self._session(chat).current(self.answerer.clock.now())
        if intent_id not in self.answerer.kb.intents:
            return self.answerer.answer_intent("help")
        if intent_id == "am_i_affected" and region is None:
            region = session.region
        if intent_id == "am_i_affected" and region is None:
            reply, session = self.answerer.respond("am I affected?", session)
            self._keep(chat, session)
            self._observe(reply, started)
            return reply
        reply = self.answerer.answer_intent(intent_id, region)
        now = self.answerer.clock.now()
        self._keep(chat, session.after(now, intent=intent_id, region=region, awaiting=None))
        self._observe(reply, started)
        return reply

    def now(self) -> dt.datetime:
        return self.answerer.clock.now()
