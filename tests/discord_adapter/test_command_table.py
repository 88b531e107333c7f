"""The /optout subcommands are the command table's, plus the two only Discord has."""

from __future__ import annotations

from bot.discord.cog import OptOutCog
from bot.service.commands import COMMANDS

DISCORD_ONLY = {"ask", "channel-reminders"}


def test_the_subcommands_are_the_command_tables():
    offered = {command.name for command in OptOutCog.__cog_app_commands__}
    from_table = {c.discord_name for c in COMMANDS if c.discord_name is not None}
    assert offered - DISCORD_ONLY == from_table
