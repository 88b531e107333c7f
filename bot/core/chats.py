"""A chat, one type everywhere: the conversation a message belongs to (its session, its language)
and where a reminder goes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChatRef:
    """A platform name and its own id for the user or channel (ids only, never names)."""

    platform: str
    chat_id: str
