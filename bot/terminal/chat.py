"""A chat in the terminal over the core and the reminder service: the door that needs no token.

One local user ("terminal", "local"). Reminders arrive in the same terminal while the chat runs;
/advance moves the bot's clock forward to see them without waiting days.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import sys
from typing import TextIO

from bot.bootstrap import Services
from bot.core.reminders import ChatRef
from bot.core.reply import render_plain
from bot.ops.http import operations
from bot.service.conversations import ChatKey
from bot.service.subscriptions import SUBSCRIPTION_COMMANDS

PROMPT = "you> "
CHAT = ChatKey("terminal", "local")
QUESTION_COMMANDS = (
    "help",
    "topics",
    "sources",
    "optout",
    "object",
    "deadline",
    "affected",
    "start",
)
# The command reference: command names are the same in every language.
COMMANDS = """Questions: /help, /topics, /sources, /affected COUNTRY, /optout, /object, /deadline
Reminders: /subscribe COUNTRY, /unsubscribe, /reminders, /checkup monthly|quarterly|off,
           /timezone ZONE-OR-CITY, /privacy, /forget
Language:  /language en|de|fr|nl|it|es|pl|auto
Terminal only: /advance 4d (move the bot's clock ahead: 30m, 6h, 4d), /quit"""
_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class TerminalNotifier:
    """Delivers reminders for the local terminal user by printing them."""

    platforms = frozenset({"terminal"})

    def __init__(self, stdout: TextIO):
        self.stdout = stdout

    async def send(self, chat: ChatRef, text: str, stop_label: str = "Stop reminders") -> None:
        print(f"\n[reminder]\n{text}\n", file=self.stdout, flush=True)


async def _read_line(stdin: TextIO) -> str:
    return await asyncio.to_thread(stdin.readline)


async def handle_line(services: Services, text: str) -> str | None:
    """The reply to one line typed in the terminal; None to quit."""
    stripped = text.strip()
    word, _, argument = stripped.partition(" ")
    command = word.lower().lstrip("/")
    is_command = word.startswith("/") or command in SUBSCRIPTION_COMMANDS
    if command in ("quit", "exit") and word.startswith("/"):
        return None
    if is_command and command == "help":
        reply = await services.conversations.command(CHAT, "help", hint=terminal_language())
        return f"{render_plain(reply)}\n\n{COMMANDS}"
    if is_command and command == "advance":
        match = _DURATION.match(argument.strip().lower())
        if not match or not hasattr(services.clock, "advance"):
            return "Usage: /advance 30m, /advance 6h or /advance 4d"
        services.clock.advance(dt.timedelta(**{_UNITS[match[2]]: int(match[1])}))
        return f"The bot's clock now reads {services.clock.now():%Y-%m-%d %H:%M %Z}."
    hint = terminal_language()
    if is_command and command in SUBSCRIPTION_COMMANDS:
        reply = await services.subscriptions.handle(CHAT, command, argument, hint)
    elif word.startswith("/") and command in QUESTION_COMMANDS:
        reply = await services.conversations.command(CHAT, command, argument, hint)
    else:
        reply = await services.conversations.ask(CHAT, stripped, hint)
    return render_plain(reply)


def terminal_language() -> str | None:
    """The terminal's hint, as Telegram's language_code is: the locale's language (LANG=de_DE)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return value.split(".")[0]
    return None


async def chat(services: Services, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    async with operations(services, sighup=False):
        return await _chat(services, stdin, stdout)


async def _chat(services: Services, stdin: TextIO, stdout: TextIO) -> int:
    dispatcher = services.dispatcher(TerminalNotifier(stdout), idle_sleep=5.0, min_sleep=0.2)
    loop_task = asyncio.create_task(dispatcher.run_forever())
    interactive = stdin.isatty()
    print(f"optout-bot: {services.answerer.kb.topic}. Type /help for commands.", file=stdout)
    try:
        while True:
            if interactive:
                print(PROMPT, end="", file=stdout, flush=True)
            line = await _read_line(stdin)
            if not line:
                break
            output = await handle_line(services, line)
            if output is None:
                break
            print(f"\n{output}\n", file=stdout, flush=True)
            dispatcher.wake()  # deliver anything now due (after /advance, or a new subscription)
            await asyncio.sleep(0)
    finally:
        dispatcher.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await loop_task
        dispatcher.resume()
        await dispatcher.run_once()  # what is due by now still arrives before the chat ends
    return 0


def run_chat(services: Services, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    return asyncio.run(chat(services, stdin, stdout))
