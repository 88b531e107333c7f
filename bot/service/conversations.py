"""The one inbound path every door uses: a message or a command from a chat, a reply out.

Doors translate platform updates into these calls and render the Reply; they never decide an
answer. Sessions (last region and intent, never text) are kept per chat in a SessionStore: in
memory, or in the shared database when several replicas serve one bot.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from bot.core.engine import QuestionAnswerer
from bot.core.reply import Reply
from bot.core.session import Session
from bot.service.sessions import MAX_SESSIONS, ChatKey, InMemorySessions, SessionStore
from bot.service.unanswered import UnansweredQuestions

__all__ = ["COMMAND_INTENTS", "MAX_SESSIONS", "ChatKey", "ConversationService"]

T = TypeVar("T")
log = logging.getLogger(__name__)


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
        sessions: SessionStore | None = None,
        unanswered: UnansweredQuestions | None = None,
    ):
        self.answerer = answerer
        self.metrics = metrics
        self.unanswered = unanswered  # None unless the operator opted in
        self.sessions: SessionStore = sessions or InMemorySessions(max_sessions)

    # --- sessions ----------------------------------------------------------------------------

    async def _io(self, call: Callable[..., T], *args) -> T:
        if self.sessions.blocking:
            return await asyncio.to_thread(call, *args)
        return call(*args)

    async def _session(self, chat: ChatKey) -> Session:
        return await self._io(self.sessions.get, chat) or Session()

    async def _keep(self, chat: ChatKey, session: Session) -> None:
        await self._io(self._put_and_expire, chat, session, self.answerer.clock.now())

    def _put_and_expire(self, chat: ChatKey, session: Session, now: dt.datetime) -> None:
        self.sessions.put(chat, session)
        self.sessions.expire(now)

    async def remembered_region(self, chat: ChatKey) -> str | None:
        """The region this conversation last named, if it is still current."""
        session = await self._session(chat)
        return session.current(self.answerer.clock.now()).region

    async def forget(self, chat: ChatKey) -> None:
        await self._io(self.sessions.delete, chat)

    # --- inbound -----------------------------------------------------------------------------

    async def ask(self, chat: ChatKey, text: str) -> Reply:
        """A free-text question in a conversation."""
        started = time.perf_counter()
        reply, session = self.answerer.respond(text, await self._session(chat))
        await self._keep(chat, session)
        self._observe(reply, started)
        if reply.kind == "fallback" and self.unanswered is not None:
            await self._note_unanswered(text)
        return reply

    async def _note_unanswered(self, text: str) -> None:
        try:
            await asyncio.to_thread(self.unanswered.note, text)
        except Exception as error:  # collecting must never cost the user their reply
            log.warning("unanswered question not kept: %s", type(error).__name__)

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
        session = (await self._session(chat)).current(self.answerer.clock.now())
        if intent_id not in self.answerer.kb.intents:
            return self.answerer.answer_intent("help")
        if intent_id == "am_i_affected" and region is None:
            region = session.region
        if intent_id == "am_i_affected" and region is None:
            reply, session = self.answerer.respond("am I affected?", session)
            await self._keep(chat, session)
            self._observe(reply, started)
            return reply
        reply = self.answerer.answer_intent(intent_id, region)
        now = self.answerer.clock.now()
        await self._keep(chat, session.after(now, intent=intent_id, region=region, awaiting=None))
        self._observe(reply, started)
        return reply

    def now(self) -> dt.datetime:
        return self.answerer.clock.now()
