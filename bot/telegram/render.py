"""A core Reply as Telegram messages: escaped HTML split under the length limit, inline keyboards,
and the versioned callback data their buttons carry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.core.reply import CitedSource, CommandButton, Reply, Topic, cited_sites

MAX_MESSAGE = MessageLimit.MAX_TEXT_LENGTH  # 4096, counted in UTF-16 units after parsing
MAX_CALLBACK_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64 bytes
INLINE_ANSWER_CHARS = 1200  # a shareable answer (inline mode) stays short
INLINE_DESCRIPTION_CHARS = 120

# Buttons carry "<version>|<action>[|...]"; a message's buttons outlive a deploy, so a change to
# this format takes a new version and old buttons are answered politely instead of misread.
CALLBACK_VERSION = "v1"
THUMBS = {"up": "👍", "down": "👎"}

Action = Literal["topic", "pick", "none", "feedback", "command", "more"]
Vote = Literal["up", "down"]
_CODES: dict[Action, str] = {
    "topic": "t",
    "pick": "d",
    "none": "n",
    "feedback": "f",
    "command": "c",
    "more": "m",  # the full answer behind a short one: "v1|m|<intent>|<region or ->"
}
_ACTIONS = {code: action for action, code in _CODES.items()}
_INTENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,48}$")
# A region id in a "More" button ("CA", "EU", "EEA"), or "-" for none.
_REGION_ID = re.compile(r"^(?:[A-Z]{2,3}|-)$")
# A command a button sends for the user: "checkup monthly", "forget confirm", "unsubscribe".
_COMMAND = re.compile(r"^[a-z]{1,32}( [A-Za-z0-9_./+-]{1,48})?$")
# Every command press, whatever the command: the reminder door's CallbackQueryHandler pattern.
COMMAND_PRESS = re.compile(rf"^{CALLBACK_VERSION}\|{_CODES['command']}\|")
MAX_COMMANDS_IN_A_ROW = 3


@dataclass(frozen=True)
class ButtonPress:
    """What a callback button asks for: a topic (follow-up or menu), a "did you mean" pick,
    "none of these", a 👍/👎 on an answer, a command sent for the user, or "More" under a
    short answer (its topic and region travel in the button: it needs no memory)."""

    action: Action
    intent: str | None = None
    vote: Vote | None = None
    command: str | None = None
    region: str | None = None

    def encode(self) -> str | None:
        """The callback_data, or None when it would not fit Telegram's 64 bytes."""
        parts = [CALLBACK_VERSION, _CODES[self.action]]
        if self.action == "feedback":
            parts.append(self.vote or "")
        if self.action == "command":
            if not _COMMAND.match(self.command or ""):
                return None
            parts.append(self.command or "")
        if self.intent is not None:
            parts.append(self.intent)
        if self.action == "more":
            region = self.region or "-"
            if self.intent is None or not _REGION_ID.match(region):
                return None
            parts.append(region)
        data = "|".join(parts)
        return data if len(data.encode()) <= MAX_CALLBACK_BYTES else None


def decode_press(data: object) -> ButtonPress | None:
    """The press a button's callback_data stands for; None for another version or garbage."""
    if not isinstance(data, str):
        return None
    version, _, rest = data.partition("|")
    if version != CALLBACK_VERSION:
        return None
    code, *args = rest.split("|")
    action = _ACTIONS.get(code)
    if action == "none" and not args:
        return ButtonPress("none")
    if action in ("topic", "pick") and len(args) == 1 and _INTENT_ID.match(args[0]):
        return ButtonPress(action, args[0])
    if action == "feedback" and len(args) == 2 and args[0] in THUMBS and _INTENT_ID.match(args[1]):
        return ButtonPress("feedback", args[1], args[0])  # type: ignore[arg-type]
    if action == "command" and len(args) == 1 and _COMMAND.match(args[0]):
        return ButtonPress("command", command=args[0])
    if (
        action == "more"
        and len(args) == 2
        and _INTENT_ID.match(args[0])
        and _REGION_ID.match(args[1])
    ):
        return ButtonPress("more", args[0], region=None if args[1] == "-" else args[1])
    return None


@dataclass(frozen=True)
class OutgoingMessage:
    text: str  # Telegram HTML
    keyboard: InlineKeyboardMarkup | None = None


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# --- text --------------------------------------------------------------------------------------


def render_reply(
    reply: Reply, *, feedback: bool = False, limit: int = MAX_MESSAGE
) -> list[OutgoingMessage]:
    """The reply as one or more messages, each under `limit`; the keyboard goes on the last."""
    texts = _pack(reply_blocks(reply, limit), "\n\n", limit) or [escape(reply.title or "…")]
    keyboard = reply_keyboard(reply, feedback=feedback)
    *first, last = texts
    return [OutgoingMessage(text) for text in first] + [OutgoingMessage(last, keyboard)]


def reply_blocks(reply: Reply, limit: int = MAX_MESSAGE) -> list[str]:
    """HTML paragraphs, each already under `limit`; messages are split only between them. A
    reply with a short answer shows the title and that alone: the rest is behind "More"."""
    if reply.short:
        return _body_blocks(reply, limit)
    return _body_blocks(reply, limit) + _sources_blocks(reply, limit)


def _body_blocks(reply: Reply, limit: int) -> list[str]:
    blocks: list[str] = []
    if reply.title:
        blocks += [f"<b>{piece}</b>" for piece in _fit(reply.title, limit - 7)]
    if reply.short:
        return blocks + _fit(reply.short, limit)
    for paragraph in reply.paragraphs:
        blocks += _fit(paragraph, limit)
    if reply.steps:
        lines = [piece for n, s in enumerate(reply.steps, 1) for piece in _fit(f"{n}. {s}", limit)]
        blocks += _pack(lines, "\n", limit)
    return blocks


def _sources_blocks(reply: Reply, limit: int) -> list[str]:
    if not reply.sources:
        return []
    items = _source_items(reply.sources, limit, reply.labels)
    return _pack([escape(reply.label("sources")), *items], " ", limit)


def plain_messages(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain text (a reminder) as escaped HTML messages, split at paragraphs under `limit`."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return _pack([piece for p in paragraphs for piece in _fit(p, limit)], "\n\n", limit)


def short_answer(reply: Reply, limit: int = INLINE_ANSWER_CHARS) -> str:
    """A shareable answer for inline mode: as many paragraphs and steps as fit, then sources."""
    kept: list[str] = []
    for block in _body_blocks(reply, limit):
        if kept and tg_len("\n\n".join([*kept, block])) > limit:
            kept.append("…")
            break
        kept.append(block)
    text = "\n\n".join(kept)
    sources = _sources_blocks(reply, MAX_MESSAGE)
    if len(sources) == 1 and tg_len(text) + 2 + tg_len(sources[0]) <= MAX_MESSAGE:
        text += "\n\n" + sources[0]
    return text


def short_description(reply: Reply) -> str:
    """One line under an inline result's title (plain text, not HTML)."""
    text = reply.short or next((p for p in reply.paragraphs if len(p) > 20), reply.title)
    if len(text) <= INLINE_DESCRIPTION_CHARS:
        return text
    return text[: INLINE_DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _source_items(
    sources: tuple[CitedSource, ...], limit: int, words: dict[str, str] | None = None
) -> list[str]:
    """Each site once with its status, linked to its first source: "linkedin.com (confirmed)",
    the status in the reply's language."""
    items = []
    for site, status, url in cited_sites(sources, words):
        label = f"{escape(site)} ({escape(status)})"
        linked = f'<a href="{escape(url, quote=True)}">{escape(site)}</a> ({escape(status)})'
        item = linked if _is_web_url(url) and tg_len(linked) < limit else label
        items.append(item + ";")
    if items:
        items[-1] = items[-1].removesuffix(";")
    return items


def _pack(pieces: list[str], separator: str, limit: int) -> list[str]:
    """Greedy join of pieces (each under `limit`) into as few strings under `limit` as possible."""
    packed: list[str] = []
    for piece in pieces:
        if packed and tg_len(packed[-1]) + tg_len(separator) + tg_len(piece) <= limit:
            packed[-1] += separator + piece
        else:
            packed.append(piece)
    return packed


def _fit(plain: str, limit: int) -> list[str]:
    """Escaped plain text in pieces under `limit`: whole if it fits, else at line breaks, then at
    spaces, then anywhere. Escaping happens per piece, so an entity is never cut in half."""
    escaped = escape(plain, quote=False)
    if tg_len(escaped) <= limit:
        return [escaped]
    if "\n" in plain:
        return _pack([p for line in plain.split("\n") for p in _fit(line, limit)], "\n", limit)
    if " " in plain.strip():
        return _pack([p for word in plain.split() for p in _fit(word, limit)], " ", limit)
    pieces, current = [], ""
    for char in plain:
        if tg_len(escape(current + char, quote=False)) > limit:
            pieces.append(escape(current, quote=False))
            current = ""
        current += char
    return [*pieces, escape(current, quote=False)] if current else pieces


# --- keyboards ---------------------------------------------------------------------------------


def reply_keyboard(reply: Reply, *, feedback: bool = False) -> InlineKeyboardMarkup | None:
    """URL buttons for the reply's links, "More" under a short answer, then its topic buttons,
    its command buttons, then 👍/👎 when asked."""
    rows: list[list[InlineKeyboardButton | None]] = [*link_rows(reply)]
    if reply.short and reply.intent:
        press = ButtonPress("more", reply.intent, region=reply.region)
        rows.append([_callback_button(reply.label("more"), press)])
    if reply.kind == "did_you_mean":
        rows += _topic_rows(reply.suggestions, "pick")
        rows.append([_callback_button(reply.label("none_of_these"), ButtonPress("none"))])
    elif reply.suggestions:
        rows += _topic_rows(reply.suggestions, "topic")
    rows += _topic_rows(reply.follow_ups, "topic")
    rows += command_rows(reply.commands)
    if feedback and reply.kind == "answer" and reply.intent:
        votes = [
            _callback_button(THUMBS[vote], ButtonPress("feedback", reply.intent, vote))
            for vote in ("up", "down")
        ]
        rows.append(votes)
    kept = [[b for b in row if b is not None] for row in rows]
    kept = [row for row in kept if row]
    return InlineKeyboardMarkup(kept) if kept else None


def link_rows(reply: Reply) -> list[list[InlineKeyboardButton]]:
    """One URL button per row: open the setting, the objection form."""
    return [
        [InlineKeyboardButton(link.label, url=link.url)]
        for link in reply.links
        if _is_web_url(link.url)
    ]


def command_rows(commands: tuple[CommandButton, ...]) -> list[list[InlineKeyboardButton | None]]:
    """Choices side by side ("Off", "Monthly", "Quarterly"); more than a row holds, one a row."""
    buttons = [
        _callback_button(c.label, ButtonPress("command", command=c.command)) for c in commands
    ]
    if len(buttons) <= MAX_COMMANDS_IN_A_ROW:
        return [buttons] if buttons else []
    return [[button] for button in buttons]


def without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The same keyboard minus its 👍/👎 row, once a vote is in."""
    return without_presses(markup, "feedback")


def without_presses(
    markup: InlineKeyboardMarkup | None, action: Action
) -> InlineKeyboardMarkup | None:
    """The same keyboard minus the buttons for one kind of press, once it has been used."""
    if markup is None:
        return None
    rows = [
        [b for b in row if (decode_press(b.callback_data) or ButtonPress("none")).action != action]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def deep_link_payload(region: str | None) -> str | None:
    """A /start payload for a region id; Telegram allows A-Z, a-z, 0-9, _ and -."""
    return region if region and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", region) else None


def _topic_rows(
    topics: tuple[Topic, ...], action: Action
) -> list[list[InlineKeyboardButton | None]]:
    return [[_callback_button(t.title, ButtonPress(action, t.id))] for t in topics]


def _callback_button(label: str, press: ButtonPress) -> InlineKeyboardButton | None:
    data = press.encode()
    return InlineKeyboardButton(label, callback_data=data) if data else None


def _is_web_url(url: str) -> bool:
    return url.startswith(("https://", "http://"))
