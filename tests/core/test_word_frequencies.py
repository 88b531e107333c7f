"""The word-frequency table: wordfreq's values, without wordfreq's lists in memory."""

from __future__ import annotations

from pathlib import Path

import pytest
import wordfreq

from bot.core import word_frequencies
from bot.core.engine import QuestionAnswerer
from bot.core.languages import LANGUAGES, reads_as_english
from bot.core.word_frequencies import WordFrequencies, bulk_lookups, zipf_frequency
from tests.conftest import CACHE_DIR

# Words as the callers pass them: the knowledge base's own, everyday words, digits (wordfreq
# smashes them), several tokens, elisions, accents, capitals, and words no list has.
ODD_WORDS = [
    "linkedin",
    "opt",
    "the",
    "danke",
    "bedankt",
    "comment",
    "gdpr",
    "2024",
    "16",
    "15yo",
    "new york",
    "l'utilisateur",
    "datenschutzeinstellungen",
    "zurich",
    "zürich",
    "Essen",
    "ÉTÉ",
    "qzxwvkj",
    "",
    "!!",
    "🙂",
]


def sample(lang: str, every: int = 401) -> list[str]:
    """Every n-th word of wordfreq's list, from the most common to the rarest band."""
    words = [word for band in wordfreq.get_frequency_list(lang) for word in band]
    return words[::every]


@pytest.fixture(scope="module")
def table() -> WordFrequencies:
    """The table as the bot reads it, from its cache folder: built there once (by the first
    answerer on this machine, or here), under a name that changes with this code and wordfreq's
    version. Building it, about a second a language, is test_the_list_is_kept_in_the_cache_dir's."""
    return WordFrequencies(CACHE_DIR)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_same_values_as_wordfreq(table: WordFrequencies, lang: str):
    for word in [*sample(lang), *ODD_WORDS]:
        assert table.zipf_frequency(word, lang) == wordfreq.zipf_frequency(word, lang), word


def test_a_word_no_list_has_is_zero_as_in_wordfreq(table: WordFrequencies):
    for lang in LANGUAGES:
        assert table.zipf_frequency("qzxwvkj", lang) == 0.0
        assert wordfreq.zipf_frequency("qzxwvkj", lang) == 0.0
    # What the callers make of it: no evidence of another language.
    assert reads_as_english("qzxwvkj", LANGUAGES)


def test_the_list_is_kept_in_the_cache_dir_and_read_from_it(tmp_path: Path):
    first = WordFrequencies(tmp_path)
    assert first.zipf_frequency("linkedin", "de") == wordfreq.zipf_frequency("linkedin", "de")
    kept = list(tmp_path.glob("words-de-*.bin"))
    assert len(kept) == 1
    again = WordFrequencies(tmp_path)
    words = again.word_list("de")
    assert len(words) == len({w for band in wordfreq.get_frequency_list("de") for w in band})
    assert again.zipf_frequency("datenschutz", "de") == wordfreq.zipf_frequency("datenschutz", "de")


def test_a_damaged_file_is_built_again(tmp_path: Path):
    WordFrequencies(tmp_path).word_list("nl")
    (kept,) = tmp_path.glob("words-nl-*.bin")
    kept.write_bytes(b"not a word list")
    fresh = WordFrequencies(tmp_path)
    assert fresh.zipf_frequency("bedankt", "nl") == wordfreq.zipf_frequency("bedankt", "nl")
    assert kept.read_bytes()[:4] == b"OWF1"


def test_bulk_look_ups_give_the_same_values_and_drop_wordfreqs_lists(table: WordFrequencies):
    words = sample("fr", 997)
    with bulk_lookups():
        bulk = [table.zipf_frequency(word, "fr") for word in words]
    assert bulk == [table.zipf_frequency(word, "fr") for word in words]
    assert wordfreq.get_frequency_dict.cache_info().currsize == 0


def test_answering_in_every_language_holds_none_of_wordfreqs_lists(answerer: QuestionAnswerer):
    wordfreq.get_frequency_dict.cache_clear()
    for question in (
        "am I affected in Toronto?",
        "Danke, wie kann ich widersprechen?",
        "comment désactiver le partage de données ?",
        "hoe kan ik me afmelden?",
        "come posso disattivare?",
        "¿cómo me doy de baja?",
        "jak wyłączyć udostępnianie danych?",
        "linkdin lunch qzxwvkj",
    ):
        answerer.respond(question)
    assert wordfreq.get_frequency_dict.cache_info().currsize == 0
    assert zipf_frequency("the", "en") == wordfreq.zipf_frequency("the", "en")
    assert word_frequencies.shared().cache_dir is not None
