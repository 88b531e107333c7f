"""Answering a question: region, intent, band, and a time-aware reply. Pure and synchronous."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path

from bot.core.actions import action_links
from bot.core.clock import Clock, SystemClock
from bot.core.formats import format_date, format_days
from bot.core.knowledge import (
    COUNTRY_CODES,
    Intent,
    KnowledgeBase,
    PolicyCoverage,
    Source,
    TimeVariant,
)
from bot.core.knowledge_loader import load_knowledge
from bot.core.languages import (
    SOURCE_LANGUAGE,
    Detection,
    WordLanguages,
    choose_language,
    keep_english,
    shared_detector,
)
from bot.core.long_messages import noting_partial_reading
from bot.core.matching import IntentMatcher, Scored
from bot.core.place_first import (
    about_oneself,
    about_oneself_first,
    asks_for_the_list,
    place_first,
)
from bot.core.regions import RegionMatch, RegionResolver, region_display_name
from bot.core.reply import CitedSource, LinkButton, Reply, Topic
from bot.core.session import Session
from bot.core.short_replies import read_short_reply
from bot.core.text import normalise
from bot.core.timing import coverage_when, paragraphs_on, short_on, since_text, starts_later

_CODE_ALONE = re.compile(r"^\s*([A-Za-z]{2})\s*(\?)?\s*$")
# Confidence bands, tuned on tests/data/eval.yaml (see README "How the bot decides").
ANSWER_AT = 0.40
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
# A message this short never moves a conversation to another language.
MIN_WORDS_TO_SWITCH = 3
# How much better a question must match another language than the likeliest one to be read
# in it (see understand()).
LANGUAGE_MARGIN = 0.05
# A question in a language the detector is sure of, which that language's phrasings match at
# least this well, is not matched against English too (a second pass costs a third of a reply).
# Any of 0.5 to 0.9 gave the same public eval scores.
SURE_ENOUGH = 0.6
# Added to am_i_affected's confidence when the question names a region.
REGION_PRIOR = 0.1
# Intents whose answer differs per region, and so can take "what about Norway?" as a follow-up.
REGIONAL_INTENTS = frozenset({"am_i_affected", "complain", "microsoft_sharing", "deadline"})
NEEDS_REGION = frozenset({"am_i_affected"})
# Intents whose answer ends by asking for the person's country (in every language: translations
# keep English's paragraphs in order); that paragraph is left out when the place is known.
ASKS_FOR_PLACE_LAST = frozenset({"complain"})
# The one action (bot.core.actions): every topic answer carries the setting's link, except those
# for people the setting cannot help (non-members) or about the bot itself.
NO_SETTING_LINK = frozenset({"non_members", "reminders"})
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
# The follow-up leads in our other languages ("und in Polen?", "et au Canada ?", "e in Italia?").
FOLLOW_UP_LEADS |= frozenset(
    {"und", "was", "ist", "mit", "wie", "dann", "ich", "wohne", "bin", "en", "et", "au", "aux"}
    | {"pour", "je", "suis", "vis", "habite", "le", "la", "les", "en", "dan", "wat", "met", "ik"}
    | {"woon", "ben", "voor", "e", "per", "sono", "vivo", "a", "y", "para", "el", "los", "soy"}
    | {"i", "w", "a", "co", "z", "jestem", "mieszkam", "dla", "we", "ze", "und", "ok", "oke"}
    # "also", "too", "or not": "Brazilië ook?", "Norwegen auch?", "e la Svizzera?", "Islandia też?"
    | {"too", "also", "ook", "auch", "aussi", "anche", "tambien", "tez", "rowniez", "wel", "niet"}
    | {"of", "oder", "ou", "o", "lub", "nicht", "pas", "non", "no", "nie", "ja", "nee", "oui"}
)


@dataclass(frozen=True)
class Understanding:
    """What the core made of a question, before an answer is written."""

    region: RegionMatch | None
    ranked: list[Scored]
    language: str = SOURCE_LANGUAGE  # whose phrasings matched best
    other_platform: bool = False  # names another platform and not ours
    vague: bool = False  # only words every topic uses
    bare_region: bool = False  # a place and little else: "Canada", "what about Norway?"
    asks_for_list: bool = False  # "which countries": the grouped list, not "which country?"


@dataclass(frozen=True)
class LanguageChoice:
    """The language to answer a message in, and how it was found."""

    language: str
    decided: bool  # chosen, detected or the conversation's: not merely a hint or the default
    detection: Detection
    tried: tuple[str, ...]  # languages whose phrasings the question is matched against


class QuestionAnswerer:
    """The core's one entry point for questions. Build once; respond() is cheap. `cache_dir`:
    where the region index and word lists are kept (None: built in memory at every start)."""

    def __init__(
        self, kb: KnowledgeBase, clock: Clock | None = None, cache_dir: Path | None = None
    ):
        self.kb = kb
        self.clock = clock or SystemClock()
        self.regions = RegionResolver(kb, cache_dir)
        self.matchers = {code: IntentMatcher(kb.in_language(code)) for code in kb.languages}
        self.matcher = self.matchers[SOURCE_LANGUAGE]
        self.detector = shared_detector()
        self.word_languages = WordLanguages(
            {code: matcher.vocabulary for code, matcher in self.matchers.items()}
        )
        self._topic_ids = [i.id for i in kb.intents.values() if i.kind == "topic"]

    @classmethod
    def from_directory(cls, directory: Path | str | None = None, clock: Clock | None = None):
        return cls(load_knowledge(directory), clock)

    # --- questions ---------------------------------------------------------------------------

    def detect(self, text: str) -> Detection:
        """The language a question is written in, when the knowledge base speaks several."""
        if len(self.matchers) < 2:
            return Detection(None, ())
        settled = self.word_languages.settle(normalise(text).split())
        if settled is not None:
            return Detection(settled, (settled,))
        return self.detector.detect(text)

    def understand(
        self,
        text: str,
        languages: tuple[str, ...] = (SOURCE_LANGUAGE,),
        written_in: str | None = None,
    ) -> Understanding:
        """The region named and the intents ranked, in whichever of `languages` (tried in turn)
        the question matches best. `written_in`: the language the detector is sure of, whose
        everyday words ("usa" in Italian) are not taken for places without evidence."""
        region, rest = self.regions.scan(text, (written_in,) if written_in else languages[:-1])
        language, ranked = SOURCE_LANGUAGE, []
        for code in languages:
            matcher = self.matchers.get(code)
            if matcher is None:
                continue
            if written_in and ranked and ranked[0].confidence >= SURE_ENOUGH:
                break  # the language the detector is sure of answers well: no other is needed
            candidate = matcher.rank(rest)
            # The likeliest language is tried first; another must match clearly better, or a
            # word shared by several languages ("privacy") would get the luckiest reading.
            margin = LANGUAGE_MARGIN if ranked else 0.0
            if not ranked or (
                candidate and candidate[0].confidence > ranked[0].confidence + margin
            ):
                language, ranked = code, candidate
        matcher = self.matchers.get(language, self.matcher)
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
        named = region is not None and bool(region.region or region.europe)
        ranked = place_first(ranked, rest, named, REGION_PRIOR, ANSWER_AT)
        oneself = not named and about_oneself(rest, FOLLOW_UP_LEADS)
        if oneself:
            ranked = about_oneself_first(ranked, ANSWER_AT)
        padded = f" {' '.join(rest)} "
        other = not any(f" {n} " in padded for n in self.kb.platform_names) and any(
            f" {n} " in padded for n in self.kb.other_platforms
        )
        bare = bool(region and (region.region or region.europe)) and not (
            set(rest) - FOLLOW_UP_LEADS
        )
        vague = bool(rest) and not oneself and matcher.information(rest) < VAGUE_INFORMATION
        return Understanding(
            region,
            ranked,
            language,
            other_platform=other,
            bare_region=bare,
            vague=vague,
            asks_for_list=asks_for_the_list(rest),
        )

    def language_for(self, text: str, session: Session, hint: str | None = None) -> LanguageChoice:
        """The language to answer in, and the languages to try the question in."""
        detection = self.detect(text)
        words = len(normalise(text).split())
        if session.language and words < MIN_WORDS_TO_SWITCH:
            # "ok", "Norway", "merci": too short to leave the conversation's language for.
            detection = Detection(None, detection.candidates)
        elif not session.language and not session.chosen_language:
            # A first "I'm Swiss", "GDPR", "help": English words are not read as German or Dutch.
            detection = keep_english(detection, text, words)
        decided = session.chosen_language or detection.language or session.language
        language = choose_language(
            chosen=session.chosen_language,
            detected=detection.language,
            hint=hint,
            current=session.language,
        )
        if detection.language:
            tried = [detection.language, language]
        elif session.language:
            # A short message in a conversation is read in its language first, and in another
            # only if that language's phrasings hold one of its words as written: "merci" is
            # French, but "quit" is not French "huit" with a typo.
            written = set(normalise(text).split())
            others = [
                c
                for c in detection.candidates
                if c in self.matchers and (written & self.matchers[c].vocabulary)
            ]
            tried = [session.language, *others, language]
        else:
            tried = [*detection.candidates, language]
        tried.append(SOURCE_LANGUAGE)  # English loanwords are everywhere: "opt out", "settings"
        return LanguageChoice(
            language,
            decided=bool(decided),
            detection=detection,
            tried=tuple(dict.fromkeys(c for c in tried if c in self.matchers)),
        )

    @noting_partial_reading  # a long message: the reply says only its question was read
    def respond(
        self, text: str, session: Session | None = None, *, hint: str | None = None
    ) -> tuple[Reply, Session]:
        """The reply to one message, and the conversation context to keep for the next. `hint`
        is the platform's idea of the user's language (Telegram language_code, Discord locale)."""
        now = self.clock.now()
        session = (session or Session()).current(now)
        if not normalise(text):
            language = choose_language(
                chosen=session.chosen_language, detected=None, hint=hint, current=session.language
            )
            words = self.kb.in_language(language)
            return self._fallback(0.0, None, words.say("answers.empty"), language), session
        choice = self.language_for(text, session, hint)
        language, detection = choice.language, choice.detection
        understood = self.understand(text, choice.tried, detection.language)
        # A short message is read as: a country code in capitals or as "xx?" ("NO", "it?"), then
        # a yes, a no or a number, which with no question of the bot's to answer is no topic.
        code = self.code_alone(text)
        if code is not None:
            place = RegionMatch(code, 0, 1, europe=False)
            understood = replace(understood, region=place, bare_region=True, vague=False)
        elif read_short_reply(text) is not None:
            understood = replace(understood, vague=True)
        best_score = understood.ranked[0].confidence if understood.ranked else 0.0
        if (
            not choice.decided
            and understood.language in detection.candidates
            and detection.candidates[0] != SOURCE_LANGUAGE
            and best_score >= ANSWER_AT
        ):
            # Too short for the detector ("Bedankt!"), but it reads as one of our languages.
            language = understood.language
        session = session.after(
            now, intent=None, region=None, awaiting=session.awaiting_region_for, language=language
        )
        words = self.kb.in_language(language)
        match = understood.region
        region = match.region if match else None
        europe = bool(match and match.europe)
        ranked = [s for s in understood.ranked if s.intent in self.kb.intents]
        best = ranked[0] if ranked else Scored("out_of_scope", 0.0)
        margin = best.confidence - (ranked[1].confidence if len(ranked) > 1 else 0.0)

        if understood.other_platform:
            note = words.say("answers.other_platform", platform=self.kb.platform)
            return self._fallback(best.confidence, region, note, language), session
        intent_id = self._follow_up(session, understood, best)
        if intent_id is None and understood.vague:
            main = tuple(self.topic(i, language) for i in MAIN_TOPICS if i in self.kb.intents)
            reply = self._did_you_mean(ranked, best.confidence, region, language)
            reply = replace(reply, suggestions=main)
            return reply, session.after(now, intent=None, region=region, awaiting=None)
        if intent_id is None:
            if (
                best.confidence >= ANSWER_AT
                and margin >= MIN_MARGIN
                and best.words >= MIN_WORD_EVIDENCE
            ):
                intent_id = best.intent
            elif best.confidence >= SUGGEST_AT:
                return self._did_you_mean(ranked, best.confidence, region, language), session.after(
                    now, intent=None, region=region, awaiting=None
                )
            else:
                return self._fallback(best.confidence, region, None, language), session.after(
                    now, intent=None, region=region, awaiting=None
                )
        intent = words.intents[intent_id]
        if intent.kind == "out_of_scope":
            note = intent.answer.paragraphs[0]
            return self._fallback(best.confidence, region, note, language), session
        confidence = (
            max(best.confidence, ANSWER_AT) if intent_id != best.intent else best.confidence
        )
        if intent_id in REGIONAL_INTENTS and region is None and not europe and session.region:
            region = session.region  # the place given earlier in the conversation
        # Without a place the bot asks for one, unless the question asks for the list ("which
        # countries?"): the general answer lists who is affected, grouped.
        if (
            intent_id in NEEDS_REGION
            and region is None
            and not europe
            and not understood.asks_for_list
        ):
            reply = self._ask_region(intent, confidence, language)
            return reply, session.after(now, intent=intent_id, region=None, awaiting=intent_id)
        reply = self.answer_intent(
            intent_id, region, europe=europe, confidence=confidence, language=language
        )
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
        language: str | None = None,
    ) -> Reply:
        """The answer for a known intent (commands call this directly), for a region if given,
        in `language` (English when not given)."""
        kb = self.kb.in_language(language)
        intent = kb.intents[intent_id]
        today = self.clock.now().date()
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
        return Reply(
            kind="answer",
            intent=intent_id,
            confidence=confidence,
            region=region,
            title=title,
            paragraphs=tuple(paragraphs),
            steps=intent.answer.steps if not coverage else (),
            links=self._action_links(kb, intent, region, europe),
            short=short,
            sources=_dedupe(sources),
            follow_ups=tuple(self.topic(i, kb.language) for i in intent.follow_ups),
            coverage=coverage,
            coverage_basis=basis,
            language=kb.language,
            labels=labels(kb),
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
        if cover.value == "yes" and starts_later(cover, today):
            key += "_later"
        status = kb.say("labels." + ("confirmed" if cover.status == "confirmed" else "reported"))
        return kb.say(key, place=place, when=coverage_when(kb, cover, today), status=status)

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

    def ask_region(self, intent_id: str, language: str | None = None) -> Reply:
        """Which country? (an answer that depends on it, asked without one)."""
        return self._ask_region(self.kb.in_language(language).intents[intent_id], 1.0, language)

    def _ask_region(self, intent: Intent, confidence: float, language: str | None = None) -> Reply:
        kb = self.kb.in_language(language)
        return Reply(
            kind="ask_region",
            intent=intent.id,
            confidence=confidence,
            region=None,
            title=intent.title,
            paragraphs=(kb.say("answers.ask_region"),),
            language=kb.language,
            labels=labels(kb),
        )

    def _did_you_mean(
        self,
        ranked: list[Scored],
        confidence: float,
        region: str | None,
        language: str | None = None,
    ) -> Reply:
        kb = self.kb.in_language(language)
        topics = [s.intent for s in ranked if self.kb.intents[s.intent].kind == "topic"][
            :SUGGESTIONS
        ]
        return Reply(
            kind="did_you_mean",
            intent=None,
            confidence=confidence,
            region=region,
            title=kb.say("answers.not_sure_title"),
            paragraphs=(kb.say("answers.did_you_mean"),),
            suggestions=tuple(self.topic(i, kb.language) for i in topics),
            language=kb.language,
            labels=labels(kb),
        )

    def _fallback(
        self,
        confidence: float,
        region: str | None,
        note: str | None = None,
        language: str | None = None,
    ) -> Reply:
        kb = self.kb.in_language(language)
        menu = ("am_i_affected", "opt_out_steps", "deadline", "data_used", "microsoft_sharing")
        return Reply(
            kind="fallback",
            intent=None,
            confidence=confidence,
            region=region,
            title=kb.say("answers.cannot_answer_title"),
            paragraphs=(note or kb.say("answers.only_topic"),),
            suggestions=tuple(self.topic(i, kb.language) for i in menu if i in kb.intents),
            language=kb.language,
            labels=labels(kb),
        )

    # --- menus -------------------------------------------------------------------------------

    def topic(self, intent_id: str, language: str | None = None) -> Topic:
        return Topic(intent_id, self.kb.in_language(language).intents[intent_id].title)

    def topics(self, language: str | None = None) -> list[Topic]:
        return [self.topic(i, language) for i in self._topic_ids]

    def topics_reply(self, language: str | None = None) -> Reply:
        kb = self.kb.in_language(language)
        return Reply(
            kind="answer",
            intent=None,
            confidence=1.0,
            region=None,
            title=kb.say("answers.topics_title"),
            paragraphs=(kb.say("answers.topics_intro"),),
            follow_ups=tuple(self.topics(kb.language)),
            language=kb.language,
            labels=labels(kb),
        )

    def warm(self) -> None:
        """Answer one question in each language now, so that what a first answer loads on first
        use (country names, date formats, word lists) is loaded at start-up, not while the first
        users wait."""
        for language in self.kb.languages:
            self.answer_intent("am_i_affected", "CA", language=language)
            self.answer_intent("deadline", "DE", language=language)
        self.respond("am I affected in Toronto?")

    def code_alone(self, text: str) -> str | None:
        """The region a message that is only a code names: "NO", "DE", "it?", "uk?"; None for
        anything else, and for a code in lower case without "?" ("no", "de": words)."""
        match = _CODE_ALONE.match(text)
        if match is None or not (match[1].isupper() or match[2]):
            return None
        code = match[1].upper()
        code = "GB" if code == "UK" else code
        return code if code in COUNTRY_CODES or code in self.kb.groups else None

    def region_from_argument(self, text: str) -> str | None:
        """A region from a command argument: an id ("CA", "gb", "EU") or any place name."""
        code = text.strip().upper()
        if code == "UK":
            code = "GB"
        if code in self.kb.groups or code in COUNTRY_CODES:
            return code
        match = self.regions.find(text)
        return match.region if match else None

    def unknown_region_reply(self, text: str, language: str | None = None) -> Reply:
        del text  # never echoed: it is user text
        kb = self.kb.in_language(language)
        return Reply(
            kind="fallback",
            intent=None,
            confidence=0.0,
            region=None,
            title=kb.say("answers.unknown_place_title"),
            paragraphs=(kb.say("answers.unknown_place"),),
            language=kb.language,
            labels=labels(kb),
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
        unique = _dedupe(cited)
        return Reply(
            kind="answer",
            intent=None,
            confidence=1.0,
            region=None,
            title=kb.say("answers.sources_title", date=format_date(kb.last_verified, kb.language)),
            paragraphs=tuple(
                kb.say(
                    "answers.source_line",
                    title=s.title,
                    status=kb.say("labels." + s.status),
                    url=s.url,
                )
                for s in unique
            ),
            language=kb.language,
            labels=labels(kb),
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
