"""What `optout-bot kb check` checks beyond loading: the fact audit's hand checks, made mechanical.

- every URL is https, and no source is on a staging host; a known republisher is a warning (cite
  the original page);
- a URL in an answer (a link or a text) is on the host of one of the sources that answer cites,
  and a regulator's link on the host of its own source;
- a source that concerns only some regions (`regions:` in sources.yaml, e.g. a regulator's own
  statement) is not cited for a coverage rule, regulator or event of other regions;
- `last_verified` in meta.yaml is at most 180 days old (a warning: the facts need a re-check);
- no paragraph is said twice in one reply: the same text in two intents' answers, or in an answer
  and a coverage note, in any language.

Each finding reads `file:line: field: problem`, like the loader's issues.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.core.knowledge import COUNTRY_CODES, KnowledgeBase
from bot.core.text import normalise
from bot.core.yaml_lines import LineDict, LineList, load_yaml_with_lines

MAX_AGE = dt.timedelta(days=180)
# Hosts that republish other outlets' articles (the fact audit's F10): cite the original.
REPUBLISHERS = frozenset(
    {
        "tech-wire.in",
        "theoutpost.ai",
        "themearound.com",
        "sipoch.com",
        "techcratic.com",
        "ybx.com",
        "blog.goodlaptops.com",
    }
)
_STAGING = re.compile(r"^(stage|staging|stg|dev|test|preview)[.-]")
_URL_IN_TEXT = re.compile(r"https?://[^\s'\"<>)]+")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _on_host(host: str, allowed: str) -> bool:
    return host == allowed or host.endswith("." + allowed)


class _Audit:
    def __init__(self, root: Path, kb: KnowledgeBase):
        self.root = root
        self.kb = kb
        self.findings: list[Finding] = []
        self.source_hosts: dict[str, str] = {}
        self.source_regions: dict[str, tuple[frozenset[str], str]] = {}  # id -> (codes, text)

    def name(self, path: Path) -> str:
        return str(path.relative_to(self.root.parent))

    def add(self, path: Path, line: int, field: str, message: str, severity: Severity = "error"):
        self.findings.append(Finding(self.name(path), line, field, message, severity))

    def read(self, path: Path) -> Any:
        if not path.is_file():
            return None
        return load_yaml_with_lines(path.read_text("utf-8"))

    def countries(self, regions: list[str] | tuple[str, ...]) -> frozenset[str] | None:
        """Country codes of region ids and groups; None for "*" (every region)."""
        codes: set[str] = set()
        for region in regions:
            if region == "*":
                return None
            if region in self.kb.groups:
                codes |= self.kb.groups[region][1]
            else:
                codes.add(region)
        return frozenset(codes)

    def check_url(self, path: Path, line: int, field: str, url: str) -> None:
        if url.startswith("http://"):
            self.add(path, line, field, f"plain http URL {url!r}: use the https page")
        host = host_of(url)
        if _STAGING.match(host):
            self.add(path, line, field, f"staging host {host!r}: cite the public page")

    # --- sources.yaml ------------------------------------------------------------------------

    def sources(self) -> None:
        path = self.root / "sources.yaml"
        doc = self.read(path)
        items = doc.get("sources") if isinstance(doc, LineDict) else None
        if not isinstance(items, LineList):
            return
        for index, entry in enumerate(items):
            if not isinstance(entry, LineDict):
                continue
            source_id, url = str(entry.get("id", "")), str(entry.get("url", ""))
            field = f"sources[{index}].url"
            line = entry.line_of("url") if "url" in entry else items.line_of(index)
            self.check_url(path, line, field, url)
            host = host_of(url)
            self.source_hosts[source_id] = host
            if any(_on_host(host, r) for r in REPUBLISHERS):
                self.add(
                    path,
                    line,
                    field,
                    f"{source_id} is a republication on {host}: cite the original publisher",
                    "warning",
                )
            regions = entry.get("regions")
            if regions is None:
                continue
            if not isinstance(regions, list) or not regions:
                self.add(
                    path, entry.line_of("regions"), f"sources[{index}].regions", "must be a list"
                )
                continue
            unknown = [r for r in regions if r not in COUNTRY_CODES and r not in self.kb.groups]
            if unknown:
                self.add(
                    path,
                    entry.line_of("regions"),
                    f"sources[{index}].regions",
                    f"unknown region(s) {unknown}",
                )
            codes = self.countries([str(r) for r in regions])
            if codes is not None:
                self.source_regions[source_id] = (codes, ", ".join(map(str, regions)))

    def concerns(self, path, line, field, source_id: str, regions: list[str]) -> None:
        """A regional source cited for regions it does not concern."""
        if source_id not in self.source_regions:
            return
        codes = self.countries(regions)
        if codes is None:
            return
        concerned, text = self.source_regions[source_id]
        if not codes & concerned:
            self.add(
                path,
                line,
                field,
                f"{source_id} concerns {text}, not {', '.join(regions)}",
            )

    # --- meta.yaml ---------------------------------------------------------------------------

    def meta(self, today: dt.date) -> None:
        path = self.root / "meta.yaml"
        doc = self.read(path)
        if not isinstance(doc, LineDict) or "last_verified" not in doc:
            return
        age = today - self.kb.last_verified
        if age > MAX_AGE:
            self.add(
                path,
                doc.line_of("last_verified"),
                "last_verified",
                f"{self.kb.last_verified} is {age.days} days before {today} (more than "
                f"{MAX_AGE.days}): re-check the facts against the sources, then move it",
                "warning",
            )

    # --- intents -----------------------------------------------------------------------------

    def intents(self) -> None:
        for path in sorted((self.root / "intents").glob("*.yaml")):
            doc = self.read(path)
            if not isinstance(doc, LineDict):
                continue
            cited = [
                str(s.get("ref", "")) for s in doc.get("sources") or [] if isinstance(s, LineDict)
            ]
            hosts = {self.source_hosts[c] for c in cited if c in self.source_hosts}
            answer = doc.get("answer")
            if not isinstance(answer, LineDict):
                continue
            for field, line, url in _answer_urls(answer):
                self.check_url(path, line, field, url)
                host = host_of(url)
                if not any(_on_host(host, allowed) for allowed in hosts):
                    self.add(
                        path,
                        line,
                        field,
                        f"{host} is not the host of any source this intent cites "
                        f"({', '.join(sorted(hosts)) or 'none'})",
                    )

    # --- regions.yaml and events.yaml --------------------------------------------------------

    def regions(self) -> None:
        path = self.root / "regions.yaml"
        doc = self.read(path)
        if not isinstance(doc, LineDict):
            return
        for index, rule in enumerate(doc.get("coverage") or []):
            if not isinstance(rule, LineDict):
                continue
            regions = [str(r) for r in rule.get("regions") or []]
            for policy in ("ai_training", "microsoft_ads"):
                cover = rule.get(policy)
                if not isinstance(cover, LineDict):
                    continue
                for source_id in cover.get("sources") or []:
                    field = f"coverage[{index}].{policy}.sources"
                    line = cover.line_of("sources")
                    self.concerns(path, line, field, str(source_id), regions)
        for index, regulator in enumerate(doc.get("regulators") or []):
            if not isinstance(regulator, LineDict):
                continue
            regions = [str(r) for r in regulator.get("regions") or []]
            source_id = str(regulator.get("source", ""))
            if "url" in regulator:
                field, line = f"regulators[{index}].url", regulator.line_of("url")
                url = str(regulator["url"])
                self.check_url(path, line, field, url)
                own = self.source_hosts.get(source_id)
                if own is not None and not _on_host(host_of(url), own):
                    self.add(
                        path, line, field, f"{host_of(url)} is not the host of {source_id} ({own})"
                    )
            if source_id:
                line = regulator.line_of("source")
                self.concerns(path, line, f"regulators[{index}].source", source_id, regions)

    def events(self) -> None:
        path = self.root / "events.yaml"
        doc = self.read(path)
        if not isinstance(doc, LineDict):
            return
        for index, event in enumerate(doc.get("events") or []):
            if not isinstance(event, LineDict):
                continue
            regions = [str(r) for r in event.get("regions") or []]
            for source_id in event.get("sources") or []:
                line = event.line_of("sources")
                self.concerns(path, line, f"events[{index}].sources", str(source_id), regions)

    # --- the same paragraph twice in one reply -----------------------------------------------

    def repeats(self) -> None:
        folders = [self.root, *sorted(p for p in (self.root / "i18n").glob("*") if p.is_dir())]
        for folder in folders:
            seen: dict[str, tuple[str, str]] = {}  # text -> (owner, where)
            for path in sorted((folder / "intents").glob("*.yaml")):
                doc = self.read(path)
                if not isinstance(doc, LineDict) or not isinstance(doc.get("answer"), LineDict):
                    continue
                owner = f"intent {doc.get('id', path.stem)}"
                for field, line, text in _answer_texts(doc["answer"]):
                    self.once(seen, owner, path, line, field, text)
            path = folder / "regions.yaml"
            doc = self.read(path)
            if isinstance(doc, LineDict):
                for index, rule in enumerate(doc.get("coverage") or []):
                    if not isinstance(rule, LineDict):
                        continue
                    for policy in ("ai_training", "microsoft_ads"):
                        cover = rule.get(policy)
                        if isinstance(cover, LineDict) and isinstance(cover.get("note"), str):
                            field = f"coverage[{index}].{policy}.note"
                            owner = f"coverage note {field}"
                            line = cover.line_of("note")
                            self.once(seen, owner, path, line, field, cover["note"])

    def once(self, seen, owner: str, path: Path, line: int, field: str, text: str) -> None:
        key = normalise(text)
        if len(key) < 40:  # short connective lines ("Tell me your country") may repeat
            return
        first = seen.setdefault(key, (owner, f"{self.name(path)}:{line}"))
        if first[0] != owner:
            self.add(
                path,
                line,
                field,
                f"the same paragraph as {first[0]} ({first[1]}); one reply can show both",
            )


def _answer_urls(answer: LineDict) -> Iterator[tuple[str, int, str]]:
    for index, link in enumerate(answer.get("links") or []):
        if isinstance(link, LineDict) and "url" in link:
            yield f"answer.links[{index}].url", link.line_of("url"), str(link["url"])
    for field, line, text in _answer_texts(answer, steps=True):
        for url in _URL_IN_TEXT.findall(text):
            yield field, line, url.rstrip(".,;:")


def _answer_texts(answer: LineDict, steps: bool = True) -> Iterator[tuple[str, int, str]]:
    paragraphs = answer.get("paragraphs")
    if isinstance(paragraphs, LineList):
        for index, item in enumerate(paragraphs):
            field = f"answer.paragraphs[{index}]"
            if isinstance(item, str):
                yield field, paragraphs.line_of(index), item
            elif isinstance(item, LineDict):
                for side in ("before", "after"):
                    if isinstance(item.get(side), str):
                        yield f"{field}.{side}", item.line_of(side), item[side]
    items = answer.get("steps")
    if steps and isinstance(items, LineList):
        for index, item in enumerate(items):
            if isinstance(item, str):
                yield f"answer.steps[{index}]", items.line_of(index), item
    variant = answer.get("after_event")
    if isinstance(variant, LineDict):
        for side in ("before", "after"):
            if isinstance(variant.get(side), str):
                yield f"answer.after_event.{side}", variant.line_of(side), variant[side]


def audit_knowledge(directory: Path | str, kb: KnowledgeBase, today: dt.date) -> list[Finding]:
    """Every finding of the checks above, errors and warnings, in file order."""
    audit = _Audit(Path(directory), kb)
    audit.sources()
    audit.meta(today)
    audit.intents()
    audit.regions()
    audit.events()
    audit.repeats()
    return audit.findings
