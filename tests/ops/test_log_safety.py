"""No log line holds the text of a message or anything token-like, on every path a message or a
setting travels (terminal chat, conversation service, reminder dispatcher, settings errors)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

import pytest

from bot.bootstrap import Services
from bot.core.chats import ChatRef
from bot.ops.logging import JsonFormatter, LineFormatter
from bot.settings import SettingsInvalid, load_settings
from bot.terminal.chat import handle_line

MESSAGE = "my neighbour Zorblax Quuxley asked about Canada"
TOKEN = "987654321:AAFsEcReTtOkEnVaLuE_abcdefghijklmnop"
SECRETS = (MESSAGE, "Zorblax", "Quuxley", TOKEN, "AAFsEcReTtOkEnVaLuE")


class LeakyFailingNotifier:
    """Fails with an error whose text holds the message and the token, as a platform might."""

    platforms = frozenset({"terminal"})

    async def send(self, chat, text: str, stop_label: str = "Stop reminders") -> None:
        raise RuntimeError(f"cannot send {text!r} {MESSAGE} with {TOKEN}")


def assert_nothing_leaked(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "the paths under test logged nothing at all"
    outputs = [caplog.text]
    for formatter in (JsonFormatter(), LineFormatter()):
        outputs += [formatter.format(record) for record in caplog.records]
    for line in outputs:
        for secret in SECRETS:
            assert secret not in line
    for line in (JsonFormatter().format(record) for record in caplog.records):
        assert "\n" not in line and json.loads(line)["event"]


async def test_no_message_or_token_in_any_log(services: Services, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    chat = ChatRef("terminal", "local")
    # Terminal chat and the conversation service.
    for line in (MESSAGE, TOKEN, f"/affected {MESSAGE}", f"subscribe {TOKEN}", "subscribe CA"):
        await handle_line(services.chat, line)
    await services.conversations.ask(chat, f"{MESSAGE} {TOKEN}")
    await services.conversations.command(chat, "affected", TOKEN)
    # The dispatcher, with a notifier whose errors quote the message and the token.
    dispatcher = services.dispatcher(LeakyFailingNotifier(), max_attempts=2, sleep=_no_sleep)
    failed = 0
    for _ in range(25):  # day by day, so reminders fall due on time rather than being skipped
        services.clock.advance(dt.timedelta(days=1))
        failed += (await dispatcher.run_once()).failed
    assert failed >= 1
    # Settings errors, logged the way a careless caller might.
    with pytest.raises(SettingsInvalid) as caught:
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN + " ", "DISCORD_BOT_TOKEN": TOKEN})
    for problem in caught.value.problems:
        logging.getLogger("bot.settings").error("setting problem: %s", problem)
    assert_nothing_leaked(caplog)


def test_formatters_keep_only_the_type_of_an_exception():
    logger = logging.getLogger("bot.test")
    try:
        raise ValueError(f"{MESSAGE} {TOKEN}")
    except ValueError:
        record = logger.makeRecord(
            "bot.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    for formatter in (JsonFormatter(), LineFormatter()):
        line = formatter.format(record)
        assert "ValueError" in line and TOKEN not in line and MESSAGE not in line
        assert "\n" not in line


async def _no_sleep(seconds: float) -> None:
    return None
