"""The command table: every command the bot offers, once. Each door's menu, help and command
handlers come from it, and ChatService routes a command by it.

A command's description is the knowledge base's "commands.<name>" message, in each language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Owner = Literal["conversation", "subscription"]


@dataclass(frozen=True)
class Command:
    name: str
    owner: Owner  # which service answers it
    usage: str = ""  # the argument, as help shows it ("COUNTRY"); "" for none
    admins_in_groups: bool = False  # it changes what the bot keeps for a group: admins only
    listed: bool = True  # in menus and help (/start is handled, as usual, but not listed)
    discord: str | None = None  # its /optout subcommand when the name differs; "" for none

    @property
    def discord_name(self) -> str | None:
        """The /optout subcommand that offers this command on Discord, or None."""
        if self.discord == "":
            return None
        return self.discord or self.name


COMMANDS: tuple[Command, ...] = (
    Command("start", "conversation", "COUNTRY", listed=False, discord=""),
    Command("help", "conversation"),
    Command("affected", "conversation", "COUNTRY"),
    Command("optout", "conversation", discord="steps"),
    Command("object", "conversation"),
    Command("deadline", "conversation"),
    Command("sources", "conversation"),
    Command("topics", "conversation"),
    Command("more", "conversation"),
    Command("subscribe", "subscription", "COUNTRY", admins_in_groups=True),
    Command("unsubscribe", "subscription", admins_in_groups=True),
    Command("reminders", "subscription"),
    Command("checkup", "subscription", "monthly|quarterly|off", admins_in_groups=True),
    Command("timezone", "subscription", "ZONE-OR-CITY", admins_in_groups=True),
    Command("language", "subscription", "en|de|fr|nl|it|es|pl|auto", admins_in_groups=True),
    Command("privacy", "subscription"),
    Command("forget", "subscription", admins_in_groups=True),
)
COMMAND_TABLE: dict[str, Command] = {command.name: command for command in COMMANDS}
# Other names a command answers to: Discord's /optout steps is /optout elsewhere.
ALIASES: dict[str, str] = {command.discord: command.name for command in COMMANDS if command.discord}


def find_command(name: str) -> Command | None:
    """The command for a typed name ("/Subscribe", "steps"), or None."""
    name = name.lower().lstrip("/")
    return COMMAND_TABLE.get(ALIASES.get(name, name))


def listed_commands() -> tuple[Command, ...]:
    """The commands menus and help show, in the table's order."""
    return tuple(command for command in COMMANDS if command.listed)


def commands_of(owner: Owner) -> tuple[str, ...]:
    return tuple(command.name for command in COMMANDS if command.owner == owner)
