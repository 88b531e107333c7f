"""Reminder commands every door offers: subscribe, unsubscribe, reminders, checkup, timezone,
privacy, forget. Platform-free; each returns a Reply the door renders."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from bot.core.engine import QuestionAnswerer, format_date
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
from bot.core.timezones import zone_for
from bot.service.conversations import ChatKey, ConversationService
from bot.storage.base import Store

LISTED_REMINDERS = 5
LOOKAHEAD = dt.timedelta(days=400)
SUBSCRIPTION_COMMANDS = (
    "subscribe",
    "unsubscribe",
    "reminders",
    "checkup",
    "timezone",
    "privacy",
    "forget",
)
PRIVACY_TEXT = (
    "Without a subscription I keep nothing about you: questions are answered and forgotten. "
    "Your last country and topic are held in memory for 30 minutes so that follow-ups work; "
    "never the text of your messages.",
    "With a subscription I store only: the platform and your chat id, your region, language, "
    "time zone and check-up choice, when you subscribed, and for each reminder when it was due "
    "and whether it was sent. No names, no message text.",
    'It is kept while you are subscribed. "unsubscribe" deletes your subscription and its '
    'reminder records; "forget" deletes everything about you at once. If you block the bot, '
    "nothing more is sent to you.",
)
# Added only when the operator turned on OPTOUT_COLLECT_UNANSWERED.
UNANSWERED_PRIVACY_TEXT = (
    "This bot's operator collects the questions I could not answer, to improve my answers: "
    "only the wording (lower-cased, punctuation removed), with a count and never who asked, "
    "kept for at most 30 days. Questions I can answer are not kept."
)


def privacy_text(collect_unanswered: bool = False) -> tuple[str, ...]:
    """What the bot keeps, as the privacy reply says it."""
    return PRIVACY_TEXT + ((UNANSWERED_PRIVACY_TEXT,) if collect_unanswered else ())


def _reply(title: str, *paragraphs: str, commands: tuple[CommandButton, ...] = ()) -> Reply:
    return Reply(
        kind="answer",
        intent=None,
        confidence=1.0,
        region=None,
        title=title,
        paragraphs=paragraphs,
        commands=commands,
    )


class SubscriptionService:
    def __init__(
        self,
        store: Store,
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
        self._on_change = on_change or (lambda _sub: None)

    def on_change(self, callback: Callable[[Subscription], None]) -> None:
        """Called with a subscription that was made or changed, so the dispatcher wakes and
        schedules its reminders at once. Removing one needs nothing: its rows are gone."""
        self._on_change = callback

    async def handle(
        self, chat: ChatKey, name: str, argument: str = "", language: str = "en"
    ) -> Reply:
        """One reminder command by name (without the slash)."""
        name = name.lower().lstrip("/")
        argument = argument.strip()
        if name == "subscribe":
            return await self.subscribe(chat, argument, language)
        if name == "unsubscribe":
            return await self.unsubscribe(chat)
        if name == "reminders":
            return await self.upcoming(chat)
        if name == "checkup":
            return await self.checkup(chat, argument)
        if name == "timezone":
            return await self.timezone(chat, argument)
        if name == "privacy":
            return self.privacy()
        if name == "forget":
            return await self.forget(chat, confirmed=argument.lower() in ("confirm", "yes"))
        raise ValueError(name)

    # --- commands ----------------------------------------------------------------------------

    async def subscribe(self, chat: ChatKey, place: str, language: str = "en") -> Reply:
        region = self.answerer.region_from_argument(place) if place else None
        if region is None and not place:
            region = await self.conversations.remembered_region(chat)
        if region is None:
            examples = ("subscribe CA", "subscribe Germany", "subscribe UK")
            return _reply(
                "Which region should the reminders be for?",
                "Tell me with the command, for example: "
                + ", ".join(f'"{e}"' for e in examples)
                + ".",
            )
        existing = await self._subscription(chat)
        zone = (
            existing.timezone
            if existing and existing.region == region
            else default_timezone(region, self.answerer.kb)
        )
        sub = await asyncio.to_thread(
            self.store.add_subscription,
            chat.platform,
            chat.chat_id,
            region=region,
            language=language,
            timezone=zone,
            checkup=existing.checkup if existing else "off",
            created_at=self.answerer.clock.now(),
            known_events=event_ids(self.answerer.kb),
        )
        self._on_change(sub)
        place_name = region_display_name(region, self.answerer.kb)
        lines = [f"You will get reminders for {place_name}, at 10:00 your time ({zone})."]
        lines.append(self._schedule_text(sub))
        lines.append(
            'Change the time zone with "timezone <zone or city>", add a monthly or quarterly '
            'settings check-up with "checkup monthly", see what is stored with "privacy", and stop '
            'with "unsubscribe".'
        )
        return _reply(
            "Subscribed",
            *lines,
            commands=(
                CommandButton("Monthly check-up", "checkup monthly"),
                CommandButton("Unsubscribe", "unsubscribe"),
            ),
        )

    async def unsubscribe(self, chat: ChatKey) -> Reply:
        removed = await asyncio.to_thread(self.store.forget, chat.platform, chat.chat_id)
        if not removed:
            return _reply(
                "You were not subscribed.", 'Send "subscribe <country>" to get reminders.'
            )
        return _reply(
            "Unsubscribed",
            "You will get no more reminders. Your subscription and its reminder records are deleted.",
        )

    async def upcoming(self, chat: ChatKey) -> Reply:
        sub = await self._subscription(chat)
        if sub is None:
            return _reply(
                "You have no reminders.",
                'Send "subscribe <country>" (for example "subscribe CA") to get reminders before '
                "dates that concern your region, and optional settings check-ups.",
            )
        return _reply("Your next reminders", self._schedule_text(sub))

    async def checkup(self, chat: ChatKey, cadence: str) -> Reply:
        cadence = cadence.lower()
        sub = await self._subscription(chat)
        if cadence not in CADENCES:
            current = f" Now: {sub.checkup}." if sub else ""
            return _reply(
                "Settings check-ups",
                "A monthly or quarterly reminder to check that LinkedIn's data settings are still "
                'off. Send "checkup monthly", "checkup quarterly" or "checkup off".' + current,
                commands=tuple(CommandButton(c.capitalize(), f"checkup {c}") for c in CADENCES),
            )
        if sub is None:
            return _reply("Subscribe first.", 'Send "subscribe <country>", then choose a check-up.')
        sub = await asyncio.to_thread(self.store.update_subscription, sub.id, checkup=cadence)
        self._on_change(sub)
        if cadence == "off":
            return _reply("Check-ups off", "You will get no more settings check-ups.")
        return _reply(f"Check-ups: {cadence}", self._schedule_text(sub))

    async def timezone(self, chat: ChatKey, text: str) -> Reply:
        sub = await self._subscription(chat)
        if sub is None:
            return _reply(
                "Subscribe first.", 'Send "subscribe <country>"; then you can set a time zone.'
            )
        if not text:
            return _reply(
                f"Your time zone: {sub.timezone}",
                'Change it with "timezone <zone or city>", for example "timezone Europe/Berlin" or '
                '"timezone Toronto".',
            )
        zone = zone_for(text)
        if zone is None:
            return _reply(
                "I don't know that time zone.",
                'Use a zone name such as "Europe/Berlin" or a city such as "Toronto".',
            )
        sub = await asyncio.to_thread(self.store.update_subscription, sub.id, timezone=zone)
        self._on_change(sub)
        return _reply(f"Time zone: {zone}", self._schedule_text(sub))

    def privacy(self) -> Reply:
        return _reply("What I keep about you", *privacy_text(self.collect_unanswered))

    async def forget(self, chat: ChatKey, *, confirmed: bool) -> Reply:
        if not confirmed:
            return _reply(
                "Delete everything about you?",
                "This deletes your subscription, your reminder records and our conversation "
                'context. Send "forget confirm" to go ahead.',
                commands=(CommandButton("Yes, delete everything", "forget confirm"),),
            )
        await asyncio.to_thread(self.store.forget, chat.platform, chat.chat_id)
        await self.conversations.forget(chat)
        return _reply("Done: I hold nothing about you any more.")

    # --- helpers -----------------------------------------------------------------------------

    async def _subscription(self, chat: ChatKey) -> Subscription | None:
        sub = await asyncio.to_thread(self.store.subscription_for, chat.platform, chat.chat_id)
        return sub if sub is not None and sub.active else None

    def _schedule_text(self, sub: Subscription) -> str:
        now = self.answerer.clock.now()
        coming = reminders_between(sub, self.answerer.kb, now, now + LOOKAHEAD, self.offsets)
        if not coming:
            return (
                "No dated reminder is coming for your region right now: every known date has "
                "passed. You will be told once if a new date that concerns your region is added."
                + (
                    ""
                    if sub.checkup != "off"
                    else ' Settings check-ups are off ("checkup monthly" turns them on).'
                )
            )
        lines = []
        for reminder in coming[:LISTED_REMINDERS]:
            local = reminder.due_at.astimezone(sub.zone)
            when = f"{format_date(local.date())} {local:%H:%M}"
            if reminder.kind == "checkup":
                what = "settings check-up"
            else:
                event = self.answerer.kb.event_index[reminder.subject]
                what = (
                    event.title
                    if reminder.offset_days == 0
                    else f"{reminder.offset_days} day{'s' if reminder.offset_days != 1 else ''} before: {event.title}"
                )
            lines.append(f"- {when}: {what}")
        return "Coming up (your time):\n" + "\n".join(lines)
