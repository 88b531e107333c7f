"""Short replies to a question the bot has just asked: yes, no, or the number of a choice, in any
of the bot's languages; anything longer or otherwise is not a short reply."""

from __future__ import annotations

import pytest

from bot.core.short_replies import ShortReply, read_short_reply


@pytest.mark.parametrize(
    "text",
    [
        *("yes", "Yes!", "y", "yep", "Sure.", "ok yes", "go ahead"),
        *("ja", "Ja, graag!", "jazeker", "oui", "Bien sûr", "sí", "Si, claro", "certo", "tak"),
        "Tak, proszę",
    ],
)
def test_yes_in_every_language(text):
    assert read_short_reply(text) == ShortReply(yes=True)


@pytest.mark.parametrize(
    "text",
    [
        *("no", "No.", "nope", "nah", "no thanks", "Don't", "cancel", "none of these"),
        *("nein", "keine", "nee", "Non merci", "no grazie", "no gracias", "nie", "żadne"),
        "Nie, dziękuję",
    ],
)
def test_no_in_every_language(text):
    assert read_short_reply(text) == ShortReply(yes=False)


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        *(("1", 1), ("2", 2), ("#2", 2), ("2.", 2), ("  3  ", 3), ("option 3", 3)),
        *(("Nr. 2", 2), ("opcja 1", 1), ("numero 3", 3), ("Number 9", 9)),
    ],
)
def test_the_number_of_a_choice(text, choice):
    assert read_short_reply(text) == ShortReply(choice=choice)


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        *(("the first one", 1), ("First", 1), ("die erste bitte", 1), ("la première", 1)),
        *(("het tweede", 2), ("la seconda", 2), ("la segunda por favor", 2), ("druga", 2)),
        *(("the third", 3), ("dritte", 3), ("trzecia", 3), ("le troisième svp", 3)),
    ],
)
def test_an_ordinal_with_words_around_it_that_add_nothing(text, choice):
    assert read_short_reply(text) == ShortReply(choice=choice)


def test_a_choice_is_neither_yes_nor_no_and_an_answer_names_no_choice():
    assert read_short_reply("2").yes is None
    assert read_short_reply("yes").choice is None
    assert read_short_reply("no").choice is None


@pytest.mark.parametrize(
    "text",
    [
        # Not a choice from one to nine.
        *("0", "10", "option 12", "fourth"),
        # A place, a question or a sentence, even one that starts with yes, no or an ordinal.
        *("Canada", "yes I live in Canada", "no, in Germany", "is it too late?"),
        *("first country", "the first and the second", "second option please thanks"),
        # Nothing at all.
        *("", "   ", "?!"),
    ],
)
def test_anything_else_is_not_a_short_reply(text):
    assert read_short_reply(text) is None


def test_a_long_message_is_never_a_short_reply():
    assert read_short_reply("yes" + " " * 40) is None
    assert read_short_reply("yes" + " " * 30) == ShortReply(yes=True)
