"""Discord in the user's language: the client's locale as a hint, the question's language,
/optout language, and replies, buttons and DMs following the choice."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.discord.chats import DISCORD_COMMANDS, user_chat
from bot.discord.notifier import DiscordNotifier
from bot.service.commands import commands_written
from tests.discord_adapter.harness import (
    DM_CHANNEL_ID,
    IN_DM,
    IN_SERVER,
    USER_ID,
    button_press,
    dispatch,
    dm_message,
    receive,
    slash,
)
from tests.language_scripts import SCRIPTS


def title(message: dict) -> str:
    return message["embeds"][0].get("title") or ""


def words(services, language: str):
    return services.answerer.kb.in_language(language)


def button_labels(message: dict) -> list[str]:
    return [b.get("label", "") for row in message.get("components", []) for b in row["components"]]


async def test_the_client_locale_answers_commands_in_its_language(bot, adapter, services):
    french = replace(IN_SERVER, locale="fr")
    await dispatch(bot, slash("steps", french))
    (message,) = adapter.messages()
    assert title(message) == words(services, "fr").intents["opt_out_steps"].title
    labels = [b.get("label") for row in message["components"] for b in row["components"]]
    assert words(services, "fr").say("labels.more") in labels  # "Plus"
    adapter.clear()
    await dispatch(bot, button_press(message, "optout:v1:m:opt_out_steps:-", french))
    (message,) = adapter.messages()
    fields = {f["name"] for e in message["embeds"] for f in e.get("fields", [])}
    assert words(services, "fr").say("labels.sources").rstrip(": ") in fields


async def test_a_question_in_german_from_a_spanish_client_is_answered_in_german(
    bot, adapter, services
):
    spanish = replace(IN_DM, locale="es-ES")
    await dispatch(bot, slash("ask", spanish, question="Betrifft mich das in der Schweiz?"))
    (message,) = adapter.messages()
    assert title(message).startswith(
        words(services, "de").say("answers.affected_title", place="Schweiz")
    )


async def test_subscribe_and_the_language_command_in_polish(bot, adapter, services):
    polish = replace(IN_DM, locale="pl")
    pl = words(services, "pl")
    await dispatch(bot, slash("subscribe", polish, region="Polska"))
    subscribed = adapter.messages()[-1]
    assert title(subscribed) == pl.say("subscriptions.subscribed_title")
    assert pl.say("subscriptions.button_monthly") in button_labels(subscribed)
    sub = services.store.subscription_for("discord", f"user:{USER_ID}")
    assert (sub.region, sub.language) == ("PL", "pl")

    # An explicit choice: Italian, from a Polish client, for answers and reminders.
    await dispatch(bot, slash("language", polish, language="it"))
    assert title(adapter.messages()[-1]) == words(services, "it").say("language.choose_title")
    sub = services.store.subscription_for("discord", f"user:{USER_ID}")
    assert (sub.language, sub.language_chosen) == ("it", True)
    await dispatch(bot, slash("reminders", polish))
    assert title(adapter.messages()[-1]) == words(services, "it").say("subscriptions.next_title")
    # A button keeps to the choice too.
    await dispatch(bot, button_press(subscribed, "optout:v1:c:checkup monthly", polish))
    checkups = words(services, "it").say(
        "subscriptions.checkups_set_title",
        cadence=words(services, "it").say("subscriptions.cadence_monthly"),
    )
    assert title(adapter.messages()[-1]) == checkups


async def test_a_dm_in_dutch_is_answered_in_dutch(rest, online_bot, services):
    await receive(online_bot, dm_message("Hoe zet ik die AI-training uit op mijn telefoon?"))
    (message,) = rest.posted(DM_CHANNEL_ID)
    assert message["embeds"][0]["title"] == words(services, "nl").intents["opt_out_steps"].title
    session = await services.conversations.language_of(user_chat(USER_ID))
    assert session == "nl"


class RecordingNotifier:
    """Stands in for DiscordNotifier (tested on its own against the fake REST API)."""

    platforms = frozenset({"discord"})
    command_form = staticmethod(DiscordNotifier.command_form)  # what a reminder names

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat, text: str, stop_label: str = "") -> None:
        self.sent.append((chat.chat_id, text))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.language)
async def test_the_whole_conversation_in_each_language(bot, adapter, services, script):
    kb = words(services, script.language)
    where = IN_DM  # the client in English: the questions' language decides
    await dispatch(bot, slash("ask", where, question=script.steps_question))
    assert title(adapter.messages()[-1]) == kb.intents["opt_out_steps"].title
    await dispatch(bot, slash("ask", where, question=script.affected_question))
    assert title(adapter.messages()[-1]).startswith(kb.say("answers.affected_title", place="")[:5])
    await dispatch(bot, slash("subscribe", where, region=script.subscribe_place))
    assert title(adapter.messages()[-1]) == kb.say("subscriptions.subscribed_title")
    sub = services.store.subscription_for("discord", f"user:{USER_ID}")
    assert (sub.region, sub.language) == (script.region, script.language)
    await dispatch(bot, slash("reminders", where))
    assert title(adapter.messages()[-1]) == kb.say("subscriptions.next_title")

    notifier = RecordingNotifier()
    services.clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=sub.zone))
    assert (await services.dispatcher(notifier).run_once()).sent == 1
    ((chat_id, text),) = notifier.sent
    assert chat_id == f"user:{USER_ID}"
    # The command it names works on Discord: "/optout unsubscribe", never a bare word.
    assert commands_written(kb, DISCORD_COMMANDS).say("reminders.stop") in text
    assert '"/optout unsubscribe"' in text
