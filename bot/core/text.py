"""Normalising free text before matching: cheap, total (never raises), and length-capped.

A long message (a pasted e-mail with a question at its end) is not cut at its start: the bot reads
its question, the last sentences that end in "?" (or, with none, its last sentences), up to
MAX_QUESTION_CHARS; see read()."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The bot reads at most this many characters of a message: no real question is longer, the
# matcher is tuned on questions this size, and the cap keeps matching time bounded.
MAX_QUESTION_CHARS = 500
# A long message's question is looked for in at most this many of its last characters.
SEARCH_CHARS = 20_000
# The rest of a long message is searched for the place it names (a country named before the
# question counts), but cheaply: at most this many characters from its start and from its end,
# where people write their own words around what they paste.
CONTEXT_CHARS = 3_000
# Where a sentence ends: after . ! ? (and their CJK forms) followed by a space, or at a line break.
# A "?" inside a URL (".../?q=1") is followed by no space and ends nothing.
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+|[\r\n\u2028\u2029]+")
_CLOSERS = "\"'”’»)]*_ "

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


@dataclass(frozen=True)
class Reading:
    """What the bot reads of a message: `text`, the whole of a short one or the question of a long
    one; `cut`, whether that is only part of the message; `context`, pieces of the rest (at most
    2 x CONTEXT_CHARS, in order) where a place named before the question is looked for."""

    text: str
    cut: bool = False
    context: tuple[str, ...] = ()


def read(text: str) -> Reading:
    """The part of a message the bot reads, control characters out (see Reading)."""
    if not isinstance(text, str):
        text = str(text)
    # Not cached: a cache would keep users' messages in memory, and reading a 300,000-character
    # paste takes about a millisecond.
    if len(text) <= MAX_QUESTION_CHARS:
        return Reading(_clean(text))
    stripped = text.strip()
    if len(stripped) <= MAX_QUESTION_CHARS:
        return Reading(_clean(stripped))
    start = max(0, len(text) - SEARCH_CHARS)
    begin, end = _question_span(text, start)
    question = text[begin:end]
    if len(question) > MAX_QUESTION_CHARS:  # one sentence longer than that: its end, whole words
        question = question[-MAX_QUESTION_CHARS:]
        space = question.find(" ")
        if 0 <= space < MAX_QUESTION_CHARS // 2:
            question = question[space + 1 :]
        begin = end - len(question)
    return Reading(_clean(question).strip(), cut=True, context=_context(text[:begin]))


def _question_span(text: str, start: int) -> tuple[int, int]:
    """Where the question of a long text is, searching from `start`: the last sentences that end
    in "?" (a run of them, up to MAX_QUESTION_CHARS), or with none, the last sentences."""
    spans: list[tuple[int, int]] = []
    at = start
    for end in _SENTENCE_END.finditer(text, start):
        if end.start() > at:
            spans.append((at, end.start()))
        at = end.end()
    if at < len(text):
        spans.append((at, len(text)))
    if start > 0 and len(spans) > 1:
        spans = spans[1:]  # the search began inside a sentence
    spans = [(b, e) for b, e in spans if text[b:e].strip()] or [(start, len(text))]
    asks = [text[b:e].rstrip(_CLOSERS).endswith(("?", "？")) for b, e in spans]
    last = max((i for i, ask in enumerate(asks) if ask), default=len(spans) - 1)
    first = last
    while first > 0:
        if asks[last] and not asks[first - 1]:
            break  # with a question: the run of questions it ends, nothing before
        if spans[last][1] - spans[first - 1][0] > MAX_QUESTION_CHARS:
            break
        first -= 1
    return spans[first][0], spans[last][1]


def _context(before: str) -> tuple[str, ...]:
    """The rest of a long message, where a place is looked for: all of it, or its start and its
    end (CONTEXT_CHARS each, cut at spaces)."""
    if not before.strip():
        return ()
    if len(before) <= 2 * CONTEXT_CHARS:
        return (_clean(before),)
    head, tail = before[:CONTEXT_CHARS], before[-CONTEXT_CHARS:]
    head = head[: head.rfind(" ")] if " " in head else head
    tail = tail[tail.find(" ") + 1 :] if " " in tail else tail
    return (_clean(head), _clean(tail))


def _clean(text: str) -> str:
    """Control characters out (as spaces); line breaks and tabs stay."""
    if text.isprintable():  # no control character (nor line break): the usual chat message
        return text
    return "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)


def clip(text: str) -> str:
    """The part of a message the bot reads (read(text).text): control characters out, at most
    MAX_QUESTION_CHARS; of a long message, its question rather than its start."""
    return read(text).text


def fold_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str, *, whole: bool = False) -> str:
    """Lower case, accents folded, punctuation to spaces, letter runs shortened, spaces collapsed;
    of the part clip() reads, or with `whole` of all of `text` (already cut to a size)."""
    text = (_clean(text) if whole else clip(text)).translate(_APOSTROPHES)
    text = split_elisions(fold_accents(text.casefold()))
    text = text.replace("'", "")  # "don't" -> "dont", "what's" -> "whats"
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The words of an already normalised text."""
    return text.split()
