"""Matching a question to an intent: rapidfuzz over the phrasings plus weighted keyword evidence."""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from typing import NamedTuple

import numpy as np
import snowballstemmer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.knowledge import KnowledgeBase
from bot.core.languages import SNOWBALL_STEMMERS
from bot.core.word_frequencies import zipf_frequency

# How much each signal counts towards confidence; tuned on tests/data/eval.yaml (a weighted
# geometric mean did no better).
FUZZY_WEIGHT = 0.6
WORDS_WEIGHT = 0.4
# A typo is corrected to a knowledge-base word at most this many edits away (transpositions count
# one), and only when the typed word is not itself a common English word.
MAX_TYPO_EDITS = {3: 1, 4: 1, 5: 1}
LONG_WORD_TYPO_EDITS = 2
TYPO_MAX_ZIPF = 3.0
# Share of the confidence given to the character n-gram similarity to the closest phrasing
# (CharGrams): it forgives inflection, compounds and typos the word signals miss ("Datenschutz-
# einstellungen", "disattivarlo"). Chosen on the public eval sets (0.2: no language worse, it, es
# and pl up 1 to 2 points; 0.35 and more cost de, it and nl); on the blind sets it then gave en,
# fr, it and pl 1 to 4 points and cost es 3.
CHAR_WEIGHT = 0.2
# How many of the best intents by the cheap score get the full (costlier) similarity, over how
# many of their phrasings (the closest by character n-grams).
CONTENDERS = 3
CONTENDER_PHRASINGS = 12
# How many phrasings, the closest to a question by character n-grams, get a string comparison
# (each intent's closest one besides); the rest cannot win. A bound, so a reply does not slow
# down in proportion as phrasings are added.
CANDIDATES = 52
# An out-of-scope keyword in a question with no word of the subject ("do kiedy trzeba złożyć PIT",
# the deadline for a tax return) makes it off-subject when at least this share of its information
# is in words no topic uses: a keyword alone among topic words ("content: articles, polls,
# endorsements?") does not.
ELSEWHERE_SHARE = 0.2
# Without a Snowball stemmer (Polish), words are cut to this many letters: a crude stem that
# still joins most inflections of a Slavic word ("usunąć", "usunięcia" stay apart, but
# "ustawienia", "ustawieniach" meet).
PREFIX_STEM = 6
# A teenager's age ("I'm 15", "15yo", "ho 17 anni") is one word to the matcher, whatever the
# number: phrasings with one age then cover every other.
_TEEN_AGE = re.compile(r"^1[2-7](?:yo|yrs?|y|j|jr|ans?|anni|anos|lat|lata)?$")
TEEN_AGE_WORD = "16"
_NOT_AN_AGE = re.compile(
    r"^(?:percent|prozent|procent|pourcent|cento|ciento|times|mal|fois|razy|keer|"
    r"nov|dec|dez|dic|okt|oct|ott|sep|set|listopad|grudni|pazdziernik|wrzesni|"
    # Arithmetic: "ile to jest 12 do kwadratu", "12 squared", "17 plus 5".
    r"squared|cubed|plus|minus|divided|kwadrat|szescian|cuadrado|quadrat|carre|elevado)\w*$"
)
# Added to the under-18 topic's confidence when a question gives a teenager's age: "I'm 16, does
# this apply to me?" asks about minors, however much it looks like "does this apply to me?".
AGE_PRIOR = 0.1
AGE_INTENT = "under_18"


class Scored(NamedTuple):
    """One intent's confidence for a question (a tuple: twenty-odd are made per question)."""

    intent: str
    confidence: float
    fuzzy: float = 0.0
    words: float = 0.0


class IntentMatcher:
    """Built once per knowledge base; rank() is cheap and never raises."""

    def __init__(self, kb: KnowledgeBase, strip_words: frozenset[str] = frozenset()):
        self.kb = kb
        self.language = kb.language
        self._phrasings: list[str] = []
        self._owners: list[str] = []
        algorithm = SNOWBALL_STEMMERS.get(kb.language)
        self._stemmer = snowballstemmer.stemmer(algorithm) if algorithm else _PrefixStemmer()
        self._stems: dict[str, str] = {}
        documents: dict[str, Counter[str]] = {}
        surface: set[str] = set()
        self._on_topic: set[str] = set()  # the words of every intent but the out-of-scope one
        for intent in kb.intents.values():
            words: Counter[str] = Counter()
            for phrasing in intent.phrasings:
                text = _clean(phrasing)
                self._phrasings.append(text)
                self._owners.append(intent.id)
                surface.update(text.split())
                if intent.kind != "out_of_scope":
                    self._on_topic.update(text.split())
                words.update(set(self.stem(text.split())))
            for keyword in intent.keywords:
                surface.update(keyword.split())
                if intent.kind != "out_of_scope":
                    self._on_topic.update(keyword.split())
                stems = self.stem(keyword.split())
                words.update(set(stems) | ({" ".join(stems)} if len(stems) > 1 else set()))
            documents[intent.id] = words
        # Phrasings are stored intent by intent: each intent's run starts at one of these offsets.
        self._group_ids = [i for i in dict.fromkeys(self._owners)]
        self._group_starts = np.array(
            [self._owners.index(i) for i in self._group_ids], dtype=np.intp
        )
        self._sorted_phrasings = [" ".join(sorted(text.split())) for text in self._phrasings]
        self._group_ends = [*self._group_starts.tolist()[1:], len(self._phrasings)]
        self._sizes = np.diff([*self._group_starts.tolist(), len(self._phrasings)])
        self._phrasing_group = np.repeat(np.arange(len(self._group_ids)), self._sizes)
        # Scores are kept in arrays, one slot per intent in the knowledge base's order.
        self._intent_ids = list(kb.intents)
        slot = {intent_id: i for i, intent_id in enumerate(self._intent_ids)}
        self._group_intent = np.array([slot[i] for i in self._group_ids], dtype=np.intp)
        self._owner_index = np.array([slot[o] for o in self._owners], dtype=np.intp)
        self._age_index = slot.get(AGE_INTENT)
        self._vocabulary = sorted(surface)
        self._known = surface
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
                term = " ".join(self.stem(keyword.split()))
                if " " in term:
                    self._weights[intent.id][term] = self._idf.get(term, 1.0) * 1.5
                else:
                    self._weights[intent.id][term] = max(
                        self._weights[intent.id].get(term, 0.0), self._idf[term]
                    )
        # Each word's weight per intent, as (intent slots, weights): a question's evidence is
        # the sum over its words, without a pass over every intent.
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for intent_id, weights in self._weights.items():
            for term, weight in weights.items():
                slots, values = postings.setdefault(term, ([], []))
                slots.append(slot[intent_id])
                values.append(weight)
        self._term_postings = {
            term: (np.array(slots, dtype=np.intp), np.array(values))
            for term, (slots, values) in postings.items()
        }
        topical = {i.id for i in kb.intents.values() if i.kind == "topic"}
        self._topic_stems = frozenset(
            w for intent_id, doc in documents.items() if intent_id in topical for w in doc
        )
        subject = [w for entry in kb.subject_words.get(kb.language, ()) for w in entry.split()]
        self._subject = frozenset(subject) | frozenset(self.stem(subject))
        self._long_subject = tuple(w for w in dict.fromkeys(subject) if len(w) >= 5)
        self._off_topic_terms = tuple(
            keyword
            for intent in kb.intents.values()
            if intent.kind == "out_of_scope"
            for keyword in intent.keywords
        )
        self._chars = CharGrams(self._phrasings)
        self._typo_cache: dict[str, str] = {}
        self._max_idf = max(self._idf.values(), default=1.0)
        self._unknown: dict[str, float] = {}

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every word of the phrasings and keywords (normalised)."""
        return frozenset(self._known)

    @property
    def on_topic_vocabulary(self) -> frozenset[str]:
        """The words of every intent's phrasings and keywords but the out-of-scope intent's
        ("qwertyuiop" is not Italian for being an Italian out-of-scope phrasing)."""
        return frozenset(self._on_topic)

    def _unknown_weight(self, stem: str) -> float:
        weight = self._unknown.get(stem)
        if weight is None:
            zipf = zipf_frequency(stem, self.language)
            share = 0.15 if zipf >= 6 else 0.5 if zipf >= 5 else 1.0
            weight = self._max_idf * share
            if len(self._unknown) < 50_000:
                self._unknown[stem] = weight
        return weight

    def stem(self, words: list[str]) -> list[str]:
        """Stems ("deleting" -> "delet"), so word evidence ignores inflection."""
        result = []
        for word in words:
            stem = self._stems.get(word)
            if stem is None:
                stem = self._stemmer.stemWord(word)
                if len(self._stems) < 100_000:
                    self._stems[word] = stem
            result.append(stem)
        return result

    def correct(self, words: list[str]) -> list[str]:
        """Words with typos mended against the knowledge base's vocabulary ("linkdin" -> "linkedin"),
        and a teenager's age read as one word."""
        return [self._correct_word(w) for w in fold_ages(words)]

    def _correct_word(self, word: str) -> str:
        if word in self._known or len(word) < 3 or not word.isalpha():
            return word
        cached = self._typo_cache.get(word)
        if cached is not None:
            return cached
        result = word
        if zipf_frequency(word, self.language) < TYPO_MAX_ZIPF:
            limit = MAX_TYPO_EDITS.get(len(word), LONG_WORD_TYPO_EDITS)
            best = process.extractOne(
                word, self._vocabulary, scorer=OSA.distance, score_cutoff=limit
            )
            if best is not None:
                result = best[0]
        if len(self._typo_cache) < 50_000:
            self._typo_cache[word] = result
        return result

    def information(self, words: list[str]) -> float:
        """How much the words say about which topic is meant: the sum of their weights, where a
        word every topic uses weighs almost nothing and an unknown word weighs a lot."""
        stems = set(self.stem(self.correct(words)))
        return sum(self._idf.get(w) or self._unknown_weight(w) for w in stems)

    def foreign_share(self, words: list[str]) -> float:
        """Share of the question's information carried by words no topic uses (rare words the
        knowledge base never uses, or uses only off-topic); 0 when a word of the subject itself
        is there ("linkedin", "ai", "data": the knowledge base's subject_words); 1 when one of
        the out-of-scope keywords is ("tax return", "pit", "vermieter") and at least
        ELSEWHERE_SHARE of the rest is foreign too."""
        corrected = self.correct(words)
        stems = set(self.stem(corrected))
        if stems & self._subject or set(corrected) & self._subject:
            return 0.0
        # A compound that holds a subject word counts ("Gehaltsangaben", "privacytoezichthouder").
        if any(part in word for word in corrected if len(word) > 7 for part in self._long_subject):
            return 0.0
        # Keywords as typed, not mended or stemmed: "mieszkam" (I live) is not "mieszkańców"
        # (inhabitants), and "Pile" (the city, Piła) is not mended into "pit".
        typed = f" {' '.join(words)} "
        elsewhere = any(f" {keyword} " in typed for keyword in self._off_topic_terms)
        total = foreign = 0.0
        for stem in stems:
            known = stem in self._idf
            weight = self._idf[stem] if known else self._unknown_weight(stem)
            total += weight
            if stem not in self._topic_stems and (known or weight >= self._max_idf):
                foreign += weight
        share = foreign / total if total else 0.0
        return 1.0 if elsewhere and share >= ELSEWHERE_SHARE else share

    def rank(self, words: list[str]) -> list[Scored]:
        """Every intent with a confidence in [0, 1], best first."""
        aged = teen_age(words) is not None
        words = self.correct(words)
        query = " ".join(words)
        if not query:
            return []
        # Only a bounded set of phrasings gets the costly string similarity, so a reply costs
        # about the same however many phrasings the knowledge base holds: the character n-gram
        # similarity (one numpy pass over an inverted index) picks the phrasings closest to the
        # question overall and each intent's closest one.
        similar = self._chars.similarity(query)
        chars = np.zeros(len(self._intent_ids))
        chars[self._group_intent] = np.maximum.reduceat(similar, self._group_starts)
        candidates = self._candidates(similar)
        # token_sort_ratio (word order ignored, length counts) over the candidates in C++
        # (cdist); then, for the few intents that could win, token_ratio, which also forgives
        # extra words (token_set_ratio), over their closest phrasings.
        # token_sort_ratio is ratio() of the words sorted; the phrasings' are sorted once.
        sorted_phrasings = self._sorted_phrasings
        scores = process.cdist(
            [" ".join(sorted(words))],
            [sorted_phrasings[i] for i in candidates.tolist()],
            scorer=fuzz.ratio,
            dtype=np.float32,
        )[0]
        fuzzy = np.zeros(len(self._intent_ids))
        np.maximum.at(fuzzy, self._owner_index[candidates], scores.astype(np.float64) / 100.0)
        evidence = self._word_evidence(self.stem(words))
        cheap = combine(fuzzy, evidence)
        # Stable, so ties keep the knowledge base's order, as a sort of the intents would.
        contenders = np.argsort(-cheap[self._group_intent], kind="stable")[:CONTENDERS]
        closest = [self._closest_of(group, similar) for group in contenders.tolist()]
        full = process.cdist(
            [query],
            [p for some in closest for p in some],
            scorer=fuzz.token_ratio,
            dtype=np.float32,
        )[0]
        runs = np.cumsum([0, *(len(some) for some in closest[:-1])])
        owners = self._group_intent[contenders]
        fuzzy[owners] = np.maximum(fuzzy[owners], np.maximum.reduceat(full, runs) / 100.0)
        confidence = blend(combine(fuzzy, evidence), chars)
        if aged and self._age_index is not None:
            confidence[self._age_index] += AGE_PRIOR
        confidence = np.minimum(confidence, 1.0)
        order = np.argsort(-confidence, kind="stable").tolist()
        confidence_list, fuzzy_list, evidence_list = (
            confidence.tolist(),
            fuzzy.tolist(),
            evidence.tolist(),
        )
        return [
            Scored(self._intent_ids[i], confidence_list[i], fuzzy_list[i], evidence_list[i])
            for i in order
        ]

    def _candidates(self, similar: np.ndarray) -> np.ndarray:
        """The phrasings worth a string comparison: the CANDIDATES closest by character n-grams,
        and each intent's closest, so every intent is scored on its best."""
        if len(similar) > CANDIDATES:
            top = np.argpartition(similar, -CANDIDATES)[-CANDIDATES:]
        else:
            top = np.arange(len(similar))
        # Each intent's closest: the first phrasing of its run that reaches the run's maximum.
        reaches = np.flatnonzero(
            similar >= np.repeat(np.maximum.reduceat(similar, self._group_starts), self._sizes)
        )
        group = self._phrasing_group[reaches]
        chosen = np.zeros(len(similar), dtype=bool)
        chosen[top] = True
        chosen[reaches[np.concatenate(([True], group[1:] != group[:-1]))]] = True
        return np.flatnonzero(chosen)

    def _closest_of(self, group: int, similar: np.ndarray) -> list[str]:
        """One intent's phrasings (its run, `group`) closest to the question by character
        n-grams, at most CONTENDER_PHRASINGS."""
        start, end = int(self._group_starts[group]), self._group_ends[group]
        own = similar[start:end]
        if len(own) > CONTENDER_PHRASINGS:
            picked = np.argpartition(own, -CONTENDER_PHRASINGS)[-CONTENDER_PHRASINGS:]
        else:
            picked = np.arange(len(own))
        return [self._phrasings[start + i] for i in picked.tolist()]

    def _word_evidence(self, words: list[str]) -> np.ndarray:
        """Share of the question's informative weight that each intent's vocabulary explains.
        A word the knowledge base never uses weighs like the most specific word, unless it is a
        very common English word: "lunch" or "instagram" says the question is about something else."""
        terms = set(words) | {f"{a} {b}" for a, b in itertools.pairwise(words)}
        query_weight = sum(self._idf.get(w) or self._unknown_weight(w) for w in set(words)) or 1.0
        explained = np.zeros(len(self._intent_ids))
        for term in terms:
            postings = self._term_postings.get(term)
            if postings is not None:
                explained[postings[0]] += postings[1]
        return np.minimum(explained / query_weight, 1.0)


def combine(fuzzy: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Confidence from surface similarity and word evidence, weighted (one value per intent)."""
    return np.round(FUZZY_WEIGHT * fuzzy + WORDS_WEIGHT * words, 4)


def blend(confidence: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """The fuzzy-and-words confidence with the character n-gram similarity mixed in."""
    return np.round((1 - CHAR_WEIGHT) * confidence + CHAR_WEIGHT * chars, 4)


def teen_age(words: list[str]) -> int | None:
    """Where a question gives a teenager's age, in any of its written forms ("15", "15yo",
    "17 anni"); not a number among others, a percentage or a day of a month ("15 percent of 80",
    "17 November")."""
    ages = [i for i, w in enumerate(words) if _TEEN_AGE.match(w)]
    if len(ages) != 1 or any(
        _NOT_AN_AGE.match(w) or (w[0].isdigit() and i != ages[0]) for i, w in enumerate(words)
    ):
        return None
    return ages[0]


def fold_ages(words: list[str]) -> list[str]:
    """A teenager's age as one word ("15yo" -> "16")."""
    at = teen_age(words)
    return words if at is None else [TEEN_AGE_WORD if i == at else w for i, w in enumerate(words)]


def _clean(text: str) -> str:
    from bot.core.text import normalise

    return " ".join(fold_ages(normalise(text).split()))


class _PrefixStemmer:
    def stemWord(self, word: str) -> str:
        return word[:PREFIX_STEM]


class CharGrams:
    """TF-IDF over the character n-grams of each word (3 to 5 characters, word edges marked), and
    the cosine similarity of a question to every phrasing, through an inverted index. Character
    n-grams a question has and no phrasing has still count in its length, so a question about
    something else is far from every phrasing."""

    SIZES = (3, 4, 5)

    def __init__(self, texts: list[str]):
        # Built with numpy in one pass: (n-gram, phrasing, count) triples, sorted by n-gram, so
        # each n-gram's postings are one slice of two arrays.
        ids: dict[str, int] = {}
        grams_of, rows, counts = [], [], []
        # Words recur across phrasings: each one's n-grams are cut once, for this build only.
        cut: dict[str, tuple[str, ...]] = {}
        for index, text in enumerate(texts):
            found: Counter[str] = Counter()
            for word in text.split():
                if word not in cut:
                    cut[word] = self._word_grams(word)
                found.update(cut[word])
            for g, c in found.items():
                grams_of.append(ids.setdefault(g, len(ids)))
                rows.append(index)
                counts.append(c)
        self.size = len(texts)
        gram = np.array(grams_of, dtype=np.intp)
        row = np.array(rows, dtype=np.intp)
        df = np.bincount(gram, minlength=len(ids))
        self._idf = np.log((1 + self.size) / (1 + df)) + 1.0
        self._unknown_idf = math.log(1 + self.size) + 1.0
        weight = (1 + np.log(np.array(counts, dtype=np.float64))) * self._idf[gram]
        norms = np.sqrt(np.bincount(row, weight * weight, minlength=self.size))
        weight /= np.where(norms > 0, norms, 1.0)[row]
        order = np.argsort(gram, kind="stable")
        self._rows = row[order]
        self._weights = weight[order]
        # Each n-gram's postings are one slice of _rows and _weights, cut when a question has it
        # (views made ahead, two per n-gram, would hold 15 MiB over seven languages).
        self._starts = np.concatenate(([0], np.cumsum(df))).tolist()
        self._lengths = df
        self._ids = ids
        self._word_cache: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {}

    @staticmethod
    def _word_grams(word: str) -> tuple[str, ...]:
        padded = f" {word} "
        return tuple(padded[i : i + n] for n in CharGrams.SIZES for i in range(len(padded) - n + 1))

    def similarity(self, text: str) -> np.ndarray:
        """Cosine similarity of `text` to every phrasing, in [0, 1]."""
        # Counted in Python: a question has a hundred or so n-grams, too few for numpy to pay.
        known: Counter[int] = Counter()
        unknown: Counter[str] = Counter()
        for word in text.split():
            ids, missing = self._word_parts(word)
            known.update(ids)
            if missing:  # n-grams no phrasing has: one id each would be wrong, so count them
                unknown.update(missing)
        squares = sum((1 + math.log(c)) ** 2 for c in unknown.values()) * self._unknown_idf**2
        if not known:
            return np.zeros(self.size)
        grams = np.fromiter(known.keys(), dtype=np.intp, count=len(known))
        counts = np.fromiter(known.values(), dtype=np.float64, count=len(known))
        weights = (1 + np.log(counts)) * self._idf[grams]
        squares += float(np.dot(weights, weights))
        starts, all_rows, all_weights = self._starts, self._rows, self._weights
        spans = [(starts[g], starts[g + 1]) for g in known]
        rows = np.concatenate([all_rows[a:b] for a, b in spans])
        values = np.concatenate([all_weights[a:b] for a, b in spans])
        values *= np.repeat(weights, self._lengths[grams])
        return np.bincount(rows, values, minlength=self.size) / math.sqrt(squares)

    def _word_parts(self, word: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """A word's n-grams: the ids of those some phrasing has, and the others; cached."""
        parts = self._word_cache.get(word)
        if parts is None:
            grams = self._word_grams(word)
            parts = (
                tuple(self._ids[g] for g in grams if g in self._ids),
                tuple(g for g in grams if g not in self._ids),
            )
            if len(self._word_cache) < 50_000:
                self._word_cache[word] = parts
        return parts
