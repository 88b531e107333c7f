"""A chat in the terminal over the chat service: the door that needs no token.

One local user ("terminal", "local"). Reminders arrive in the same terminal while the chat runs
(bot.bootstrap.run_terminal starts the dispatcher); /advance moves the bot's clock forward to see
them without waiting days.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from typing import TextIO

from bot.core.chats import ChatRef
from bot.core.reply import render_plain, render_short
from bot.service.chat import ChatService
from bot.service.commands import listed_commands
from bot.service.dispatcher import Dispatcher

PROMPT = "you> "
CHAT = ChatRef("terminal", "local")
TERMINAL_ONLY = "Terminal only: /advance 4d (move the bot's clock ahead: 30m, 6h, 4d), /quit"
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
    """The next line; "" at end of input, or when the terminal has gone (a hung-up terminal
    answers reads with EIO)."""
    try:
        return await asyncio.to_thread(stdin.readline)
    except OSError:
        return ""


def command_reference() -> str:
    """Every listed command of the table with its argument (names are the same in every
    language), then the terminal's own."""
    lines = []
    for owner, heading in (("conversation", "Questions"), ("subscription", "Reminders")):
        names = [f"/{c.name} {c.usage}".rstrip() for c in listed_commands() if c.owner == owner]
        lines.append(f"{heading}: {', '.join(names)}")
    return "\n".join([*lines, TERMINAL_ONLY])


async def handle_line(service: ChatService, text: str, hint: str | None = None) -> str | None:
    """The reply to one line typed in the terminal; None to quit. `hint`: the terminal's
    language (its locale, LANG=de_DE), as Telegram's language_code is."""
    stripped = text.strip()
    word, _, argument = stripped.partition(" ")
    command = word.lower().lstrip("/")
    slash = word.startswith("/")
    # "quit" alone leaves, as in most terminal programs; a question is never just that word.
    if command in ("quit", "exit") and not argument:
        return None
    if slash and command == "advance":
        return _advance(service, argument)
    if slash:
        reply = await service.command(CHAT, command, argument.strip(), hint)
    else:
        reply = await service.message(CHAT, stripped, hint)
    if reply.intent == "help" and (slash or command == "help"):
        return f"{render_plain(reply)}\n\n{command_reference()}"
    # A topic's short answer first, with its links; "more" gives the rest.
    return render_short(reply)


def _advance(service: ChatService, argument: str) -> str:
    clock = service.clock
    match = _DURATION.match(argument.strip().lower())
    if not match or not hasattr(clock, "advance"):
        return "Usage: /advance 30m, /advance 6h or /advance 4d"
    clock.advance(dt.timedelta(**{_UNITS[match[2]]: int(match[1])}))
    return f"The bot's clock now reads {clock.now():%Y-%m-%d %H:%M %Z}."


async def chat(
    service: ChatService,
    dispatcher: Dispatcher,
    stdin: TextIO,
    stdout: TextIO,
    hint: str | None = None,
) -> int:
    """The chat until end of input or /quit, with `dispatcher` delivering reminders meanwhile."""
    loop_task = asyncio.create_task(dispatcher.run_forever())
    interactive = stdin.isatty()
    print(f"optout-bot: {service.title}. Type /help for commands.", file=stdout)
    try:
        while True:
            if interactive:
                print(PROMPT, end="", file=stdout, flush=True)
            line = await _read_line(stdin)
            if not line:
                break
            output = await handle_line(service, line, hint)
            if output is None:
                break
            print(f"\n{output}\n", file=stdout, flush=True)
            # Deliver what is now due (after /advance, or a new subscription) before the next
            # line, whether it is typed or piped.
            await dispatcher.settle()
    finally:
        dispatcher.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await loop_task
        dispatcher.resume()
        await dispatcher.run_once()  # what is due by now still arrives before the chat ends
    return 0
