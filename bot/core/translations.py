"""Loading the translations in knowledge/i18n/<lang>/ and checking them against English.

A translation holds text only; facts (dates, sources, links, coverage values) come from English.
Each language becomes a KnowledgeBase of its own words over the same facts. The check refuses a
translation whose numbers, placeholders or URLs differ from English, or that has an entry English
has not. A translation that lacks an entry English has (a new event, intent, coverage rule,
regulator or message) is accepted with a warning: English's entry is used, marked `english_only`,
and the bot says in the person's language that this part is in English ("answers.english_only").
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from bot.core.knowledge import (
    COUNTRY_CODES,
    Answer,
    CoverageRule,
    DatedParagraph,
    Intent,
    KnowledgeBase,
    Link,
    RegionSet,
    TimeVariant,
)
from bot.core.knowledge_reader import (
    Reader,
    flatten_messages,
    placeholders,
    read_paragraphs,
    read_short,
)
from bot.core.languages import LANGUAGES, SOURCE_LANGUAGE
from bot.core.text import normalise
from bot.core.yaml_lines import LineDict, LineList

I18N_DIR = "i18n"
MIN_PHRASINGS = {"topic": 15, "smalltalk": 5, "out_of_scope": 30}
_NUMBER = re.compile(r"\d+")
_URL_IN_TEXT = re.compile(r"https?://[^\s)\]]+")


class _Checker:
    """Compares one translated text with its English original, recording issues on `reader`."""

    def __init__(self, reader: Reader):
        self.reader = reader

    def same_facts(self, english: str, text: str, line: int, name: str) -> None:
        if sorted(_NUMBER.findall(english)) != sorted(_NUMBER.findall(text)):
            self.reader.issue(
                line,
                name,
                f"numbers differ from English: {sorted(_NUMBER.findall(text))} "
                f"instead of {sorted(_NUMBER.findall(english))}",
            )
        if placeholders(english) != placeholders(text):
            self.reader.issue(
                line,
                name,
                f"placeholders differ from English: {sorted(placeholders(text))} "
                f"instead of {sorted(placeholders(english))}",
            )
        urls = {u.rstrip(".,;:") for u in _URL_IN_TEXT.findall(english)}
        if urls != {u.rstrip(".,;:") for u in _URL_IN_TEXT.findall(text)}:
            self.reader.issue(line, name, "links differ from English")

    def text(self, node: LineDict, key: str, english: str, prefix: str = "") -> str:
        value = self.reader.text(node, key, prefix=prefix)
        if value:
            self.same_facts(english, value, node.line_of(key), prefix + key)
        return value or english

    def texts(
        self, node: LineDict, key: str, english: tuple[str, ...], prefix: str = ""
    ) -> tuple[str, ...]:
        items = self.reader.text_list(node, key, required=bool(english), prefix=prefix)
        if key in node and len(items) != len(english):
            self.reader.issue(
                node.line_of(key),
                prefix + key,
                f"{len(items)} item(s) where English has {len(english)}",
            )
            return english
        for (value, line), original in zip(items, english, strict=False):
            self.same_facts(original, value, line, prefix + key)
        return tuple(v for v, _ in items) if items else english


def load_translations(root: Path, reader: Reader, english: KnowledgeBase) -> dict:
    """Every language's KnowledgeBase, English included; issues go to `reader`. A knowledge
    base without an i18n folder is English only; with one, every language must be complete."""
    result = {SOURCE_LANGUAGE: english}
    if not (root / I18N_DIR).is_dir():
        return result
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        folder = root / I18N_DIR / language
        if not folder.is_dir():
            reader.file = str(folder)
            reader.issue(1, "language", f"no translation folder for {language!r}")
            continue
        result[language] = _load_language(folder, language, reader, english)
    return result


def _load_language(
    folder: Path, language: str, reader: Reader, english: KnowledgeBase
) -> KnowledgeBase:
    check = _Checker(reader)
    doc = reader.read_file(folder / "messages.yaml")
    found = flatten_messages(reader, doc, 1) if doc is not None else {}
    for key, original in english.messages.items():
        if key not in found:
            reader.warn(1, key, "missing: English has this message; English is used")
        else:
            check.same_facts(original, found[key][0], found[key][1], key)
    for key in found.keys() - english.messages.keys():
        reader.issue(found[key][1], key, "unknown message: English has no such key")
    messages = {**english.messages, **{k: v for k, (v, _line) in found.items()}}

    intents = _load_intents(folder / "intents", reader, check, english, language)
    events = _load_events(folder / "events.yaml", reader, check, english)
    groups, coverage, regulators, names = _load_regions(
        folder / "regions.yaml", reader, check, english
    )
    return replace(
        english,
        language=language,
        intents=intents,
        events=events,
        event_index={e.id: e for e in events},
        groups=groups,
        coverage=coverage,
        regulators=regulators,
        aliases=names["aliases"],
        demonyms=names["demonyms"],
        europe_words=names["europe_words"],
        messages=messages,
        translations={},
    )


def _load_intents(
    directory: Path, reader: Reader, check: _Checker, english: KnowledgeBase, language: str
):
    intents: dict[str, Intent] = {}
    owners: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        doc = reader.read_file(path)
        if doc is None:
            continue
        node = reader.mapping(doc, 1, "intent")
        intent_id = reader.text(node, "id")
        original = english.intents.get(intent_id)
        if original is None:
            if intent_id:
                reader.issue(node.line_of("id"), "id", f"English has no intent {intent_id!r}")
            continue
        phrasings = reader.text_list(node, "phrasings")
        needed = MIN_PHRASINGS[original.kind]
        if len(phrasings) < needed:
            reader.issue(
                node.line_of("phrasings"), "phrasings", f"needs at least {needed} phrasings"
            )
        for phrasing, line in phrasings:
            owner = owners.setdefault(normalise(phrasing), intent_id)
            if owner != intent_id:
                reader.issue(line, "phrasings", f"{phrasing!r} also appears under {owner!r}")
        keywords = reader.text_list(node, "keywords", required=original.kind == "topic")
        intents[intent_id] = replace(
            original,
            title=check.text(node, "title", original.title),
            phrasings=tuple(p for p, _ in phrasings),
            keywords=tuple(normalise(k) for k, _ in keywords),
            answer=_translate_answer(node, reader, check, original.answer, language),
        )
    for intent_id in sorted(english.intents.keys() - intents.keys()):
        reader.file = str(directory / f"{intent_id}.yaml")
        reader.warn(1, "id", f"missing: English has intent {intent_id!r}; English is used")
        intents[intent_id] = replace(english.intents[intent_id], english_only=True)
    # Keep English's order: menus list topics in it.
    return {i: intents[i] for i in english.intents if i in intents}


def _translate_answer(
    node: LineDict, reader: Reader, check: _Checker, english: Answer, language: str
) -> Answer:
    raw = reader.mapping(node.get("answer"), node.line_of("answer"), "answer")
    paragraphs, dated = _translate_paragraphs(raw, reader, check, english)
    short, short_dated = _translate_short(raw, reader, check, english, language)
    steps = check.texts(raw, "steps", english.steps, "answer.")
    links = english.links
    raw_links = raw.get("links")
    if english.links or raw_links is not None:
        if not isinstance(raw_links, LineList) or len(raw_links) != len(english.links):
            reader.issue(
                raw.line_of("links"),
                "answer.links",
                f"needs {len(english.links)} link label(s), as English has",
            )
        else:
            links = tuple(
                Link(
                    check.text(
                        reader.mapping(item, raw_links.line_of(i), f"answer.links[{i}]"),
                        "label",
                        link.label,
                        f"answer.links[{i}].",
                    ),
                    link.url,
                )
                for i, (item, link) in enumerate(zip(raw_links, english.links, strict=True))
            )
    variant = english.after_event
    if variant is not None:
        entry = reader.mapping(raw.get("after_event"), raw.line_of("after_event"), "after_event")
        variant = TimeVariant(
            variant.event_id,
            check.text(entry, "before", variant.before, "answer.after_event."),
            check.text(entry, "after", variant.after, "answer.after_event."),
        )
    elif "after_event" in raw:
        reader.issue(raw.line_of("after_event"), "answer.after_event", "English has none")
    return Answer(paragraphs, steps, links, variant, dated, short, short_dated)


def _translate_short(
    raw: LineDict, reader: Reader, check: _Checker, english: Answer, language: str
) -> tuple[str, DatedParagraph | None]:
    """The short answer in English's shape (dated where English's is), with English's facts
    and within the language's length."""
    text, dated = read_short(reader, raw, None, language)
    if text is None:
        if english.short:
            reader.issue(raw.line, "answer.short", "missing: English has a short answer")
        return english.short, english.short_dated
    if not english.short:
        reader.issue(text[1], "answer.short", "English has no short answer")
        return english.short, english.short_dated
    if (dated is None) != (english.short_dated is None):
        shape = "before and after texts" if english.short_dated else "one text"
        reader.issue(text[1], "answer.short", f"English has {shape} here")
        return english.short, english.short_dated
    check.same_facts(english.short, text[0], text[1], "answer.short")
    if dated is None or english.short_dated is None:
        return text[0], None
    _event, before, line = dated
    check.same_facts(english.short_dated.before, before, line, "answer.short.before")
    return text[0], replace(english.short_dated, before=before)


def _translate_paragraphs(
    raw: LineDict, reader: Reader, check: _Checker, english: Answer
) -> tuple[tuple[str, ...], tuple[DatedParagraph, ...]]:
    """The paragraphs in English's shape: a dated one where English has one (before and after,
    each with English's facts), a plain text elsewhere."""
    items, dated = read_paragraphs(reader, raw, None)
    if "paragraphs" in raw and len(items) != len(english.paragraphs):
        reader.issue(
            raw.line_of("paragraphs"),
            "answer.paragraphs",
            f"{len(items)} item(s) where English has {len(english.paragraphs)}",
        )
        return english.paragraphs, english.dated
    if not items:
        return english.paragraphs, english.dated
    before = {index: (text, line) for index, _event, text, line in dated}
    english_dated = {d.index: d for d in english.dated}
    translated = []
    for index, ((text, line), original) in enumerate(zip(items, english.paragraphs, strict=True)):
        name = f"answer.paragraphs[{index}]"
        if (index in before) != (index in english_dated):
            shape = "before and after texts" if index in english_dated else "one text"
            reader.issue(line, name, f"English has {shape} here")
            continue
        check.same_facts(original, text, line, name)
        if index in before:
            before_text, before_line = before[index]
            check.same_facts(
                english_dated[index].before, before_text, before_line, name + ".before"
            )
            translated.append(replace(english_dated[index], before=before_text))
    return tuple(text for text, _line in items), tuple(translated)


def _load_events(path: Path, reader: Reader, check: _Checker, english: KnowledgeBase):
    doc = reader.read_file(path)
    node = reader.mapping(doc, 1, "events") if doc is not None else None
    table = reader.mapping(node.get("events"), node.line_of("events"), "events") if node else None
    events = []
    for event in english.events:
        entry = table.get(event.id) if table is not None else None
        if not isinstance(entry, LineDict):
            line = table.line if table is not None else 1
            reader.warn(line, event.id, "missing event; English is used")
            events.append(replace(event, english_only=True))
            continue
        prefix = f"events.{event.id}."
        events.append(
            replace(
                event,
                title=check.text(entry, "title", event.title, prefix),
                what_to_do=check.text(entry, "what_to_do", event.what_to_do, prefix),
            )
        )
    for extra in (table or {}).keys() - {e.id for e in english.events}:
        reader.issue(table.line_of(extra), f"events.{extra}", "English has no such event")
    return tuple(events)


def _load_regions(path: Path, reader: Reader, check: _Checker, english: KnowledgeBase):
    doc = reader.read_file(path)
    node = reader.mapping(doc, 1, "regions")
    raw_groups = reader.mapping(node.get("groups"), node.line_of("groups"), "groups")
    groups = {
        group_id: (check.text(raw_groups, group_id, name, "groups."), members)
        for group_id, (name, members) in english.groups.items()
    }
    names = {
        "aliases": _name_table(node, "aliases", reader, english),
        "demonyms": _name_table(node, "demonyms", reader, english),
        "europe_words": tuple(
            normalise(w) for w, _ in reader.text_list(node, "europe_words", required=False)
        ),
    }
    coverage = []
    entries = _entries_by_regions(node, "coverage", reader, english)
    for index, rule in enumerate(english.coverage):
        prefix = f"coverage[{index}]."
        entry = entries.pop(rule.regions.codes, None)
        if entry is None:
            reader.warn(
                node.line_of("coverage"), prefix[:-1], _english_used(rule.regions, english.groups)
            )
            coverage.append(replace(rule, english_only=True))
            continue
        policies = {}
        for policy, cover in rule.policies.items():
            sub = reader.mapping(entry.get(policy), entry.line_of(policy), prefix + policy)
            policies[policy] = replace(
                cover, note=check.text(sub, "note", cover.note, f"{prefix}{policy}.")
            )
        coverage.append(
            CoverageRule(rule.regions, check.text(entry, "label", rule.label, prefix), policies)
        )
    _no_extra(entries, "coverage", reader)
    regulators = []
    entries = _entries_by_regions(node, "regulators", reader, english)
    for index, regulator in enumerate(english.regulators):
        prefix = f"regulators[{index}]."
        entry = entries.pop(regulator.regions.codes, None)
        if entry is None:
            reader.warn(
                node.line_of("regulators"),
                prefix[:-1],
                _english_used(regulator.regions, english.groups),
            )
            regulators.append(replace(regulator, english_only=True))
            continue
        note = check.text(entry, "note", regulator.note, prefix) if regulator.note else ""
        regulators.append(
            replace(regulator, name=check.text(entry, "name", regulator.name, prefix), note=note)
        )
    _no_extra(entries, "regulators", reader)
    return groups, tuple(coverage), tuple(regulators), names


def _english_used(regions: RegionSet, groups: dict) -> str:
    named = set(regions.codes)
    for group in regions.codes & set(groups):
        named -= groups[group][1]
    return f"missing entry for {', '.join(sorted(named))}; English is used"


def _entries_by_regions(
    node: LineDict, key: str, reader: Reader, english: KnowledgeBase
) -> dict[frozenset[str], LineDict]:
    """A translation's coverage rules or regulators by the regions they name (groups expanded as
    English's are), so that each pairs with English's entry for the same regions wherever it
    stands, and one English has added since is simply missing."""
    items = node.get(key)
    if items is None:
        return {}
    if not isinstance(items, LineList):
        reader.issue(node.line_of(key), key, "must be a list, in English's order")
        return {}
    found: dict[frozenset[str], LineDict] = {}
    for index, raw in enumerate(items):
        entry = reader.mapping(raw, items.line_of(index), f"{key}[{index}]")
        named = entry.get("regions")
        if not isinstance(named, LineList) or not named:
            reader.issue(entry.line, f"{key}[{index}].regions", "missing: copy English's regions")
            continue
        codes: set[str] = set()
        for code in (str(c) for c in named):
            codes.add(code)
            if code in english.groups:
                codes |= english.groups[code][1]
        if frozenset(codes) in found:
            reader.issue(entry.line_of("regions"), f"{key}[{index}].regions", "listed twice")
        found[frozenset(codes)] = entry
    return found


def _no_extra(entries: dict[frozenset[str], LineDict], key: str, reader: Reader) -> None:
    for entry in entries.values():
        reader.issue(entry.line_of("regions"), f"{key}.regions", "not English's regions here")


def _name_table(node: LineDict, key: str, reader: Reader, english: KnowledgeBase) -> dict:
    table = node.get(key)
    if table is None:
        return {}
    table = reader.mapping(table, node.line_of(key), key)
    valid = set(english.groups) | COUNTRY_CODES
    result = {}
    for name, code in table.items():
        if not isinstance(code, str) or code not in valid:
            reader.issue(table.line_of(name), f"{key}.{name}", f"unknown region {code!r}")
            continue
        result[normalise(str(name))] = code
    return result
