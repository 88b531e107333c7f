"""Every /optout command, in a server and in a DM, through discord.py's real CommandTree: real
INTERACTION_CREATE payloads in, the interaction responses discord.py would send recorded."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from dataclasses import replace

import discord
import pytest
import yaml

from bot.bootstrap import build_services
from bot.core.reply import ENGLISH_LABELS
from bot.discord.bot import OptOutBot
from tests.conftest import KNOWLEDGE_DIR
from tests.discord_adapter.fake_rest_api import Canned
from tests.discord_adapter.harness import (
    CHANNEL_ID,
    EPHEMERAL,
    IN_DM,
    IN_SERVER,
    MODERATOR,
    OTHER_USER_ID,
    USER_ID,
    RecordingAdapter,
    Sent,
    autocomplete,
    button_press,
    dispatch,
    slash,
    start_offline,
)

MODERATOR_IN_SERVER = replace(IN_SERVER, permissions=MODERATOR)
# The doors' own messages in English (the harness's client locale is en-US).
DM_CHANNEL = 900000000000000999  # the user's DM channel as the REST API opens it
DOORS = yaml.safe_load((KNOWLEDGE_DIR / "messages.yaml").read_text("utf-8"))["doors"]

# (subcommand, options, title of the answer, whether it is deferred first)
COMMANDS = [
    ("ask", {"question": "how do I opt out?"}, "How to turn off AI training on LinkedIn", False),
    ("affected", {"country": "DE"}, "Am I affected? Germany", False),
    ("steps", {}, "How to turn off AI training on LinkedIn", False),
    ("object", {}, "The Data Processing Objection form", False),
    ("deadline", {}, "The deadline, and whether it is too late", False),
    ("sources", {}, "Sources (last checked", False),
    ("subscribe", {"region": "DE"}, "Subscribed", True),
    ("unsubscribe", {}, "You were not subscribed.", True),
    ("reminders", {}, "You have no reminders.", True),
    ("checkup", {}, "Settings check-ups", True),
    ("timezone", {}, "Subscribe first.", True),
    ("privacy", {}, "What I keep about you", False),
    ("forget", {}, "Delete everything about you?", True),
]


def title(message: dict) -> str:
    return message["embeds"][0].get("title") or ""


def flags(sent: Sent) -> int:
    return sent.message.get("flags", 0)


def assert_no_mentions(adapter: RecordingAdapter) -> None:
    """Every message goes out with allowed_mentions parse [] and no live mention syntax."""
    for message in adapter.messages():
        assert message["allowed_mentions"] == {"parse": []}
        text = json.dumps(message, ensure_ascii=False)
        assert "@everyone" not in text and "@here" not in text


# --- every command -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "options", "expected", "slow"), COMMANDS)
async def test_every_command_in_a_server_is_answered_privately(
    bot, adapter, name, options, expected, slow
):
    await dispatch(bot, slash(name, IN_SERVER, **options))
    first, *rest = adapter.sent
    if slow:  # deferred (thinking, ephemeral), then the answer as a follow-up
        assert first.kind == "callback" and first.payload == {"type": 5, "data": {"flags": 64}}
        assert rest and all(s.kind == "followup" for s in rest)
    else:
        assert first.kind == "callback" and first.type == 4
    messages = adapter.messages()
    assert title(messages[0]).startswith(expected)
    assert all(m["flags"] & EPHEMERAL for m in messages)
    assert_no_mentions(adapter)


@pytest.mark.parametrize(("name", "options", "expected", "slow"), COMMANDS)
async def test_every_command_in_a_dm_is_answered_with_ordinary_messages(
    bot, adapter, name, options, expected, slow
):
    await dispatch(bot, slash(name, IN_DM, **options))
    first = adapter.sent[0]
    assert first.type == (5 if slow else 4)
    messages = adapter.messages()
    assert title(messages[0]).startswith(expected)
    # Not ephemeral: a DM's buttons must keep working after a restart.
    assert not any(m.get("flags", 0) & EPHEMERAL for m in messages)
    assert_no_mentions(adapter)


async def test_channel_reminders_subscribes_the_channel_for_a_moderator(bot, adapter, services):
    await dispatch(bot, slash("channel-reminders", MODERATOR_IN_SERVER, region="DE"))
    assert adapter.sent[0].payload == {"type": 5, "data": {"flags": 64}}
    (message,) = adapter.messages()
    assert title(message) == "Subscribed" and message["flags"] & EPHEMERAL
    assert "components" not in message  # its buttons would act on the moderator's own reminders
    sub = services.store.subscription_for("discord", f"channel:{CHANNEL_ID}")
    assert sub is not None and sub.region == "DE" and sub.active
    assert services.store.subscription_for("discord", f"user:{USER_ID}") is None

    adapter.clear()
    await dispatch(bot, slash("channel-reminders", MODERATOR_IN_SERVER, region="off"))
    assert title(adapter.messages()[0]) == "Unsubscribed"
    assert services.store.subscription_for("discord", f"channel:{CHANNEL_ID}") is None


async def test_channel_reminders_is_refused_without_manage_server(bot, adapter, services):
    await dispatch(bot, slash("channel-reminders", IN_SERVER, region="DE"))
    (sent,) = adapter.sent
    assert sent.type == 4 and sent.message["content"] == DOORS["need_manage_server"]
    assert flags(sent) & EPHEMERAL
    assert services.store.subscription_for("discord", f"channel:{CHANNEL_ID}") is None


async def test_channel_reminders_is_refused_in_a_dm(bot, adapter, services):
    await dispatch(bot, slash("channel-reminders", IN_DM, region="DE"))
    (sent,) = adapter.sent
    assert sent.message["content"] == DOORS["server_only"] and flags(sent) & EPHEMERAL
    assert list(services.store.active_subscriptions()) == []


async def test_channel_reminders_checks_that_the_bot_can_post_there(bot, adapter, services):
    mute = replace(MODERATOR_IN_SERVER, app_permissions=discord.Permissions(view_channel=True))
    await dispatch(bot, slash("channel-reminders", mute, region="DE"))
    (sent,) = adapter.sent
    assert sent.message["content"] == DOORS["cannot_post"] and flags(sent) & EPHEMERAL
    assert services.store.subscription_for("discord", f"channel:{CHANNEL_ID}") is None


# --- ephemeral, share, defer ---------------------------------------------------------------


async def test_share_posts_the_answer_for_everyone(bot, adapter):
    await dispatch(bot, slash("deadline", IN_SERVER, share=True))
    (sent,) = adapter.sent
    assert sent.type == 4 and not flags(sent) & EPHEMERAL
    assert title(sent.message) == "The deadline, and whether it is too late"


async def test_subscribe_in_a_server_sends_the_confirmation_by_dm(bot, adapter, services, rest):
    await dispatch(bot, slash("subscribe", IN_SERVER, region="Germany"))
    assert [s.kind for s in adapter.sent] == ["callback", "followup"]
    assert adapter.sent[0].payload == {"type": 5, "data": {"flags": 64}}
    followup = adapter.sent[1].payload
    assert followup["flags"] & EPHEMERAL and title(followup) == "Subscribed"
    assert followup["embeds"][-1]["footer"]["text"] == DOORS["dm_sent"]
    # The same confirmation, with its buttons, went to the user's DMs: where reminders go.
    (dm,) = rest.posted(rest.dm_channels[USER_ID])
    assert title(dm) == "Subscribed" and dm["components"]
    sub = services.store.subscription_for("discord", f"user:{USER_ID}")
    assert sub.region == "DE" and sub.timezone == "Europe/Berlin"


async def test_subscribe_with_closed_dms_says_so_and_keeps_nothing(bot, adapter, services, rest):
    rest.dm_channels[USER_ID] = DM_CHANNEL
    rest.errors[DM_CHANNEL] = Canned(403, 50007, "Cannot send messages to this user")
    await dispatch(bot, slash("subscribe", IN_SERVER, region="Germany"))
    (answer,) = adapter.messages()
    assert answer["flags"] & EPHEMERAL
    assert title(answer) == "Not subscribed: I can't message you"
    footer = answer["embeds"][-1]["footer"]["text"]
    assert "Privacy Settings" in footer and "/optout subscribe" in footer
    assert services.store.subscription_for("discord", f"user:{USER_ID}") is None
    # Once DMs are open, subscribing again works.
    del rest.errors[DM_CHANNEL]
    adapter.clear()
    await dispatch(bot, slash("subscribe", IN_SERVER, region="Germany"))
    assert title(adapter.messages()[0]) == "Subscribed"
    assert services.store.subscription_for("discord", f"user:{USER_ID}").active


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(Canned(503, 0, "503: Service Unavailable"), id="503"),
        # discord.py retries a 500 five times, 25 s of its own sleeps: the slow loop only.
        pytest.param(
            Canned(500, 0, "500: Internal Server Error", times=10), id="500", marks=pytest.mark.slow
        ),
    ],
)
async def test_subscribe_keeps_the_subscription_when_discord_cannot_say(
    bot, adapter, services, rest, error
):
    rest.dm_channels[USER_ID] = DM_CHANNEL
    rest.errors[DM_CHANNEL] = error
    await dispatch(bot, slash("subscribe", IN_SERVER, region="Germany"))
    (answer,) = adapter.messages()
    assert title(answer) == "Subscribed"
    assert answer["embeds"][-1]["footer"]["text"] == DOORS["dm_note"]
    assert services.store.subscription_for("discord", f"user:{USER_ID}").active


async def test_subscribe_in_the_bots_dm_sends_nothing_more(bot, adapter, rest):
    await dispatch(bot, slash("subscribe", IN_DM, region="Germany"))
    assert title(adapter.messages()[0]) == "Subscribed"
    assert rest.calls("POST", "/api/v10/users/@me/channels") == []


def description(message: dict) -> str:
    return "\n".join(embed.get("description") or "" for embed in message["embeds"])


@pytest.mark.parametrize("place", [IN_DM, IN_SERVER], ids=["dm", "server"])
async def test_replies_name_the_slash_commands_that_work_on_discord(bot, adapter, place):
    await dispatch(bot, slash("subscribe", place, region="Germany"))
    text = description(adapter.messages()[0])
    assert '"/optout timezone <zone or city>"' in text and '"/optout unsubscribe"' in text
    assert '"timezone' not in text and '"unsubscribe"' not in text
    adapter.clear()
    await dispatch(bot, slash("forget", place))
    (forget,) = adapter.messages()
    # /optout forget takes no "confirm": the reply points at its button.
    assert "confirm" not in description(forget) and "button" in description(forget)
    (row,) = forget["components"]
    assert [b["custom_id"] for b in row["components"]] == ["optout:v1:c:forget confirm"]


async def test_a_long_answer_is_split_into_follow_ups(bot, adapter):
    await dispatch(bot, slash("sources", IN_SERVER))
    messages = adapter.messages()
    embeds = [e for m in messages for e in m["embeds"]]
    assert len(embeds) >= 2
    assert all(len(e.get("description", "")) <= 4096 for e in embeds)
    assert adapter.sent[0].type == 4
    assert all(s.kind == "followup" for s in adapter.sent[1:])


# --- autocomplete and validation ---------------------------------------------------------------


def choices(adapter: RecordingAdapter) -> list[dict]:
    (sent,) = adapter.sent
    assert sent.type == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    return sent.payload["data"]["choices"]


@pytest.mark.parametrize("place", [IN_SERVER, IN_DM])
async def test_autocomplete_suggests_countries_as_typed(bot, adapter, place):
    await dispatch(bot, autocomplete("affected", "country", "ger", place))
    found = choices(adapter)
    assert found[0] == {"name": "Germany (DE)", "value": "DE"}
    assert 0 < len(found) <= 25

    adapter.clear()
    await dispatch(bot, autocomplete("subscribe", "region", "united", place))
    values = [c["value"] for c in choices(adapter)]
    assert {"US", "GB", "AE"} <= set(values)
    assert values.index("GB") < values.index("MX")

    adapter.clear()
    await dispatch(bot, autocomplete("affected", "country", "hong", place))
    assert choices(adapter)[0] == {"name": "Hong Kong (HK)", "value": "HK"}


async def test_autocomplete_offers_groups_and_at_most_25(bot, adapter):
    await dispatch(bot, autocomplete("affected", "country", "", IN_SERVER))
    found = choices(adapter)
    assert len(found) == 25
    assert [c["value"] for c in found[:2]] == ["EU", "EEA"]


async def test_channel_reminders_autocomplete_offers_to_stop(bot, adapter):
    await dispatch(bot, autocomplete("channel-reminders", "region", "", MODERATOR_IN_SERVER))
    found = choices(adapter)
    assert found[0]["value"] == "off" and len(found) <= 25


async def test_a_value_typed_past_the_suggestions_is_validated_again(bot, adapter):
    await dispatch(bot, slash("affected", IN_SERVER, country="Deutschland"))
    assert title(adapter.messages()[0]) == "Am I affected? Germany"
    adapter.clear()
    await dispatch(bot, slash("affected", IN_SERVER, country="Narnia"))
    message = adapter.messages()[0]
    assert title(message) == "I don't know that place."
    assert "Narnia" not in json.dumps(message)


# --- buttons -----------------------------------------------------------------------------------


def custom_ids(message: dict) -> list[str]:
    return [
        button["custom_id"]
        for row in message.get("components", [])
        for button in row["components"]
        if "custom_id" in button
    ]


def link_urls(message: dict) -> list[str]:
    return [
        button["url"]
        for row in message.get("components", [])
        for button in row["components"]
        if button.get("style") == 5
    ]


async def test_answers_carry_link_and_follow_up_buttons(bot, adapter):
    await dispatch(bot, slash("steps", IN_DM))
    (message,) = adapter.messages()
    assert any("linkedin.com" in url for url in link_urls(message))
    assert "optout:v1:t:objection_form" in custom_ids(message)


async def test_did_you_mean_offers_buttons(bot, adapter, services):
    reply, _ = services.answerer.respond("my data")
    assert reply.kind == "did_you_mean"
    await dispatch(bot, slash("ask", IN_DM, question="my data"))
    message = adapter.messages()[0]
    ids = custom_ids(message)
    assert ids == [f"optout:v1:t:{t.id}" for t in reply.suggestions] + ["optout:v1:c:topics"]

    adapter.clear()  # "None of these": the topics menu
    await dispatch(bot, button_press(message, "optout:v1:c:topics", IN_DM))
    assert title(adapter.messages()[0]) == "Topics I can answer"


@contextlib.asynccontextmanager
async def restarted(services, settings, tmp_path, adapter, first_command):
    """Send a command to one bot, close it, then yield its answer and a new bot over new services
    on the same database, as a new process would be: nothing in memory carries over."""
    first = OptOutBot(services.chat, settings, sync_on_start=False)
    await start_offline(first)
    await dispatch(first, first_command)
    answer = adapter.messages()[0]
    await first.close()
    adapter.clear()
    reopened = build_services(
        services.clock, database=f"sqlite:///{tmp_path}/optout.db", knowledge_dir=KNOWLEDGE_DIR
    )
    second = OptOutBot(reopened.chat, settings, sync_on_start=False)
    await start_offline(second)
    try:
        yield answer, second, reopened
    finally:
        await second.close()
        reopened.close()


async def test_a_button_works_after_a_restart(services, settings, tmp_path, adapter):
    steps = slash("steps", IN_DM)
    async with restarted(services, settings, tmp_path, adapter, steps) as (answer, bot, _):
        assert "optout:v1:t:objection_form" in custom_ids(answer)
        await dispatch(bot, button_press(answer, "optout:v1:t:objection_form", IN_DM))
        (sent,) = adapter.sent
        assert sent.type == 4 and not flags(sent) & EPHEMERAL
        assert title(sent.message) == "The Data Processing Objection form"


async def test_more_gives_the_full_answer_even_after_a_restart(
    services, settings, tmp_path, adapter
):
    ask = slash("affected", IN_DM, country="US")
    async with restarted(services, settings, tmp_path, adapter, ask) as (answer, bot, _):
        assert answer["embeds"][0]["description"].startswith("Yes. In the United States")
        assert "optout:v1:m:am_i_affected:US" in custom_ids(answer)
        assert len(link_urls(answer)) == 2  # the setting and the ads opt-out
        await dispatch(bot, button_press(answer, "optout:v1:m:am_i_affected:US", IN_DM))
        (message,) = adapter.messages()
        assert "For the United States:" in message["embeds"][0]["description"]
        assert "optout:v1:m:am_i_affected:US" not in custom_ids(message)


async def test_more_in_a_server_answers_the_presser_privately(bot, adapter):
    await dispatch(bot, slash("deadline", IN_SERVER, share=True))
    (shared,) = adapter.messages()
    adapter.clear()
    presser = replace(IN_SERVER, user_id=OTHER_USER_ID)
    await dispatch(bot, button_press(shared, "optout:v1:m:deadline:-", presser))
    (sent,) = adapter.sent
    assert flags(sent) & EPHEMERAL
    assert "Liechtenstein" in sent.message["embeds"][0]["description"]  # the full answer


async def test_the_more_subcommand_expands_the_last_answer(bot, adapter):
    await dispatch(bot, slash("ask", IN_DM, question="is it too late to opt out?"))
    assert adapter.messages()[0]["embeds"][0]["description"].startswith("No, it is ")
    adapter.clear()
    await dispatch(bot, slash("more", IN_DM))
    assert "Liechtenstein" in adapter.messages()[0]["embeds"][0]["description"]


async def test_a_command_button_after_a_restart_uses_the_stored_subscription(
    services, settings, tmp_path, adapter
):
    subscribe = slash("subscribe", IN_DM, region="DE")
    async with restarted(services, settings, tmp_path, adapter, subscribe) as (answer, bot, again):
        assert "optout:v1:c:checkup monthly" in custom_ids(answer)
        await dispatch(bot, button_press(answer, "optout:v1:c:checkup monthly", IN_DM))
        assert adapter.sent[0].payload == {"type": 5}  # the store: deferred first
        assert title(adapter.messages()[0]) == "Check-ups: Monthly"
        assert again.store.subscription_for("discord", f"user:{USER_ID}").checkup == "monthly"


async def test_a_button_on_a_shared_answer_answers_the_presser_privately(bot, adapter):
    await dispatch(bot, slash("steps", IN_SERVER, share=True))
    (shared,) = adapter.messages()
    adapter.clear()
    presser = replace(IN_SERVER, user_id=OTHER_USER_ID)
    await dispatch(bot, button_press(shared, "optout:v1:t:objection_form", presser))
    (sent,) = adapter.sent
    assert flags(sent) & EPHEMERAL
    assert title(sent.message) == "The Data Processing Objection form"


@pytest.mark.parametrize(
    "custom_id",
    ["optout:v0|t|deadline", "optout:v1:t:no_such_topic", "optout:v1:m:no_such_topic:US"],
)
async def test_an_old_button_is_answered_politely(bot, adapter, custom_id):
    message = {"components": [{"type": 1, "components": [_button(custom_id)]}]}
    await dispatch(bot, button_press(message, custom_id, IN_DM))
    (sent,) = adapter.sent
    assert sent.message["content"] == ENGLISH_LABELS["old_button"] and flags(sent) & EPHEMERAL


def _button(custom_id: str) -> dict:
    return {"type": 2, "style": 2, "label": "Old", "custom_id": custom_id}


# --- mentions and errors ---------------------------------------------------------------------


async def test_user_text_with_everyone_is_never_a_mention(bot, adapter):
    await dispatch(bot, slash("ask", IN_SERVER, question="@everyone @here <@123456789012345678>"))
    await dispatch(bot, slash("affected", IN_SERVER, country="@everyone", share=True))
    assert len(adapter.messages()) == 2
    assert_no_mentions(adapter)


async def test_an_unknown_command_is_answered_politely(bot, adapter):
    await dispatch(bot, slash("retired", IN_SERVER))
    (sent,) = adapter.sent
    assert sent.message["content"] == DOORS["commands_changed"] and flags(sent) & EPHEMERAL


async def test_a_failure_is_apologised_for_and_logged_without_user_text(
    bot, adapter, services, caplog, monkeypatch
):
    async def broken(chat, text, hint=None):
        raise RuntimeError(f"could not handle {text}")

    monkeypatch.setattr(services.conversations, "ask", broken)
    with caplog.at_level(logging.DEBUG):
        await dispatch(bot, slash("ask", IN_SERVER, question="my secret question"))
    (sent,) = adapter.sent
    assert sent.message["content"] == DOORS["sorry"] and flags(sent) & EPHEMERAL
    assert "RuntimeError" in caplog.text
    assert "my secret question" not in caplog.text


def slow_down_sessions(services, monkeypatch, seconds: float) -> None:
    """Every answer waits `seconds` for its session, as it may on sessions kept in PostgreSQL."""
    conversations = services.conversations
    session = conversations._session

    async def slow_session(chat):
        await asyncio.sleep(seconds)
        return await session(chat)

    monkeypatch.setattr(conversations, "_session", slow_session)


@pytest.mark.parametrize(("waited", "deferred"), [(2.0, True), (0.0, False)])
async def test_the_time_an_interaction_waited_counts_towards_deferring(
    bot, adapter, services, monkeypatch, waited, deferred
):
    """An interaction that reached the callback late (a busy event loop) has less time left
    before Discord's 3 seconds: 1.5 s after its creation it is deferred, however long the
    callback itself has run."""
    slow_down_sessions(services, monkeypatch, 0.2)
    payload = slash("ask", IN_SERVER, question="how do I opt out?")
    created = discord.utils.utcnow() - dt.timedelta(seconds=waited)
    payload["id"] = str(discord.utils.time_snowflake(created))
    await dispatch(bot, payload)
    first = adapter.sent[0]
    assert first.kind == "callback"
    assert (first.payload["type"] == 5) is deferred  # 5: deferred ("thinking"), 4: the answer


@pytest.mark.parametrize(
    ("name", "options"),
    [("ask", {"question": "how do I opt out?"}), ("affected", {"country": "DE"})],
)
async def test_an_answer_that_takes_long_is_deferred_within_discords_deadline(
    bot, adapter, services, monkeypatch, name, options
):
    """/optout ask and /optout affected answer at once when they can; when the answer waits (on
    sessions kept in PostgreSQL, say), they defer before Discord's 3 seconds are over."""
    monkeypatch.setattr("bot.discord.views.DEFER_AFTER", 0.05)
    slow_down_sessions(services, monkeypatch, 0.3)
    await dispatch(bot, slash(name, IN_SERVER, **options))
    first, *rest = adapter.sent
    assert first.kind == "callback" and first.payload == {"type": 5, "data": {"flags": 64}}
    assert rest and all(s.kind == "followup" for s in rest)
    assert adapter.messages()[0]["flags"] & EPHEMERAL
