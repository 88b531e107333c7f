"""Telegram settings, checked once at start-up with one-line errors (read from the environment
by bot.settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1"  # behind a reverse proxy; containers set 0.0.0.0
DEFAULT_WEBHOOK_PORT = 8443

# BotFather tokens are "<bot id>:<secret>"; the check never echoes the value.
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# Telegram's rule for setWebhook(secret_token=...).
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# The only ports Telegram delivers webhook updates to (core.telegram.org/bots/api#setwebhook).
WEBHOOK_PUBLIC_PORTS = (443, 80, 88, 8443)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line and never holds a secret."""


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    api_base_url: str = DEFAULT_API_BASE_URL
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = DEFAULT_WEBHOOK_LISTEN
    webhook_port: int = DEFAULT_WEBHOOK_PORT

    def __post_init__(self) -> None:
        if not self.token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather")
        if not _TOKEN.match(self.token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token "
                "(expected <digits>:<letters, digits, - or _> as given by @BotFather)"
            )
        base = urlparse(self.api_base_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise SettingsError("TELEGRAM_API_BASE_URL must be an http(s) URL")
        if not self.api_base_url.endswith("/bot"):
            raise SettingsError(
                "TELEGRAM_API_BASE_URL must end in /bot (the token is appended to it), "
                f"for example {DEFAULT_API_BASE_URL}"
            )
        if self.webhook_url is not None:
            hook = urlparse(self.webhook_url)
            if hook.scheme != "https" or not hook.netloc:
                raise SettingsError("TELEGRAM_WEBHOOK_URL must be an https:// URL")
            try:
                public_port = hook.port or 443
            except ValueError:
                public_port = None
            if public_port not in WEBHOOK_PUBLIC_PORTS:
                raise SettingsError(
                    "TELEGRAM_WEBHOOK_URL must use a port Telegram calls: "
                    + ", ".join(map(str, WEBHOOK_PUBLIC_PORTS))
                )
            if not self.webhook_secret:
                raise SettingsError(
                    "TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set"
                )
            if not _SECRET.match(self.webhook_secret):
                raise SettingsError(
                    "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters from A-Z, a-z, 0-9, _ and -"
                )
        if not 1 <= self.webhook_port <= 65535:
            raise SettingsError("TELEGRAM_WEBHOOK_PORT must be a port number (1-65535)")

    def __repr__(self) -> str:
        return (
            f"TelegramSettings(token='***', api_base_url={self.api_base_url!r}, "
            f"webhook_url={self.webhook_url!r}, webhook_secret={'***' if self.webhook_secret else None}, "
            f"webhook_listen={self.webhook_listen!r}, webhook_port={self.webhook_port})"
        )

    __str__ = __repr__

    @property
    def uses_webhook(self) -> bool:
        return self.webhook_url is not None

    @property
    def webhook_path(self) -> str:
        """The path the local webhook server answers on: the public URL's path."""
        return urlparse(self.webhook_url or "").path or "/"
