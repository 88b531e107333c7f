"""ChatService, the one way in: commands routed by the command table, bare command words, topic
buttons, the doors' own words and a chat that has gone."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.chats import ChatRef
from bot.service.chat import ChatService, bare_command
from bot.service.commands import COMMANDS, CommandForm, find_command, listed_commands

CHAT = ChatRef("test", "1")


def test_the_table_names_every_command_once():
    names = [c.name for c in COMMANDS]
    assert len(names) == len(set(names))
    assert find_command("/Subscribe") is find_command("subscribe")
    assert find_command("steps") is find_command("optout")  # Discord's name for /optout
    assert find_command("nonsense") is None
    assert "start" not in [c.name for c in listed_commands()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reminders", ("reminders", "")),
        ("  Checkup monthly ", ("checkup", "monthly")),
        ("timezone America/Toronto", ("timezone", "America/Toronto")),
        ("privacy on LinkedIn?", None),  # a question that starts with a command word
        ("forget about it, what data do they use for ai training", None),
        ("how do I subscribe", None),
    ],
)
def test_bare_commands(text, expected):
    assert bare_command(text) == expected


async def test_every_command_is_answered_by_its_owner(chat_service: ChatService):
    for command in COMMANDS:
        argument = "CA" if command.usage == "COUNTRY" else ""
        reply = await chat_service.command(CHAT, "/" + command.name, argument)
        if command.name != "help":
            assert reply.intent != "help" or command.name == "start", command.name
    subscribed = await chat_service.command(CHAT, "subscribe", "DE")
    assert subscribed.title == "Subscribed"
    assert (await chat_service.command(CHAT, "nonsense")).intent == "help"
    steps = await chat_service.command(CHAT, "steps")
    assert steps.intent == "opt_out_steps"


async def test_a_bare_command_in_a_private_chat_only(chat_service: ChatService):
    private = await chat_service.message(CHAT, "reminders")
    assert private.title == "You have no reminders."
    in_group = await chat_service.message(CHAT, "reminders", private=False)
    assert in_group.title != "You have no reminders."
    question = await chat_service.message(CHAT, "privacy on LinkedIn?")
    assert question.kind in ("answer", "did_you_mean")


async def test_topic_buttons_for_known_topics_only(chat_service: ChatService):
    reply = await chat_service.topic(CHAT, "objection_form")
    assert reply is not None and reply.intent == "objection_form"
    assert await chat_service.topic(CHAT, "a_topic_of_an_older_version") is None


async def test_a_chat_that_is_gone_gets_no_more_reminders(chat_service: ChatService):
    assert await chat_service.chat_gone(CHAT) is False  # nothing to stop
    await chat_service.command(CHAT, "subscribe", "CA")
    assert await chat_service.chat_gone(CHAT) is True
    assert (await chat_service.command(CHAT, "reminders")).title == "You have no reminders."
    assert await chat_service.chat_gone(CHAT) is False


async def test_the_doors_own_words_in_the_chats_language(chat_service: ChatService):
    assert chat_service.words.say("doors.sorry", "de-DE").startswith("Entschuldigung")
    await chat_service.command(CHAT, "language", "fr")
    assert await chat_service.say(CHAT, "labels.old_button") == chat_service.words.say(
        "labels.old_button", "fr"
    )
    menu = chat_service.words.menu("de")
    assert [name for name, _ in menu] == [c.name for c in listed_commands()]
    assert chat_service.words.describe("steps", "de") == chat_service.words.describe("optout", "de")


async def test_region_suggestions(chat_service: ChatService):
    (first, *_) = await chat_service.suggest_regions("germ")
    assert first.value == "DE"


# --- dialogue state: a short reply answers what the bot has just asked ---------------------------


@pytest.mark.parametrize("yes", ["yes", "Yes!", "ja", "oui", "sí", "tak", "y"])
async def test_yes_after_delete_everything_deletes(chat_service: ChatService, yes):
    await chat_service.command(CHAT, "subscribe", "CA")
    asked = await chat_service.message(CHAT, "forget")
    assert asked.title == "Delete everything about you?"
    done = await chat_service.message(CHAT, yes)
    assert "nothing about you" in done.title
    assert (await chat_service.command(CHAT, "reminders")).title == "You have no reminders."


@pytest.mark.parametrize("no", ["no", "NO", "nope", "nein", "non"])
async def test_no_after_delete_everything_keeps_everything(chat_service: ChatService, no):
    await chat_service.command(CHAT, "subscribe", "CA")
    await chat_service.message(CHAT, "forget")
    kept = await chat_service.message(CHAT, no)
    assert kept.title == "Nothing deleted"
    assert (await chat_service.command(CHAT, "reminders")).title != "You have no reminders."
    # The question is answered: a later "yes" is not a confirmation.
    later = await chat_service.message(CHAT, "yes")
    assert "nothing about you" not in later.title


async def test_a_number_picks_from_did_you_mean(chat_service: ChatService):
    menu = await chat_service.message(CHAT, "my data")
    assert menu.kind == "did_you_mean"
    second = menu.suggestions[1].id
    picked = await chat_service.message(CHAT, "2")
    assert picked.kind == "answer" and picked.intent == second
    again = await chat_service.message(CHAT, "my data")
    first = again.suggestions[0].id
    assert (await chat_service.message(CHAT, "the first one")).intent == first
    await chat_service.message(CHAT, "my data")
    topics = await chat_service.message(CHAT, "none of these")
    assert topics.intent is None and len(topics.follow_ups) > 3


async def test_a_number_with_nothing_asked_is_not_a_pick(chat_service: ChatService):
    reply = await chat_service.message(CHAT, "2")
    assert reply.kind != "answer" or reply.intent is None


async def test_bare_commands_in_a_group_name_the_command(chat_service: ChatService):
    group = CommandForm(prefix="/", mention="@optout_bot")
    reply = await chat_service.message(CHAT, "subscribe CA", private=False, form=group)
    assert reply.title == "That is a command: send it as /subscribe@optout_bot CA"
    on_discord = await chat_service.message(
        CHAT, "reminders", private=False, form=CommandForm(prefix="/optout ", discord=True)
    )
    assert on_discord.title.endswith("/optout reminders")
    assert (await chat_service.message(CHAT, "help")).intent == "help"
    assert (await chat_service.message(CHAT, "deadline for Canada")).kind != "topics"


async def test_a_command_answers_for_the_place_given_earlier(chat_service: ChatService):
    await chat_service.message(CHAT, "I live in Norway")
    reply = await chat_service.command(CHAT, "/deadline")
    assert (reply.intent, reply.region) == ("deadline", "NO")


async def test_a_slow_first_time_zone_lookup_does_not_block_other_chats(
    chat_service: ChatService, monkeypatch
):
    import threading

    import bot.service.subscriptions as subscriptions

    release = threading.Event()

    def slow_lookup(text: str) -> str:
        release.wait(10)  # the first city lookup building its index
        return "America/Toronto"

    monkeypatch.setattr(subscriptions, "zone_for", slow_lookup)
    await chat_service.command(CHAT, "subscribe", "CA")
    finished: list[str] = []

    async def timezone() -> None:
        await chat_service.command(CHAT, "timezone", "Toronto")
        finished.append("timezone")

    async def question() -> None:
        await chat_service.message(ChatRef("test", "2"), "how do I opt out?")
        finished.append("question")
        release.set()

    await asyncio.gather(timezone(), question())
    assert finished == ["question", "timezone"]


async def test_a_slow_first_default_zone_does_not_block_other_chats(
    chat_service: ChatService, monkeypatch
):
    import threading

    import bot.service.subscriptions as subscriptions

    entered, release = threading.Event(), threading.Event()
    released: list[bool] = []

    def slow_default(region: str, kb) -> str:
        entered.set()
        # The first call reading the cities' zones: released by the other chat's answer, which
        # could not come while this held the event loop.
        released.append(release.wait(5))
        return "America/Toronto"

    monkeypatch.setattr(subscriptions, "default_timezone", slow_default)
    finished: list[str] = []

    async def subscribe() -> None:
        await chat_service.command(CHAT, "subscribe", "CA")
        finished.append("subscribe")

    async def question() -> None:
        await asyncio.to_thread(entered.wait, 10)  # asked while the lookup runs
        await chat_service.message(ChatRef("test", "2"), "how do I opt out?")
        finished.append("question")
        release.set()

    await asyncio.gather(subscribe(), question())
    assert released == [True] and finished == ["question", "subscribe"]


async def test_more_gives_the_full_answer_of_the_last_question(chat_service: ChatService):
    short = await chat_service.message(CHAT, "am I affected in Germany?")
    assert short.intent == "am_i_affected" and short.region == "DE" and short.short
    more = await chat_service.message(CHAT, "more")  # the bare word, as the terminal sends it
    assert more.intent == "am_i_affected" and more.region == "DE"
    assert not more.short and more.paragraphs == short.paragraphs  # shown in full
    assert (await chat_service.command(CHAT, "/more")).paragraphs == short.paragraphs


async def test_more_from_a_button_needs_no_memory(chat_service: ChatService):
    # A "More" button carries the topic and the region: it works in a chat the bot has never
    # seen (after a restart, on another replica), in that chat's language.
    other = ChatRef("test", "fresh")
    reply = await chat_service.more(other, "am_i_affected", "US", hint="de")
    assert reply is not None and reply.region == "US" and not reply.short
    assert reply.language == "de" and reply.title.endswith("Vereinigte Staaten")
    assert await chat_service.more(other, "no_such_topic") is None
    # A region this knowledge base does not know is dropped, not trusted.
    assert (await chat_service.more(other, "deadline", "XX")).region is None


async def test_more_with_nothing_asked_offers_the_topics(chat_service: ChatService):
    reply = await chat_service.message(ChatRef("test", "new"), "more")
    assert reply.follow_ups and not reply.short
