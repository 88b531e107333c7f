"""Writing a reply: once the core has decided what a message asks (bot.core.engine: the intent,
the region, the language), the words of the answer for that day, from the knowledge base. Pure
and synchronous; every Reply the core makes is built here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.core.actions import action_links
from bot.core.formats import format_date, format_days
from bot.core.knowledge import Intent, KnowledgeBase, PolicyCoverage, Source, TimeVariant
from bot.core.regions import region_display_name
from bot.core.reply import CitedSource, LinkButton, Reply, ReplyKind, Topic
from bot.core.timing import coverage_when, paragraphs_on, short_on, since_text, starts_later

SUGGESTIONS = 3
MAIN_TOPICS = ("am_i_affected", "opt_out_steps", "data_used")
# What the bot offers when it cannot answer.
FALLBACK_MENU = ("am_i_affected", "opt_out_steps", "deadline", "data_used", "microsoft_sharing")
# Intents whose answer differs per region, and so can take "what about Norway?" as a follow-up.
REGIONAL_INTENTS = frozenset({"am_i_affected", "complain", "microsoft_sharing", "deadline"})
# Intents whose answer ends by asking for the person's country (in every language: translations
# keep English's paragraphs in order); that paragraph is left out when the place is known.
ASKS_FOR_PLACE_LAST = frozenset({"complain"})
# The one action (bot.core.actions): every topic answer carries the setting's link, except those
# for people the setting cannot help (non-members) or about the bot itself.
NO_SETTING_LINK = frozenset({"non_members", "reminders"})


def reply(kb: KnowledgeBase, kind: ReplyKind, title: str, **fields) -> Reply:
    """A reply in `kb`'s language, with its labels; no intent, region or doubt unless given."""
    fields.setdefault("intent", None)
    fields.setdefault("confidence", 1.0)
    fields.setdefault("region", None)
    return Reply(kind=kind, title=title, language=kb.language, labels=labels(kb), **fields)


class ReplyComposer:
    """The replies of one knowledge base, in any of its languages (English when not given)."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._topic_ids = [i.id for i in kb.intents.values() if i.kind == "topic"]

    # --- answers -----------------------------------------------------------------------------

    def answer(
        self,
        intent_id: str,
        region: str | None,
        today: dt.date,
        *,
        europe: bool = False,
        confidence: float = 1.0,
        language: str | None = None,
    ) -> Reply:
        """The answer for a known intent on `today`, for a region if given, in `language`."""
        kb = self.kb.in_language(language)
        intent = kb.intents[intent_id]
        paragraphs = paragraphs_on(kb, intent.answer, today)
        sources = [
            CitedSource(r.source.url, r.source.title, r.status, r.supports) for r in intent.sources
        ]
        coverage: dict[str, str] = {}
        title = intent.title
        if intent_id == "am_i_affected" and (region or europe):
            sources = []  # the per-region answer rests on the coverage sources alone
            title, paragraphs, coverage = self._coverage_answer(kb, region, europe, sources, today)
        elif region and intent_id in REGIONAL_INTENTS:
            # The place's own line first; a closing "tell me your country" goes once it is known.
            general = paragraphs[:-1] if intent_id in ASKS_FOR_PLACE_LAST else paragraphs
            paragraphs = self._regional_lines(kb, intent_id, region, sources, today) + general
        variant = intent.answer.after_event
        if variant is not None:
            paragraphs.append(self._time_text(kb, variant, region, today))
        # Per policy, whether an official page says so or only the press: "reportedly yes".
        policies = kb.coverage_for(region).policies if coverage and region else {}
        basis = {policy: policies[policy].status for policy in coverage}
        if intent.english_only or (
            intent_id == "am_i_affected"
            and (region or europe)
            and kb.coverage_for(region or "EEA").english_only
        ):
            paragraphs.insert(0, kb.say("answers.english_only"))  # a translation lacks it
        short = short_on(kb, intent.answer, today)
        if intent_id == "am_i_affected" and (region or europe):
            short = self._place_short(kb, region, europe, today)
        return reply(
            kb,
            "answer",
            title,
            intent=intent_id,
            confidence=confidence,
            region=region,
            paragraphs=tuple(paragraphs),
            steps=intent.answer.steps if not coverage else (),
            links=self._action_links(kb, intent, region, europe),
            short=short,
            sources=_dedupe(sources),
            follow_ups=tuple(self.topic(i, kb.language) for i in intent.follow_ups),
            coverage=coverage,
            coverage_basis=basis,
        )

    def _coverage_answer(self, kb: KnowledgeBase, region, europe, sources, today: dt.date):
        rule = kb.coverage_for(region or "EEA")
        place = region_display_name(region, kb) if region else rule.label
        title = kb.say("answers.affected_title", place=f"{place[0].upper()}{place[1:]}")
        paragraphs = [kb.say("answers.for_place", place=place)]
        coverage = {}
        for policy, cover in rule.policies.items():
            line = self._coverage_line(kb, cover, today)
            paragraphs.append(f"{kb.say('answers.policy_' + policy)}: {line} {cover.note}")
            sources += [_cited(s) for s in cover.sources]
            if region:
                coverage[policy] = cover.value
        if europe and not region:
            paragraphs.append(kb.say("answers.europe_not_one_region"))
        ai = rule.policies["ai_training"]
        if ai.value == "yes":
            # Before the start: turn it off before then; after it: at any time.
            later = starts_later(ai, today)
            paragraphs.append(
                kb.say("answers.turn_off_before" if later else "answers.can_turn_off")
            )
        return title, paragraphs, coverage

    def _place_short(
        self, kb: KnowledgeBase, region: str | None, europe: bool, today: dt.date
    ) -> str:
        """The short answer for a place: its verdict on AI training, on the Microsoft ads
        sharing, and what to do there (the links come with the reply)."""
        rule = kb.coverage_for(region or "EEA")
        place = region_display_name(region, kb) if region else rule.label
        ai, ads = rule.policies["ai_training"], rule.policies["microsoft_ads"]
        parts = [self._short_verdict(kb, "ai", ai, place, today)]
        parts.append(self._short_verdict(kb, "ads", ads, place, today))
        later = ai.value == "yes" and starts_later(ai, today)
        if ai.value != "no" and ads.value == "yes" and not later:
            parts.append(kb.say("answers.short_act_both"))  # the two settings, in one line
            return " ".join(parts)
        if ai.value != "no":
            parts.append(kb.say("answers.short_act_later" if later else "answers.short_act"))
        if ads.value == "yes":
            parts.append(kb.say("answers.short_act_ads"))
        return " ".join(parts)

    def _short_verdict(
        self, kb: KnowledgeBase, policy: str, cover: PolicyCoverage, place: str, today: dt.date
    ) -> str:
        key = f"answers.short_{policy}_{cover.value}"
        when = coverage_when(kb, cover, today)
        if cover.value == "yes" and starts_later(cover, today):
            key += "_later"
        elif cover.value == "yes" and not when:
            key += "_undated"  # no source gives the start there (Jersey, Gibraltar...)
        status = kb.say("labels." + ("confirmed" if cover.status == "confirmed" else "reported"))
        return kb.say(key, place=place, when=when, status=status)

    def _action_links(
        self, kb: KnowledgeBase, intent: Intent, region: str | None, europe: bool
    ) -> tuple[LinkButton, ...]:
        """The answer's own links, with the one action always there (bot.core.actions): the
        AI-training setting for anyone who is or may be affected, and the ads opt-out where the
        Microsoft ads sharing applies (coverage yes) to the region asked about."""
        links = [LinkButton(link.label, link.url) for link in intent.answer.links]
        if intent.kind != "topic" or intent.id in NO_SETTING_LINK:
            return tuple(links)  # small talk, non-members, the bot's own reminders
        for link in action_links(kb, region, europe=europe):
            if all(have.url != link.url for have in links):
                links.append(LinkButton(link.label, link.url))
        return tuple(links)

    def _coverage_line(self, kb: KnowledgeBase, cover: PolicyCoverage, today: dt.date) -> str:
        text = kb.say("answers.value_" + cover.value)
        when = coverage_when(kb, cover, today)  # "since 3 November 2025", or "from ..., in 14 days"
        if when:
            text += ", " + when
        if cover.status == "reported" and cover.value != "unclear":
            text += " " + kb.say("answers.status_reported")
        elif cover.value == "unclear":
            text += "."
        else:
            text += " " + kb.say("answers.status_confirmed")
        return text

    def _regional_lines(
        self,
        kb: KnowledgeBase,
        intent_id: str,
        region: str,
        sources: list[CitedSource],
        today: dt.date,
    ) -> list[str]:
        place = region_display_name(region, kb)
        rule = kb.coverage_for(region)
        if intent_id == "complain":
            # The authority, or that there is none; whom a complaint is about; a page to file it.
            regulator = kb.regulator_for(region)
            key = "answers.no_regulator" if regulator.none else "answers.regulator"
            line = kb.say(key, place=place, regulator=regulator.name)
            if regulator.note:
                line += " " + regulator.note
            if regulator.english_only:
                line += " " + kb.say("answers.english_only")
            if regulator.source:
                sources.append(_cited(regulator.source))
            if regulator.url:
                line += " " + kb.say("answers.regulator_complaint_page", url=regulator.url)
            return [line]
        if intent_id == "microsoft_sharing":
            cover = rule.policies["microsoft_ads"]
            sources += [_cited(s) for s in cover.sources]
            text = f"{self._coverage_line(kb, cover, today)} {cover.note}"
            if rule.english_only:
                text += " " + kb.say("answers.english_only")
            return [kb.say("answers.place_line", place=place, text=text)]
        if intent_id == "deadline":
            cover = rule.policies["ai_training"]
            if cover.since and cover.since.year < 2025:
                sources += [_cited(s) for s in cover.sources]
                date = since_text(cover, kb.language)  # a month where no source gives the day
                return [kb.say("answers.deadline_not_here", place=place, date=date)]
        return []

    def _time_text(
        self, kb: KnowledgeBase, variant: TimeVariant, region: str | None, today: dt.date
    ) -> str:
        """The before/after text of an event; for a region the event does not concern, what
        applies there instead (the US has had the setting since 2024)."""
        event = kb.event_index[variant.event_id]
        concerned = kb.events_for(region) if region is not None else [event]
        # The same day may be its own event for some regions (Canada and Hong Kong are reported).
        if event not in concerned and any(e.date == event.date for e in concerned):
            event = next(e for e in concerned if e.date == event.date)
        if event not in concerned:
            cover = kb.coverage_for(region).policies["ai_training"]
            place = region_display_name(region, kb)
            if not cover.since:
                head = kb.say("answers.on_by_default", place=place)
            else:
                key = "since_reported" if cover.status == "reported" else "since"
                head = kb.say(
                    "answers.on_by_default_" + key, place=place, date=since_text(cover, kb.language)
                )
            return f"{head} {kb.say('answers.turn_off_any_time')}"
        days = (event.date - today).days
        date = format_date(event.date, kb.language)
        if days > 0:
            return variant.before.format(date=date, days_left=format_days(days, kb.language))
        since = (
            kb.say("answers.today") if days == 0 else format_days(days, kb.language, direction=True)
        )
        return variant.after.format(date=date, days_since=since)

    # --- replies that are not answers --------------------------------------------------------

    def ask_region(
        self, intent_id: str, confidence: float = 1.0, language: str | None = None
    ) -> Reply:
        """Which country? (an answer that depends on it, asked without one)."""
        kb = self.kb.in_language(language)
        intent = kb.intents[intent_id]
        return reply(
            kb,
            "ask_region",
            intent.title,
            intent=intent.id,
            confidence=confidence,
            paragraphs=(kb.say("answers.ask_region"),),
        )

    def did_you_mean(
        self,
        ranked: Iterable[str],
        confidence: float,
        region: str | None,
        language: str | None = None,
        suggestions: tuple[Topic, ...] | None = None,
    ) -> Reply:
        """Not sure: the likeliest topics of `ranked` (intent ids, likeliest first) offered, or
        `suggestions`."""
        kb = self.kb.in_language(language)
        if suggestions is None:
            topics = [i for i in ranked if self.kb.intents[i].kind == "topic"][:SUGGESTIONS]
            suggestions = tuple(self.topic(i, kb.language) for i in topics)
        return reply(
            kb,
            "did_you_mean",
            kb.say("answers.not_sure_title"),
            confidence=confidence,
            region=region,
            paragraphs=(kb.say("answers.did_you_mean"),),
            suggestions=suggestions,
        )

    def main_topics(self, language: str | None = None) -> tuple[Topic, ...]:
        """The topics offered for a question too vague to rank them by."""
        return tuple(self.topic(i, language) for i in MAIN_TOPICS if i in self.kb.intents)

    def fallback(
        self,
        confidence: float,
        region: str | None,
        note: str | None = None,
        language: str | None = None,
    ) -> Reply:
        """Cannot answer: `note` (or that the bot answers one topic only) and the menu."""
        kb = self.kb.in_language(language)
        return reply(
            kb,
            "fallback",
            kb.say("answers.cannot_answer_title"),
            confidence=confidence,
            region=region,
            paragraphs=(note or kb.say("answers.only_topic"),),
            suggestions=tuple(self.topic(i, kb.language) for i in FALLBACK_MENU if i in kb.intents),
        )

    def empty(self, language: str | None = None) -> Reply:
        """A message with nothing in it to read."""
        return self.fallback(
            0.0, None, self.kb.in_language(language).say("answers.empty"), language
        )

    def other_platform(self, confidence: float, region: str | None, language: str) -> Reply:
        """A question about another platform, not ours."""
        note = self.kb.in_language(language).say(
            "answers.other_platform", platform=self.kb.platform
        )
        return self.fallback(confidence, region, note, language)

    def out_of_scope(
        self, intent_id: str, confidence: float, region: str | None, language: str
    ) -> Reply:
        """An out-of-scope intent's own note, with the menu."""
        note = self.kb.in_language(language).intents[intent_id].answer.paragraphs[0]
        return self.fallback(confidence, region, note, language)

    # --- menus -------------------------------------------------------------------------------

    def topic(self, intent_id: str, language: str | None = None) -> Topic:
        return Topic(intent_id, self.kb.in_language(language).intents[intent_id].title)

    def topics(self, language: str | None = None) -> list[Topic]:
        return [self.topic(i, language) for i in self._topic_ids]

    def topics_reply(self, language: str | None = None) -> Reply:
        kb = self.kb.in_language(language)
        return reply(
            kb,
            "answer",
            kb.say("answers.topics_title"),
            paragraphs=(kb.say("answers.topics_intro"),),
            follow_ups=tuple(self.topics(kb.language)),
        )

    def unknown_region_reply(self, language: str | None = None) -> Reply:
        kb = self.kb.in_language(language)
        return reply(
            kb,
            "fallback",
            kb.say("answers.unknown_place_title"),
            confidence=0.0,
            paragraphs=(kb.say("answers.unknown_place"),),
        )

    def sources_reply(self, language: str | None = None) -> Reply:
        """Every source the knowledge base cites, with what it supports and its status."""
        kb = self.kb.in_language(language)
        cited: list[CitedSource] = []
        for intent in self.kb.intents.values():
            for ref in intent.sources:
                cited.append(
                    CitedSource(ref.source.url, ref.source.title, ref.status, ref.supports)
                )
        return reply(
            kb,
            "answer",
            kb.say("answers.sources_title", date=format_date(kb.last_verified, kb.language)),
            paragraphs=tuple(
                kb.say(
                    "answers.source_line",
                    title=s.title,
                    status=kb.say("labels." + s.status),
                    url=s.url,
                )
                for s in _dedupe(cited)
            ),
        )


def labels(kb: KnowledgeBase) -> dict[str, str]:
    """The words a door puts around a reply (the "labels" messages), in the reply's language:
    a copy, as a reply's own."""
    return dict(kb.labels)


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
