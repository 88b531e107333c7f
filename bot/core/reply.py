"""The platform-free answer the core returns, and its plain-text rendering for the terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlparse

# No reply is longer than this (the longest answer with its sources is well under it); the
# Telegram and Discord adapters split what does not fit in one message.
MAX_REPLY_CHARS = 4000

ReplyKind = Literal["answer", "ask_region", "did_you_mean", "fallback"]


@dataclass(frozen=True)
class LinkButton:
    label: str
    url: str


@dataclass(frozen=True)
class CitedSource:
    url: str
    title: str
    status: str  # confirmed | reported
    supports: str = ""

    @property
    def site(self) -> str:
        host = urlparse(self.url).hostname or self.url
        return host.removeprefix("www.")


@dataclass(frozen=True)
class Topic:
    id: str
    title: str


@dataclass(frozen=True)
class CommandButton:
    """A button that sends a bot command for the user ("forget confirm", "checkup monthly")."""

    label: str
    command: str


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    intent: str | None
    confidence: float
    region: str | None
    title: str
    paragraphs: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    links: tuple[LinkButton, ...] = ()
    sources: tuple[CitedSource, ...] = ()
    suggestions: tuple[Topic, ...] = ()  # "did you mean" / fallback menu
    follow_ups: tuple[Topic, ...] = ()
    coverage: dict[str, str] = field(default_factory=dict)
    commands: tuple[CommandButton, ...] = ()

    def as_json(self, text: str) -> dict:
        """The stable `optout-bot ask --json` contract (README: "JSON contract")."""
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "region": self.region,
            "coverage": dict(self.coverage),
            "answer": text,
            "sources": [s.url for s in self.sources],
            "suggestions": [t.id for t in self.suggestions] if self.kind == "did_you_mean" else [],
            "follow_ups": [t.id for t in self.follow_ups],
        }


def cited_sites(sources: tuple[CitedSource, ...]) -> list[tuple[str, str, str]]:
    """Each (site, status) once, with the URL of its first source: the compact form every door
    shows under an answer."""
    seen: dict[tuple[str, str], str] = {}
    for source in sources:
        seen.setdefault((source.site, source.status), source.url)
    return [(site, status, url) for (site, status), url in seen.items()]


def compact_sources(sources: tuple[CitedSource, ...]) -> str:
    """One line: each site once with its status ("linkedin.com (confirmed); gulfnews.com (reported)")."""
    return "; ".join(f"{site} ({status})" for site, status, _url in cited_sites(sources))


def render_plain(reply: Reply) -> str:
    """Plain text for terminals and logs-free outputs: title, paragraphs, steps, links, sources."""
    parts = [reply.title] if reply.title else []
    parts += list(reply.paragraphs)
    if reply.steps:
        parts.append("\n".join(f"{n}. {step}" for n, step in enumerate(reply.steps, 1)))
    if reply.links:
        parts.append("\n".join(f"- {link.label}: {link.url}" for link in reply.links))
    if reply.suggestions:
        heading = "Did you mean:" if reply.kind == "did_you_mean" else "I can answer:"
        parts.append(heading + "\n" + "\n".join(f"- {t.title}" for t in reply.suggestions))
    if reply.follow_ups:
        parts.append("See also:\n" + "\n".join(f"- {t.title}" for t in reply.follow_ups))
    if reply.commands:
        parts.append("\n".join(f'- {c.label}: send "{c.command}"' for c in reply.commands))
    if reply.sources:
        parts.append("Sources: " + compact_sources(reply.sources))
    return "\n\n".join(parts)
