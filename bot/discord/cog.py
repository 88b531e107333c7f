"""/optout: every slash command, in one group. Callbacks only translate an interaction into a
ChatService call and the Reply into embeds; they decide nothing. The subcommands are those of
the command table (bot.service.commands) that name a Discord subcommand, plus /optout ask and
/optout channel-reminders, which only Discord has; a test keeps the two in step.

Answers are ephemeral in servers unless `share` is set; in a DM with the bot they are ordinary
messages. Work that touches the store is deferred first (Discord's 3-second window).
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.reminders import CADENCES
from bot.core.reply import Reply
from bot.discord.chats import DISCORD_COMMANDS, channel_chat, user_chat
from bot.discord.views import (
    answer,
    defer,
    door_text,
    locale,
    private_here,
    send_direct,
    send_reply,
    send_text,
)
from bot.service.chat import ChatService
from bot.service.log_ids import log_tag
from bot.service.region_choices import STOP_VALUE

log = logging.getLogger(__name__)

SHARE = "Post the answer in this channel for everyone (otherwise only you see it)"
REGION = "A country or group: start typing, for example Germany, UK, EU"
# Each language named in itself, as language pickers do; "auto" follows what the user writes in.
LANGUAGE_CHOICES = {
    "auto": "Automatic",
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "nl": "Nederlands",
    "it": "Italiano",
    "es": "Español",
    "pl": "Polski",
}
STOP_CHOICE = app_commands.Choice(name="Stop reminders in this channel", value=STOP_VALUE)


@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
@app_commands.allowed_installs(guilds=True, users=False)
class OptOutCog(
    commands.GroupCog,
    group_name="optout",
    group_description="LinkedIn's AI training: am I affected, how to opt out, reminders",
):
    def __init__(self, service: ChatService | None):
        # None only for `optout-bot discord sync`, which publishes commands and answers nothing.
        self.service = service
        super().__init__()

    @property
    def _service(self) -> ChatService:
        if self.service is None:
            raise RuntimeError("built without a chat service: command sync only")
        return self.service

    # --- questions -----------------------------------------------------------------------------

    @app_commands.command(description="Ask about LinkedIn's AI training in your own words")
    @app_commands.describe(question="For example: how do I opt out?", share=SHARE)
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 500],
        share: bool = False,
    ) -> None:
        chat = user_chat(interaction.user.id)
        await answer(
            interaction,
            lambda: self._service.message(
                chat,
                question,
                locale(interaction),
                private=False,
                form=DISCORD_COMMANDS,
                question_only=True,
            ),
            ephemeral=private_here(interaction) and not share,
        )

    @app_commands.command(description="Am I affected? Pick your country or group")
    @app_commands.describe(country=REGION, share=SHARE)
    async def affected(
        self,
        interaction: discord.Interaction,
        country: app_commands.Range[str, 1, 100],
        share: bool = False,
    ) -> None:
        chat = user_chat(interaction.user.id)
        # The value is whatever the user sent, suggestion or not: the core resolves it again.
        await answer(
            interaction,
            lambda: self._service.command(
                chat, "affected", country, locale(interaction), DISCORD_COMMANDS
            ),
            ephemeral=private_here(interaction) and not share,
        )

    @app_commands.command(name="help", description="What this bot can do")
    @app_commands.describe(share=SHARE)
    async def help_(self, interaction: discord.Interaction, share: bool = False) -> None:
        await self._question_command(interaction, "help", share)

    @app_commands.command(description="The topics I can answer")
    @app_commands.describe(share=SHARE)
    async def topics(self, interaction: discord.Interaction, share: bool = False) -> None:
        await self._question_command(interaction, "topics", share)

    @app_commands.command(description="How to turn off AI training on LinkedIn, step by step")
    @app_commands.describe(share=SHARE)
    async def steps(self, interaction: discord.Interaction, share: bool = False) -> None:
        await self._question_command(interaction, "steps", share)

    @app_commands.command(name="object", description="The Data Processing Objection form")
    @app_commands.describe(share=SHARE)
    async def objection(self, interaction: discord.Interaction, share: bool = False) -> None:
        await self._question_command(interaction, "object", share)

    @app_commands.command(description="The deadline, and whether it is too late")
    @app_commands.describe(share=SHARE)
    async def deadline(self, interaction: discord.Interaction, share: bool = False) -> None:
        await self._question_command(interaction, "deadline", share)

    @app_commands.command(description="The sources behind the answers")
    @app_commands.describe(share=SHARE)
    async def sources(self, interaction: discord.Interaction, share: bool = False) -> None:
        await self._question_command(interaction, "sources", share)

    @app_commands.command(description="The full answer to your last question")
    @app_commands.describe(share=SHARE)
    async def more(self, interaction: discord.Interaction, share: bool = False) -> None:
        await self._question_command(interaction, "more", share)

    async def _question_command(
        self, interaction: discord.Interaction, name: str, share: bool
    ) -> None:
        chat = user_chat(interaction.user.id)
        await answer(
            interaction,
            lambda: self._service.command(chat, name, "", locale(interaction), DISCORD_COMMANDS),
            ephemeral=private_here(interaction) and not share,
        )

    # --- reminders by DM -----------------------------------------------------------------------

    @app_commands.command(description="Reminders by direct message before dates for your region")
    @app_commands.describe(region=REGION)
    async def subscribe(
        self, interaction: discord.Interaction, region: app_commands.Range[str, 1, 100]
    ) -> None:
        if interaction.guild_id is None:  # in the bot's DM: the answer is where reminders go
            await self._reminder_command(interaction, "subscribe", region)
            return
        # Asked in a server, reminders go by DM: the confirmation goes there first, so a closed
        # DM is found now rather than by the first reminder.
        delivered: list[bool | None] = []

        async def confirm(reply: Reply) -> bool:
            delivered.append(await send_direct(interaction.user, reply))
            return delivered[-1] is not False

        chat = user_chat(interaction.user.id)
        hint = locale(interaction)
        await defer(interaction, ephemeral=True)
        reply = await self._service.subscribe_confirmed(
            chat, region, confirm, hint, DISCORD_COMMANDS
        )
        note = None
        if delivered == [True]:
            note = door_text(interaction, "dm_sent")
        elif delivered == [None]:
            note = door_text(interaction, "dm_note")
        elif delivered == [False]:
            note = door_text(interaction, "dm_closed", command=DISCORD_COMMANDS.write("subscribe"))
        log.info("discord subscribe dm=%s", delivered or None)
        await send_reply(interaction, reply, ephemeral=True, note=note)

    @app_commands.command(description="Stop your reminders and delete your subscription")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        await self._reminder_command(interaction, "unsubscribe")

    @app_commands.command(description="Your next reminders")
    async def reminders(self, interaction: discord.Interaction) -> None:
        await self._reminder_command(interaction, "reminders")

    @app_commands.command(description="A monthly or quarterly reminder to check your settings")
    @app_commands.describe(cadence="How often; leave empty to see your choice")
    @app_commands.choices(
        cadence=[app_commands.Choice(name=c.capitalize(), value=c) for c in CADENCES]
    )
    async def checkup(self, interaction: discord.Interaction, cadence: str | None = None) -> None:
        await self._reminder_command(interaction, "checkup", cadence or "")

    @app_commands.command(description="The time zone of your reminders")
    @app_commands.describe(zone="A zone such as Europe/Berlin or a city; empty to see yours")
    async def timezone(
        self,
        interaction: discord.Interaction,
        zone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        await self._reminder_command(interaction, "timezone", zone or "")

    @app_commands.command(description="The language I answer and remind you in")
    @app_commands.describe(language="Leave empty to see the choices")
    @app_commands.choices(
        language=[
            app_commands.Choice(name=name, value=code) for code, name in LANGUAGE_CHOICES.items()
        ]
    )
    async def language(self, interaction: discord.Interaction, language: str | None = None) -> None:
        await self._reminder_command(interaction, "language", language or "")

    @app_commands.command(description="What the bot keeps about you")
    @app_commands.describe(share=SHARE)
    async def privacy(self, interaction: discord.Interaction, share: bool = False) -> None:
        await answer(
            interaction,
            lambda: self._service.command(
                user_chat(interaction.user.id), "privacy", "", locale(interaction), DISCORD_COMMANDS
            ),
            ephemeral=private_here(interaction) and not share,
        )

    @app_commands.command(description="Delete everything the bot keeps about you")
    async def forget(self, interaction: discord.Interaction) -> None:
        # The reply asks for confirmation with a button ("forget confirm").
        await self._reminder_command(interaction, "forget")

    async def _reminder_command(
        self,
        interaction: discord.Interaction,
        name: str,
        argument: str = "",
        *,
        note: str | None = None,
    ) -> None:
        chat = user_chat(interaction.user.id)
        await answer(
            interaction,
            lambda: self._service.command(
                chat, name, argument, locale(interaction), DISCORD_COMMANDS
            ),
            ephemeral=private_here(interaction),
            slow=True,
            note=note,
        )

    # --- reminders in a channel ----------------------------------------------------------------

    @app_commands.command(
        name="channel-reminders",
        description="Reminders in this channel for a region (members with Manage Server)",
    )
    @app_commands.describe(region=REGION + "; or stop them")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def channel_reminders(
        self, interaction: discord.Interaction, region: app_commands.Range[str, 1, 100]
    ) -> None:
        channel_id = interaction.channel_id
        if interaction.guild_id is None or channel_id is None:
            await send_text(interaction, door_text(interaction, "server_only"))
            return
        chat = channel_chat(channel_id)
        service = self._service
        hint = locale(interaction)
        if region.strip().lower() in (STOP_VALUE, "stop"):
            log.info("discord channel reminders stop channel=%s", log_tag(channel_id))
            await answer(
                interaction,
                lambda: service.command(chat, "unsubscribe", "", hint, DISCORD_COMMANDS),
                ephemeral=True,
                slow=True,
            )
            return
        if not can_post(interaction):
            log.info(
                "discord channel reminders refused channel=%s: cannot post", log_tag(channel_id)
            )
            await send_text(interaction, door_text(interaction, "cannot_post"))
            return

        asker = user_chat(interaction.user.id)
        log.info(
            "discord channel reminders channel=%s guild=%s",
            log_tag(channel_id),
            log_tag(interaction.guild_id),
        )
        await answer(
            interaction,
            lambda: service.subscribe_for(chat, region, asker, hint, DISCORD_COMMANDS),
            ephemeral=True,
            slow=True,
        )

    # --- suggestions ---------------------------------------------------------------------------

    @affected.autocomplete("country")
    @subscribe.autocomplete("region")
    async def region_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        found = await self._service.suggest_regions(current)
        return [app_commands.Choice(name=c.name, value=c.value) for c in found]

    @channel_reminders.autocomplete("region")
    async def channel_region_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        suggested = await self._service.suggest_regions(current)
        found = [app_commands.Choice(name=c.name, value=c.value) for c in suggested]
        if not current.strip() or STOP_VALUE.startswith(current.strip().lower()):
            found = [STOP_CHOICE, *found]
        return found[:25]


def can_post(interaction: discord.Interaction) -> bool:
    """Whether the bot may post in the interaction's channel (overwrites included)."""
    permissions = interaction.app_permissions
    in_thread = isinstance(interaction.channel, discord.Thread)
    may_send = permissions.send_messages_in_threads if in_thread else permissions.send_messages
    return permissions.view_channel and may_send


class OptOutTree(app_commands.CommandTree):
    """Errors answered politely and logged by type: an exception's message may hold user text."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        command = interaction.command.qualified_name if interaction.command else None
        log.warning("discord command failed command=%s error=%s", command, type(cause).__name__)
        if interaction.type is discord.InteractionType.autocomplete:
            return  # nothing to say: the user sees no suggestions
        try:
            await send_text(interaction, polite_error(interaction, error))
        except discord.HTTPException as exc:
            log.info("discord error answer not sent error=%s", type(exc).__name__)


def polite_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> str:
    """What to tell the user, in their client's language."""
    return door_text(interaction, _error_key(interaction, error))


def _error_key(interaction: discord.Interaction, error: app_commands.AppCommandError) -> str:
    if isinstance(error, app_commands.MissingPermissions):
        return "server_only" if interaction.guild_id is None else "need_manage_server"
    if isinstance(error, app_commands.NoPrivateMessage):
        return "server_only"
    if isinstance(error, app_commands.TransformerError):
        return "bad_value"
    if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
        return "commands_changed"
    if isinstance(error, app_commands.CheckFailure):
        return "not_allowed"
    return "sorry"
