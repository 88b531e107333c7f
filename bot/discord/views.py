"""Answering on Discord: a Reply sent on an interaction or into a channel, with its buttons.

The buttons that ask the bot something are DynamicItems: discord.py matches a pressed button's
custom_id against their templates, so a button keeps working on any message, in a server or a
DM, after any restart, once OptOutBot.setup_hook has registered these classes.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.core.reply import Reply
from bot.discord.chats import DISCORD_COMMANDS, user_chat
from bot.discord.render import (
    COMMAND_TEMPLATE,
    MORE_TEMPLATE,
    OLD_TEMPLATE,
    TOPIC_TEMPLATE,
    ButtonSpec,
    command_custom_id,
    more_custom_id,
    render_reply,
    topic_custom_id,
)
from bot.service.chat import ChatService
from bot.service.log_ids import log_tag

log = logging.getLogger(__name__)

# Discord wants a first response to an interaction within 3 seconds of its creation. Work that
# may touch the store or the database is deferred at once (`slow`); any other answer is deferred
# too if it is not ready this long after the interaction was created (sessions kept in
# PostgreSQL, a busy event loop), so that it is never lost to the deadline.
DEFER_AFTER = 1.5
DEADLINE = 3.0

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "danger": discord.ButtonStyle.danger,
}


def locale(interaction: discord.Interaction) -> str | None:
    """Discord's hint at the user's language: their client's locale ("de", "es-ES")."""
    value = getattr(interaction, "locale", None)
    return str(value) if value is not None else None


def door_text(interaction: discord.Interaction, key: str, **values: str) -> str:
    """One of the doors' own messages in the client's language (no storage: safe in errors)."""
    return service_of(interaction).words.say("doors." + key, locale(interaction), **values)


async def old_button_text(interaction: discord.Interaction) -> str:
    """The older-button notice in the presser's language."""
    chat = user_chat(interaction.user.id)
    return await service_of(interaction).say(chat, "labels.old_button", locale(interaction))


def service_of(interaction: discord.Interaction) -> ChatService:
    service = getattr(interaction.client, "service", None)
    if service is None:
        raise RuntimeError("this client was built without a chat service (command sync only)")
    return service


def private_here(interaction: discord.Interaction) -> bool:
    """Answers in a server are ephemeral unless shared; in a DM they are ordinary messages,
    so their buttons stay."""
    return interaction.guild_id is not None


# --- sending -----------------------------------------------------------------------------------


async def answer(
    interaction: discord.Interaction,
    work: Callable[[], Awaitable[Reply]],
    *,
    ephemeral: bool,
    slow: bool = False,
    note: str | None = None,
) -> None:
    """Run `work` and send its reply. `slow` work (the store) is deferred first: Discord wants a
    first response within 3 seconds, and a deferral buys 15 minutes for the follow-up. Other work
    is answered directly, or deferred once it has taken DEFER_AFTER seconds."""
    if slow:
        await defer(interaction, ephemeral=ephemeral)
    task = asyncio.ensure_future(work())
    if not interaction.response.is_done():
        done, _ = await asyncio.wait({task}, timeout=defer_after(interaction))
        if not done:
            await defer(interaction, ephemeral=ephemeral)
    reply = await task
    await send_reply(interaction, reply, ephemeral=ephemeral, note=note)


def defer_after(interaction: discord.Interaction) -> float:
    """Seconds left before the answer must be deferred: DEFER_AFTER from the interaction's
    creation (its snowflake), so the time it waited for a busy event loop counts. When that age
    is not within Discord's 3 seconds (the clocks disagree, or it is too late either way), from
    now."""
    waited = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    if 0 <= waited < DEADLINE:
        return max(0.0, DEFER_AFTER - waited)
    return DEFER_AFTER


async def defer(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """ "Thinking…" now: Discord wants a first response within 3 seconds, and a deferral buys
    15 minutes for the follow-up."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)


async def send_reply(
    interaction: discord.Interaction,
    reply: Reply,
    *,
    ephemeral: bool,
    note: str | None = None,
) -> None:
    """The reply as the interaction's response, or as follow-ups once it has one (a deferral,
    or the first part of a long reply)."""
    messages = render_reply(reply, note=note)
    for message in messages:
        options: dict[str, Any] = {"embeds": list(message.embeds), "ephemeral": ephemeral}
        view = view_for(message.buttons)
        if view is not None:
            options["view"] = view
        if interaction.response.is_done():
            await interaction.followup.send(**options)
        else:
            await interaction.response.send_message(**options)
    log.info(
        "discord reply in_server=%s kind=%s intent=%s region=%s messages=%d ephemeral=%s",
        interaction.guild_id is not None,
        reply.kind,
        reply.intent,
        reply.region,
        len(messages),
        ephemeral,
    )


async def send_direct(user: discord.abc.User, reply: Reply) -> bool | None:
    """The reply as a direct message to `user`: True when Discord took it, False when it
    refused for good (50007: their DMs from this server are closed, or they blocked the bot),
    None when it could not be told (a network or server error)."""
    try:
        for message in render_reply(reply):
            options: dict[str, Any] = {"embeds": list(message.embeds)}
            view = view_for(message.buttons)
            if view is not None:
                options["view"] = view
            await user.send(**options)
    except (discord.Forbidden, discord.NotFound) as error:
        log.info("discord dm refused user=%s code=%s", log_tag(user.id), error.code)
        return False
    except discord.HTTPException as error:
        log.warning("discord dm not sent user=%s status=%s", log_tag(user.id), error.status)
        return None
    log.info("discord dm sent user=%s", log_tag(user.id))
    return True


async def send_text(interaction: discord.Interaction, text: str) -> None:
    """A short ephemeral notice (an error, an old button); never holds user text."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


def view_for(buttons: Sequence[ButtonSpec]) -> discord.ui.View | None:
    """A view that never times out: link buttons, and DynamicItems for the rest."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for spec in buttons:
        view.add_item(_item(spec))
    return view


def _item(spec: ButtonSpec) -> discord.ui.Item[discord.ui.View]:
    if spec.url is not None:
        return discord.ui.Button(label=spec.label, url=spec.url, style=discord.ButtonStyle.link)
    custom_id = spec.custom_id or ""
    style = _STYLES[spec.style]
    if match := re.fullmatch(TOPIC_TEMPLATE, custom_id):
        return TopicButton(match["intent"], spec.label, style)
    if match := re.fullmatch(COMMAND_TEMPLATE, custom_id):
        return CommandButton(match["command"], spec.label, style)
    if match := re.fullmatch(MORE_TEMPLATE, custom_id):
        return MoreButton(match["intent"], _region(match["region"]), spec.label, style)
    raise ValueError("a button without a known custom_id")


# --- buttons -----------------------------------------------------------------------------------


def _base(item: discord.ui.Item[Any]) -> tuple[str, discord.ButtonStyle]:
    """The label and style of the pressed button, as the message shows them."""
    label = getattr(item, "label", None) or "…"
    style = getattr(item, "style", discord.ButtonStyle.secondary)
    return label, style


class TopicButton(discord.ui.DynamicItem[discord.ui.Button], template=TOPIC_TEMPLATE):
    """A follow-up or "did you mean" topic: answers that topic."""

    def __init__(
        self,
        intent: str,
        label: str = "…",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    ):
        custom_id = topic_custom_id(intent)
        if custom_id is None:
            raise ValueError("not a topic id")
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.intent = intent

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> TopicButton:
        return cls(match["intent"], *_base(item))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _guarded(interaction, "topic", self._press)

    async def _press(self, interaction: discord.Interaction) -> None:
        service = service_of(interaction)
        if not service.knows_topic(self.intent):
            await send_text(interaction, await old_button_text(interaction))
            return
        reply = await service.topic(
            user_chat(interaction.user.id), self.intent, locale(interaction)
        )
        if reply is None:
            await send_text(interaction, await old_button_text(interaction))
            return
        await send_reply(interaction, reply, ephemeral=private_here(interaction))


class CommandButton(discord.ui.DynamicItem[discord.ui.Button], template=COMMAND_TEMPLATE):
    """A bot command ("checkup monthly", "forget confirm", "topics") for the presser."""

    def __init__(
        self,
        command: str,
        label: str = "…",
        style: discord.ButtonStyle = discord.ButtonStyle.primary,
    ):
        custom_id = command_custom_id(command)
        if custom_id is None:
            raise ValueError("not a button command")
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.command = command

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CommandButton:
        return cls(match["command"], *_base(item))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _guarded(interaction, "command", self._press)

    async def _press(self, interaction: discord.Interaction) -> None:
        service = service_of(interaction)
        chat = user_chat(interaction.user.id)
        name, _, argument = self.command.partition(" ")
        command = service.find_command(name)
        await answer(
            interaction,
            lambda: service.command(chat, name, argument, locale(interaction), DISCORD_COMMANDS),
            ephemeral=private_here(interaction),
            # Commands that touch the store are deferred first (Discord's 3-second window).
            slow=command is not None and command.owner == "subscription",
        )


def _region(argument: str) -> str | None:
    return None if argument == "-" else argument


class MoreButton(discord.ui.DynamicItem[discord.ui.Button], template=MORE_TEMPLATE):
    """ "More" under a short answer: the full answer for the topic and region it carries, so it
    works on any message after any restart."""

    def __init__(
        self,
        intent: str,
        region: str | None = None,
        label: str = "…",
        style: discord.ButtonStyle = discord.ButtonStyle.primary,
    ):
        custom_id = more_custom_id(intent, region)
        if custom_id is None:
            raise ValueError("not a topic and region")
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.intent = intent
        self.region = region

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoreButton:
        return cls(match["intent"], _region(match["region"]), *_base(item))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _guarded(interaction, "more", self._press)

    async def _press(self, interaction: discord.Interaction) -> None:
        service = service_of(interaction)
        chat = user_chat(interaction.user.id)
        reply = await service.more(chat, self.intent, self.region, locale(interaction))
        if reply is None:
            await send_text(interaction, await old_button_text(interaction))
            return
        await send_reply(interaction, reply, ephemeral=private_here(interaction))


class OldButton(discord.ui.DynamicItem[discord.ui.Button], template=OLD_TEMPLATE):
    """Any other "optout:" button: from another version of the bot."""

    def __init__(self, custom_id: str):
        super().__init__(discord.ui.Button(label="…", custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> OldButton:
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction) -> None:
        log.info("discord old button")
        await send_text(interaction, await old_button_text(interaction))


PERSISTENT_BUTTONS = (TopicButton, CommandButton, MoreButton, OldButton)


async def _guarded(
    interaction: discord.Interaction,
    action: str,
    press: Callable[[discord.Interaction], Awaitable[None]],
) -> None:
    """discord.py would log the whole exception, whose message may hold user text: log its type
    and where, and apologise."""
    log.info("discord button action=%s", action)
    try:
        await press(interaction)
    except Exception as error:
        log.error("discord button failed action=%s error=%s", action, type(error).__name__)
        try:
            await send_text(interaction, door_text(interaction, "sorry"))
        except discord.HTTPException as exc:
            log.info("discord apology not sent error=%s", type(exc).__name__)
