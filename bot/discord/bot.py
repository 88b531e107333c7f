"""OptOutBot: a discord.py Bot that holds the chat service. setup_hook adds the /optout group and the
persistent buttons, and syncs the commands only when they changed since the last sync."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import discord
from discord.ext import commands

from bot.discord.cog import OptOutCog, OptOutTree
from bot.discord.dm import answer_direct_message
from bot.discord.notifier import RateLimitCounter
from bot.discord.settings import DiscordSettings
from bot.discord.translator import CommandTranslator
from bot.discord.views import PERSISTENT_BUTTONS
from bot.service.chat import ChatService, Words

log = logging.getLogger(__name__)

SYNC_FILE = "discord-commands.json"
# A 429 asking for a longer wait than this raises discord.RateLimited instead of waiting.
MAX_RATELIMIT_WAIT = 60.0


def bot_intents() -> discord.Intents:
    """Servers (channels and permissions) and DMs; no privileged intent, no guild messages:
    in servers the bot only answers slash commands."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    return intents


class CommandSync:
    """The hash of the command set last synced, per application and scope, in a small file."""

    def __init__(self, path: Path):
        self.path = path

    def last(self, scope: str) -> str | None:
        return self._read().get(scope)

    def record(self, scope: str, digest: str) -> None:
        hashes = self._read() | {scope: digest}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n")
        os.replace(temporary, self.path)

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return (
            {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
        )


class OptOutBot(commands.Bot):
    def __init__(
        self,
        service: ChatService | None,
        settings: DiscordSettings,
        *,
        words: Words | None = None,
        sync_on_start: bool = True,
    ):
        """service is None only for `optout-bot discord sync`, which answers nothing and is
        given the bot's words alone."""
        if service is None and words is None:
            raise ValueError("OptOutBot needs a chat service, or words for a command sync")
        self.service = service
        self.words: Words = service.words if service is not None else words  # type: ignore[assignment]
        self.settings = settings
        self.sync_on_start = sync_on_start
        self.rate_limits = RateLimitCounter()
        self.command_sync = CommandSync(settings.data_dir / SYNC_FILE)
        self.cog: OptOutCog | None = None
        # The bot has no voice: discord.py's warnings about voice packages are noise.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: no prefix commands
            help_command=None,
            intents=bot_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=OptOutTree,
            http_trace=self.rate_limits.trace,
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
        )

    async def setup_hook(self) -> None:
        self.cog = OptOutCog(self.service)
        await self.add_cog(self.cog)
        await self.tree.set_translator(CommandTranslator(self.words))
        if self.sync_guild is not None:
            self.tree.copy_global_to(guild=self.sync_guild)
        # Every button that asks the bot something, on any message sent before this start.
        self.add_dynamic_items(*PERSISTENT_BUTTONS)
        if self.sync_on_start:
            try:
                await self.sync_commands()
            except discord.HTTPException as exc:  # answering still works with the old commands
                log.warning("discord command sync failed error=%s", type(exc).__name__)

    # --- command sync ------------------------------------------------------------------------

    @property
    def sync_guild(self) -> discord.Object | None:
        """The development server the commands go to, or None for global commands."""
        guild_id = self.settings.guild_id
        return discord.Object(id=guild_id) if guild_id is not None else None

    async def command_payload(self) -> list[dict[str, Any]]:
        """What a sync would send: each command's JSON with its translations, in name order."""
        commands_ = self.tree.get_commands(guild=self.sync_guild)
        translator = self.tree.translator
        payload = [
            await c.get_translated_payload(self.tree, translator)
            if translator is not None
            else c.to_dict(self.tree)
            for c in commands_
        ]
        return sorted(payload, key=lambda c: c["name"])

    async def command_hash(self) -> str:
        text = json.dumps(await self.command_payload(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def sync_scope(self) -> str:
        where = "global" if self.settings.guild_id is None else f"guild:{self.settings.guild_id}"
        return f"{self.application_id}:{where}"

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Register the commands with Discord when they changed since the last sync (or when
        forced); True when they were sent."""
        scope, digest = self.sync_scope(), await self.command_hash()
        if not force and self.command_sync.last(scope) == digest:
            log.info("discord commands unchanged since the last sync: not synced")
            return False
        synced = await self.tree.sync(guild=self.sync_guild)
        self.command_sync.record(scope, digest)
        log.info("discord commands synced scope=%s commands=%d", scope, len(synced))
        return True

    # --- events ------------------------------------------------------------------------------

    async def on_ready(self) -> None:
        log.info(
            "discord ready user_id=%s guilds=%d",
            self.user.id if self.user else None,
            len(self.guilds),
        )

    async def on_message(self, message: discord.Message) -> None:
        # Not process_commands: there are no prefix commands, only DMs in free text.
        if self.service is not None:
            await answer_direct_message(self.service, message)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """The default logs the whole traceback, whose message may hold user text."""
        error = sys.exc_info()[1]
        log.error("discord event failed event=%s error=%s", event_method, type(error).__name__)

    async def warm_up(self) -> None:
        """Build the region suggestions now rather than at the first keystroke."""
        if self.service is not None:
            await self.service.suggest_regions("")
