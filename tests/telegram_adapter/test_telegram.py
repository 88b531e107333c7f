"""The Telegram door end to end: the real python-telegram-bot Application, started by our runner,
against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import html
import logging
import os
import re
import signal
import socket
import sys

import aiohttp
import pytest
from telegram import Update

from bot.core.chats import ChatRef
from bot.core.reply import ENGLISH_LABELS, CitedSource, LinkButton, Reply, Topic, render_plain
from bot.service.chat import ChatService
from bot.service.commands import listed_commands
from bot.service.errors import PermanentRefusal
from bot.service.log_ids import TOKEN_BEARING_LOGGERS
from bot.settings import telegram_settings
from bot.storage import open_store
from bot.telegram.app import build_application
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.render import (
    MAX_CALLBACK_BYTES,
    ButtonPress,
    decode_press,
    render_reply,
    tg_len,
)
from bot.telegram.runner import TelegramStartError, running
from bot.telegram.settings import SettingsError, TelegramSettings
from tests.conftest import KNOWLEDGE_DIR, ROOT
from tests.log_privacy import assert_logs_hold_none_of
from tests.telegram_adapter.fake_bot_api import BOT_USER, TOKEN, ApiError
from tests.telegram_adapter.support import GROUP, buttons, callback_data, sent_after

ALLOWED_TAGS = re.compile(r"</?(b|a)( href=\"[^\"<>]*\")?>")


@pytest.fixture
def service(chat_service) -> ChatService:
    return chat_service


@pytest.fixture
async def bot(api, settings, service):
    """The bot polling the fake server: initialize, post_init, start_polling, start; over the
    shared chat service (conftest.py's `bot` has services of its own, for reminders)."""
    app = build_application(settings, service)
    async with running(app, settings, poll_timeout=1):
        yield app


# --- conversation --------------------------------------------------------------------------------


async def test_start_publishes_commands_and_greets(api, bot):
    (reply,) = await sent_after(api, lambda: api.message("/start"))
    assert reply["parse_mode"] == "HTML" and reply["chat_id"] == "1001"
    assert reply["text"].startswith("<b>Greeting</b>") and "Hello!" in reply["text"]
    methods = [name for name, _ in api.calls]
    # The English menu for everyone, then one per other language (Telegram picks by the app's).
    assert methods[:9] == ["getMe", *["setMyCommands"] * 7, "deleteWebhook"]
    menus = {r.get("language_code"): r["commands"] for r in api.requests("setMyCommands")}
    assert set(menus) == {None, "de", "fr", "nl", "it", "es", "pl"}
    names = [c["command"] for c in menus[None]]
    assert names[:7] == ["help", "affected", "optout", "object", "deadline", "sources", "topics"]
    assert names == [c.name for c in listed_commands()]
    assert [c["command"] for c in menus["pl"]] == names
    assert menus["fr"][0]["description"] == "Ce que ce bot sait faire"
    assert api.requests("getUpdates")[0]["allowed_updates"] == list(Update.ALL_TYPES)


async def test_start_with_region_payload_answers_for_canada(api, bot):
    (reply,) = await sent_after(api, lambda: api.message("/start CA"))
    assert reply["text"].startswith("<b>Am I affected? Canada</b>\n\nYes. In Canada")


async def test_free_text_question_gets_answer_with_buttons(api, bot):
    (reply,) = await sent_after(api, lambda: api.message("how do I opt out?"))
    assert reply["text"].startswith("<b>How to turn off AI training on LinkedIn</b>")
    # The short answer first: the key step, no list of steps, no sources.
    assert "\n1. " not in reply["text"] and "Sources: " not in reply["text"]
    assert "Data for Generative AI Improvement" in reply["text"]
    urls = [b["url"] for b in buttons(reply) if "url" in b]
    assert urls == ["https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement"]
    data = callback_data(reply)
    assert data[0] == "v1|m|opt_out_steps|-"  # "More", right under the link
    assert "v1|t|objection_form" in data
    assert data[-2:] == ["v1|f|up|opt_out_steps", "v1|f|down|opt_out_steps"]
    assert all(len(d.encode()) < MAX_CALLBACK_BYTES for d in data)
    assert reply["link_preview_options"] == {"is_disabled": True}


async def test_a_reply_that_meets_a_429_is_sent_again_not_lost(api, bot):
    # Replies from three chats at once against one message a second: Telegram answers 429 to
    # two of them, and each waits its retry_after and is delivered.
    before = len(api.messages)
    api.flood_limit = 1
    for chat_id in (1001, 1002, 1003):
        api.message("how do I opt out?", chat_id=chat_id)
    for _ in range(100):
        if len(api.messages) >= before + 3:
            break
        await asyncio.sleep(0.1)
    assert api.flood_answers >= 2
    assert sorted(m["chat"]["id"] for m in api.messages[before:]) == [1001, 1002, 1003]


async def test_am_i_affected_then_a_country(api, bot):
    (first,) = await sent_after(api, lambda: api.message("am I affected?"))
    assert "Which country do you live in?" in first["text"]
    (second,) = await sent_after(api, lambda: api.message("Canada"))
    assert "Yes. In Canada" in second["text"]
    assert "v1|m|am_i_affected|CA" in callback_data(second)


async def test_sessions_are_per_chat(api, bot):
    await sent_after(api, lambda: api.message("am I affected?", chat_id=1001))
    (other,) = await sent_after(api, lambda: api.message("how do I opt out?", chat_id=1002))
    assert other["chat_id"] == "1002"
    (reply,) = await sent_after(api, lambda: api.message("Norway", chat_id=1001))
    assert "Yes. In Norway" in reply["text"]


async def test_unknown_command_in_private_gets_help(api, bot):
    (reply,) = await sent_after(api, lambda: api.message("/frobnicate"))
    assert reply["text"].startswith("<b>What this bot can do</b>")


async def test_edited_message_is_not_answered_again(api, bot):
    original = api.message("/deadline")
    await api.wait_for("sendMessage", 1)
    api.queue({"edited_message": {**original, "edit_date": original["date"] + 1}})
    (reply,) = await sent_after(api, lambda: api.message("/optout"))
    assert "How to turn off AI training" in reply["text"]  # the edit was skipped, in order


# --- buttons -------------------------------------------------------------------------------------


async def test_more_gives_the_full_answer_and_survives_a_restart(api, bot, settings, service):
    (short,) = await sent_after(api, lambda: api.message("am I affected in Germany?"))
    assert "Yes. In Germany" in short["text"] and "Sources: " not in short["text"]
    assert [b["url"] for b in buttons(short) if "url" in b] == [
        "https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement"
    ]
    answer = api.messages[-1]
    (full,) = await sent_after(api, lambda: api.callback("v1|m|am_i_affected|DE", on=answer))
    assert full["text"].startswith("<b>Am I affected? Germany</b>\n\nFor Germany:")
    assert "Sources: " in full["text"] and "v1|m|" not in str(callback_data(full))
    # The pressed message loses its "More" button, keeps its link and follow-ups.
    edited = api.requests("editMessageReplyMarkup")[-1]["reply_markup"]
    assert "v1|m|" not in str(edited) and "data-for-ai-improvement" in str(edited)


async def test_more_on_an_old_message_in_a_chat_the_bot_has_never_seen(api, bot):
    # After a restart nothing is in memory: the button carries the topic and the region.
    old = {"message_id": 77, "chat": {"id": 3003, "type": "private"}, "date": 0, "text": "…"}
    (full,) = await sent_after(api, lambda: api.callback("v1|m|am_i_affected|US", on=old))
    assert "For the United States:" in full["text"] and full["chat_id"] == "3003"
    await sent_after(
        api, lambda: api.callback("v1|m|gone_topic|US", on=old), method="answerCallbackQuery"
    )
    assert "older version" in api.requests("answerCallbackQuery")[-1]["text"]


async def test_follow_up_button(api, bot):
    await sent_after(api, lambda: api.message("how do I opt out?"))
    answer = api.messages[-1]
    (reply,) = await sent_after(api, lambda: api.callback("v1|t|objection_form", on=answer))
    assert "Objection" in reply["text"].split("\n")[0]
    assert api.requests("answerCallbackQuery")[-1].get("text") is None


async def test_did_you_mean_pick_removes_the_menu_and_answers(api, bot):
    (menu,) = await sent_after(api, lambda: api.message("my data"))  # too vague to answer
    picks = callback_data(menu)
    assert picks == ["v1|d|am_i_affected", "v1|d|opt_out_steps", "v1|d|data_used", "v1|n"]
    assert buttons(menu)[-1]["text"] == "None of these"
    on = api.messages[-1]
    (reply,) = await sent_after(api, lambda: api.callback(picks[1], on=on))
    assert reply["text"].startswith("<b>How to turn off AI training")
    (edit,) = api.requests("editMessageReplyMarkup")
    assert edit["message_id"] == str(on["message_id"]) and not edit.get("reply_markup")


async def test_none_of_these_shows_the_topics(api, bot):
    await sent_after(api, lambda: api.message("my data"))
    on = api.messages[-1]
    (reply,) = await sent_after(api, lambda: api.callback("v1|n", on=on))
    assert reply["text"].startswith("<b>Topics I can answer</b>")
    assert "v1|t|opt_out_steps" in callback_data(reply)
    assert len(api.requests("editMessageReplyMarkup")) == 1


async def test_feedback_is_counted_per_intent_and_the_row_removed(api, bot):
    await sent_after(api, lambda: api.message("how do I opt out?"))
    answer = api.messages[-1]
    (ack,) = await sent_after(
        api, lambda: api.callback("v1|f|up|opt_out_steps", on=answer), method="answerCallbackQuery"
    )
    assert ack["text"] == ENGLISH_LABELS["feedback_thanks"]
    await sent_after(
        api, lambda: api.callback("v1|f|down|deadline", on=answer), method="answerCallbackQuery"
    )
    assert bot.bot_data.feedback.counts() == {
        "deadline": {"up": 0, "down": 1},
        "opt_out_steps": {"up": 1, "down": 0},
    }
    edit = api.requests("editMessageReplyMarkup")[0]
    kept = [b for row in edit["reply_markup"]["inline_keyboard"] for b in row]
    assert kept and not any(b.get("callback_data", "").startswith("v1|f|") for b in kept)
    assert len(api.sent) == 1  # a vote sends no message


@pytest.mark.parametrize("data", ["v0|t|deadline", "v2|t|deadline", "v1|t|no_such_topic", "junk"])
async def test_old_or_unknown_button_is_answered_politely(api, bot, data):
    await sent_after(api, lambda: api.message("/deadline"))
    on = api.messages[-1]
    (ack,) = await sent_after(api, lambda: api.callback(data, on=on), method="answerCallbackQuery")
    assert ack["text"] == ENGLISH_LABELS["old_button"]
    assert len(api.sent) == 1


# --- inline mode ---------------------------------------------------------------------------------


async def test_inline_query_gives_a_short_answer_and_a_deep_link(api, bot):
    (answer,) = await sent_after(
        api, lambda: api.inline_query("canada"), method="answerInlineQuery"
    )
    (result,) = answer["results"]
    assert result["type"] == "article" and result["title"] == "Am I affected? Canada"
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML" and "Yes. In Canada" in content["message_text"]
    assert tg_len(content["message_text"]) < 1600
    (setting, ask) = [row[0] for row in result["reply_markup"]["inline_keyboard"]]
    assert setting["url"].startswith("https://www.linkedin.com/")
    assert ask["url"] == f"https://t.me/{BOT_USER['username']}?start=CA"
    assert answer["button"] == {"text": "Message me privately", "start_parameter": "CA"}
    assert api.sent == []


async def test_inline_steps_show_the_short_answer_and_the_setting_link(api, bot):
    (answer,) = await sent_after(
        api, lambda: api.inline_query("how do I opt out"), method="answerInlineQuery"
    )
    (result,) = answer["results"]
    text = result["input_message_content"]["message_text"]
    # The key step and the one action, whole: no preamble cut off with "…".
    assert 'Turn off the setting "Data for Generative AI Improvement"' in text
    assert "…" not in text
    urls = [row[0]["url"] for row in result["reply_markup"]["inline_keyboard"]]
    assert urls[0] == "https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement"


@pytest.mark.parametrize("query", ["  ", "asdf qwerty", "what's the weather in Paris?"])
async def test_inline_query_without_an_answer_offers_to_open_the_bot(api, bot, query):
    (answer,) = await sent_after(api, lambda: api.inline_query(query), method="answerInlineQuery")
    assert answer["results"] == []
    assert answer["button"] == {"text": "Message me privately", "start_parameter": "inline"}
    # Pressing it opens the private chat with /start inline: the greeting, as a bare /start.
    (reply,) = await sent_after(api, lambda: api.message("/start inline"))
    assert reply["text"].startswith("<b>Greeting</b>")


async def test_inline_button_is_in_the_users_language(api, bot):
    query = lambda: api.queue(  # noqa: E731
        {
            "inline_query": {
                "id": "iq-de",
                "from": api.user(1001, language="de"),
                "query": "zzzz",
                "offset": "",
            }
        }
    )
    (answer,) = await sent_after(api, query, method="answerInlineQuery")
    assert answer["button"] == {"text": "Mir privat schreiben", "start_parameter": "inline"}


async def test_inline_link_starts_the_bot_for_that_region(api, bot):
    await sent_after(api, lambda: api.inline_query("canada"), method="answerInlineQuery")
    (reply,) = await sent_after(api, lambda: api.message("/start CA", chat_id=2002))
    assert "Yes. In Canada" in reply["text"]


# --- rendering -----------------------------------------------------------------------------------


async def test_html_in_a_question_is_never_echoed_raw(api, bot):
    question = "<b>bold</b> & <script>alert(1)</script>"
    (reply,) = await sent_after(api, lambda: api.message(question))
    (place,) = await sent_after(api, lambda: api.message("/affected <b>Atlantis</b> & co"))
    for message in (reply, place):
        text = message["text"]
        assert "<script>" not in text and "<b>bold</b>" not in text and "Atlantis" not in text
        assert ALLOWED_TAGS.sub("", text).count("<") == 0
        assert "&" not in re.sub(r"&(lt|gt|amp|quot);", "", text)


def test_render_escapes_every_piece_of_text():
    reply = Reply(
        kind="answer",
        intent="x",
        confidence=1.0,
        region=None,
        title="<b>Title</b> & co",
        paragraphs=("<script>alert('x')</script> & more",),
        steps=("Open <Settings> & go",),
        links=(LinkButton("Open <it>", "https://example.org/?a=1&b=2"),),
        sources=(CitedSource('https://example.org/"x"&y', "T", "confirmed"),),
        follow_ups=(Topic("deadline", "The <deadline>"),),
    )
    (out,) = render_reply(reply, feedback=True)
    assert out.text.startswith("<b>&lt;b&gt;Title&lt;/b&gt; &amp; co</b>")
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; more" in out.text
    assert "1. Open &lt;Settings&gt; &amp; go" in out.text
    assert (
        '<a href="https://example.org/&quot;x&quot;&amp;y">example.org</a> (confirmed)' in out.text
    )
    assert ALLOWED_TAGS.sub("", out.text).count("<") == 0
    rows = out.keyboard.inline_keyboard
    assert rows[0][0].url == "https://example.org/?a=1&b=2"  # button fields are not HTML
    assert [b.callback_data for b in rows[-1]] == ["v1|f|up|x", "v1|f|down|x"]


async def test_long_answer_is_split_at_paragraphs(api, bot, service):
    sources = await service.command(ChatRef("test", "1"), "sources")
    assert tg_len(render_plain(sources)) > 4096
    expected = len(render_reply(sources))
    parts = await sent_after(api, lambda: api.message("/sources"), count=expected)
    assert expected >= 2 and len(api.sent) == expected
    assert all(tg_len(p["text"]) <= 4096 for p in parts)
    for paragraph in sources.paragraphs:  # every paragraph whole, in exactly one message
        escaped = html.escape(paragraph, quote=False)
        assert sum(escaped in p["text"] for p in parts) == 1
    assert all(not p.get("reply_markup") for p in parts[:-1])


def test_render_splits_one_huge_paragraph_without_breaking_entities():
    word = "a&b<c>" * 50
    paragraph = " ".join([word] * 40) + " " + "x&" * 3000  # spaces, then one unbreakable run
    reply = Reply("answer", "x", 1.0, None, "T", paragraphs=(paragraph,))
    parts = render_reply(reply, limit=4096)
    assert len(parts) > 2 and all(tg_len(p.text) <= 4096 for p in parts)
    rejoined = "".join(html.unescape(p.text.removeprefix("<b>T</b>\n\n")) for p in parts)
    assert rejoined.replace(" ", "") == paragraph.replace(" ", "")


def test_callback_data_round_trips_and_stays_under_64_bytes():
    for press in (
        ButtonPress("topic", "opt_out_steps"),
        ButtonPress("pick", "am_i_affected"),
        ButtonPress("none"),
        ButtonPress("feedback", "microsoft_sharing", "down"),
    ):
        data = press.encode()
        assert data and data.startswith("v1|") and len(data.encode()) <= MAX_CALLBACK_BYTES
        assert decode_press(data) == press
    assert ButtonPress("topic", "x" * 70).encode() is None
    more = ButtonPress("more", "am_i_affected", region="CA")
    assert more.encode() == "v1|m|am_i_affected|CA" and decode_press(more.encode()) == more
    assert decode_press("v1|m|deadline|-") == ButtonPress("more", "deadline")
    assert decode_press("v1|m|deadline|<script>") is None
    assert decode_press("v1|f|sideways|deadline") is None
    assert decode_press(object()) is None


# --- groups --------------------------------------------------------------------------------------


async def test_group_answers_commands_and_replies_to_the_bot_only(api, bot):
    api.message("how do I opt out?", GROUP, chat_type="supergroup", user_id=7)
    someone = {**api.message("hi all", GROUP, chat_type="supergroup", user_id=8)}
    api.message("/deadline", GROUP, chat_type="supergroup", user_id=7, reply_to=someone)
    api.message("/optout@optout_test_bot", GROUP, chat_type="supergroup")
    await api.wait_for("sendMessage", 2)
    # Updates are handled in order: by now the plain text was seen, and ignored.
    assert [m["chat_id"] for m in api.sent] == [str(GROUP), str(GROUP)]
    deadline, command = api.sent
    assert deadline["text"].startswith("<b>The deadline")
    assert "How to turn off AI training" in command["text"]
    assert command["reply_parameters"]["message_id"]  # quotes the asker in a group

    bot_message = api.messages[-1]
    api.message("what is the weather", GROUP, chat_type="supergroup", reply_to=bot_message)
    api.message("my data", GROUP, chat_type="supergroup", reply_to=bot_message)
    (answer,) = await sent_after(
        api,
        lambda: api.message(
            "and the deadline?", GROUP, chat_type="supergroup", reply_to=bot_message
        ),
    )
    assert len(api.sent) == 3  # no fallback, no "did you mean" in a group
    assert answer["text"].startswith("<b>The deadline")
    # A bare command word in a group is not run: the reply names the command to send.
    (named,) = await sent_after(
        api, lambda: api.message("privacy", GROUP, chat_type="supergroup", reply_to=bot_message)
    )
    assert "/privacy" in named["text"]


async def test_unknown_commands_in_groups_are_ignored(api, bot):
    api.message("/frobnicate", GROUP, chat_type="supergroup")
    api.message("/help@another_bot", GROUP, chat_type="supergroup")
    (reply,) = await sent_after(api, lambda: api.message("/help", GROUP, chat_type="supergroup"))
    assert len(api.sent) == 1 and reply["text"].startswith("<b>What this bot can do</b>")


# --- errors --------------------------------------------------------------------------------------


async def test_a_failing_send_is_logged_by_type_and_the_bot_goes_on(api, bot, caplog):
    api.errors[3003] = ApiError(403, "Forbidden: bot was blocked by the user")
    api.message("how do I opt out?", chat_id=3003)
    api.message("/deadline", chat_id=1001)
    attempts = await api.wait_for("sendMessage", 3)
    # The answer fails, so does the apology; the next chat is answered all the same.
    assert [m["chat_id"] for m in attempts] == ["3003", "3003", "1001"]
    assert [m["chat"]["id"] for m in api.messages] == [1001]
    assert "telegram handler failed" in caplog.text and "error=Forbidden" in caplog.text


@pytest.fixture
def debug_logs(caplog):
    """Every logger at DEBUG, as if configured carelessly; build_application must quiet them."""
    for name in TOKEN_BEARING_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    caplog.set_level(logging.DEBUG)
    return caplog


async def test_a_rejected_token_stops_start_up_without_showing_it(
    api, settings, service, debug_logs
):
    caplog = debug_logs
    api.reject_token = True
    app = build_application(settings, service)
    with pytest.raises(TelegramStartError) as failure:
        async with running(app, settings):
            pass
    assert "rejected TELEGRAM_BOT_TOKEN" in str(failure.value)
    assert TOKEN not in str(failure.value) and TOKEN not in caplog.text


async def test_token_text_and_names_never_reach_the_logs(api, settings, service, debug_logs):
    caplog = debug_logs
    app = build_application(settings, service)
    async with running(app, settings, poll_timeout=1):
        api.message("/start", first_name="Zebulon")
        api.message("how do I opt out? my secret question", first_name="Zebulon")
        await api.wait_for("sendMessage", 2)
        await sent_after(
            api, lambda: api.callback("v1|t|deadline", on=api.messages[-1]), method="sendMessage"
        )
        await sent_after(api, lambda: api.inline_query("canada"), method="answerInlineQuery")
    records = caplog.records
    assert any(r.getMessage().startswith("telegram reply kind=") for r in records)
    for text in (TOKEN, TOKEN.split(":")[1], "secret question", "Zebulon"):
        assert text not in caplog.text
        assert not any(text in r.getMessage() for r in records)


# --- webhook -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_checks_the_secret_header(api, service):
    secret = "s3cret-Value_1"
    settings = TelegramSettings(
        token=api.token,
        api_base_url=api.base_url,
        webhook_url="https://bot.example.org/telegram/hook",
        webhook_secret=secret,
        webhook_listen="127.0.0.1",
        webhook_port=free_port(),
    )
    app = build_application(settings, service)
    update = api.raw_update({"message": api.message("/deadline")})
    api.clear_updates()  # delivered by POST, not by getUpdates
    url = f"http://127.0.0.1:{settings.webhook_port}/telegram/hook"
    async with running(app, settings), aiohttp.ClientSession() as http:
        (hook,) = api.requests("setWebhook")
        assert hook["url"] == settings.webhook_url and hook["secret_token"] == secret
        assert hook["allowed_updates"] == list(Update.ALL_TYPES)
        assert api.requests("getUpdates") == []
        async with http.post(url, json=update) as response:
            assert response.status == 403
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "not-it"}
        async with http.post(url, json=update, headers=wrong) as response:
            assert response.status == 403
        assert api.sent == []
        right = {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with http.post(url, json=update, headers=right) as response:
            assert response.status == 200
        (reply,) = await api.wait_for("sendMessage")
        assert reply["text"].startswith("<b>The deadline")


async def test_webhook_port_in_use_is_a_clear_start_error(api, service):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = TelegramSettings(
            token=api.token,
            api_base_url=api.base_url,
            webhook_url="https://bot.example.org/hook",
            webhook_secret="s3cret",
            webhook_listen="127.0.0.1",
            webhook_port=port,
        )
        app = build_application(settings, service)
        with pytest.raises(TelegramStartError, match=f"cannot listen on 127.0.0.1:{port}"):
            async with running(app, settings):
                pass


# --- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "Bearer abc def"}, "does not look like a bot token"),
        ({"TELEGRAM_API_BASE_URL": "ftp://x/bot"}, "TELEGRAM_API_BASE_URL must be an http(s) URL"),
        ({"TELEGRAM_API_BASE_URL": "https://api.telegram.org/"}, "must end in /bot"),
        ({"TELEGRAM_WEBHOOK_URL": "https://x.org/hook"}, "TELEGRAM_WEBHOOK_SECRET is required"),
        ({"TELEGRAM_WEBHOOK_URL": "http://x.org/hook", "TELEGRAM_WEBHOOK_SECRET": "s"}, "https://"),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://x.org/h", "TELEGRAM_WEBHOOK_SECRET": "no spaces"},
            "1-256 characters",
        ),
        ({"TELEGRAM_WEBHOOK_PORT": "eighty"}, "TELEGRAM_WEBHOOK_PORT must be a port number"),
        ({"TELEGRAM_WEBHOOK_PORT": "70000"}, "TELEGRAM_WEBHOOK_PORT must be a port number"),
    ],
)
def test_settings_errors_are_one_clear_line(env, message):
    if env and "TELEGRAM_BOT_TOKEN" not in env:
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, **env}
    with pytest.raises(SettingsError) as error:
        telegram_settings(env)
    text = str(error.value)
    assert message in text and "\n" not in text and TOKEN not in text
    assert "abc def" not in text


def test_settings_defaults_and_repr_hide_secrets():
    settings = telegram_settings(
        {
            "TELEGRAM_BOT_TOKEN": f"  {TOKEN} ",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
            "TELEGRAM_WEBHOOK_SECRET": "hook-secret_1",
        }
    )
    assert settings.token == TOKEN
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.uses_webhook and settings.webhook_path == "/tg"
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 8443)
    shown = repr(settings) + str(settings) + f"{settings}"
    assert TOKEN.split(":")[1] not in shown and "hook-secret_1" not in shown
    polling = telegram_settings({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert not polling.uses_webhook and polling.webhook_secret is None


# --- the command line ----------------------------------------------------------------------------


@pytest.mark.slow
async def test_cli_runs_the_bot_and_the_reminders_and_stops_cleanly_on_sigterm(api, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'optout-bot.db'}")
    store.add_subscription(
        "telegram",
        "2002",
        region="CA",
        language="en",
        timezone="America/Toronto",
        checkup="off",
        created_at=dt.datetime(2025, 10, 1, tzinfo=dt.UTC),
    )
    store.close()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "OPTOUT_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
        "OPTOUT_DATA_DIR": str(tmp_path),
    }
    env.pop("TELEGRAM_WEBHOOK_URL", None)
    env.pop("OPTOUT_DATABASE_URL", None)
    # Seconds after 10:00 in Toronto on 19 October: the 14-day reminder is due.
    now = "2025-10-20T14:00:05+00:00"
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot.cli", "run", "--now", now),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        (reminder,) = await api.wait_for("sendMessage", timeout=30)
        assert reminder["chat_id"] == "2002" and reminder["text"].startswith("Reminder. In 14")
        (reply,) = await sent_after(api, lambda: api.message("/start CA"))
        assert "Yes. In Canada" in reply["text"]
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    assert process.returncode == 0, err.decode()
    final = api.requests("getUpdates")[-1]
    assert final["timeout"] == "0" and int(final["offset"]) > 1  # handled updates confirmed
    assert api.token not in (out + err).decode()
    store = open_store(f"sqlite:///{tmp_path / 'optout-bot.db'}")
    try:
        assert store.stats()["sent"] == 1  # recorded before the store was closed
    finally:
        store.close()


# A process of its own; tests/test_settings.py has the problem's line in this one.
@pytest.mark.slow
async def test_cli_only_telegram_without_token_explains(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--only",
        "telegram",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert (
        err.decode().strip()
        == "optout-bot: TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather"
    )


# --- what the logs hold --------------------------------------------------------------------------

PRIVATE_ID = 918273645
OTHER_ID = 918273646
GROUP_ID = -1009182736451
SECRET_TEXT = "Zorblax Quuxley of 12 Wibble Lane"


async def test_a_whole_conversation_logs_no_id_and_no_text(api, settings, service, debug_logs):
    """Every line logged, at every level, while a person asks, presses buttons, subscribes,
    reads /privacy, forgets, asks inline and in a group, and a reminder is refused: neither
    their chat or user id nor a word they wrote is in it."""
    caplog = debug_logs
    app = build_application(settings, service)
    api.errors[OTHER_ID] = ApiError(403, "Forbidden: bot was blocked by the user")
    async with running(app, settings, poll_timeout=1):

        async def say(text: str, chat_id: int = PRIVATE_ID, **options) -> list[dict]:
            return await sent_after(
                api, lambda: api.message(text, chat_id, first_name="Zebulonia", **options)
            )

        await say("/start")
        await say(f"how do I opt out? {SECRET_TEXT}")
        await sent_after(
            api, lambda: api.callback("v1|t|deadline", on=api.messages[-1], user_id=PRIVATE_ID)
        )
        await say(f"am I affected in Canada? {SECRET_TEXT}")
        await sent_after(
            api,
            lambda: api.callback("v1|m|am_i_affected|CA", on=api.messages[-1], user_id=PRIVATE_ID),
        )
        await say("subscribe CA")
        await say("/privacy")
        await say("forget")
        await say("yes")
        await sent_after(
            api,
            lambda: api.inline_query(f"canada {SECRET_TEXT}", user_id=PRIVATE_ID),
            method="answerInlineQuery",
        )
        await say("/deadline@optout_test_bot", GROUP_ID, chat_type="supergroup", user_id=PRIVATE_ID)
        before = len(api.sent)
        api.message(SECRET_TEXT, OTHER_ID)
        await api.wait_for("sendMessage", before + 2)  # the answer and the apology, both refused
        with pytest.raises(PermanentRefusal):
            await TelegramNotifier(app.bot, private_interval=0).send(
                ChatRef("telegram", str(OTHER_ID)), "reminder"
            )
    records = caplog.records
    messages = [r.getMessage() for r in records]
    ids = [str(PRIVATE_ID), str(OTHER_ID), str(GROUP_ID), str(abs(GROUP_ID))]
    assert_logs_hold_none_of(records, [*ids, SECRET_TEXT, "Zorblax", "Wibble", "Zebulonia"])
    assert any(m.startswith("telegram reply kind=answer") for m in messages)
    assert any(m.startswith("telegram reminder refused chat=") for m in messages)
