"""Every instruction a reply gives works where the reply is shown: the commands the reminder
replies name are written by the door's CommandForm, from the command table ("timezone" in the
terminal, "/timezone" on Telegram, "/timezone@bot" in a Telegram group, "/optout timezone" on
Discord)."""

from __future__ import annotations

import re

import pytest

from bot.core.chats import ChatRef
from bot.core.reply import Reply, render_plain
from bot.discord.chats import DISCORD_COMMANDS
from bot.discord.cog import OptOutCog
from bot.service.commands import BARE_WORDS, COMMAND_TABLE, CommandForm
from bot.service.subscriptions import commands_written

TELEGRAM_PRIVATE = CommandForm(prefix="/")
TELEGRAM_GROUP = CommandForm(prefix="/", mention="@optout_test_bot")
FORMS = {
    "terminal": BARE_WORDS,
    "telegram": TELEGRAM_PRIVATE,
    "telegram group": TELEGRAM_GROUP,
    "discord": DISCORD_COMMANDS,
}
# Everything the reminder commands say, subscribed or not.
STEPS = [
    ("reminders", ""),
    ("timezone", ""),
    ("checkup", ""),
    ("subscribe", ""),
    ("subscribe", "Germany"),
    ("timezone", ""),
    ("checkup", "off"),
    ("language", ""),
    ("privacy", ""),
    ("forget", ""),
    ("unsubscribe", ""),
    ("unsubscribe", ""),
]
QUOTED = re.compile(r'"([^"]+)"')
REMINDER_WORDS = (
    "subscribe",
    "unsubscribe",
    "timezone",
    "checkup",
    "privacy",
    "forget",
    "language",
)


async def replies(chat_service, form: CommandForm, language: str = "en") -> list[Reply]:
    chat = ChatRef("test", f"forms-{id(form)}-{language}")
    return [
        await chat_service.command(chat, name, argument, language, form) for name, argument in STEPS
    ]


def instructions(reply: Reply) -> list[str]:
    """What the reply tells the user to send, in quotes; its buttons are not text."""
    text = "\n".join([reply.title, *reply.paragraphs])
    return QUOTED.findall(text)


@pytest.mark.parametrize("door", FORMS)
@pytest.mark.parametrize("language", ["en", "de", "pl"])
async def test_every_command_a_reply_names_is_written_for_the_door(chat_service, door, language):
    form = FORMS[door]
    named = []
    for reply in await replies(chat_service, form, language):
        assert "{cmd_" not in render_plain(reply)
        for said in instructions(reply):
            word = said.split()[0]
            if form.prefix:  # an instruction in the door's form, or none at all
                assert word.lower() not in REMINDER_WORDS, (door, said)
            if said.startswith(form.prefix):
                named.append(said)
    for name in ("subscribe", "timezone", "checkup", "unsubscribe"):
        assert any(said.startswith(form.write(name)) for said in named), (door, name)


async def test_the_terminal_keeps_its_bare_words(chat_service):
    (*_, subscribed, _tz, _off, _lang, _privacy, forget, _u1, _u2) = await replies(
        chat_service, BARE_WORDS
    )
    assert '"timezone <zone or city>"' in subscribed.paragraphs[-1]
    assert '"forget confirm"' in forget.paragraphs[0]


async def test_telegram_groups_address_the_bot(chat_service):
    subscribed = (await replies(chat_service, TELEGRAM_GROUP))[4]
    assert '"/timezone@optout_test_bot <zone or city>"' in subscribed.paragraphs[-1]
    assert '"/unsubscribe@optout_test_bot"' in subscribed.paragraphs[-1]


async def test_discord_names_slash_commands_and_points_forget_at_its_button(chat_service):
    steps = await replies(chat_service, DISCORD_COMMANDS)
    subscribed, forget = steps[4], steps[9]
    assert '"/optout timezone <zone or city>"' in subscribed.paragraphs[-1]
    assert "confirm" not in " ".join(forget.paragraphs)  # /optout forget takes no argument
    assert "button" in forget.paragraphs[0]
    assert [c.command for c in forget.commands] == ["forget confirm"]


def test_discord_writes_only_subcommands_the_cog_has():
    group = OptOutCog(None).app_command
    assert group is not None
    subcommands = {c.name for c in group.commands}
    for command in COMMAND_TABLE.values():
        if command.discord_name is not None:
            written = DISCORD_COMMANDS.write(command.name)
            assert written.removeprefix("/optout ") in subcommands, written


async def test_a_command_word_outside_a_private_chat_is_named_as_the_door_writes_it(
    chat_service,
):
    chat = ChatRef("test", "group")
    reply = await chat_service.message(
        chat, "unsubscribe", "en", private=False, form=TELEGRAM_GROUP
    )
    assert reply.title == "That is a command: send it as /unsubscribe@optout_test_bot"


@pytest.mark.parametrize("language", ["en", "de", "fr", "nl", "it", "es", "pl"])
def test_command_descriptions_name_the_command_as_each_menu_runs_it(chat_service, language):
    words = chat_service.words
    assert "/affected " in (words.describe("affected", language) or "")  # Telegram's menu
    on_discord = words.describe("affected", language, DISCORD_COMMANDS) or ""
    assert "/optout affected " in on_discord and "{cmd_" not in on_discord
    assert "/optout subscribe " in (words.describe("subscribe", language, DISCORD_COMMANDS) or "")


def test_messages_are_written_once_per_language_and_form(kb):
    """Writing every message's commands takes milliseconds: a door's replies reuse it, and a
    reloaded knowledge base (a new object) writes its own."""
    german = kb.in_language("de")
    first = commands_written(german, DISCORD_COMMANDS)
    assert commands_written(german, DISCORD_COMMANDS) is first
    assert "/optout unsubscribe" in first.say("subscriptions.privacy_keep")
    assert commands_written(german, BARE_WORDS) is not first
    assert "{cmd_" in german.messages["subscriptions.privacy_keep"]  # the source stays as it was
