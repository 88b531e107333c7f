"""Telegram in the user's language: the question's language, the app's language_code as a hint,
/language, and every piece of a conversation (answers, buttons, toasts, reminders) following it."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from bot.service.commands import SLASH_COMMANDS, commands_written
from tests.language_scripts import SCRIPTS
from tests.telegram_adapter.support import (
    FIRST_DUE,
    buttons,
    callback_data,
    sent_after,
    subscription,
    to,
)


def words(services, language: str):
    return services.answerer.kb.in_language(language)


async def test_a_french_conversation_from_question_to_reminder(
    api, bot, services, clock, dispatcher
):
    fr = words(services, "fr")
    # A French question from a phone set to English: the question's language wins.
    (reply,) = await sent_after(
        api, lambda: api.message("Comment désactiver l'entraînement de l'IA ?")
    )
    assert reply["text"].startswith(f"<b>{fr.intents['opt_out_steps'].title}</b>")
    assert fr.say("labels.more") in [b["text"] for b in buttons(reply)]  # "Plus"
    (more,) = await sent_after(
        api, lambda: api.callback("v1|m|opt_out_steps|-", on=api.messages[-1])
    )
    assert fr.say("labels.sources") in more["text"]  # the details, in French
    (reply,) = await sent_after(api, lambda: api.message("Est-ce que ça s'applique au Canada ?"))
    assert "Canada" in reply["text"].split("\n")[0]
    assert "Oui. Canada :" in reply["text"]
    (more,) = await sent_after(
        api, lambda: api.callback("v1|m|am_i_affected|CA", on=api.messages[-1])
    )
    assert fr.say("answers.policy_ai_training") in more["text"]
    (reply,) = await sent_after(api, lambda: api.message("/subscribe"))  # the region just named
    assert reply["text"].startswith(f"<b>{fr.say('subscriptions.subscribed_title')}</b>")
    assert [b["text"] for b in buttons(reply)] == [
        fr.say("subscriptions.button_monthly"),
        fr.say("subscriptions.button_unsubscribe"),
    ]
    assert subscription(services, 1001).language == "fr"
    (reply,) = await sent_after(api, lambda: api.message("/reminders"))
    assert reply["text"].startswith(f"<b>{fr.say('subscriptions.next_title')}</b>")

    clock.set(FIRST_DUE)
    assert (await dispatcher.run_once()).sent == 1
    reminder = to(api, 1001)[-1]
    assert reminder["text"].startswith(fr.say("reminders.reminder", when="")[:6])
    assert "3 novembre 2025" in reminder["text"]
    assert [b["text"] for b in buttons(reminder)] == [fr.say("reminders.stop_button")]


async def test_the_app_language_answers_what_the_text_cannot_tell(api, bot, services):
    (reply,) = await sent_after(api, lambda: api.message("/optout", language="es"))
    assert reply["text"].startswith(
        f"<b>{words(services, 'es').intents['opt_out_steps'].title}</b>"
    )
    (reply,) = await sent_after(api, lambda: api.message("/start", chat_id=1002, language="pl-PL"))
    assert reply["text"].startswith(f"<b>{words(services, 'pl').intents['greeting'].title}</b>")


async def test_language_command_buttons_and_a_did_you_mean_in_dutch(api, bot, services):
    nl = words(services, "nl")
    (menu,) = await sent_after(api, lambda: api.message("/language"))
    assert "v1|c|language nl" in callback_data(menu)
    (reply,) = await sent_after(api, lambda: api.callback("v1|c|language nl", on=api.messages[-1]))
    assert (
        reply["text"] == f"<b>{nl.say('language.choose_title')}</b>\n\n{nl.say('language.chosen')}"
    )
    (menu,) = await sent_after(api, lambda: api.message("linkedin ai"))  # vague; Dutch was chosen
    assert menu["text"].startswith(f"<b>{nl.say('answers.not_sure_title')}</b>")
    assert buttons(menu)[-1]["text"] == nl.say("labels.none_of_these")
    api.callback("v0|zz", on=api.messages[-1])  # a button from an older version
    await api.wait_for("answerCallbackQuery", len(api.requests("answerCallbackQuery")) + 1)
    toast = api.requests("answerCallbackQuery")[-1]
    assert toast["text"] == nl.say("labels.old_button")


async def test_a_chosen_language_is_kept_for_the_reminders(api, bot, services, clock, dispatcher):
    await sent_after(api, lambda: api.message("/subscribe DE"))
    (reply,) = await sent_after(api, lambda: api.message("/language it"))
    assert reply["text"].endswith(words(services, "it").say("language.chosen"))
    sub = subscription(services, 1001)
    assert (sub.language, sub.language_chosen) == ("it", True)
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=sub.zone))
    await dispatcher.run_once()
    reminder = to(api, 1001)[-1]
    assert commands_written(words(services, "it"), SLASH_COMMANDS).say("reminders.stop") in (
        html.unescape(reminder["text"])
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.language)
async def test_the_whole_conversation_in_each_language(
    api, bot, services, clock, dispatcher, script
):
    kb = words(services, script.language)
    (reply,) = await sent_after(api, lambda: api.message(script.steps_question))
    assert reply["text"].startswith(f"<b>{kb.intents['opt_out_steps'].title}</b>")
    (reply,) = await sent_after(api, lambda: api.message(script.affected_question))
    assert reply["text"].startswith(f"<b>{kb.say('answers.affected_title', place='')[:5]}")
    (reply,) = await sent_after(api, lambda: api.message(f"/subscribe {script.subscribe_place}"))
    assert reply["text"].startswith(f"<b>{kb.say('subscriptions.subscribed_title')}</b>")
    sub = subscription(services, 1001)
    assert (sub.region, sub.language) == (script.region, script.language)
    (reply,) = await sent_after(api, lambda: api.message("/reminders"))
    assert reply["text"].startswith(f"<b>{kb.say('subscriptions.next_title')}</b>")
    clock.set(dt.datetime(2025, 10, 20, 10, 0, tzinfo=sub.zone))  # 14 days before 3 Nov
    assert (await dispatcher.run_once()).sent == 1
    reminder = to(api, 1001)[-1]
    # The command it names is the tappable "/unsubscribe" of a private chat.
    assert commands_written(kb, SLASH_COMMANDS).say("reminders.stop") in html.unescape(
        reminder["text"]
    )
    assert [b["text"] for b in buttons(reminder)] == [kb.say("reminders.stop_button")]
