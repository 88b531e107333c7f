"""What a Notifier raises when a message cannot be delivered."""

from __future__ import annotations


class DeliveryError(Exception):
    """A message was not delivered."""


class PermanentRefusal(DeliveryError):
    """The platform will never deliver to this chat: bot blocked, DMs closed, chat gone."""


class TransientFailure(DeliveryError):
    """Worth trying again: rate limited, 5xx, timeout. retry_after is the platform's wait, in
    seconds, when it gave one."""

    def __init__(self, message: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after
