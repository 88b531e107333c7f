"""The platform-free answer the core returns, and its plain-text rendering for the terminal."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlparse

# No reply is longer than this (the longest answer with its sources is well under it); the
# Telegram and Discord adapters split what does not fit in one message.
MAX_REPLY_CHARS = 4000

ReplyKind = Literal["answer", "ask_region", "did_you_mean", "fallback"]
# The words around an answer when a reply carries none of its own (knowledge/messages.yaml).
ENGLISH_LABELS = {
    "none_of_these": "None of these",
    "more_topics": "More topics",
    "old_button": "This button is from an older version of the bot. Please ask again.",
    "feedback_thanks": "Thanks for the feedback!",
    "sources": "Sources:",
    "can_answer": "I can answer:",
    "see_also": "See also:",
    "send_command": 'send "{command}"',
    "confirmed": "confirmed",
    "reported": "reported",
    "more": "More",
    "more_hint": 'Send "more" for the details and sources.',
}


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
    coverage_basis: dict[str, str] = field(default_factory=dict)  # policy -> confirmed|reported
    commands: tuple[CommandButton, ...] = ()
    language: str = "en"
    labels: dict[str, str] = field(default_factory=lambda: dict(ENGLISH_LABELS))
    # A topic's short answer: what a chat shows first (the verdict or key step, then the one
    # action), with the full answer behind "More". Empty: show the full answer at once.
    short: str = ""

    def full(self) -> Reply:
        """The same reply shown in full: what "More" answers."""
        return replace(self, short="")

    def label(self, key: str, **values: str) -> str:
        text = self.labels.get(key) or ENGLISH_LABELS[key]
        return text.format(**values) if values else text

    def as_json(self, text: str, short: str | None = None) -> dict:
        """The stable `optout-bot ask --json` contract (README: "JSON contract"): `text` is the
        full answer, `short` what a chat shows first (the full text when there is no short
        form)."""
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "region": self.region,
            "coverage": dict(self.coverage),
            "coverage_basis": dict(self.coverage_basis),
            "answer": text,
            "short": text if short is None else short,
            "sources": [s.url for s in self.sources],
            "suggestions": [t.id for t in self.suggestions] if self.kind == "did_you_mean" else [],
            "follow_ups": [t.id for t in self.follow_ups],
            "language": self.language,
        }


def cited_sites(
    sources: tuple[CitedSource, ...], words: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """Each (site, status) once, with the URL of its first source: the compact form every door
    shows under an answer. With `words` (Reply.labels) the status is in the reply's language."""
    seen: dict[tuple[str, str], str] = {}
    for source in sources:
        seen.setdefault((source.site, source.status), source.url)
    words = words or {}
    return [(site, words.get(status, status), url) for (site, status), url in seen.items()]


def compact_sources(sources: tuple[CitedSource, ...], words: dict[str, str] | None = None) -> str:
    """One line: each site once with its status ("linkedin.com (confirmed); gulfnews.com (reported)"),
    the status in the reply's language when `words` (Reply.labels) are given."""
    return "; ".join(f"{site} ({status})" for site, status, _url in cited_sites(sources, words))


def render_short(reply: Reply, *, hint: bool = True) -> str:
    """Plain text of what a chat shows first: the title, the short answer and its links, and
    (with `hint`) how to get the rest; the full text for a reply with no short form."""
    if not reply.short:
        return render_plain(reply)
    parts = [reply.title] if reply.title else []
    parts.append(reply.short)
    if reply.links:
        parts.append("\n".join(f"- {link.label}: {link.url}" for link in reply.links))
    if hint:
        parts.append(reply.label("more_hint"))
    return "\n\n".join(parts)


def render_plain(reply: Reply) -> str:
    """Plain text for terminals and logs-free outputs: title, paragraphs, steps, links, sources."""
    parts = [reply.title] if reply.title else []
    parts += list(reply.paragraphs)
    if reply.steps:
        parts.append("\n".join(f"{n}. {step}" for n, step in enumerate(reply.steps, 1)))
    if reply.links:
        parts.append("\n".join(f"- {link.label}: {link.url}" for link in reply.links))
    if reply.suggestions:
        topics = "\n".join(f"- {t.title}" for t in reply.suggestions)
        # A did-you-mean's paragraph already asks "Did you mean one of these?".
        parts.append(
            topics if reply.kind == "did_you_mean" else reply.label("can_answer") + "\n" + topics
        )
    if reply.follow_ups:
        parts.append(
            reply.label("see_also") + "\n" + "\n".join(f"- {t.title}" for t in reply.follow_ups)
        )
    if reply.commands:
        parts.append(
            "\n".join(
                f"- {c.label}: {reply.label('send_command', command=c.command)}"
                for c in reply.commands
            )
        )
    if reply.sources:
        parts.append(reply.label("sources") + " " + compact_sources(reply.sources, reply.labels))
    return "\n\n".join(parts)
