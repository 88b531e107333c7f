"""Reply -> Discord messages: every limit kept, text escaped, custom_ids stable."""

from __future__ import annotations

import json
import re

import pytest

from bot.core.reply import ENGLISH_LABELS, CitedSource, CommandButton, LinkButton, Reply, Topic
from bot.discord.render import (
    COMMAND_TEMPLATE,
    MAX_BUTTONS,
    MAX_CUSTOM_ID,
    MAX_EMBED_TOTAL,
    MAX_EMBEDS,
    MAX_LABEL,
    MORE_TEMPLATE,
    OLD_TEMPLATE,
    TOPIC_TEMPLATE,
    OutgoingMessage,
    command_custom_id,
    discord_len,
    embed_length,
    more_custom_id,
    render_reply,
    split_content,
    topic_custom_id,
)


def check_limits(messages: list[OutgoingMessage]) -> None:
    assert messages and all(m.embeds for m in messages)
    for message in messages:
        assert len(message.embeds) <= MAX_EMBEDS
        assert sum(embed_length(e) for e in message.embeds) <= MAX_EMBED_TOTAL
        for embed in message.embeds:
            assert discord_len(embed.title or "") <= 256
            assert discord_len(embed.description or "") <= 4096
            assert len(embed.fields) <= 25
            for field in embed.fields:
                assert discord_len(field.name) <= 256 and discord_len(field.value) <= 1024
    assert all(not m.buttons for m in messages[:-1])
    buttons = messages[-1].buttons
    assert len(buttons) <= MAX_BUTTONS
    ids = [b.custom_id for b in buttons if b.custom_id]
    assert len(ids) == len(set(ids))
    for button in buttons:
        assert 0 < len(button.label) <= MAX_LABEL
        if button.custom_id:
            assert len(button.custom_id) <= MAX_CUSTOM_ID
            assert any(
                re.fullmatch(template, button.custom_id)
                for template in (TOPIC_TEMPLATE, COMMAND_TEMPLATE, MORE_TEMPLATE)
            )


def all_text(messages: list[OutgoingMessage]) -> str:
    parts = []
    for message in messages:
        parts += [json.dumps(e.to_dict(), ensure_ascii=False) for e in message.embeds]
        parts += [b.label for b in message.buttons]
    return "\n".join(parts)


def test_every_topic_of_the_knowledge_base_fits(answerer):
    replies = [answerer.answer_intent(i) for i in answerer.kb.intents]
    replies += [answerer.answer_intent(i).full() for i in answerer.kb.intents]
    replies += [answerer.sources_reply(), answerer.topics_reply()]
    for reply in replies:
        check_limits(render_reply(reply))


def test_a_short_answer_shows_alone_with_its_links_and_a_more_button(answerer):
    reply = answerer.answer_intent("am_i_affected", "US")
    (message,) = render_reply(reply)
    (embed,) = message.embeds
    assert embed.description.startswith("Yes. In the United States") and not embed.fields
    urls = [b.url for b in message.buttons if b.url]
    assert urls == [link.url for link in reply.links] and len(urls) == 2  # setting and ads
    more = [b for b in message.buttons if b.custom_id and b.custom_id.startswith("optout:v1:m:")]
    assert [(b.label, b.custom_id) for b in more] == [("More", "optout:v1:m:am_i_affected:US")]
    assert more_custom_id("deadline", None) == "optout:v1:m:deadline:-"
    assert more_custom_id("deadline", "<x>") is None
    (full,) = render_reply(reply.full())
    assert "For the United States:" in full.embeds[0].description
    assert not any(b.custom_id and ":m:" in b.custom_id for b in full.buttons)


def test_an_oversized_reply_is_split_within_every_limit():
    topics = tuple(Topic(f"topic_{n}", f"Topic number {n}") for n in range(40))
    reply = Reply(
        kind="answer",
        intent="x",
        confidence=1.0,
        region=None,
        title="T" * 400,
        paragraphs=("x" * 9000, "word " * 2000, "line\n" * 900),
        steps=tuple(f"Step {n} " + "y " * 300 for n in range(20)),
        links=(LinkButton("Open the setting " * 10, "https://www.linkedin.com/settings"),),
        sources=tuple(
            CitedSource(f"https://site{n}.example/page", f"S{n}", "confirmed") for n in range(80)
        ),
        follow_ups=topics,
        commands=(CommandButton("Unsubscribe", "unsubscribe"),),
    )
    messages = render_reply(reply, note="A note")
    check_limits(messages)
    assert len(messages) >= 3
    buttons = messages[-1].buttons
    assert len(buttons) == MAX_BUTTONS and buttons[0].url == "https://www.linkedin.com/settings"
    fields = [f.name for m in messages for e in m.embeds for f in e.fields]
    assert ENGLISH_LABELS["more_topics"] in fields  # the topics without a button are listed
    assert "A note" in all_text(messages)
    descriptions = "".join(e.description or "" for m in messages for e in m.embeds)
    assert descriptions.count("x") >= 9000


def test_text_cannot_mention_or_format():
    reply = Reply(
        kind="fallback",
        intent=None,
        confidence=0.0,
        region=None,
        title="@everyone",
        paragraphs=("@here **bold** <@123456789012345678> <@&123456789012345678>",),
        follow_ups=(Topic("deadline", "@everyone deadline"),),
    )
    text = all_text(render_reply(reply))
    assert "@everyone" not in text and "@here" not in text
    assert "<@123456789012345678>" not in text and "<@&123456789012345678>" not in text
    assert "**bold**" not in text


def test_custom_ids_are_versioned_and_old_ones_recognised():
    assert topic_custom_id("opt_out_steps") == "optout:v1:t:opt_out_steps"
    assert command_custom_id("checkup monthly") == "optout:v1:c:checkup monthly"
    assert topic_custom_id("bad id!") is None and command_custom_id("x" * 120) is None
    for old in ("optout:v0:t:deadline", "optout:v1:t:bad id!", "optout:v2:c:topics"):
        assert re.fullmatch(OLD_TEMPLATE, old)
    for current in (
        "optout:v1:t:deadline",
        "optout:v1:c:forget confirm",
        "optout:v1:m:am_i_affected:CA",
        "optout:v1:m:deadline:-",
    ):
        assert not re.fullmatch(OLD_TEMPLATE, current)
    assert re.fullmatch(OLD_TEMPLATE, "optout:v1:m:deadline:ca")


@pytest.mark.parametrize("limit", [2000, 50])
def test_split_content_keeps_the_text_under_the_limit(limit):
    text = "First paragraph.\n\n" + "a long line " * 400 + "\n\n" + "z" * 3000
    pieces = split_content(text, limit)
    assert all(discord_len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())
