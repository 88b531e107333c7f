"""Reading the knowledge base's YAML into typed values: the Reader records each problem with its
file, line and field (and returns a default), so that one load reports them all. Shared by the
English loader (bot.core.knowledge_loader) and the translations (bot.core.translations)."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.core.knowledge import KnowledgeIssue
from bot.core.yaml_lines import LineDict, LineList, load_yaml_with_lines

# A topic's short answer (what a chat shows first), in characters: English is tighter than the
# languages that need more words for the same sentence. A placeholder counts as its longest
# expansion ("30 September 2025", "in 14 days" in any language).
SHORT_LIMITS = {"en": 400}
SHORT_LIMIT_OTHER = 480
PLACEHOLDER_WIDTH = 24
URL = re.compile(r"^https?://[^\s]+$")


class Reader:
    """Collects issues while turning raw YAML into typed values; one per load."""

    def __init__(self, root: Path):
        self.root = root
        self.issues: list[KnowledgeIssue] = []
        self.warnings: list[KnowledgeIssue] = []
        self.file = ""

    def warn(self, line: int, field_name: str, message: str) -> None:
        self.warnings.append(KnowledgeIssue(self.file, line, field_name, message))

    def issue(self, line: int, field_name: str, message: str) -> None:
        self.issues.append(KnowledgeIssue(self.file, line, field_name, message))

    def read_file(self, path: Path) -> Any:
        self.file = (
            str(path.relative_to(self.root.parent))
            if path.is_relative_to(self.root.parent)
            else str(path)
        )
        try:
            raw = path.read_bytes()
        except OSError as exc:
            self.issue(1, "file", f"cannot read: {exc.strerror or exc}")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.issue(line, "file", "not valid UTF-8 text")
            return None
        try:
            return load_yaml_with_lines(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.issue(line, "yaml", str(problem))
            return None

    # --- typed field readers: each returns a default after recording an issue -----------------

    def mapping(self, node: Any, line: int, name: str) -> LineDict:
        if isinstance(node, LineDict):
            return node
        self.issue(line, name, "must be a mapping")
        empty = LineDict()
        empty.line, empty.key_lines = line, {}
        return empty

    def text(self, node: LineDict, key: str, *, required: bool = True, prefix: str = "") -> str:
        value = node.get(key)
        name = prefix + key
        if value is None:
            if required:
                self.issue(node.line, name, "missing")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.issue(node.line_of(key), name, "must be non-empty text")
            return ""
        return value.strip()

    def text_list(
        self, node: LineDict, key: str, *, required: bool = True, prefix: str = ""
    ) -> list[tuple[str, int]]:
        value = node.get(key)
        name = prefix + key
        if value is None:
            if required:
                self.issue(node.line, name, "missing")
            return []
        if not isinstance(value, LineList):
            self.issue(node.line_of(key), name, "must be a list")
            return []
        items = []
        for index, item in enumerate(value):
            if isinstance(item, bool | int | float) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.issue(value.line_of(index), f"{name}[{index}]", "must be non-empty text")
                continue
            items.append((item.strip(), value.line_of(index)))
        return items

    def date(
        self,
        node: LineDict,
        key: str,
        *,
        required: bool = True,
        prefix: str = "",
        month_ok: bool = False,
    ) -> dt.date | None:
        value = node.get(key)
        name = prefix + key
        if value is None:
            if required:
                self.issue(node.line, name, "missing")
            return None
        if isinstance(value, dt.datetime):
            self.issue(node.line_of(key), name, "must be a date (YYYY-MM-DD), not a time")
            return None
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                if month_ok and re.fullmatch(r"\d{4}-\d{2}", value):
                    return dt.date.fromisoformat(value + "-01")
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        expected = "YYYY-MM-DD or YYYY-MM" if month_ok else "YYYY-MM-DD"
        self.issue(node.line_of(key), name, f"not a date ({expected}): {value!r}")
        return None

    def choice(self, node: LineDict, key: str, options: Iterable[str], *, prefix: str = "") -> str:
        options = tuple(options)
        value = node.get(key)
        name = prefix + key
        if value is None:
            self.issue(node.line, name, "missing")
            return options[0]
        if isinstance(value, bool):
            self.issue(
                node.line_of(key),
                name,
                f"reads as a boolean; quote it, one of {', '.join(options)}",
            )
            return options[0]
        if value not in options:
            self.issue(node.line_of(key), name, f"{value!r} is not one of {', '.join(options)}")
            return options[0]
        return value


def placeholders(template: str) -> set[str]:
    """The {names} a text's placeholders use."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def flatten_messages(reader: Reader, node: object, line: int, prefix: str = "") -> dict:
    """Nested message groups as dotted keys: {"answers.empty": ("Please ...", line)}."""
    found: dict[str, tuple[str, int]] = {}
    if not isinstance(node, LineDict):
        reader.issue(line, prefix.rstrip(".") or "messages", "must be a mapping")
        return found
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, LineDict):
            found |= flatten_messages(reader, value, node.line_of(key), name + ".")
        elif isinstance(value, str) and value.strip():
            found[name] = (value.strip(), node.line_of(key))
        else:
            reader.issue(node.line_of(key), name, "must be non-empty text")
    return found


def read_paragraphs(
    reader: Reader, raw: LineDict, event_ids: set[str] | None
) -> tuple[list[tuple[str, int]], list[tuple[int, str | None, str, int]]]:
    """answer.paragraphs: each a text, or a mapping {event, before, after} for a paragraph that
    reads otherwise before the event's date. Returns the (text, line) of each paragraph (the
    `after` wording for a dated one) and (index, event id, before, its line) for the dated
    ones. With
    `event_ids` None (a translation) the event comes from English and is not read."""
    name = "answer.paragraphs"
    items = raw.get("paragraphs")
    if items is None:
        reader.issue(raw.line, name, "missing")
        return [], []
    if not isinstance(items, LineList):
        reader.issue(raw.line_of("paragraphs"), name, "must be a list")
        return [], []
    texts: list[tuple[str, int]] = []
    dated: list[tuple[int, str | None, str, int]] = []
    for index, item in enumerate(items):
        line = items.line_of(index)
        if isinstance(item, LineDict):
            prefix = f"{name}[{index}]."
            event_id = None
            if event_ids is not None:
                event_id = reader.text(item, "event", prefix=prefix)
                if event_id and event_id not in event_ids:
                    reader.issue(
                        item.line_of("event"), prefix + "event", f"unknown event {event_id!r}"
                    )
            elif "event" in item:
                reader.issue(
                    item.line_of("event"), prefix + "event", "the event comes from English"
                )
            before = reader.text(item, "before", prefix=prefix)
            after = reader.text(item, "after", prefix=prefix)
            for side, text, allowed in (
                ("before", before, {"date", "days_left"}),
                ("after", after, set()),
            ):
                unknown = placeholders(text) - allowed
                if unknown:
                    reader.issue(
                        item.line_of(side),
                        prefix + side,
                        f"unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}",
                    )
            texts.append((after, item.line_of("after")))
            dated.append((index, event_id, before, item.line_of("before")))
        elif isinstance(item, str) and item.strip():
            if placeholders(item):
                reader.issue(line, "answer", "placeholders are only allowed in dated texts")
            texts.append((item.strip(), line))
        else:
            reader.issue(
                line, f"{name}[{index}]", "must be non-empty text or {event, before, after}"
            )
    return texts, dated


def short_limit(language: str) -> int:
    return SHORT_LIMITS.get(language, SHORT_LIMIT_OTHER)


def short_length(text: str) -> int:
    """A short answer's length with each placeholder at its longest expansion."""
    found = re.findall(r"\{[a-z_]+\}", text)
    return len(text) - sum(len(p) for p in found) + PLACEHOLDER_WIDTH * len(found)


def read_short(
    reader: Reader, raw: LineDict, event_ids: set[str] | None, language: str
) -> tuple[tuple[str, int] | None, tuple[str | None, str, int] | None]:
    """answer.short: a text, or {event, before, after} for one that reads otherwise before the
    event's date. Returns (the text, its line) and, for a dated one, (event id, before, line);
    each checked for its length. With `event_ids` None (a translation) the event comes from
    English."""
    item = raw.get("short")
    name = "answer.short"
    if item is None:
        return None, None
    limit = short_limit(language)
    found: list[tuple[str, str, int, set[str]]] = []  # side, text, line, allowed placeholders
    dated = None
    if isinstance(item, LineDict):
        event_id = None
        if event_ids is not None:
            event_id = reader.text(item, "event", prefix=name + ".")
            if event_id and event_id not in event_ids:
                reader.issue(item.line_of("event"), name + ".event", f"unknown event {event_id!r}")
        elif "event" in item:
            reader.issue(item.line_of("event"), name + ".event", "the event comes from English")
        for side, allowed in (("before", {"date", "days_left"}), ("after", set())):
            found.append(
                (side, reader.text(item, side, prefix=name + "."), item.line_of(side), allowed)
            )
        dated = (event_id, found[0][1], found[0][2])
        text, line = found[1][1], found[1][2]
    elif isinstance(item, str) and item.strip():
        text, line = item.strip(), raw.line_of("short")
        found.append(("", text, line, set()))
    else:
        reader.issue(raw.line_of("short"), name, "must be non-empty text or {event, before, after}")
        return None, None
    for side, value, value_line, allowed in found:
        field_name = f"{name}.{side}" if side else name
        unknown = placeholders(value) - allowed
        if unknown:
            reader.issue(
                value_line,
                field_name,
                f"unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}",
            )
        if short_length(value) > limit:
            reader.issue(
                value_line,
                field_name,
                f"{short_length(value)} characters; a short answer has at most {limit}",
            )
    return (text, line), dated
