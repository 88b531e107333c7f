"""A core Reply as Discord messages: embeds under Discord's limits, link buttons, and the
versioned custom_ids of the buttons that ask the bot something (they must outlive a restart).

Every piece of text is escaped for markdown and mentions here, so neither knowledge text nor
anything a user typed can format a message or ping anyone; the client also sends every message
with allowed_mentions parse [] (AllowedMentions.none()).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import discord
from discord.utils import escape_markdown, escape_mentions

from bot.core.reply import CitedSource, Reply, Topic, cited_sites

# Discord's limits, counted in UTF-16 code units to be safe.
MAX_CONTENT = 2000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FIELDS = 25
MAX_FOOTER = 2048
MAX_EMBED_TOTAL = 6000  # all the text of all the embeds of one message
MAX_EMBEDS = 10
MAX_BUTTONS = 25  # 5 rows of 5
MAX_LABEL = 80
MAX_URL = 512
MAX_CUSTOM_ID = 100

# custom_ids are "optout:<version>:<action>:<argument>"; a message's buttons outlive a deploy, so
# a change to this format takes a new version, and old buttons are answered politely.
CUSTOM_ID_VERSION = "v1"
_TOPIC = CUSTOM_ID_VERSION + r":t:(?P<intent>[A-Za-z0-9_.-]{1,48})"
_COMMAND = CUSTOM_ID_VERSION + r":c:(?P<command>[a-z]{1,20}(?: [A-Za-z0-9_./+-]{1,40})?)"
# "More" under a short answer carries its topic and region ("-" for none): no memory needed.
_MORE = CUSTOM_ID_VERSION + r":m:(?P<intent>[A-Za-z0-9_.-]{1,48}):(?P<region>[A-Z]{2,3}|-)"
TOPIC_TEMPLATE = "optout:" + _TOPIC
COMMAND_TEMPLATE = "optout:" + _COMMAND
MORE_TEMPLATE = "optout:" + _MORE
# Any other "optout:" custom_id: another version's, or one this version cannot read.
OLD_TEMPLATE = "optout:(?!(?:{}|{}|{})$).*".format(
    _TOPIC.replace("?P<intent>", ""),
    _COMMAND.replace("?P<command>", ""),
    _MORE.replace("?P<intent>", "").replace("?P<region>", ""),
)
ANSWER_COLOUR = discord.Colour.blurple()
OTHER_COLOUR = discord.Colour.light_grey()

ButtonStyle = Literal["link", "primary", "secondary", "danger"]
_WEB_URL = re.compile(r"^https?://[^\s<>()]+$")


@dataclass(frozen=True)
class ButtonSpec:
    """A button to put under a message: a link (url) or one that asks the bot (custom_id)."""

    label: str
    style: ButtonStyle
    url: str | None = None
    custom_id: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    embeds: tuple[discord.Embed, ...] = ()
    buttons: tuple[ButtonSpec, ...] = ()


def discord_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def safe(text: str) -> str:
    """Plain text as it may appear in a message: no markdown, no mention."""
    return escape_mentions(escape_markdown(text))


# --- custom_ids --------------------------------------------------------------------------------


def topic_custom_id(intent: str) -> str | None:
    custom_id = f"optout:{CUSTOM_ID_VERSION}:t:{intent}"
    return custom_id if re.fullmatch(TOPIC_TEMPLATE, custom_id) else None


def more_custom_id(intent: str, region: str | None) -> str | None:
    custom_id = f"optout:{CUSTOM_ID_VERSION}:m:{intent}:{region or '-'}"
    return custom_id if re.fullmatch(MORE_TEMPLATE, custom_id) else None


def command_custom_id(command: str) -> str | None:
    custom_id = f"optout:{CUSTOM_ID_VERSION}:c:{command}"
    fits = len(custom_id) <= MAX_CUSTOM_ID and re.fullmatch(COMMAND_TEMPLATE, custom_id)
    return custom_id if fits else None


# --- messages ----------------------------------------------------------------------------------


def render_reply(reply: Reply, *, note: str | None = None) -> list[OutgoingMessage]:
    """The reply as one or more messages of embeds; the buttons go on the last one. `note` is a
    platform hint shown as a footer (where reminders will arrive)."""
    buttons, overflow = reply_buttons(reply)
    colour = ANSWER_COLOUR if reply.kind == "answer" else OTHER_COLOUR
    embeds = _embeds(reply, overflow, colour, note)
    messages: list[list[discord.Embed]] = [[]]
    size = 0
    for embed in embeds:
        embed_size = embed_length(embed)
        current = messages[-1]
        if current and (len(current) >= MAX_EMBEDS or size + embed_size > MAX_EMBED_TOTAL):
            messages.append([])
            size = 0
        messages[-1].append(embed)
        size += embed_size
    *first, last = messages
    return [OutgoingMessage(tuple(m)) for m in first] + [
        OutgoingMessage(tuple(last), tuple(buttons))
    ]


def split_content(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Plain text (a reminder) as message contents under `limit`, split between paragraphs,
    then lines, then words."""
    blocks = [piece for block in text.split("\n\n") for piece in _fit(block, limit)]
    return _pack(blocks, "\n\n", limit) or ["…"]


def embed_length(embed: discord.Embed) -> int:
    """The text Discord counts towards an embed's 6,000 characters."""
    parts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    parts += [f"{field.name}{field.value}" for field in embed.fields]
    return sum(discord_len(part) for part in parts)


def _embeds(
    reply: Reply, overflow: tuple[Topic, ...], colour: discord.Colour, note: str | None
) -> list[discord.Embed]:
    title = _clip(safe(reply.title), MAX_TITLE) if reply.title else None
    descriptions = _pack(_description_blocks(reply), "\n\n", MAX_DESCRIPTION)
    embeds = [
        discord.Embed(title=title if n == 0 else None, description=text, colour=colour)
        for n, text in enumerate(descriptions or [None])
    ]
    if embeds[0].title is None and embeds[0].description is None:
        embeds[0].description = "…"
    sources = reply.label("sources").rstrip(": ")  # a field name, not a line's start
    cited = () if reply.short else reply.sources  # a short answer's sources are behind "More"
    fields = _fields(sources, _source_items(cited, reply.labels), "; ")
    fields += _fields(reply.label("more_topics"), [safe(t.title) for t in overflow], "\n")
    for name, value in fields:
        last = embeds[-1]
        grown = embed_length(last) + discord_len(name) + discord_len(value)
        if len(last.fields) >= MAX_FIELDS or grown > MAX_EMBED_TOTAL:
            last = discord.Embed(colour=colour)
            embeds.append(last)
        last.add_field(name=name, value=value, inline=False)
    if note:
        footer = _clip(safe(note), MAX_FOOTER)
        if embed_length(embeds[-1]) + discord_len(footer) > MAX_EMBED_TOTAL:
            embeds.append(discord.Embed(colour=colour))
        embeds[-1].set_footer(text=footer)
    return embeds


def _description_blocks(reply: Reply) -> list[str]:
    if reply.short:  # the short answer first: the rest is behind "More"
        return _fit(reply.short, MAX_DESCRIPTION)
    blocks = [piece for paragraph in reply.paragraphs for piece in _fit(paragraph, MAX_DESCRIPTION)]
    if reply.steps:
        lines = [
            piece
            for n, step in enumerate(reply.steps, 1)
            for piece in _fit(f"{n}. {step}", MAX_DESCRIPTION, prefix_len=len(f"{n}. "))
        ]
        blocks += _pack(lines, "\n", MAX_DESCRIPTION)
    return blocks


def _fields(name: str, items: list[str], separator: str) -> list[tuple[str, str]]:
    values = _pack(items, separator, MAX_FIELD_VALUE)
    return [(name if n == 0 else f"{name} (continued)", value) for n, value in enumerate(values)]


def _source_items(
    sources: tuple[CitedSource, ...], words: dict[str, str] | None = None
) -> list[str]:
    """Each site once with its status, linked to its first source: "[linkedin.com](…) (confirmed)",
    the status in the reply's language."""
    items = []
    for site, status, url in cited_sites(sources, words):
        label = f"{safe(site)} ({safe(status)})"
        linked = f"[{safe(site)}]({url}) ({safe(status)})"
        fits = _WEB_URL.match(url) and discord_len(linked) < MAX_FIELD_VALUE
        items.append(linked if fits else _clip(label, MAX_FIELD_VALUE))
    return items


# --- buttons -----------------------------------------------------------------------------------


def reply_buttons(reply: Reply) -> tuple[list[ButtonSpec], tuple[Topic, ...]]:
    """Link buttons, "More" under a short answer, then "did you mean" picks, topic and command
    buttons: at most 25, each custom_id once. Topics that do not fit are returned, to be listed
    as text."""
    buttons: list[ButtonSpec] = [
        ButtonSpec(_clip(link.label, MAX_LABEL), "link", url=link.url)
        for link in reply.links
        if _WEB_URL.match(link.url) and len(link.url) <= MAX_URL
    ]
    if reply.short and reply.intent and (more := more_custom_id(reply.intent, reply.region)):
        buttons.append(ButtonSpec(_label(reply.label("more")), "primary", custom_id=more))
    topics: list[tuple[Topic, ButtonStyle]] = []
    if reply.kind == "did_you_mean":
        topics += [(t, "primary") for t in reply.suggestions]
    else:
        topics += [(t, "secondary") for t in reply.suggestions]
    topics += [(t, "secondary") for t in reply.follow_ups]
    actions: list[tuple[ButtonSpec, Topic | None]] = []
    for topic, style in topics:
        custom_id = topic_custom_id(topic.id)
        if custom_id:
            actions.append((ButtonSpec(_label(topic.title), style, custom_id=custom_id), topic))
    if reply.kind == "did_you_mean":
        none_id = command_custom_id("topics")
        none_label = reply.label("none_of_these")
        actions.append((ButtonSpec(none_label, "secondary", custom_id=none_id), None))
    for command in reply.commands:
        custom_id = command_custom_id(command.command)
        if custom_id:
            style: ButtonStyle = "danger" if command.command.startswith("forget") else "primary"
            actions.append((ButtonSpec(_label(command.label), style, custom_id=custom_id), None))
    overflow: list[Topic] = []
    seen: set[str] = set()
    for spec, topic in actions:
        if spec.custom_id in seen:
            continue
        if len(buttons) >= MAX_BUTTONS:
            if topic is not None:
                overflow.append(topic)
            continue
        seen.add(spec.custom_id or "")
        buttons.append(spec)
    return buttons, tuple(overflow)


def _label(text: str) -> str:
    # Button labels are not markdown, but they are user-visible text: no mention syntax.
    return _clip(escape_mentions(text), MAX_LABEL) or "…"


# --- text pieces -------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    if discord_len(text) <= limit:
        return text
    cut = text
    while discord_len(cut) > limit - 1:
        cut = cut[: -max(1, (discord_len(cut) - limit + 1) // 2)]
    return cut.rstrip("\\") + "…"


def _pack(pieces: list[str], separator: str, limit: int) -> list[str]:
    """Greedy join of pieces (each under `limit`) into as few strings under `limit` as possible."""
    packed: list[str] = []
    for piece in pieces:
        if (
            packed
            and discord_len(packed[-1]) + discord_len(separator) + discord_len(piece) <= limit
        ):
            packed[-1] += separator + piece
        else:
            packed.append(piece)
    return packed


def _fit(plain: str, limit: int, *, prefix_len: int = 0) -> list[str]:
    """Escaped plain text in pieces under `limit`: whole if it fits, else at line breaks, then at
    spaces, then anywhere. Escaping happens per piece, so an escape is never cut in half. The
    first `prefix_len` characters (a step number) are kept as they are."""
    prefix, body = plain[:prefix_len], plain[prefix_len:]
    escaped = prefix + safe(body)
    if discord_len(escaped) <= limit:
        return [escaped]
    if prefix:
        first, *rest = _fit(body, limit - discord_len(prefix))
        return [prefix + first, *rest]
    if "\n" in plain:
        return _pack([p for line in plain.split("\n") for p in _fit(line, limit)], "\n", limit)
    if " " in plain.strip():
        return _pack([p for word in plain.split() for p in _fit(word, limit)], " ", limit)
    pieces, current = [], ""
    for char in plain:
        if discord_len(safe(current + char)) > limit:
            pieces.append(safe(current))
            current = ""
        current += char
    return [*pieces, safe(current)] if current else pieces
