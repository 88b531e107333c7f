"""The person's situation first: a named or remembered place decides whose answer it is."""

from __future__ import annotations

import pytest

from bot.core.engine import FOLLOW_UP_LEADS
from bot.core.matching import Scored
from bot.core.place_first import about_oneself, asks_for_the_list, place_first
from bot.core.session import Session


def test_a_general_question_with_a_place_is_am_i_affected():
    ranked = [Scored("should_i_opt_out", 0.8, 0.7, 0.6), Scored("am_i_affected", 0.5, 0.5, 0.1)]
    first, second = place_first(ranked, ["should", "i", "care"], True, 0.1, 0.45)
    assert first.intent == "am_i_affected" and first.confidence == 0.8
    assert second.confidence <= 0.75  # the rule decided: no did-you-mean between them
    assert place_first(ranked, ["should", "i", "care"], False, 0.1, 0.45) == ranked


def test_a_topic_the_words_ask_for_beats_the_places_lift():
    ranked = [Scored("am_i_affected", 0.71, 0.7, 0.43), Scored("complain", 0.70, 0.9, 0.46)]
    assert place_first(ranked, ["where", "do", "i", "complain"], True, 0.1, 0.45)[0].intent == (
        "complain"
    )
    weak = [Scored("am_i_affected", 0.53, 0.6, 0.19), Scored("under_18", 0.51, 0.5, 0.33)]
    assert place_first(weak, ["sono", "di"], True, 0.1, 0.45)[0].intent == "am_i_affected"


def test_asking_for_the_list():
    assert asks_for_the_list(["which", "countries", "are", "affected"])
    assert not asks_for_the_list(["am", "i", "affected"])


@pytest.mark.parametrize(
    ("question", "intent", "region"),
    [
        ("Canada - do I need to opt out", "am_i_affected", "CA"),
        ("I'm German, should I care?", "am_i_affected", "DE"),
        ("is Norway on the list", "am_i_affected", "NO"),
        ("is it on by default in France?", "am_i_affected", "FR"),
        ("NO?", "am_i_affected", "NO"),
        ("where do I complain? I live in Norway", "complain", "NO"),
        ("does microsoft get my data? I'm in Canada", "microsoft_sharing", "CA"),
        ("how do I opt out in Germany", "opt_out_steps", "DE"),
        ("I'm 16, does this apply to me", "under_18", None),
        ("Atlanta, Georgia - am I affected?", "am_i_affected", "US"),
        ("London, Ontario", "am_i_affected", "CA"),
        ("Tbilisi, Georgia", "am_i_affected", "GE"),
    ],
)
def test_the_issues_examples(answerer, question, intent, region):
    reply, _ = answerer.respond(question)
    assert (reply.kind, reply.intent, reply.region) == ("answer", intent, region)


def test_which_countries_gets_the_grouped_list_not_a_question(answerer):
    reply, _ = answerer.respond("which countries are affected?")
    assert reply.kind == "answer" and reply.intent == "am_i_affected"
    text = " ".join(reply.paragraphs)
    assert "Switzerland" in text and "Canada" in text and "Hong Kong" in text


def test_complaints_for_a_place_name_its_authority_first_and_ask_for_nothing(answerer):
    reply, _ = answerer.respond("where do I complain? I live in Canada")
    assert "Office of the Privacy Commissioner" in reply.paragraphs[0]
    assert not any("Tell me your country" in p for p in reply.paragraphs)
    german = answerer.kb.in_language("de").intents["complain"].answer.paragraphs[-1]
    reply, _ = answerer.respond("Wo kann ich mich beschweren? Ich wohne in Deutschland")
    assert reply.intent == "complain" and german not in reply.paragraphs


def test_a_remembered_place_counts(answerer):
    _, session = answerer.respond("I live in Canada")
    assert session.region == "CA"
    reply, session = answerer.respond("where do I complain?", session)
    assert (reply.intent, reply.region) == ("complain", "CA")
    reply, _ = answerer.respond("does microsoft get my data too?", session)
    assert (reply.intent, reply.region) == ("microsoft_sharing", "CA")


def test_without_a_place_am_i_affected_still_asks(answerer):
    reply, session = answerer.respond("am I affected?", Session())
    assert reply.kind == "ask_region" and session.awaiting_region_for == "am_i_affected"


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("what about me?", "en"),
        ("and me?", "en"),
        ("und ich?", "de"),
        ("en ik?", "nl"),
        ("et moi ?", "fr"),
        ("a co ze mną?", "pl"),
    ],
)
def test_a_question_about_oneself_is_am_i_affected(answerer, question, language):
    reply, _ = answerer.respond(question, Session(language=language))
    assert reply.intent == "am_i_affected" and reply.kind == "ask_region", question
    _, remembered = answerer.respond("I live in Canada")
    reply, _ = answerer.respond(question, remembered)
    assert (reply.intent, reply.region) == ("am_i_affected", "CA"), question


def test_about_oneself_needs_a_pronoun_and_nothing_else():
    assert about_oneself(["what", "about", "me"], FOLLOW_UP_LEADS)
    assert not about_oneself(["what", "about", "the", "ads"], FOLLOW_UP_LEADS)
    assert not about_oneself(["ok"], FOLLOW_UP_LEADS)
    assert not about_oneself(["delete", "me"], FOLLOW_UP_LEADS)


@pytest.mark.parametrize(
    ("question", "region"),
    [
        ("Boston, Massachusetts", "US"),
        ("Richmond, Virginia", "US"),
        ("Valencia, España", "ES"),
        ("Valencia, Venezuela", "VE"),
    ],
)
def test_a_city_with_its_state_or_country_is_am_i_affected_there(answerer, question, region):
    reply, _ = answerer.respond(question)
    assert (reply.kind, reply.intent, reply.region) == ("answer", "am_i_affected", region)


@pytest.mark.parametrize(
    "question",
    ["estoy en Valencia, me afecta?", "I'm in Cambridge", "I live in Richmond"],
)
def test_a_city_as_big_in_two_countries_asks_which_country(answerer, question):
    # Valencia is in Venezuela and Spain, whose answers differ: the bot asks, it does not guess.
    reply, session = answerer.respond(question)
    assert reply.kind == "ask_region" and session.awaiting_region_for == "am_i_affected"


def test_a_lowercase_city_name_after_a_pronoun_is_a_verb(answerer):
    # "me quito" is "I take off", not Quito, Ecuador.
    reply, _ = answerer.respond("como me quito de esto")
    assert reply.region is None and reply.intent == "opt_out_steps"
    reply, _ = answerer.respond("vivo en quito")
    assert reply.region == "EC"
