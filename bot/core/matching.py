"""Matching a question to an intent: rapidfuzz over the phrasings plus weighted keyword evidence."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from wordfreq import zipf_frequency

from bot.core.knowledge import KnowledgeBase

# How much each signal counts towards confidence; tuned on tests/data/eval.yaml.
FUZZY_WEIGHT = 0.5
WORDS_WEIGHT = 0.5
# A typo is corrected to a knowledge-base word at most this many edits away (transpositions count
# one), and only when the typed word is not itself a common English word.
MAX_TYPO_EDITS = {3: 1, 4: 1, 5: 1}
LONG_WORD_TYPO_EDITS = 2
TYPO_MAX_ZIPF = 3.0
FUZZY_CANDIDATES = 40


@dataclass(frozen=True)
class Scored:
    intent: str
    confidence: float


class IntentMatcher:
    """Built once per knowledge base; rank() is cheap and never raises."""

    def __init__(self, kb: KnowledgeBase, strip_words: frozenset[str] = frozenset()):
        self.kb = kb
        self._phrasings: list[str] = []
        self._owners: list[str] = []
        documents: dict[str, Counter[str]] = {}
        for intent in kb.intents.values():
            words: Counter[str] = Counter()
            for phrasing in intent.phrasings:
                text = _clean(phrasing)
                self._phrasings.append(text)
                self._owners.append(intent.id)
                words.update(set(text.split()))
            for keyword in intent.keywords:
                words.update(set(keyword.split()) | {keyword} if " " in keyword else {keyword})
            documents[intent.id] = words
        self._vocabulary = sorted({w for doc in documents.values() for w in doc})
        self._known = set(self._vocabulary)
        # Word weight per intent: how often the word appears in the intent's phrasings (share),
        # times how few intents use it (idf), so "opt" says more than "how".
        total = len(documents)
        document_frequency: Counter[str] = Counter()
        for doc in documents.values():
            document_frequency.update(doc.keys())
        self._idf = {w: math.log((1 + total) / (1 + df)) for w, df in document_frequency.items()}
        self._weights: dict[str, dict[str, float]] = {}
        for intent_id, doc in documents.items():
            size = max(len(self.kb.intents[intent_id].phrasings), 1)
            self._weights[intent_id] = {
                w: min(count / size, 1.0) ** 0.5 * self._idf[w] for w, count in doc.items()
            }
        for intent in kb.intents.values():  # keywords count fully: they are curated evidence
            for keyword in intent.keywords:
                if " " in keyword:
                    self._weights[intent.id][keyword] = self._idf.get(keyword, 1.0) * 1.5
                else:
                    self._weights[intent.id][keyword] = max(
                        self._weights[intent.id].get(keyword, 0.0), self._idf[keyword]
                    )
        self._typo_cache: dict[str, str] = {}

    def correct(self, words: list[str]) -> list[str]:
        """Words with typos mended against the knowledge base's vocabulary ("linkdin" -> "linkedin")."""
        return [self._correct_word(w) for w in words]

    def _correct_word(self, word: str) -> str:
        if word in self._known or len(word) < 3 or not word.isalpha():
            return word
        cached = self._typo_cache.get(word)
        if cached is not None:
            return cached
        result = word
        if zipf_frequency(word, "en") < TYPO_MAX_ZIPF:
            limit = MAX_TYPO_EDITS.get(len(word), LONG_WORD_TYPO_EDITS)
            best = process.extractOne(
                word, self._vocabulary, scorer=OSA.distance, score_cutoff=limit
            )
            if best is not None:
                result = best[0]
        if len(self._typo_cache) < 50_000:
            self._typo_cache[word] = result
        return result

    def rank(self, words: list[str]) -> list[Scored]:
        """Every intent with a confidence in [0, 1], best first."""
        words = self.correct(words)
        query = " ".join(words)
        if not query:
            return []
        fuzzy: dict[str, float] = {}
        for _text, score, index in process.extract(
            query, self._phrasings, scorer=fuzz.token_sort_ratio, limit=FUZZY_CANDIDATES
        ):
            owner = self._owners[index]
            fuzzy[owner] = max(fuzzy.get(owner, 0.0), score / 100.0)
        evidence = self._word_evidence(words)
        scored = [
            Scored(
                intent_id,
                round(
                    FUZZY_WEIGHT * fuzzy.get(intent_id, 0.0)
                    + WORDS_WEIGHT * evidence.get(intent_id, 0.0),
                    4,
                ),
            )
            for intent_id in self.kb.intents
        ]
        scored.sort(key=lambda s: s.confidence, reverse=True)
        return scored

    def _word_evidence(self, words: list[str]) -> dict[str, float]:
        """Share of the question's informative weight that each intent's vocabulary explains."""
        terms = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
        query_weight = sum(self._idf.get(w, 1.0) for w in set(words)) or 1.0
        return {
            intent_id: min(sum(weights.get(t, 0.0) for t in terms) / query_weight, 1.0)
            for intent_id, weights in self._weights.items()
        }


def _clean(text: str) -> str:
    from bot.core.text import normalise

    return normalise(text)
