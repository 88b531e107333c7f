"""Reminder delivery through DiscordNotifier and discord.py's real HTTP client, against the fake
REST API: what would be sent, and how Discord's refusals reach the dispatcher."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

import pytest

from bot.core.chats import ChatRef
from bot.discord.chats import channel_chat, user_chat
from bot.discord.notifier import DiscordNotifier, Pacer
from bot.notifiers import RoutingNotifier
from bot.service.errors import PermanentRefusal, TransientFailure
from bot.service.log_ids import log_tag
from tests.discord_adapter.fake_rest_api import Canned
from tests.discord_adapter.harness import (
    CHANNEL_ID,
    IN_SERVER,
    MODERATOR,
    USER_ID,
    dispatch,
    slash,
)
from tests.discord_adapter.support import CHANNEL, FIRST_REMINDER
from tests.log_privacy import assert_logs_hold_none_of
from tests.service.fakes import RecordingSleep

USER = 400000000000000009
DM_CHANNEL = 700000000000000009
NO_WAIT = 0.0


@pytest.fixture
def notifier(online_bot) -> DiscordNotifier:
    return DiscordNotifier(online_bot, pacer=Pacer(per_second=NO_WAIT))


def ref(chat) -> ChatRef:
    return ChatRef(chat.platform, chat.chat_id)


async def test_a_reminder_is_sent_as_a_dm(rest, notifier):
    rest.dm_channels[USER] = DM_CHANNEL
    await notifier.send(ref(user_chat(USER)), "Reminder: 2 November is the last day.")
    (opened,) = rest.calls("POST", "/api/v10/users/@me/channels")
    assert opened.json == {"recipient_id": USER}
    (message,) = rest.posted(DM_CHANNEL)
    assert message["content"] == "Reminder: 2 November is the last day."
    assert message["allowed_mentions"] == {"parse": []}
    assert message["flags"] == 4  # SUPPRESS_EMBEDS: no link previews

    await notifier.send(ref(user_chat(USER)), "Another one.")
    assert len(rest.calls("POST", "/api/v10/users/@me/channels")) == 1  # the DM channel is cached
    assert len(rest.posted(DM_CHANNEL)) == 2


async def test_a_reminder_is_posted_to_a_channel(rest, notifier):
    await notifier.send(ref(channel_chat(CHANNEL)), "Reminder for this channel.")
    (message,) = rest.posted(CHANNEL)
    assert message["content"] == "Reminder for this channel."
    assert rest.calls("POST", "/api/v10/users/@me/channels") == []


async def test_everyone_in_a_reminder_is_not_a_mention(rest, notifier):
    await notifier.send(ref(channel_chat(CHANNEL)), "@everyone @here the deadline")
    (message,) = rest.posted(CHANNEL)
    assert message["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in message["content"] and "@here" not in message["content"]


async def test_a_long_reminder_is_split_under_2000_characters(rest, notifier):
    text = "\n\n".join(f"Paragraph {n}: " + "word " * 150 for n in range(6))
    await notifier.send(ref(channel_chat(CHANNEL)), text)
    contents = [m["content"] for m in rest.posted(CHANNEL)]
    assert len(contents) >= 3 and all(len(c) <= 2000 for c in contents)
    assert " ".join(" ".join(contents).split()) == " ".join(text.split())


@pytest.mark.parametrize(
    "canned",
    [
        Canned(403, 50007, "Cannot send messages to this user"),
        Canned(403, 50001, "Missing Access"),
        Canned(404, 10003, "Unknown Channel"),
    ],
)
async def test_refusals_are_permanent(rest, notifier, canned):
    rest.dm_channels[USER] = DM_CHANNEL
    rest.errors[DM_CHANNEL] = rest.errors[CHANNEL] = canned
    with pytest.raises(PermanentRefusal):
        await notifier.send(ref(user_chat(USER)), "Reminder")
    with pytest.raises(PermanentRefusal):
        await notifier.send(ref(channel_chat(CHANNEL)), "Reminder")


async def test_a_server_error_is_transient(rest, notifier):
    rest.errors[CHANNEL] = Canned(503, 0, "Service Unavailable")
    with pytest.raises(TransientFailure):
        await notifier.send(ref(channel_chat(CHANNEL)), "Reminder")


async def test_a_429_is_waited_out_by_discord_py_and_counted(rest, notifier):
    rest.errors[CHANNEL] = Canned(429, 0, "You are being rate limited.", times=1, retry_after=0.01)
    await notifier.send(ref(channel_chat(CHANNEL)), "Reminder")
    assert len(rest.posted(CHANNEL)) == 2  # the 429, then the retry
    assert notifier.rate_limited == 1


async def test_a_chat_of_another_platform_or_shape_is_refused(notifier):
    with pytest.raises(PermanentRefusal):
        await notifier.send(ChatRef("telegram", "42"), "Reminder")
    with pytest.raises(PermanentRefusal):
        await notifier.send(ChatRef("discord", "guild:1"), "Reminder")


async def test_sends_are_paced():
    sleep = RecordingSleep()
    pacer = Pacer(per_second=5, clock=lambda: 100.0, sleep=sleep)
    for _ in range(3):
        await pacer.wait()
    assert sleep.waits == pytest.approx([0.2, 0.4])


# --- with the dispatcher and a SQLite store ----------------------------------------------------


async def test_the_dispatcher_delivers_to_a_dm_and_a_channel(rest, online_bot, services, clock):
    rest.dm_channels[USER] = DM_CHANNEL
    await services.subscriptions.subscribe(user_chat(USER), "DE")
    await services.subscriptions.subscribe(channel_chat(CHANNEL), "DE")
    notifier = DiscordNotifier(online_bot, pacer=Pacer(per_second=NO_WAIT))
    dispatcher = services.dispatcher(notifier, sleep=RecordingSleep())
    clock.set(FIRST_REMINDER)
    report = await dispatcher.run_once()
    assert report.sent == 2 and report.refused == 0
    (dm,) = rest.posted(DM_CHANNEL)
    (post,) = rest.posted(CHANNEL)
    assert dm["content"] == post["content"] and "November" in dm["content"]
    assert "/mypreferences/d/settings/data-for-ai-improvement" in dm["content"]  # the setting
    assert dm["allowed_mentions"] == post["allowed_mentions"] == {"parse": []}


async def test_dms_closed_50007_deactivates_the_subscription(rest, online_bot, services, clock):
    rest.dm_channels[USER] = DM_CHANNEL
    rest.errors[DM_CHANNEL] = Canned(403, 50007, "Cannot send messages to this user")
    await services.subscriptions.subscribe(user_chat(USER), "DE")
    notifier = DiscordNotifier(online_bot, pacer=Pacer(per_second=NO_WAIT))
    sleep = RecordingSleep()
    dispatcher = services.dispatcher(notifier, sleep=sleep)
    clock.set(FIRST_REMINDER)
    report = await dispatcher.run_once()
    assert report.refused == 1 and report.sent == 0 and sleep.waits == []
    sub = services.store.subscription_for("discord", f"user:{USER}")
    assert sub is not None and not sub.active
    assert len(rest.posted(DM_CHANNEL)) == 1  # tried once, never again

    clock.set(FIRST_REMINDER + dt.timedelta(days=8))
    report = await dispatcher.run_once()
    assert report.claimed == 0 and len(rest.posted(DM_CHANNEL)) == 1


# --- a channel that refuses for good: its setter is told -----------------------------------------

SETTER_DM = 700000000000000042
# A moderator whose Discord client is in German: channel reminders in German, and so is the notice.
MODERATOR_IN_GERMAN = replace(IN_SERVER, permissions=MODERATOR, locale="de")
CHANNEL_REFUSALS = [
    Canned(403, 50001, "Missing Access"),
    Canned(403, 50013, "Missing Permissions"),
    Canned(404, 10003, "Unknown Channel"),
]


async def set_up_channel_reminders(bot, services) -> None:
    await dispatch(bot, slash("channel-reminders", MODERATOR_IN_GERMAN, region="DE"))
    sub = services.store.subscription_for("discord", f"channel:{CHANNEL_ID}")
    assert sub is not None and sub.active and sub.language == "de"
    assert sub.set_up_by == f"user:{USER_ID}"


@pytest.mark.parametrize("canned", CHANNEL_REFUSALS)
async def test_a_channel_that_refuses_is_reported_to_who_set_it_up(
    rest, bot, adapter, services, clock, kb, canned
):
    rest.dm_channels[USER_ID] = SETTER_DM
    await set_up_channel_reminders(bot, services)
    rest.errors[CHANNEL_ID] = canned
    # As the bot runs it: the Discord notifier behind the router of every platform.
    notifier = RoutingNotifier({"discord": DiscordNotifier(bot, pacer=Pacer(per_second=NO_WAIT))})
    dispatcher = services.dispatcher(notifier, sleep=RecordingSleep())
    clock.set(FIRST_REMINDER)
    report = await dispatcher.run_once()

    assert report.refused == 1 and report.sent == 0
    assert len(rest.posted(CHANNEL_ID)) == 1  # the reminder, refused
    (opened,) = rest.calls("POST", "/api/v10/users/@me/channels")
    assert opened.json == {"recipient_id": USER_ID}
    (notice,) = rest.posted(SETTER_DM)
    german = kb.in_language("de")
    assert notice["content"] == german.say("doors.channel_gone", channel=f"<#{CHANNEL_ID}>")
    assert f"<#{CHANNEL_ID}>" in notice["content"]  # Discord shows the channel's name
    assert "/optout channel-reminders" in notice["content"]  # how to set them up again
    assert notice["allowed_mentions"] == {"parse": []}
    sub = services.store.subscription_for("discord", f"channel:{CHANNEL_ID}")
    assert sub is not None and not sub.active

    clock.set(FIRST_REMINDER + dt.timedelta(days=8))
    report = await dispatcher.run_once()
    assert report.claimed == 0 and len(rest.posted(SETTER_DM)) == 1  # told once


async def test_a_refused_notice_to_the_setter_still_deactivates(
    rest, bot, adapter, services, clock, caplog
):
    caplog.set_level(logging.DEBUG)
    rest.dm_channels[USER_ID] = SETTER_DM
    await set_up_channel_reminders(bot, services)
    rest.errors[CHANNEL_ID] = Canned(403, 50001, "Missing Access")
    rest.errors[SETTER_DM] = Canned(403, 50007, "Cannot send messages to this user")
    notifier = DiscordNotifier(bot, pacer=Pacer(per_second=NO_WAIT))
    dispatcher = services.dispatcher(notifier, sleep=RecordingSleep())
    clock.set(FIRST_REMINDER)
    report = await dispatcher.run_once()

    assert report.refused == 1 and report.failed == 0 and report.retries == 0
    assert len(rest.posted(SETTER_DM)) == 1  # tried once
    sub = services.store.subscription_for("discord", f"channel:{CHANNEL_ID}")
    assert sub is not None and not sub.active
    ours = [r for r in caplog.records if r.name.startswith("bot.")]
    noted = [r.getMessage() for r in ours if "channel-gone notice" in r.getMessage()]
    assert noted == [
        f"discord channel-gone notice not delivered channel={log_tag(CHANNEL_ID)}"
        f" user={log_tag(USER_ID)} error=Forbidden code=50007"
    ]
    assert_logs_hold_none_of(ours, [str(USER_ID), str(CHANNEL_ID), str(SETTER_DM)])


async def test_a_users_own_refusal_tells_no_one(rest, online_bot, services, clock):
    """Only a channel has someone to tell: a DM that refuses is just deactivated."""
    rest.dm_channels[USER] = DM_CHANNEL
    rest.errors[DM_CHANNEL] = Canned(403, 50007, "Cannot send messages to this user")
    await services.subscriptions.subscribe(channel_chat(CHANNEL), "DE")  # set up by no one
    rest.errors[CHANNEL] = Canned(403, 50013, "Missing Permissions")
    await services.subscriptions.subscribe(user_chat(USER), "DE")
    notifier = DiscordNotifier(online_bot, pacer=Pacer(per_second=NO_WAIT))
    dispatcher = services.dispatcher(notifier, sleep=RecordingSleep())
    clock.set(FIRST_REMINDER)
    report = await dispatcher.run_once()
    assert report.refused == 2
    assert len(rest.calls("POST", "/api/v10/users/@me/channels")) == 1  # the reminder's DM only
    assert len(rest.posted(DM_CHANNEL)) == 1 and len(rest.posted(CHANNEL)) == 1
