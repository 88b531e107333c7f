"""Answering a question: region, intent, band, and a time-aware reply. Pure and synchronous."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from bot.core.clock import Clock, SystemClock
from bot.core.knowledge import (
    COUNTRY_CODES,
    Intent,
    KnowledgeBase,
    PolicyCoverage,
    Source,
    TimeVariant,
    load_knowledge,
)
from bot.core.matching import IntentMatcher, Scored
from bot.core.regions import RegionMatch, RegionResolver, region_display_name
from bot.core.reply import CitedSource, LinkButton, Reply, Topic
from bot.core.session import Session
from bot.core.text import normalise

# Confidence bands, tuned on tests/data/eval.yaml (see README "How the bot decides").
ANSWER_AT = 0.45
SUGGEST_AT = 0.33
# When the best two intents are closer than this, the bot asks instead of picking one.
MIN_MARGIN = 0.01
SUGGESTIONS = 3
# A question whose words carry less information than this ("linkedin ai", "my data") is too
# vague to answer or to rank topics by: the bot offers the main topics instead.
VAGUE_INFORMATION = 0.5
MAIN_TOPICS = ("am_i_affected", "opt_out_steps", "data_used")
# An answer needs some of the question's own words to point at the topic, not only a similar
# shape ("what's the capital of Canada" looks like "what's the deadline").
MIN_WORD_EVIDENCE = 0.1
# Added to am_i_affected's confidence when the question names a region.
REGION_PRIOR = 0.1
OTHER_PLATFORM_NOTE = (
    "I only know about {platform}: its use of member data for AI training and its data sharing "
    "with Microsoft for ads. For other platforms, check their own privacy settings and help pages."
)
# Intents whose answer differs per region, and so can take "what about Norway?" as a follow-up.
REGIONAL_INTENTS = frozenset({"am_i_affected", "complain", "microsoft_sharing", "deadline"})
NEEDS_REGION = frozenset({"am_i_affected"})
FOLLOW_UP_LEADS = frozenset(
    {
        "what",
        "about",
        "and",
        "how",
        "same",
        "for",
        "in",
        "the",
        "if",
        "im",
        "i",
        "live",
        "am",
        "from",
        "is",
        "it",
        "there",
        "then",
        "ok",
        "okay",
        "so",
    }
)
POLICY_TITLES = {
    "ai_training": "LinkedIn using your data to train content-generating AI",
    "microsoft_ads": "More of your data shared with Microsoft for personalized ads",
}
VALUE_WORDS = {"yes": "Yes", "no": "No", "unclear": "Unclear"}


@dataclass(frozen=True)
class Understanding:
    """What the core made of a question, before an answer is written."""

    region: RegionMatch | None
    ranked: list[Scored]
    other_platform: bool = False  # names another platform and not ours
    vague: bool = False  # only words every topic uses
    bare_region: bool = False  # a place and little else: "Canada", "what about Norway?"


class QuestionAnswerer:
    """The core's one entry point for questions. Build once; respond() is cheap."""

    def __init__(
        self, kb: KnowledgeBase, clock: Clock | None = None, cache_dir: Path | None = None
    ):
        self.kb = kb
        self.clock = clock or SystemClock()
        self.regions = RegionResolver(kb, cache_dir)
        self.matcher = IntentMatcher(kb)
        self._topic_ids = [i.id for i in kb.intents.values() if i.kind == "topic"]

    @classmethod
    def from_directory(cls, directory: Path | str | None = None, clock: Clock | None = None):
        return cls(load_knowledge(directory), clock)

    # --- questions ---------------------------------------------------------------------------

    def understand(self, text: str) -> Understanding:
        region, rest = self.regions.scan(text)
        ranked = self.matcher.rank(rest)
        if region is not None and (region.region or region.europe):
            # Naming a place is itself evidence: people name their country to ask if it applies.
            ranked = sorted(
                (
                    Scored(s.intent, min(1.0, s.confidence + REGION_PRIOR), s.fuzzy, s.words)
                    if s.intent == "am_i_affected"
                    else s
                    for s in ranked
                ),
                key=lambda s: s.confidence,
                reverse=True,
            )
        padded = f" {' '.join(rest)} "
        other = not any(f" {n} " in padded for n in self.kb.platform_names) and any(
            f" {n} " in padded for n in self.kb.other_platforms
        )
        bare = bool(region and (region.region or region.europe)) and not (
            set(rest) - FOLLOW_UP_LEADS
        )
        vague = bool(rest) and self.matcher.information(rest) < VAGUE_INFORMATION
        return Understanding(region, ranked, other_platform=other, bare_region=bare, vague=vague)

    def respond(self, text: str, session: Session | None = None) -> tuple[Reply, Session]:
        """The reply to one message, and the conversation context to keep for the next."""
        now = self.clock.now()
        session = (session or Session()).current(now)
        if not normalise(text):
            reply = self._fallback(
                0.0, None, "Please type a question, for example: am I affected in Canada?"
            )
            return reply, session
        understood = self.understand(text)
        match = understood.region
        region = match.region if match else None
        europe = bool(match and match.europe)
        ranked = [s for s in understood.ranked if s.intent in self.kb.intents]
        best = ranked[0] if ranked else Scored("out_of_scope", 0.0)
        margin = best.confidence - (ranked[1].confidence if len(ranked) > 1 else 0.0)

        if understood.other_platform:
            return self._fallback(
                best.confidence, region, OTHER_PLATFORM_NOTE.format(platform=self.kb.platform)
            ), session
        intent_id = self._follow_up(session, understood, best)
        if intent_id is None and understood.vague:
            main = tuple(self.topic(i) for i in MAIN_TOPICS if i in self.kb.intents)
            reply = replace(self._did_you_mean(ranked, best.confidence, region), suggestions=main)
            return reply, session.after(now, intent=None, region=region, awaiting=None)
        if intent_id is None:
            if (
                best.confidence >= ANSWER_AT
                and margin >= MIN_MARGIN
                and best.words >= MIN_WORD_EVIDENCE
            ):
                intent_id = best.intent
            elif best.confidence >= SUGGEST_AT:
                return self._did_you_mean(ranked, best.confidence, region), session.after(
                    now, intent=None, region=region, awaiting=None
                )
            else:
                return self._fallback(best.confidence, region), session.after(
                    now, intent=None, region=region, awaiting=None
                )
        intent = self.kb.intents[intent_id]
        if intent.kind == "out_of_scope":
            return self._fallback(best.confidence, region, intent.answer.paragraphs[0]), session
        confidence = (
            max(best.confidence, ANSWER_AT) if intent_id != best.intent else best.confidence
        )
        if intent_id in NEEDS_REGION and region is None and not europe:
            if session.region:
                region = session.region
            else:
                reply = self._ask_region(intent, confidence)
                return reply, session.after(now, intent=intent_id, region=None, awaiting=intent_id)
        reply = self.answer_intent(intent_id, region, europe=europe, confidence=confidence)
        return reply, session.after(now, intent=intent_id, region=region, awaiting=None)

    def _follow_up(self, session: Session, understood: Understanding, best: Scored) -> str | None:
        """An intent carried over from the conversation: "Canada" after "which country?", or
        "what about Norway?" after an answer for another country. A place named with nothing
        else, and no conversation to continue, asks whether that place is affected."""
        if understood.bare_region:
            if session.awaiting_region_for:
                return session.awaiting_region_for
            if session.intent in REGIONAL_INTENTS:
                return session.intent
            return "am_i_affected"
        match = understood.region
        if session.awaiting_region_for and match and (match.region or match.europe):
            confident = (
                best.confidence >= ANSWER_AT and self.kb.intents[best.intent].kind == "topic"
            )
            if not confident or best.intent == session.awaiting_region_for:
                return session.awaiting_region_for
        return None

    # --- answers -----------------------------------------------------------------------------

    def answer_intent(
        self,
        intent_id: str,
        region: str | None = None,
        *,
        europe: bool = False,
        confidence: float = 1.0,
    ) -> Reply:
        """The answer for a known intent (commands call this directly), for a region if given."""
        intent = self.kb.intents[intent_id]
        today = self.clock.now().date()
        paragraphs = list(intent.answer.paragraphs)
        sources = [
            CitedSource(r.source.url, r.source.title, r.status, r.supports) for r in intent.sources
        ]
        coverage: dict[str, str] = {}
        title = intent.title
        if intent_id == "am_i_affected" and (region or europe):
            sources = []  # the per-region answer rests on the coverage sources alone
            title, paragraphs, coverage = self._coverage_answer(region, europe, sources)
        elif region and intent_id in REGIONAL_INTENTS:
            paragraphs += self._regional_lines(intent_id, region, sources)
        variant = intent.answer.after_event
        if variant is not None:
            paragraphs.append(self._time_text(variant, region, today))
        return Reply(
            kind="answer",
            intent=intent_id,
            confidence=confidence,
            region=region,
            title=title,
            paragraphs=tuple(paragraphs),
            steps=intent.answer.steps if not coverage else (),
            links=tuple(LinkButton(link.label, link.url) for link in intent.answer.links),
            sources=_dedupe(sources),
            follow_ups=tuple(self.topic(i) for i in intent.follow_ups),
            coverage=coverage,
        )

    def _coverage_answer(self, region, europe, sources):
        rule = self.kb.coverage_for(region or "EEA")
        place = region_display_name(region, self.kb) if region else rule.label
        title = f"Am I affected? {place[0].upper()}{place[1:]}"
        paragraphs = [f"For {place}:"]
        coverage = {}
        for policy, cover in rule.policies.items():
            paragraphs.append(f"{POLICY_TITLES[policy]}: {self._coverage_line(cover)} {cover.note}")
            sources += [_cited(s) for s in cover.sources]
            if region:
                coverage[policy] = cover.value
        if europe and not region:
            paragraphs.append(
                "Europe is not one region for this: tell me your country if it is outside the EU, the EEA, Switzerland and the UK."
            )
        ai = rule.policies["ai_training"]
        if ai.value == "yes":
            paragraphs.append(
                'You can turn the AI-training setting off at any time: ask me "how do I opt out?".'
            )
        return title, paragraphs, coverage

    def _coverage_line(self, cover: PolicyCoverage) -> str:
        text = VALUE_WORDS[cover.value]
        if cover.since and cover.value == "yes":
            text += f", since {cover.since_text}"
        if cover.status == "reported" and cover.value != "unclear":
            text += " (reported by the press, not confirmed by an official page)."
        elif cover.value == "unclear":
            text += "."
        else:
            text += " (confirmed)."
        return text

    def _regional_lines(self, intent_id: str, region: str, sources: list[CitedSource]) -> list[str]:
        place = region_display_name(region, self.kb)
        rule = self.kb.coverage_for(region)
        if intent_id == "complain":
            regulator = self.kb.regulator_for(region)
            line = f"In {place}, the authority to contact is {regulator.name}."
            if regulator.url and regulator.source:
                sources.append(CitedSource(regulator.url, regulator.source.title, "confirmed"))
                line += f" Their statement on LinkedIn: {regulator.url}"
            return [line]
        if intent_id == "microsoft_sharing":
            cover = rule.policies["microsoft_ads"]
            sources += [_cited(s) for s in cover.sources]
            return [f"In {place}: {self._coverage_line(cover)} {cover.note}"]
        if intent_id == "deadline":
            cover = rule.policies["ai_training"]
            if cover.since and cover.since.year < 2025:
                sources += [_cited(s) for s in cover.sources]
                return [
                    f"In {place} the 3 November 2025 date does not apply: the setting has been on by default since {format_date(cover.since)} (reported), and you can turn it off at any time."
                ]
        return []

    def _time_text(self, variant: TimeVariant, region: str | None, today: dt.date) -> str:
        """The before/after text of an event; for a region the event does not concern, what
        applies there instead (the US has had the setting since 2024)."""
        event = self.kb.event_index[variant.event_id]
        concerned = self.kb.events_for(region) if region is not None else [event]
        # The same day may be its own event for some regions (Canada and Hong Kong are reported).
        if event not in concerned and any(e.date == event.date for e in concerned):
            event = next(e for e in concerned if e.date == event.date)
        if event not in concerned:
            cover = self.kb.coverage_for(region).policies["ai_training"]
            place = region_display_name(region, self.kb)
            since = f" since {cover.since_text}" if cover.since else ""
            status = " (reported)" if cover.status == "reported" else ""
            return (
                f"In {place} the setting has been on by default{since}{status}. You can turn it off "
                "at any time; it stops future use only."
            )
        days = (event.date - today).days
        if days > 0:
            return variant.before.format(date=format_date(event.date), days_left=_days(days))
        since = "today" if days == 0 else f"{_days(-days)} ago"
        return variant.after.format(date=format_date(event.date), days_since=since)

    # --- replies that are not answers --------------------------------------------------------

    def _ask_region(self, intent: Intent, confidence: float) -> Reply:
        return Reply(
            kind="ask_region",
            intent=intent.id,
            confidence=confidence,
            region=None,
            title=intent.title,
            paragraphs=(
                "It depends on where you are. Which country do you live in? (For example: Canada, Germany, the UK, the US.)",
            ),
        )

    def _did_you_mean(self, ranked: list[Scored], confidence: float, region: str | None) -> Reply:
        topics = [s.intent for s in ranked if self.kb.intents[s.intent].kind == "topic"][
            :SUGGESTIONS
        ]
        return Reply(
            kind="did_you_mean",
            intent=None,
            confidence=confidence,
            region=region,
            title="I am not sure what you are asking.",
            paragraphs=("Did you mean one of these?",),
            suggestions=tuple(self.topic(i) for i in topics),
        )

    def _fallback(self, confidence: float, region: str | None, note: str | None = None) -> Reply:
        menu = ("am_i_affected", "opt_out_steps", "deadline", "data_used", "microsoft_sharing")
        return Reply(
            kind="fallback",
            intent=None,
            confidence=confidence,
            region=region,
            title="I can't answer that.",
            paragraphs=(
                note
                or "I only answer questions about LinkedIn using member data for AI training and sharing data with Microsoft for ads.",
            ),
            suggestions=tuple(self.topic(i) for i in menu if i in self.kb.intents),
        )

    # --- menus -------------------------------------------------------------------------------

    def topic(self, intent_id: str) -> Topic:
        return Topic(intent_id, self.kb.intents[intent_id].title)

    def topics(self) -> list[Topic]:
        return [self.topic(i) for i in self._topic_ids]

    def topics_reply(self) -> Reply:
        return Reply(
            kind="answer",
            intent=None,
            confidence=1.0,
            region=None,
            title="Topics I can answer",
            paragraphs=("Ask in your own words, or pick one:",),
            follow_ups=tuple(self.topics()),
        )

    def region_from_argument(self, text: str) -> str | None:
        """A region from a command argument: an id ("CA", "gb", "EU") or any place name."""
        code = text.strip().upper()
        if code == "UK":
            code = "GB"
        if code in self.kb.groups or code in COUNTRY_CODES:
            return code
        match = self.regions.find(text)
        return match.region if match else None

    def unknown_region_reply(self, text: str) -> Reply:
        del text  # never echoed: it is user text
        return Reply(
            kind="fallback",
            intent=None,
            confidence=0.0,
            region=None,
            title="I don't know that place.",
            paragraphs=(
                "Try a country name or its two-letter code, for example: Canada, DE, the UK.",
            ),
        )

    def sources_reply(self) -> Reply:
        """Every source the knowledge base cites, with what it supports and its status."""
        cited: list[CitedSource] = []
        for intent in self.kb.intents.values():
            for ref in intent.sources:
                cited.append(
                    CitedSource(ref.source.url, ref.source.title, ref.status, ref.supports)
                )
        unique = _dedupe(cited)
        return Reply(
            kind="answer",
            intent=None,
            confidence=1.0,
            region=None,
            title=f"Sources (last checked {format_date(self.kb.last_verified)})",
            paragraphs=tuple(f"{s.title} ({s.status}): {s.url}" for s in unique),
        )


def _cited(source: Source) -> CitedSource:
    """A coverage source: an official page (LinkedIn's, a regulator's) was read and confirms what
    it is cited for; press sources only report it."""
    return CitedSource(
        source.url, source.title, "confirmed" if source.kind == "official" else "reported"
    )


def _dedupe(sources: list[CitedSource]) -> tuple[CitedSource, ...]:
    seen: dict[str, CitedSource] = {}
    for source in sources:
        seen.setdefault(source.url, source)
    return tuple(seen.values())


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def format_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"
