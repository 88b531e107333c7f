"""Answering a question: deciding what it asks (its language, region and intent, and whether the
bot is sure enough to answer), with the conversation so far. The reply's words are written by
bot.core.composer. Pure and synchronous."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, replace
from pathlib import Path

from bot.core.clock import Clock, SystemClock
from bot.core.composer import REGIONAL_INTENTS, ReplyComposer
from bot.core.knowledge import (
    COUNTRY_CODES,
    OUT_OF_SCOPE,
    KnowledgeBase,
)
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
from bot.core.regions import RegionMatch, RegionResolver
from bot.core.reply import Reply, Topic
from bot.core.session import Session
from bot.core.short_replies import read_short_reply
from bot.core.text import normalise

_CODE_ALONE = re.compile(r"^\s*([A-Za-z]{2})\s*(\?)?\s*$")
# Confidence bands, tuned on tests/data/eval.yaml (see README "How the bot decides").
ANSWER_AT = 0.40
SUGGEST_AT = 0.33
# When the best two intents are closer than this, the bot asks instead of picking one.
MIN_MARGIN = 0.01
# A question whose words carry less information than this ("linkedin ai", "my data") is too
# vague to answer or to rank topics by: the bot offers the main topics instead.
VAGUE_INFORMATION = 0.5
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
# A question with no word of the subject (meta.yaml subject_words) and at least this share of
# its information in words no topic uses is not answered as a topic, however alike it looks: "how
# do I switch off airplane mode" gets "did you mean", not the opt-out steps. Tuned on the public
# eval sets (0.4 and less cost on-topic questions; 0.6 let more off-topic ones through).
OFF_SUBJECT_SHARE = 0.5
# Added to am_i_affected's confidence when the question names a region.
REGION_PRIOR = 0.1
NEEDS_REGION = frozenset({"am_i_affected"})
REMINDERS_INTENT = "reminders"  # this bot's reminders, not the platform's notifications
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
    other_platform: bool = False  # names another platform (or assistant's use) and not ours
    other_party: bool = False  # names a shop, an employer...: a dealing of theirs, not ours
    vague: bool = False  # only words every topic uses
    bare_region: bool = False  # a place and little else: "Canada", "what about Norway?"
    asks_for_list: bool = False  # "which countries": the grouped list, not "which country?"
    foreign: float = 0.0  # share of its information in words no topic uses, without subject words
    # Asks about the platform's own mail or notifications ("turn off LinkedIn email
    # notifications"), naming the platform and no word of reminding: not this bot's reminders.
    platform_notice: bool = False


@dataclass(frozen=True)
class LanguageChoice:
    """The language to answer a message in, and how it was found."""

    language: str
    decided: bool  # chosen, detected or the conversation's: not merely a hint or the default
    detection: Detection
    tried: tuple[str, ...]  # languages whose phrasings the question is matched against


@dataclass(frozen=True)
class _Built:
    """What an answerer builds from its knowledge base alone: about a second of work."""

    regions: RegionResolver
    matchers: dict[str, IntentMatcher]
    word_languages: WordLanguages


# Answerers over one knowledge base share what it builds (a clock of their own is all that
# differs), for as long as that knowledge base lives: a reload brings a new one, built afresh.
_BUILT: dict[tuple[int, Path | None], tuple[weakref.ref[KnowledgeBase], _Built]] = {}


def _built_for(kb: KnowledgeBase, cache_dir: Path | None) -> _Built:
    key = (id(kb), cache_dir)
    entry = _BUILT.get(key)
    if entry is not None and entry[0]() is kb:
        return entry[1]
    matchers = {code: IntentMatcher(kb.in_language(code)) for code in kb.languages}
    built = _Built(
        RegionResolver(kb, cache_dir),
        matchers,
        WordLanguages(
            {code: matcher.vocabulary for code, matcher in matchers.items()},
            {code: matcher.on_topic_vocabulary for code, matcher in matchers.items()},
        ),
    )
    _BUILT[key] = (weakref.ref(kb, lambda _gone: _BUILT.pop(key, None)), built)
    return built


class QuestionAnswerer:
    """The core's one entry point for questions. Build once; respond() is cheap. `cache_dir`:
    where the region index and word lists are kept (None: built in memory at every start)."""

    def __init__(
        self, kb: KnowledgeBase, clock: Clock | None = None, cache_dir: Path | None = None
    ):
        self.kb = kb
        self.clock = clock or SystemClock()
        built = _built_for(kb, cache_dir)
        self.regions = built.regions
        self.matchers = built.matchers
        self.matcher = self.matchers[SOURCE_LANGUAGE]
        self.detector = shared_detector()
        self.word_languages = built.word_languages
        self.replies = ReplyComposer(kb)

    # --- questions ---------------------------------------------------------------------------

    def detect(self, text: str) -> Detection:
        """The language a question is written in, when the knowledge base speaks several."""
        if len(self.matchers) < 2:
            return Detection(None, ())
        settled = self.word_languages.settle(normalise(text).split())
        if settled is not None:
            return Detection(settled, (settled,), by_own_words=True)
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
        named = region is not None and region.named
        if named:
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
        ranked = place_first(ranked, rest, named, REGION_PRIOR, ANSWER_AT)
        oneself = not named and about_oneself(rest, FOLLOW_UP_LEADS)
        if oneself:
            ranked = about_oneself_first(ranked, ANSWER_AT)
        padded = f" {' '.join(rest)} "
        # Inflected names count: "linkedina", "linkedinie".
        ours = any(f" {n}" in padded for n in self.kb.platform_names)
        other = not ours and (
            any(f" {n} " in padded for n in self.kb.other_platforms)
            or self._about_an_assistant(rest)
        )
        party = not ours and any(f" {n} " in padded for n in self.kb.other_parties)
        notice = (
            ours
            and any(w.startswith(self.kb.platform_notices) for w in rest)
            and not self.kb.reminder_words.intersection(rest)
        )
        bare = named and not (set(rest) - FOLLOW_UP_LEADS)
        vague = bool(rest) and not oneself and matcher.information(rest) < VAGUE_INFORMATION
        return Understanding(
            region,
            ranked,
            language,
            other_platform=other,
            other_party=party,
            platform_notice=notice,
            bare_region=bare,
            vague=vague,
            asks_for_list=asks_for_the_list(rest),
            foreign=0.0 if oneself else matcher.foreign_share(rest),
        )

    def _about_an_assistant(self, words: list[str]) -> bool:
        """An AI assistant named with one's own use of it: "does ChatGPT train on my chats?",
        "la cronologia di ChatGPT"; not "will my chats end up in ChatGPT?" (maybe LinkedIn's)."""
        kb = self.kb
        named = [i for i, w in enumerate(words) if w in kb.assistants]
        return bool(named) and any(
            w in kb.assistant_history or (w in kb.assistant_use and i > named[0])
            for i, w in enumerate(words)
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
            return self.replies.empty(language), session
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
        match = understood.region
        region = match.region if match else None
        europe = bool(match and match.europe)
        ranked = [s for s in understood.ranked if s.intent in self.kb.intents]
        best = ranked[0] if ranked else Scored("out_of_scope", 0.0)
        margin = best.confidence - (ranked[1].confidence if len(ranked) > 1 else 0.0)

        if understood.other_platform:
            return self.replies.other_platform(best.confidence, region, language), session
        if understood.other_party:
            reply = self.replies.out_of_scope(OUT_OF_SCOPE, best.confidence, region, language)
            return reply, session
        intent_id = self._follow_up(session, understood, best)
        if intent_id is None and understood.vague:
            reply = self.replies.did_you_mean(
                (), best.confidence, region, language, self.replies.main_topics(language)
            )
            return reply, session.after(now, intent=None, region=region, awaiting=None)
        if intent_id is None:
            # Mostly words no topic uses, and none of the subject's: however alike it looks, a
            # topic is only offered ("how do I switch off airplane mode").
            off_subject = (
                understood.foreign >= OFF_SUBJECT_SHARE
                and not (match and match.named)
                and self.kb.intents[best.intent].kind == "topic"
            )
            if (
                best.confidence >= ANSWER_AT
                and margin >= MIN_MARGIN
                and best.words >= MIN_WORD_EVIDENCE
                and not off_subject
            ):
                intent_id = best.intent
            elif best.confidence >= SUGGEST_AT:
                reply = self.replies.did_you_mean(
                    [s.intent for s in ranked], best.confidence, region, language
                )
                return reply, session.after(now, intent=None, region=region, awaiting=None)
            else:
                reply = self.replies.fallback(best.confidence, region, None, language)
                return reply, session.after(now, intent=None, region=region, awaiting=None)
        if intent_id == REMINDERS_INTENT and understood.platform_notice:
            intent_id = OUT_OF_SCOPE
        if self.kb.intents[intent_id].kind == "out_of_scope":
            return self.replies.out_of_scope(intent_id, best.confidence, region, language), session
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
            reply = self.replies.ask_region(intent_id, confidence, language)
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

    # --- replies, written by bot.core.composer ---------------------------------------------

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
        in `language` (English when not given), as of the clock's today."""
        today = self.clock.now().date()
        return self.replies.answer(
            intent_id, region, today, europe=europe, confidence=confidence, language=language
        )

    def ask_region(self, intent_id: str, language: str | None = None) -> Reply:
        """Which country? (an answer that depends on it, asked without one)."""
        return self.replies.ask_region(intent_id, language=language)

    def topic(self, intent_id: str, language: str | None = None) -> Topic:
        return self.replies.topic(intent_id, language)

    def topics(self, language: str | None = None) -> list[Topic]:
        return self.replies.topics(language)

    def topics_reply(self, language: str | None = None) -> Reply:
        return self.replies.topics_reply(language)

    def unknown_region_reply(self, text: str, language: str | None = None) -> Reply:
        del text  # never echoed: it is user text
        return self.replies.unknown_region_reply(language)

    def sources_reply(self, language: str | None = None) -> Reply:
        return self.replies.sources_reply(language)

    # --- start-up and commands' arguments -----------------------------------------------------

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
