"""The one way in for every door: a message, a command or a button press from a chat in, a Reply
out; the bot's own words for what a door says itself; and "this chat is gone".

A door holds a ChatService and nothing else of the service layer. It translates its platform's
updates into these calls and renders what comes back; which service answers, and in which
language, is decided here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.core.chats import ChatRef
from bot.core.clock import Clock
from bot.core.knowledge import KnowledgeBase
from bot.core.languages import normalise_language
from bot.core.reply import Reply
from bot.core.short_replies import ShortReply, read_short_reply
from bot.service.commands import (
    BARE_WORDS,
    COMMAND_TABLE,
    SLASH_COMMANDS,
    Command,
    CommandForm,
    find_command,
    listed_commands,
    write_commands,
)
from bot.service.conversations import PICK, ConversationService
from bot.service.region_choices import RegionChoice, RegionChoices
from bot.service.subscriptions import FORGET, SubscriptionService, plain_reply

# "checkup monthly" typed without the slash, as the replies suggest. A question that merely
# starts with a command word ("privacy on LinkedIn?") is not one: no "?", at most four words
# after the command, and none after a question command that takes no argument ("deadline for
# Canada" is a question).
_BARE_WORDS = "|".join(c.name for c in listed_commands())
_BARE = re.compile(rf"^\s*/?({_BARE_WORDS})((?:\s+[^\s?]+){{0,4}})\s*$", re.IGNORECASE)


class Words:
    """The bot's own words for the doors (menus, toasts, errors) from the live knowledge base.
    Needs no store, so `discord sync` and error handlers can use it alone."""

    def __init__(self, knowledge: Callable[[], KnowledgeBase]):
        self._knowledge = knowledge

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._knowledge().languages)

    @property
    def source_language(self) -> str:
        return self._knowledge().language

    def say(self, key: str, language: str | None = None, **values: str) -> str:
        """A message ("doors.sorry", "labels.old_button") in a language or a platform hint."""
        return self._knowledge().in_language(normalise_language(language)).say(key, **values)

    def describe(
        self, command: str, language: str | None = None, form: CommandForm = SLASH_COMMANDS
    ) -> str | None:
        """A command's one-line description in a language, the commands it names written as
        `form` writes them (Telegram's menu: "/affected Canada"); None when there is none."""
        found = find_command(command)
        if found is None:
            return None
        kb = self._knowledge().in_language(normalise_language(language))
        text = kb.messages.get("commands." + found.name)
        return write_commands(text, form) if text else None

    def menu(self, language: str | None = None) -> list[tuple[str, str]]:
        """(name, description) of every listed command, in the table's order."""
        return [(c.name, self.describe(c.name, language) or c.name) for c in listed_commands()]


class ChatService:
    def __init__(
        self,
        conversations: ConversationService,
        subscriptions: SubscriptionService,
    ):
        self.conversations = conversations
        self.subscriptions = subscriptions
        self.words = Words(lambda: conversations.answerer.kb)
        self._regions: RegionChoices | None = None
        self._regions_lock = asyncio.Lock()

    @property
    def clock(self) -> Clock:
        return self.conversations.answerer.clock

    @property
    def title(self) -> str:
        """What the bot is about, for a door's banner."""
        return self.conversations.answerer.kb.topic

    # --- in -----------------------------------------------------------------------------------

    async def message(
        self,
        chat: ChatRef,
        text: str,
        hint: str | None = None,
        *,
        private: bool = True,
        form: CommandForm = BARE_WORDS,
        question_only: bool = False,
    ) -> Reply:
        """Free text from a chat, read in this order: the answer to what the bot has just asked
        ("yes" to "delete everything?", "2" to a did-you-mean), then a bare command
        ("reminders", "checkup monthly"), then a question. Outside a private chat a bare
        command is not run: the reply names the command as the door writes it. `form`: how
        replies write commands where this chat sees them. `question_only`: the text was sent
        as a question (Discord's /optout ask), so no command word is looked for."""
        short = read_short_reply(text)
        if short is not None:
            answered = await self._answer_pending(chat, short, hint, form)
            if answered is not None:
                return answered
        if not question_only and (bare := bare_command(text)) is not None:
            name, argument = bare
            if private:
                return await self.command(chat, name, argument, hint, form)
            return await self._use_the_command(chat, f"{form.write(name)} {argument}", hint, form)
        return await self.conversations.ask(chat, text, hint)

    async def _use_the_command(
        self, chat: ChatRef, command: str, hint: str | None, form: CommandForm
    ) -> Reply:
        words = await self.subscriptions.words(chat, hint, form)
        return plain_reply(words, words.say("doors.use_command", command=command.strip()))

    async def _answer_pending(
        self, chat: ChatRef, short: ShortReply, hint: str | None, form: CommandForm
    ) -> Reply | None:
        """The reply to a short answer to the bot's own question; None when there was no
        question it answers."""
        pending = await self.conversations.pending(chat)
        if pending == FORGET and short.yes is not None:
            if short.yes:
                return await self.command(chat, "forget", "confirm", hint, form)
            words = await self.subscriptions.words(chat, hint)
            return await self.subscriptions.keep_everything(chat, words)
        if pending and pending.startswith(PICK):
            offered = pending.removeprefix(PICK).split(",")
            if short.choice is not None and short.choice <= len(offered):
                return await self.topic(chat, offered[short.choice - 1], hint)
            if short.yes is False:  # "none of these"
                return await self.command(chat, "topics", "", hint, form)
        return None

    async def command(
        self,
        chat: ChatRef,
        name: str,
        argument: str = "",
        hint: str | None = None,
        form: CommandForm = BARE_WORDS,
    ) -> Reply:
        """A command by name, with or without its slash; an unknown one gets the help answer.
        `form`: how the reply writes the commands it names."""
        command = find_command(name) or COMMAND_TABLE["help"]
        if command.owner == "subscription":
            return await self.subscriptions.handle(chat, command.name, argument, hint, form)
        return await self.conversations.command(chat, command.name, argument, hint)

    async def topic(self, chat: ChatRef, intent: str, hint: str | None = None) -> Reply | None:
        """A topic button pressed; None when this knowledge base no longer has that topic."""
        if not self.knows_topic(intent):
            return None
        return await self.conversations.topic(chat, intent, hint=hint)

    async def more(
        self, chat: ChatRef, intent: str, region: str | None = None, hint: str | None = None
    ) -> Reply | None:
        """A "More" button pressed under a short answer: the full answer for the topic and
        region the button carries; None when this knowledge base no longer has that topic."""
        if not self.knows_topic(intent):
            return None
        return await self.conversations.more(chat, intent, region, hint=hint)

    async def subscribe_confirmed(
        self,
        chat: ChatRef,
        place: str,
        confirm: Callable[[Reply], Awaitable[bool]],
        hint: str | None = None,
        form: CommandForm = BARE_WORDS,
    ) -> Reply:
        """Subscribe a chat whose reminders go elsewhere than the reply (Discord: asked in a
        server, sent by DM): `confirm` delivers the confirmation there and says whether it
        arrived; when it did not, nothing is kept and the reply says so."""
        words = await self.subscriptions.words(chat, hint, form)
        return await self.subscriptions.subscribe(chat, place, words, confirm=confirm)

    async def subscribe_for(
        self,
        chat: ChatRef,
        place: str,
        asked_by: ChatRef,
        hint: str | None = None,
        form: CommandForm = BARE_WORDS,
    ) -> Reply:
        """Subscribe another chat (a Discord channel) in the language of the one who asked,
        who is kept as its setter (told if it stops taking reminders); the reply has no
        buttons, which would act on the asker's own reminders."""
        words = await self.subscriptions.words(asked_by, hint, form)
        reply = await self.subscriptions.subscribe(chat, place, words, set_up_by=asked_by)
        # Nor the commands that change one's own reminders: they do not act on the channel.
        own = words.say("subscriptions.subscribed_how")
        return replace(
            reply, commands=(), paragraphs=tuple(p for p in reply.paragraphs if p != own)
        )

    async def chat_gone(self, chat: ChatRef) -> bool:
        """The chat blocked or removed the bot: no reminder is tried again. True when a
        subscription was stopped."""
        return await self.subscriptions.deactivate(chat)

    async def chat_moved(self, chat: ChatRef, new_chat: ChatRef) -> bool:
        """The chat has a new id on its platform (a Telegram group upgraded to a supergroup):
        what is kept for it follows. True when a subscription moved."""
        return await self.subscriptions.move(chat, new_chat)

    # --- about commands and topics --------------------------------------------------------------

    @staticmethod
    def find_command(name: str) -> Command | None:
        return find_command(name)

    def knows_topic(self, intent: str) -> bool:
        return intent in self.conversations.answerer.kb.intents

    def wants_feedback(self, reply: Reply) -> bool:
        """👍/👎 go under answers to topics, not under greetings or menus."""
        intent = self.conversations.answerer.kb.intents.get(reply.intent or "")
        return reply.kind == "answer" and intent is not None and intent.kind == "topic"

    # --- the doors' own words -------------------------------------------------------------------

    async def language_of(self, chat: ChatRef, hint: str | None = None) -> str:
        return await self.conversations.language_of(chat, hint)

    async def say(self, chat: ChatRef, key: str, hint: str | None = None) -> str:
        """One of the bot's own messages in the language this chat is answered in."""
        return self.words.say(key, await self.language_of(chat, hint))

    async def suggest_regions(self, typed: str) -> list[RegionChoice]:
        """Regions matching what was typed so far, best first (built once, in a thread: it
        reads every name the core knows)."""
        async with self._regions_lock:
            if self._regions is None:
                self._regions = await asyncio.to_thread(RegionChoices, self.conversations.answerer)
        return self._regions.choices(typed)


def bare_command(text: str) -> tuple[str, str] | None:
    """ "checkup monthly" -> ("checkup", "monthly"); None for anything that is not one."""
    match = _BARE.match(text)
    if match is None:
        return None
    command, argument = COMMAND_TABLE[match[1].lower()], match[2].strip()
    if argument and command.owner == "conversation" and not command.usage:
        return None
    return command.name, argument
