"""Questions in a conversation: a message or a question command from a chat, a reply out, in
the conversation's language. Doors reach it through ChatService (bot.service.chat). Sessions (last region and intent, never text) are kept per chat in a SessionStore: in
memory, or in the shared database when several replicas serve one bot.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol, TypeVar

from bot.core.chats import ChatRef
from bot.core.composer import REGIONAL_INTENTS
from bot.core.engine import QuestionAnswerer
from bot.core.languages import choose_language
from bot.core.reply import Reply
from bot.core.session import Session
from bot.service.sessions import MAX_SESSIONS, InMemorySessions, SessionStore
from bot.service.unanswered import UnansweredQuestions

__all__ = ["COMMAND_INTENTS", "MAX_SESSIONS", "ConversationService"]

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


# Session.pending for a did-you-mean: the offered topics, in order.
PICK = "pick:"


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
        stored_language: Callable[[ChatRef], tuple[str, bool] | None] | None = None,
    ):
        self.answerer = answerer
        self.metrics = metrics
        self.unanswered = unanswered  # None unless the operator opted in
        self.sessions: SessionStore = sessions or InMemorySessions(max_sessions)
        # The language a subscriber keeps between conversations: (language, chosen) or None
        # (bot.service.subscriptions.stored_language reads it from the store; blocking).
        self.stored_language = stored_language or (lambda _chat: None)

    # --- sessions ----------------------------------------------------------------------------

    async def _io(self, call: Callable[..., T], *args) -> T:
        if self.sessions.blocking:
            return await asyncio.to_thread(call, *args)
        return call(*args)

    async def _session(self, chat: ChatRef) -> Session:
        """The chat's current session; a new one starts in the subscriber's stored language."""
        session = (await self._io(self.sessions.get, chat) or Session()).current(
            self.answerer.clock.now()
        )
        if session.language is None:
            stored = await asyncio.to_thread(self.stored_language, chat)
            if stored is not None:
                language, chosen = stored
                session = replace(
                    session, language=language, chosen_language=language if chosen else None
                )
        return session

    async def language_of(self, chat: ChatRef, hint: str | None = None) -> str:
        """The language to reply to a command in: chosen, then the conversation's, then the
        platform's hint, then English."""
        session = await self._session(chat)
        return choose_language(
            chosen=session.chosen_language, detected=None, hint=hint, current=session.language
        )

    async def chosen_language(self, chat: ChatRef) -> str | None:
        return (await self._session(chat)).chosen_language

    async def choose_language(self, chat: ChatRef, language: str | None) -> None:
        """Remember an explicit choice ("language de"); None goes back to detection."""
        session = await self._session(chat)
        now = self.answerer.clock.now()
        session = replace(session, chosen_language=language, language=language, updated_at=now)
        await self._keep(chat, session)

    async def _keep(self, chat: ChatRef, session: Session) -> None:
        await self._io(self._put_and_expire, chat, session, self.answerer.clock.now())

    def _put_and_expire(self, chat: ChatRef, session: Session, now: dt.datetime) -> None:
        self.sessions.put(chat, session)
        self.sessions.expire(now)

    async def remembered_region(self, chat: ChatRef) -> str | None:
        """The region this conversation last named, if it is still current."""
        session = await self._session(chat)
        return session.current(self.answerer.clock.now()).region

    async def forget(self, chat: ChatRef) -> None:
        await self._io(self.sessions.delete, chat)

    async def pending(self, chat: ChatRef) -> str | None:
        """What the bot has just asked this chat ("forget", "pick:a,b,c"), if anything."""
        return (await self._session(chat)).pending

    async def set_pending(self, chat: ChatRef, pending: str | None) -> None:
        """Remember (or, with None, drop) what the bot has just asked this chat."""
        session = await self._session(chat)
        await self._keep(chat, replace(session, pending=pending, updated_at=self.now()))

    # --- inbound -----------------------------------------------------------------------------

    async def ask(self, chat: ChatRef, text: str, hint: str | None = None) -> Reply:
        """A free-text question in a conversation; `hint` is the platform's language hint."""
        started = time.perf_counter()
        reply, session = self.answerer.respond(text, await self._session(chat), hint=hint)
        if reply.kind == "did_you_mean" and reply.suggestions:
            # "2" or "the first one" picks a topic; nothing of the question is kept.
            picks = ",".join(topic.id for topic in reply.suggestions)
            session = replace(session, pending=PICK + picks)
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

    async def command(
        self, chat: ChatRef, name: str, argument: str = "", hint: str | None = None
    ) -> Reply:
        """A question command (/help, /optout, /object, /deadline, /affected [country], /sources,
        /topics, /start [region]). Unknown names get the help answer."""
        name = name.lower().lstrip("/")
        argument = argument.strip()
        language = await self.language_of(chat, hint)
        if name == "sources":
            return self.answerer.sources_reply(language)
        if name == "topics":
            return self.answerer.topics_reply(language)
        if name == "more":
            return await self.more(chat, hint=hint)
        if name == "start" and not argument:
            return await self.topic(chat, "greeting", hint=hint)
        if name in ("start", "affected") and argument:
            return await self.affected(chat, argument, hint)
        intent_id = COMMAND_INTENTS.get(name, "help")
        return await self.topic(chat, intent_id, hint=hint)

    async def affected(self, chat: ChatRef, place: str, hint: str | None = None) -> Reply:
        """Whether a place is affected: a region id ("CA", "EU") or any name the core knows."""
        region = self.answerer.region_from_argument(place)
        if region is None:
            language = await self.language_of(chat, hint)
            return self.answerer.unknown_region_reply(place, language)
        return await self.topic(chat, "am_i_affected", region, hint=hint)

    async def topic(
        self,
        chat: ChatRef,
        intent_id: str,
        region: str | None = None,
        *,
        hint: str | None = None,
    ) -> Reply:
        """The answer for a known topic: a command or a follow-up button."""
        started = time.perf_counter()
        session = await self._session(chat)
        language = choose_language(
            chosen=session.chosen_language, detected=None, hint=hint, current=session.language
        )
        now = self.answerer.clock.now()
        if intent_id not in self.answerer.kb.intents:
            intent_id = "help"
        if intent_id in REGIONAL_INTENTS and region is None:
            region = session.region  # the place given earlier in the conversation
        if intent_id == "am_i_affected" and region is None:
            reply = self.answerer.ask_region(intent_id, language)
            await self._keep(
                chat,
                session.after(
                    now, intent=intent_id, region=None, awaiting=intent_id, language=language
                ),
            )
            self._observe(reply, started)
            return reply
        reply = self.answerer.answer_intent(intent_id, region, language=language)
        await self._keep(
            chat,
            session.after(now, intent=intent_id, region=region, awaiting=None, language=language),
        )
        self._observe(reply, started)
        return reply

    async def more(
        self,
        chat: ChatRef,
        intent_id: str | None = None,
        region: str | None = None,
        *,
        hint: str | None = None,
    ) -> Reply:
        """The full answer behind a short one: for the topic and region a "More" button carries,
        or, typed as "more", for the conversation's last answer (the topics menu when there is
        none)."""
        started = time.perf_counter()
        session = await self._session(chat)
        language = choose_language(
            chosen=session.chosen_language, detected=None, hint=hint, current=session.language
        )
        if intent_id is None:
            intent_id, region = session.intent, session.region
        if intent_id is None or intent_id not in self.answerer.kb.intents:
            return self.answerer.topics_reply(language)
        if region is not None and self.answerer.region_from_argument(region) != region:
            region = None  # a button from a knowledge base that knew another region
        reply = self.answerer.answer_intent(intent_id, region, language=language).full()
        now = self.answerer.clock.now()
        await self._keep(
            chat,
            session.after(now, intent=intent_id, region=region, awaiting=None, language=language),
        )
        self._observe(reply, started)
        return reply

    def now(self) -> dt.datetime:
        return self.answerer.clock.now()
