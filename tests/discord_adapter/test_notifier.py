"""Reminder delivery through DiscordNotifier and discord.py's real HTTP client, against the fake
REST API: what would be sent, and how Discord's refusals reach the dispatcher."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.core.reminders import ChatRef
from bot.discord.chats import channel_chat, user_chat
from bot.discord.notifier import DiscordNotifier, Pacer
from bot.service.errors import PermanentRefusal, TransientFailure
from tests.discord_adapter.fake_rest_api import Canned

BERLIN = ZoneInfo("Europe/Berlin")
FIRST_REMINDER = dt.datetime(2025, 10, 20, 10, 0, tzinfo=BERLIN)  # 14 days before 3 Nov, for DE
USER = 400000000000000009
DM_CHANNEL = 700000000000000009
CHANNEL = 300000000000000077
NO_WAIT = 0.0


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


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
