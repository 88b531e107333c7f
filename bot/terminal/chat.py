"""A chat in the terminal over the core: /help, /topics, /sources, /quit."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.core.engine import QuestionAnswerer
from bot.core.reply import render_plain
from bot.core.session import Session

PROMPT = "you> "
HELP = """Ask me about LinkedIn using your data for AI training and sharing it with Microsoft for ads.
Examples: "am I affected in Canada?", "how do I opt out?", "is it too late?"
Commands: /help, /topics, /sources, /quit"""


def run_chat(
    answerer: QuestionAnswerer, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    session = Session()
    interactive = stdin.isatty()
    print(f"optout-bot: {answerer.kb.topic}. Type /help for commands.", file=stdout)
    while True:
        if interactive:
            print(PROMPT, end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            return 0
        text = line.strip()
        command = text.lower()
        if command in ("/quit", "/exit"):
            return 0
        if command == "/help":
            output = HELP
        elif command == "/topics":
            output = "Topics:\n" + "\n".join(f"- {t.title}" for t in answerer.topics())
        elif command == "/sources":
            output = render_plain(answerer.sources_reply())
        else:
            reply, session = answerer.respond(text, session)
            output = render_plain(reply)
        print(f"\n{output}\n", file=stdout, flush=True)
