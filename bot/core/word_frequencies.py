"""How common a word is, as wordfreq says, without wordfreq's word lists in memory.

wordfreq holds each language's whole list as a dict once a word is looked up: about 1.2 s and
+281 MiB for our seven languages, most of which no question ever asks about. Here each list is
written once to the cache dir (next to the region index, named by a fingerprint of the wordfreq
version and of this file) as one compact file: the words sorted, with their frequency band. The
file is read through mmap, and a look-up is a binary search over it: only the pages searched are
ever read, and the kernel may drop them again. zipf_frequency() has wordfreq's meaning exactly, for
every word (tokenisation, digits, several tokens, unknown words as 0.0); answers do not change.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import math
import mmap
import os
import struct
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import numpy as np
import wordfreq
from wordfreq import cB_to_freq, freq_to_zipf, lossy_tokenize, zipf_to_freq
from wordfreq.numbers import digit_freq, smash_numbers

_MAGIC = b"OWF1"
_HEADER = struct.Struct("<4sI")  # magic, number of words
# wordfreq's own look-ups go through a cache emptied when full; so do ours.
_CACHE_SIZE = 100_000
# What wordfreq.zipf_frequency() passes on as the lowest frequency (Zipf 0).
_MINIMUM = zipf_to_freq(0.0)


class WordList:
    """One language's word list: words sorted by their UTF-8 bytes, each with its band (wordfreq's
    centibels below 1.0: band b is a frequency of 10 ** (-b / 100))."""

    def __init__(self, data: bytes | mmap.mmap):
        magic, count = _HEADER.unpack_from(data, 0)
        if magic != _MAGIC:
            raise ValueError("not a word list")
        self._data = data
        self._count = count
        start = _HEADER.size
        self._offsets = memoryview(data)[start : start + 4 * (count + 1)].cast("I")
        start += 4 * (count + 1)
        self._bands = memoryview(data)[start : start + 2 * count].cast("H")
        self._blob = start + 2 * count + (2 * count) % 4

    def __len__(self) -> int:
        return self._count

    def band(self, token: str) -> int | None:
        key = token.encode("utf-8")
        data, offsets, blob = self._data, self._offsets, self._blob
        lo, hi = 0, self._count
        while lo < hi:
            mid = (lo + hi) // 2
            word = data[blob + offsets[mid] : blob + offsets[mid + 1]]
            if word < key:
                lo = mid + 1
            elif word > key:
                hi = mid
            else:
                return self._bands[mid]
        return None

    @staticmethod
    def encode(bands: list[list[str]]) -> bytes:
        """The file for wordfreq's list (its buckets, most frequent first). A word in two buckets
        keeps the later one, as wordfreq's dict does."""
        band_of: dict[bytes, int] = {}
        for band, words in enumerate(bands):
            for word in words:
                band_of[word.encode("utf-8")] = band
        words = sorted(band_of)
        count = len(words)
        offsets = np.zeros(count + 1, dtype="<u4")
        np.cumsum(np.fromiter(map(len, words), dtype="<u4", count=count), out=offsets[1:])
        bands = np.fromiter(map(band_of.__getitem__, words), dtype="<u2", count=count)
        return b"".join(
            [
                _HEADER.pack(_MAGIC, count),
                offsets.tobytes(),
                bands.tobytes(),
                b"\0" * ((2 * count) % 4),
                *words,
            ]
        )


class WordFrequencies:
    """zipf_frequency() for any language wordfreq knows, each language's list opened on first
    use (from the cache dir, or built there from wordfreq's data, about 0.5 s a language)."""

    def __init__(self, cache_dir: Path | None = None):
        self.cache_dir = cache_dir
        self._lists: dict[str, WordList] = {}
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], float] = {}

    def zipf_frequency(self, word: str, lang: str) -> float:
        """wordfreq.zipf_frequency(word, lang): 0.0 for a word wordfreq does not know."""
        if _bulk.depth:
            return wordfreq.zipf_frequency(word, lang)
        key = (word, lang)
        value = self._cache.get(key)
        if value is None:
            value = round(freq_to_zipf(self._word_frequency(word, lang)), 2)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = value
        return value

    def word_list(self, lang: str) -> WordList:
        found = self._lists.get(lang)
        if found is None:
            with self._lock:
                found = self._lists.get(lang)
                if found is None:
                    found = self._lists[lang] = self._open(lang)
        return found

    def warm(self, languages: tuple[str, ...]) -> None:
        """Open (or build) these languages' lists now, not at the first question."""
        for lang in languages:
            self.word_list(lang)

    def _word_frequency(self, word: str, lang: str) -> float:
        # wordfreq._word_frequency(word, lang, "best", minimum), with our list for its dict. The
        # jieba penalty it applies to Chinese is left out: none of our languages uses it.
        tokens = lossy_tokenize(word, lang)
        if not tokens:
            return _MINIMUM
        words = self.word_list(lang)
        one_over_result = 0.0
        for token in tokens:
            smashed = smash_numbers(token)
            band = words.band(smashed)
            if band is None:
                return _MINIMUM
            freq = cB_to_freq(-band)
            if smashed != token:
                freq *= digit_freq(token)
            one_over_result += 1.0 / freq
        unrounded = max(1.0 / one_over_result, _MINIMUM)
        leading_zeroes = _leading_zeroes(unrounded)
        return round(unrounded, leading_zeroes + 3)

    def _open(self, lang: str) -> WordList:
        path = self._path(lang)
        if path is not None:
            try:
                with path.open("rb") as file:
                    return WordList(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ))
            except (OSError, ValueError, struct.error):
                pass
        data = WordList.encode(_wordfreq_buckets(lang))
        if path is not None:
            _write(path, data)
        return WordList(data)

    def _path(self, lang: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"words-{lang}-{_fingerprint()}.bin"


def _leading_zeroes(value: float) -> int:
    return math.floor(-math.log(value, 10))


def _wordfreq_buckets(lang: str) -> list[list[str]]:
    """wordfreq's list for `lang`, read without filling wordfreq's own caches."""
    return wordfreq.get_frequency_list.__wrapped__(lang)


def _write(path: Path, data: bytes) -> None:
    # Best effort, as for the region index: a read-only cache dir only costs the next start the
    # build time again (and this process the list in memory, about 6 MiB a language).
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        pass


_FINGERPRINT: str | None = None


def _fingerprint() -> str:
    global _FINGERPRINT
    if _FINGERPRINT is None:
        parts = [Path(__file__).read_bytes(), metadata.version("wordfreq").encode()]
        _FINGERPRINT = hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]
    return _FINGERPRINT


class _Bulk(threading.local):
    depth = 0


_bulk = _Bulk()


@contextlib.contextmanager
def bulk_lookups() -> Iterator[None]:
    """Hundreds of thousands of look-ups in this thread (building the region index: every city
    name in every language): through wordfreq's own dicts, five times faster than a binary search
    each, and dropped afterwards, so that only a cold start pays their memory for a while."""
    _bulk.depth += 1
    try:
        yield
    finally:
        _bulk.depth -= 1
        if not _bulk.depth:
            wordfreq.get_frequency_dict.cache_clear()
            wordfreq.get_frequency_list.cache_clear()
            wordfreq._wf_cache.clear()
            gc.collect()


_shared = WordFrequencies()


def use_cache_dir(cache_dir: Path) -> None:
    """Where the lists are kept (the region index's cache dir); set before the first look-up."""
    global _shared
    if _shared.cache_dir != cache_dir:
        _shared = WordFrequencies(cache_dir)


def shared() -> WordFrequencies:
    return _shared


def zipf_frequency(word: str, lang: str) -> float:
    """How common `word` is in language `lang` on the Zipf scale, as wordfreq.zipf_frequency()
    gives it: 0.0 for a word wordfreq does not know, about 7 for "the"."""
    return _shared.zipf_frequency(word, lang)
