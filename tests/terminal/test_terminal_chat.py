"""The terminal door end to end: questions, reminder commands, a reminder arriving in time."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from bot.bootstrap import build_services, terminal_chat
from bot.core.clock import FixedClock
from bot.service.commands import listed_commands
from bot.terminal.chat import handle_line
from tests.conftest import BEFORE_DEADLINE, KNOWLEDGE_DIR


@pytest.fixture
def services(tmp_path):
    services = build_services(
        FixedClock(BEFORE_DEADLINE),
        database=f"sqlite:///{tmp_path}/bot.db",
        knowledge_dir=KNOWLEDGE_DIR,
    )
    yield services
    services.close()


async def test_question_and_follow_up(services):
    assert "Which country" in await handle_line(services.chat, "am I affected?")
    short = await handle_line(services.chat, "Canada")
    assert "Yes. In Canada" in short and 'Send "more"' in short  # the short answer first
    assert "For Canada" in await handle_line(services.chat, "more")  # then the details


async def test_subscribe_list_checkup_forget(services):
    out = await handle_line(services.chat, "/subscribe CA")
    assert "Subscribed" in out and "America/Toronto" in out
    assert "Coming up" in await handle_line(services.chat, "reminders")
    assert "Check-ups: Monthly" in await handle_line(services.chat, "/checkup monthly")
    assert "Delete everything" in await handle_line(services.chat, "/forget")
    assert "nothing about you" in await handle_line(services.chat, "/forget confirm")
    assert services.store.subscription_for("terminal", "local") is None


async def test_a_reminder_arrives_when_its_time_comes(services):
    stdin = io.StringIO("/subscribe Canada\n/advance 5d\n/quit\n")
    stdout = io.StringIO()
    await terminal_chat(services, stdin, stdout)
    text = stdout.getvalue()
    # 15 Oct 09:00 +02:00, five days later is 20 Oct 09:00 +02:00 = 03:00 in Toronto: the reminder
    # for 14 days before 3 November (20 Oct, 10:00 Toronto) is not due yet.
    assert "[reminder]" not in text
    services.clock.advance(dt.timedelta(hours=8))
    stdout = io.StringIO()
    await terminal_chat(services, io.StringIO(""), stdout)
    assert stdout.getvalue().count("[reminder]") == 1
    assert "In 14 days, on 3 November 2025" in stdout.getvalue()
    assert 'send "unsubscribe"' in stdout.getvalue()
    # Restarting delivers nothing twice.
    stdout = io.StringIO()
    await terminal_chat(services, io.StringIO(""), stdout)
    assert "[reminder]" not in stdout.getvalue()


async def test_advance_needs_a_duration(services):
    assert "Usage" in await handle_line(services.chat, "/advance soon")


async def test_help_lists_every_command_of_the_table(services):
    out = await handle_line(services.chat, "/help")
    for command in listed_commands():
        assert f"/{command.name}" in out
    assert "/advance" in out


async def test_piped_input_gets_each_reminder_once_and_on_time(services):
    # The user trial's sequence, piped: late reminders that the next one (due within a day)
    # would repeat are skipped; what is due arrives before the next line is read.
    lines = "subscribe CA\n/advance 5d\n/advance 8h\n/advance 7d\n/advance 6d\n/advance 8h\n/quit\n"
    stdout = io.StringIO()
    await terminal_chat(services, io.StringIO(lines), stdout)
    text = stdout.getvalue()
    reminders = [part.split("\n\n")[0] for part in text.split("[reminder]\n")[1:]]
    assert len(reminders) == len(set(reminders)) >= 2
    assert reminders[0].startswith("Reminder. In 14 days, on 3 November 2025")
    assert text.index("[reminder]") < text.index("clock now reads 2025-10-27")
    assert reminders[-1].startswith("Reminder. Tomorrow, 3 November 2025")


@pytest.mark.parametrize("word", ["quit", "exit", "/quit", "Quit"])
async def test_quit_alone_leaves_the_terminal_chat(services, word):
    assert await handle_line(services.chat, word) is None
    assert await handle_line(services.chat, f"{word} linkedin ai?") is not None
