"""The languages the bot speaks, and which one to answer in.

Detection uses lingua, whose models ship inside its wheel (nothing is downloaded), restricted to
our seven languages so that short questions are not read as some eighth one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import tokenize

from bot.core.text import clip
from bot.core.word_frequencies import zipf_frequency

# English is the source language of the knowledge base; the others are translations of it.
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "de", "fr", "nl", "it", "es", "pl")
# Snowball has no Polish stemmer; Polish words are cut to a prefix instead (see matching.py).
SNOWBALL_STEMMERS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "nl": "dutch",
    "it": "italian",
    "es": "spanish",
}
# A question is taken to be in a language only when lingua is this sure and the next language
# is this far behind; below that the message is too short or mixed, and the user's current
# language stands ("ok", "Toronto", "opt out").
MIN_CONFIDENCE = 0.5
MIN_LEAD = 0.25
# Letters a text needs before detection is tried at all.
MIN_LETTERS = 4
# In a fresh conversation, a message of at most this many words that reads as English ("I'm
# Swiss", "GDPR", "help") is answered in English, whatever the detector or other languages'
# phrasings make of it; see keep_english().
SHORT_MESSAGE_WORDS = 3
# A word reads as another language's rather than English when it is this much more common there
# (wordfreq Zipf): "danke", "bedankt", "wie", French "comment" (0.86); not "GDPR" (0.03 in
# Dutch), "Swiss", "am" (0.68 in German), "ok".
NOT_ENGLISH_MARGIN = 0.75


@dataclass(frozen=True)
class Detection:
    """Languages a text may be in, most likely first; `language` is set only when sure."""

    language: str | None
    candidates: tuple[str, ...]
    # Settled by the knowledge base's own words (WordLanguages), not guessed by the detector.
    by_own_words: bool = False


def normalise_language(code: str | None) -> str | None:
    """One of LANGUAGES from a code as platforms send it ("de-CH", "pt_BR", "EN"), else None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else None


class LanguageDetector:
    """Built lazily on first use (lingua's models take about a second to load)."""

    def __init__(self) -> None:
        self._detector = None
        self._codes: dict[object, str] = {}
        self._lock = threading.Lock()

    def _build(self):
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        codes = {getattr(IsoCode639_1, code.upper()): code for code in LANGUAGES}
        # lingua's Language -> our code, looked up once rather than per result and question.
        self._codes = {Language.from_iso_code_639_1(iso): code for iso, code in codes.items()}
        # Every model loaded now: lazily, each n-gram size would load at the first text that
        # needs it, and some user would wait a second for it.
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        return builder.with_preloaded_language_models().build()

    def warm(self) -> None:
        """Build the detector with its models now (about a second), and load the word lists
        reads_as_english() needs (another second), so that the first question waits for neither."""
        with self._lock:
            if self._detector is None:
                self._detector = self._build()
                for code in LANGUAGES:
                    zipf_frequency("a", code)

    def detect(self, text: str) -> Detection:
        """The language of what the bot reads of `text` (a long message's question, see
        text.read), when sure."""
        text = clip(text)
        if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
            return Detection(None, ())
        if self._detector is None:
            self.warm()
        values = self._detector.compute_language_confidence_values(text)
        ranked = [(self._codes[v.language], v.value) for v in values if v.value > 0.05]
        if not ranked:
            return Detection(None, ())
        top, confidence = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        sure = confidence >= MIN_CONFIDENCE and confidence - runner_up >= MIN_LEAD
        return Detection(top if sure else None, tuple(code for code, _ in ranked[:2]))


class WordLanguages:
    """Which of our languages a question's words belong to, by the knowledge base's own
    phrasings: a question with DISTINCT_WORDS words found in one language's phrasings and in no
    other's, and no word only another language has, is in that language without asking lingua
    (a third of a reply's time). On the public eval sets this settles four questions in five and
    is as right as lingua where both decide. A message of one word needs only that word."""

    DISTINCT_WORDS = 2

    def __init__(
        self,
        vocabularies: dict[str, Iterable[str]],
        on_topic: dict[str, Iterable[str]] | None = None,
    ):
        self._only = self._owned(vocabularies)
        # A message of one word is settled by the words of the topics only (see settle).
        self._only_on_topic = self._owned(on_topic) if on_topic is not None else self._only

    @staticmethod
    def _owned(vocabularies: dict[str, Iterable[str]]) -> dict[str, str]:
        """Each word that one language only has -> that language."""
        owners: dict[str, set[str]] = {}
        for code, words in vocabularies.items():
            for word in words:
                owners.setdefault(word, set()).add(code)
        return {word: next(iter(codes)) for word, codes in owners.items() if len(codes) == 1}

    def settle(self, words: Iterable[str]) -> str | None:
        """The language of the normalised `words`, when they settle it; else None."""
        found: dict[str, int] = {}
        words = list(words)
        # One word settles it alone when a topic uses it: "Moin" is German, however like
        # "moins"; "qwertyuiop", an Italian out-of-scope phrasing, is not Italian.
        only = self._only_on_topic if len(words) == 1 else self._only
        for word in words:
            code = only.get(word)
            if code is not None:
                found[code] = found.get(code, 0) + 1
        if len(found) == 1:
            ((code, count),) = found.items()
            if count >= min(self.DISTINCT_WORDS, len(words)):
                return code
        return None


@lru_cache(maxsize=1)
def shared_detector() -> LanguageDetector:
    return LanguageDetector()


def reads_as_english(text: str, others: Iterable[str] = LANGUAGES) -> bool:
    """No word of what the bot reads of `text` is clearly a word of one of `others` (our languages
    but English) rather than English, by how common it is in each (wordfreq); a word no language
    knows is no evidence."""
    others = [code for code in others if code != SOURCE_LANGUAGE]
    for word in tokenize(clip(text), SOURCE_LANGUAGE):
        if not any(ch.isalpha() for ch in word):
            continue  # emoji, numbers
        english = zipf_frequency(word, SOURCE_LANGUAGE)
        if any(zipf_frequency(word, code) - english >= NOT_ENGLISH_MARGIN for code in others):
            return False
    return True


def keep_english(detection: Detection, text: str, words: int) -> Detection:
    """For the first message of a conversation: one of one to SHORT_MESSAGE_WORDS words that reads
    as English is not taken for another language, neither by the detector (sure of German for
    "I'm Swiss") nor through the phrasings of a likely language (Dutch for "GDPR"): nothing is
    detected and English is the only candidate, so the platform's hint, then English, decide.
    Words of the other language keep it: "Danke", "Bedankt!", "opt-out comment ?"."""
    if not 1 <= words <= SHORT_MESSAGE_WORDS or detection.by_own_words:
        return detection
    others = (detection.language,) if detection.language else detection.candidates
    others = tuple(code for code in others if code != SOURCE_LANGUAGE)
    if not others or not reads_as_english(text, others):
        return detection
    return Detection(None, (SOURCE_LANGUAGE,))


def choose_language(
    *,
    chosen: str | None,
    detected: str | None,
    hint: str | None,
    current: str | None,
) -> str:
    """The language to answer in: the user's explicit choice; then the language the question is
    written in; then the one the conversation already uses; then the platform's hint (Telegram's
    language_code, Discord's locale); then English."""
    for code in (chosen, detected, current, normalise_language(hint)):
        if code in LANGUAGES:
            return code
    return SOURCE_LANGUAGE
