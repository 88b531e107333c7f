"""Discord settings, checked once at start-up with one-line errors (read from the environment by
bot.settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.paths import DEFAULT_DATA_DIR

# A bot token is three base64url parts joined by dots; the check never echoes the value.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")
SNOWFLAKE = re.compile(r"^[0-9]{15,21}$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line and never holds a secret."""


@dataclass(frozen=True)
class DiscordSettings:
    token: str
    # Commands go to this server only: instant updates while developing.
    guild_id: int | None = None
    data_dir: Path = Path(DEFAULT_DATA_DIR)

    def __post_init__(self) -> None:
        if not self.token:
            raise SettingsError(
                "DISCORD_BOT_TOKEN is not set: copy the token from the Bot page of your "
                "application in the Discord Developer Portal"
            )
        if self.token.lower().startswith("bot "):
            raise SettingsError("DISCORD_BOT_TOKEN must be the token alone, without 'Bot '")
        if not _TOKEN.match(self.token):
            raise SettingsError(
                "DISCORD_BOT_TOKEN does not look like a bot token "
                "(three parts of letters, digits, - or _ joined by dots)"
            )
        if self.guild_id is not None and not SNOWFLAKE.match(str(self.guild_id)):
            raise SettingsError("DISCORD_GUILD_ID must be a server id (15-21 digits)")

    def __repr__(self) -> str:
        return (
            f"DiscordSettings(token='***', guild_id={self.guild_id!r}, "
            f"data_dir={str(self.data_dir)!r})"
        )

    __str__ = __repr__
