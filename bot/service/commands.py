"""The command table: every command the bot offers, once. Each door's menu, help and command
handlers come from it, and ChatService routes a command by it.

A command's description is the knowledge base's "commands.<name>" message, in each language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from bot.core.knowledge import KnowledgeBase

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


@dataclass(frozen=True)
class CommandForm:
    """How commands are written where a reply is shown, so that every instruction a reply gives
    works there: "timezone Toronto" typed in the terminal, "/timezone Toronto" in a Telegram
    chat (a tappable command), "/timezone@optout_bot" in a Telegram group (in privacy mode the
    bot hears only commands addressed to it), "/optout timezone" on Discord."""

    prefix: str = ""
    mention: str = ""  # "@optout_bot" after the name
    discord: bool = False  # the names are Discord's /optout subcommands
    # Short answers typed as text ("yes" to "delete everything?") reach the bot here; where
    # they do not (Discord's slash commands), a reply points at its buttons instead.
    typed_answers: bool = True

    def write(self, name: str) -> str:
        """The command as the user types it here: "/optout timezone"."""
        command = COMMAND_TABLE[name]
        word = (command.discord_name or command.name) if self.discord else command.name
        return f"{self.prefix}{word}{self.mention}"

    def placeholders(self) -> dict[str, str]:
        """Every command written this way, for the "{cmd_<name>}" placeholders of the bot's
        messages (knowledge/messages.yaml)."""
        return {f"cmd_{command.name}": self.write(command.name) for command in COMMANDS}


# The terminal, and wherever a typed command word is read: "timezone Toronto".
BARE_WORDS = CommandForm()
# Menus (Telegram's command menu) and private Telegram chats: "/timezone", tappable there.
SLASH_COMMANDS = CommandForm(prefix="/")
# A command in the bot's messages ("{cmd_timezone} <zone or city>"), written for the door.
_COMMAND_PLACEHOLDER = re.compile(r"\{(cmd_[a-z]+)\}")


def write_commands(text: str, form: CommandForm) -> str:
    """A message with every "{cmd_<name>}" in it written as `form` writes that command; its
    other placeholders are left for the message's own values."""
    names = form.placeholders()
    return _COMMAND_PLACEHOLDER.sub(lambda m: names.get(m[1], m[0]), text)


def find_command(name: str) -> Command | None:
    """The command for a typed name ("/Subscribe", "steps"), or None."""
    name = name.lower().lstrip("/")
    return COMMAND_TABLE.get(ALIASES.get(name, name))


def listed_commands() -> tuple[Command, ...]:
    """The commands menus and help show, in the table's order."""
    return tuple(command for command in COMMANDS if command.listed)


def commands_written(kb: KnowledgeBase, form: CommandForm) -> KnowledgeBase:
    """The knowledge base with every command its messages name written as `form` writes it,
    so that each instruction in a reply works where the reply is shown."""
    key = ("commands_written", form)
    written = kb.memo.get(key)
    if written is None:  # about 3 ms: once per language and form, not per reply
        messages = {name: write_commands(text, form) for name, text in kb.messages.items()}
        written = kb.memo[key] = replace(kb, messages=messages)
    return written
