"""Loading the knowledge base from its folder: the English files here, the translations by
bot.core.translations beside it, each read with a Reader (bot.core.knowledge_reader). Every
problem is found in one load and named by file, line and field (KnowledgeError)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bot.core.knowledge import (
    ANY_REGION,
    COUNTRY_CODES,
    INTENT_KINDS,
    PLACEHOLDERS,
    POLICIES,
    Answer,
    CoverageRule,
    DatedParagraph,
    Event,
    Intent,
    KnowledgeBase,
    KnowledgeIssue,
    Link,
    PolicyCoverage,
    RegionSet,
    Regulator,
    Source,
    SourceRef,
    TimeVariant,
)
from bot.core.knowledge_reader import (
    URL,
    Reader,
    flatten_messages,
    placeholders,
    read_paragraphs,
    read_short,
)
from bot.core.languages import LANGUAGES
from bot.core.text import normalise
from bot.core.translations import load_translations
from bot.core.yaml_lines import LineDict, LineList


class KnowledgeError(Exception):
    """The knowledge base is invalid; str() lists every problem as file:line: field: message."""

    def __init__(self, issues: list[KnowledgeIssue]):
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


def default_knowledge_dir() -> Path:
    """The knowledge base shipped inside the package (bot.settings reads OPTOUT_KNOWLEDGE_DIR)."""
    return Path(__file__).parent.parent / "knowledge"


def load_messages(reader: Reader, path: Path) -> dict[str, str]:
    doc = reader.read_file(path)
    if doc is None:
        return {}
    return {k: v for k, (v, _line) in flatten_messages(reader, doc, 1).items()}


def load_knowledge(directory: Path | str | None = None) -> KnowledgeBase:
    """Load and validate every file; raise KnowledgeError listing every problem found."""
    root = Path(directory) if directory is not None else default_knowledge_dir()
    reader = Reader(root)
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
        other_parties=meta["other_parties"],
        assistants=meta["assistants"],
        assistant_use=frozenset(meta["assistant_use"]),
        assistant_history=frozenset(meta["assistant_history"]),
        platform_notices=meta["platform_notices"],
        reminder_words=frozenset(meta["reminder_words"]),
        subject_words=meta["subject_words"],
        messages=messages,
    )
    english.translations.update(load_translations(root, reader, english))
    english.warnings.extend(reader.warnings)
    if reader.issues:
        raise KnowledgeError(reader.issues)
    return english


def _load_meta(reader: Reader, path: Path) -> dict[str, Any]:
    doc = reader.read_file(path)
    node = reader.mapping(doc, 1, "meta")
    return {
        "platform": reader.text(node, "platform"),
        "topic": reader.text(node, "topic"),
        "last_verified": reader.date(node, "last_verified") or dt.date.min,
        "platform_names": tuple(normalise(n) for n, _ in reader.text_list(node, "platform_names")),
        "other_platforms": _words(reader, node, "other_platforms"),
        "other_parties": _words(reader, node, "other_parties"),
        "assistants": _words(reader, node, "assistants"),
        "assistant_use": _words(reader, node, "assistant_use"),
        "assistant_history": _words(reader, node, "assistant_history"),
        "platform_notices": _words(reader, node, "platform_notices"),
        "reminder_words": _words(reader, node, "reminder_words"),
        "subject_words": _subject_words(reader, node),
    }


def _words(reader: Reader, meta: LineDict, field: str) -> tuple[str, ...]:
    """An optional list of words in meta.yaml, normalised as questions are."""
    return tuple(normalise(n) for n, _ in reader.text_list(meta, field, required=False))


def _subject_words(reader: Reader, meta: LineDict) -> dict[str, tuple[str, ...]]:
    """meta.yaml's subject_words: language code -> words (optional)."""
    if meta.get("subject_words") is None:
        return {}
    node = reader.mapping(meta["subject_words"], meta.line_of("subject_words"), "subject_words")
    found: dict[str, tuple[str, ...]] = {}
    for language in node:
        if language not in LANGUAGES:
            reader.issue(node.line_of(language), f"subject_words.{language}", "unknown language")
            continue
        words = reader.text_list(node, language, prefix="subject_words.")
        found[language] = tuple(normalise(word) for word, _ in words)
    return found


def _load_sources(reader: Reader, path: Path) -> dict[str, Source]:
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
        if url and not URL.match(url):
            reader.issue(entry.line_of("url"), prefix + "url", f"not a URL: {url!r}")
        kind = reader.choice(entry, "kind", ("official", "press"), prefix=prefix)
        if source_id in found:
            reader.issue(entry.line_of("id"), prefix + "id", f"duplicate source id {source_id!r}")
        found[source_id] = Source(source_id, reader.text(entry, "title", prefix=prefix), url, kind)
    return found


def _source_list(
    reader: Reader, node: LineDict, key: str, sources: dict[str, Source], prefix: str
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
    reader: Reader,
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


def _load_region_names(reader: Reader, path: Path):
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
        if url and not URL.match(url):
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


def _read_answer(
    reader: Reader, node: LineDict, event_ids: set[str], kind: str = "topic"
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
        if url and not URL.match(url):
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
            unknown = placeholders(texts[side]) - allowed
            if unknown:
                reader.issue(
                    entry.line_of(side),
                    f"answer.after_event.{side}",
                    f"unknown placeholder(s) {sorted(unknown)}; allowed: {sorted(allowed)}",
                )
        variant = TimeVariant(event_id, texts["before"], texts["after"])
    for text, line in steps:
        if placeholders(text):
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
