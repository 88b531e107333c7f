"""Normalising free text before matching: lower case, accents folded, punctuation to spaces,
letter runs shortened, elided articles split off; total (never raises) and length-capped. How a
long message's question is found is tests/core/test_long_messages.py."""

from __future__ import annotations

import pytest

from bot.core.text import MAX_QUESTION_CHARS, clip, fold_accents, normalise, split_elisions, words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Am I affected?!", "am i affected"),
        ("Ich bin in Österreich", "ich bin in osterreich"),
        ("ÉTÉ", "ete"),
        ("ça va", "ca va"),
        ("Straße", "strasse"),
        ("what_is  this\tthing", "what is this thing"),
        ("sooooo cool", "soo cool"),  # a run of three or more letters is cut to two
        ("mooi", "mooi"),  # real double letters stay
        ("don't", "dont"),
        ("What’s up", "whats up"),  # typographic apostrophes too
        ("A\x00B", "a b"),  # control characters are spaces
        ("  ", ""),
        ("", ""),
    ],
)
def test_normalise(text, folded):
    assert normalise(text) == folded


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("l'Allemagne", "l allemagne"),
        ("nell’UE", "nell ue"),
        ("qu'en pensez-vous", "qu en pensez vous"),
        ("dell'Italia", "dell italia"),
        ("aujourd'hui", "aujourdhui"),  # no elided article: the apostrophe joins
    ],
)
def test_an_elided_article_is_a_word_of_its_own(text, split):
    assert normalise(text) == split


def test_split_elisions_alone_keeps_case_and_other_apostrophes():
    assert split_elisions("L'Allemagne") == "L Allemagne"
    assert split_elisions("don't") == "don't"


def test_fold_accents():
    assert fold_accents("Zürich, Kraków, São Paulo") == "Zurich, Krakow, Sao Paulo"
    assert fold_accents("plain ascii") == "plain ascii"


def test_only_what_the_bot_reads_is_normalised_unless_whole():
    long = "word " * 300
    assert len(clip(long)) <= MAX_QUESTION_CHARS
    assert len(normalise(long)) <= MAX_QUESTION_CHARS
    assert normalise(long, whole=True) == ("word " * 300).strip()


@pytest.mark.parametrize("text", [None, 42, "\ud800", "\u0000" * 10, "🙂" * 1000])
def test_never_raises(text):
    assert isinstance(normalise(text if isinstance(text, str) else str(text)), str)
    assert isinstance(clip(text), str)


def test_words_of_a_normalised_text():
    assert words(normalise("Am I affected, in Canada?")) == ["am", "i", "affected", "in", "canada"]
    assert words("") == []
