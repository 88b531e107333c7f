"""Long messages: when the bot read only part of a message (its question, see text.read), the
reply says so in one line, its first paragraph, so that every door shows it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from bot.core.reply import Reply
from bot.core.text import read

if TYPE_CHECKING:
    from bot.core.session import Session

NOTE_KEY = "answers.read_last_part"
Respond = TypeVar("Respond", bound=Callable[..., "tuple[Reply, Session]"])


def noting_partial_reading(respond: Respond) -> Respond:
    """Wraps QuestionAnswerer.respond: a reply to a message of which only part was read starts
    with the note that says so, in the reply's language."""

    @functools.wraps(respond)
    def wrapper(self: Any, text: str, *args: Any, **kwargs: Any) -> tuple[Reply, Session]:
        reply, session = respond(self, text, *args, **kwargs)
        if read(text).cut:
            reply = with_note(reply, self.kb.in_language(reply.language).say(NOTE_KEY))
        return reply, session

    return cast(Respond, wrapper)


def with_note(reply: Reply, note: str) -> Reply:
    """The reply with `note` as its first paragraph."""
    return replace(reply, paragraphs=(note, *reply.paragraphs))
