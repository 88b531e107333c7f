"""Chat and user ids as logs may hold them: not at all, or as a short salted hash.

A log line about one reply names no one. Where an operator must tie lines together (a chat
whose reminders keep failing), `log_tag` gives a keyed hash of the id. The key is random for
each process and never written anywhere, so a tag cannot be turned back into an id, nor
matched with a tag from before a restart or from another replica.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

_KEY = secrets.token_bytes(16)


def log_tag(platform_id: object) -> str:
    """A stand-in for a chat, channel, server or user id in a log line: 8 hex digits, the same
    for the same id within this process."""
    digest = hashlib.blake2s(str(platform_id).encode(), key=_KEY, digest_size=4)
    return digest.hexdigest()


# Loggers whose debug and info lines hold the bot token (request URLs such as
# api.telegram.org/bot<token>/...) or request payloads with ids in them.
TOKEN_BEARING_LOGGERS = ("httpx", "httpcore", "telegram", "discord.http")


def quiet_token_bearing_loggers() -> None:
    """These libraries log warnings and errors only, whatever OPTOUT_LOG_LEVEL says."""
    for name in TOKEN_BEARING_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.WARNING, logger.level))
