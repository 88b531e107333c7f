"""A whole conversation in each of the seven languages on the terminal: ask, affected in a country,
the steps, subscribe, the next reminders, and a reminder arriving, each in the user's language."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from bot.bootstrap import build_services, terminal_chat
from bot.core.clock import FixedClock
from bot.core.formats import format_date
from bot.terminal.chat import handle_line
from tests.conftest import BEFORE_DEADLINE, KNOWLEDGE_DIR
from tests.language_scripts import SCRIPTS, Script


@pytest.fixture
def services(tmp_path, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)  # no hint from this machine's locale
    services = build_services(
        FixedClock(BEFORE_DEADLINE),
        database=f"sqlite:///{tmp_path}/bot.db",
        knowledge_dir=KNOWLEDGE_DIR,
    )
    yield services
    services.close()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.language)
async def test_a_whole_conversation_in_one_language(services, script: Script):
    kb = services.answerer.kb.in_language(script.language)
    steps = kb.intents["opt_out_steps"]

    out = await handle_line(services.chat, script.steps_question)
    assert out.startswith(steps.title)
    assert steps.answer.links[0].url in out and steps.answer.links[0].label in out

    out = await handle_line(services.chat, script.affected_question)
    reply, _ = services.answerer.respond(script.affected_question)
    assert (reply.intent, reply.region, reply.language) == (
        "am_i_affected",
        script.region,
        script.language,
    )
    assert out.startswith(kb.say("answers.affected_title", place="")[:5])

    out = await handle_line(services.chat, f"/subscribe {script.subscribe_place}")
    assert out.startswith(kb.say("subscriptions.subscribed_title"))
    assert format_date(dt.date(2025, 10, 20), script.language) in out  # 14 days before 3 Nov
    sub = services.store.subscription_for("terminal", "local")
    assert (sub.region, sub.language) == (script.region, script.language)

    out = await handle_line(services.chat, "/reminders")
    assert out.startswith(kb.say("subscriptions.next_title"))

    # The reminder 14 days before 3 November arrives in the subscriber's language.
    services.clock.set(dt.datetime(2025, 10, 20, 12, 0, tzinfo=sub.zone))
    stdout = io.StringIO()
    await terminal_chat(services, io.StringIO(""), stdout)
    text = stdout.getvalue()
    assert text.count("[reminder]") == 1
    assert kb.say("reminders.stop", cmd_unsubscribe="unsubscribe") in text  # typed as a word here
    assert any(event.title in text for event in kb.events_for(sub.region))


async def test_the_language_command_wins_over_the_language_of_the_question(services):
    out = await handle_line(services.chat, "/language de")
    assert out == services.answerer.kb.in_language("de").say("language.choose_title") + (
        "\n\n" + services.answerer.kb.in_language("de").say("language.chosen")
    )
    # Asked in English, answered in German, as chosen.
    out = await handle_line(services.chat, "how do I opt out?")
    german = services.answerer.kb.in_language("de").intents["opt_out_steps"]
    assert out.startswith(german.title)
    # Subscribing keeps the choice for reminders and for later conversations.
    await handle_line(services.chat, "/subscribe DE")
    sub = services.store.subscription_for("terminal", "local")
    assert (sub.language, sub.language_chosen) == ("de", True)
    services.clock.advance(dt.timedelta(hours=2))  # the conversation is over: a new session
    out = await handle_line(services.chat, "is it too late?")
    assert out.startswith(services.answerer.kb.in_language("de").intents["deadline"].title)
    # "language auto" follows the question again.
    await handle_line(services.chat, "/language auto")
    out = await handle_line(services.chat, "what is the deadline for this change?")
    assert out.startswith(services.answerer.kb.intents["deadline"].title)
    assert not services.store.subscription_for("terminal", "local").language_chosen


async def test_a_short_message_keeps_the_language_of_the_conversation(services):
    await handle_line(services.chat, "Est-ce que ça s'applique au Canada ?")
    french = services.answerer.kb.in_language("fr")
    out = await handle_line(services.chat, "ok")  # too short to tell: stays French
    assert out.startswith(french.intents["thanks"].title)
    out = await handle_line(services.chat, "Norway")  # a bare place: the same topic, still French
    assert out.startswith(french.say("answers.affected_title", place="")[:5])
    assert "Norv" in out  # "Norvège"
