"""Normalising free text before matching: cheap, total (never raises), and length-capped."""

from __future__ import annotations

import re
import unicodedata

# Questions are cut to this many characters before anything else looks at them: no real question
# is longer, and the cap keeps matching time bounded whatever arrives.
MAX_QUESTION_CHARS = 500

_REPEATS = re.compile(r"(\w)\1{2,}")  # "sooooo" -> "soo"; keeps real double letters
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
# French and Italian elide articles and prepositions into the next word ("l'Allemagne",
# "nell'UE", "qu'en"): these split off as words of their own. Every other apostrophe joins
# ("don't" -> "dont").
_ELISION = re.compile(
    r"\b(l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|un|dell|nell|all|dall|sull|coll|quest|quell|"
    r"tutt|po)'(?=\w)",
    re.IGNORECASE,
)


def split_elisions(text: str) -> str:
    """ "l'Allemagne" -> "l Allemagne": an elided article or preposition is a word of its own."""
    return _ELISION.sub(r"\1 ", text.translate(_APOSTROPHES))


def clip(text: str) -> str:
    """The part of a question the bot reads: control characters out, at most MAX_QUESTION_CHARS."""
    if not isinstance(text, str):
        text = str(text)
    text = text[: MAX_QUESTION_CHARS * 2]
    cleaned = "".join(
        ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text
    )
    return cleaned[:MAX_QUESTION_CHARS]


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """Lower case, accents folded, punctuation to spaces, letter runs shortened, spaces collapsed."""
    text = clip(text).translate(_APOSTROPHES)
    text = split_elisions(fold_accents(text.casefold()))
    text = text.replace("'", "")  # "don't" -> "dont", "what's" -> "whats"
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The words of an already normalised text."""
    return text.split()
