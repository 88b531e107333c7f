"""Routing each reminder to the notifier of its chat platform."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.chats import ChatRef
from bot.core.knowledge import KnowledgeBase
from bot.core.reminders import Subscription
from bot.service.commands import BARE_WORDS, CommandForm
from bot.service.dispatcher import GoneHook, Notifier
from bot.service.errors import TransientFailure


class NoPlatformConfigured(RuntimeError):
    """No chat-platform token is set, so no reminder can be delivered from this process."""


class RoutingNotifier:
    """Sends each reminder through its platform's notifier."""

    def __init__(self, notifiers: Mapping[str, Notifier]):
        self.notifiers = dict(notifiers)

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(self.notifiers)

    @property
    def sender_keys(self) -> dict[str, str]:
        """Each platform's account, for the notifiers that name one (one sender at a time)."""
        return {
            platform: key
            for notifier in self.notifiers.values()
            for platform, key in (getattr(notifier, "sender_keys", None) or {}).items()
        }

    async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders") -> None:
        notifier = self.notifiers.get(chat.platform)
        if notifier is None:
            # Another process (with that platform's token) delivers it; retry later.
            raise TransientFailure(None)
        await notifier.send(chat, text, stop_label)

    def command_form(self, chat: ChatRef) -> CommandForm:
        """How the chat's platform writes commands, from its notifier."""
        form = getattr(self.notifiers.get(chat.platform), "command_form", None)
        return form(chat) if form is not None else BARE_WORDS

    async def on_gone(self, subscription: Subscription, words: KnowledgeBase) -> None:
        """Passed on to the platform's notifier, when it has an on_gone."""
        notifier = self.notifiers.get(subscription.platform)
        on_gone: GoneHook | None = getattr(notifier, "on_gone", None)
        if on_gone is not None:
            await on_gone(subscription, words)
