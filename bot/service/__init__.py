"""The thin async service layer shared by every door: the reminder dispatcher and its ports."""

from bot.core.chats import ChatRef
from bot.service.dispatcher import Dispatcher, Notifier, PassReport, schedule_reminders
from bot.service.errors import DeliveryError, PermanentRefusal, TransientFailure

__all__ = [
    "ChatRef",
    "DeliveryError",
    "Dispatcher",
    "Notifier",
    "PassReport",
    "PermanentRefusal",
    "TransientFailure",
    "schedule_reminders",
]
