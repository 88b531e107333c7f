from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.core.clock import FixedClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge_loader import load_knowledge
from bot.core.reply import render_plain, render_short
from bot.core.session import SESSION_TTL, Session
from tests.conftest import BEFORE_DEADLINE, CACHE_DIR, KNOWLEDGE_DIR


def test_affected_in_canada_is_answered_with_coverage_and_sources(answerer):
    reply, _ = answerer.respond("am I affected in Canada?")
    assert reply.intent == "am_i_affected"
    assert reply.region == "CA"
    assert reply.coverage == {"ai_training": "yes", "microsoft_ads": "unclear"}
    assert reply.sources
    text = render_plain(reply)
    assert "3 November 2025" in text and "Sources:" in text


def test_reported_coverage_says_reported(answerer):
    reply, _ = answerer.respond("does this affect me in the US?")
    assert reply.coverage == {"ai_training": "yes", "microsoft_ads": "yes"}
    assert "reported" in render_plain(reply)


def test_affected_without_region_asks_then_completes(answerer):
    reply, session = answerer.respond("am I affected?")
    assert reply.kind == "ask_region" and reply.intent == "am_i_affected"
    assert "Which country" in render_plain(reply)
    reply, session = answerer.respond("Canada", session)
    assert reply.kind == "answer" and reply.intent == "am_i_affected" and reply.region == "CA"


def test_what_about_reuses_the_last_intent(answerer):
    _, session = answerer.respond("am I affected in Canada?")
    reply, _ = answerer.respond("what about Norway?", session)
    assert reply.intent == "am_i_affected" and reply.region == "NO"
    assert reply.coverage == {"ai_training": "yes", "microsoft_ads": "no"}


def test_what_about_keeps_a_regional_intent_within_30_minutes(answerer):
    _, session = answerer.respond("who do I complain to in the UK?")
    answerer.clock.advance(SESSION_TTL - dt.timedelta(seconds=1))
    reply, _ = answerer.respond("what about Norway?", session)
    assert reply.intent == "complain" and reply.region == "NO"


def test_context_expires_after_30_minutes(answerer):
    _, session = answerer.respond("who do I complain to in the UK?")
    answerer.clock.advance(SESSION_TTL + dt.timedelta(seconds=1))
    reply, _ = answerer.respond("what about Norway?", session)
    # The complaint topic is forgotten; a bare place asks whether it is affected.
    assert reply.intent == "am_i_affected" and reply.region == "NO"


def test_awaiting_country_expires_too(answerer):
    _, session = answerer.respond("who do I complain to?")
    assert session.intent == "complain"
    answerer.clock.advance(SESSION_TTL + dt.timedelta(minutes=5))
    assert session.current(answerer.clock.now()) == Session()


def test_session_holds_no_text(answerer):
    # Its fields are checked in test_session.py; here, that answering puts no words in them.
    _, session = answerer.respond("am I affected in Canada? my name is Alice")
    assert session.region == "CA"
    assert "Alice" not in repr(session) and "name" not in repr(session)


def test_europe_answers_for_eu_eea_ch_uk_together(answerer):
    reply, _ = answerer.respond("am I affected? I live in Europe")
    assert reply.intent == "am_i_affected" and reply.region is None
    assert "Switzerland" in render_plain(reply)


def test_before_the_deadline_counts_days(answerer):
    answerer.clock = FixedClock(BEFORE_DEADLINE)
    reply, _ = answerer.respond("how do I opt out?")
    text = render_plain(reply)
    assert "in 19 days" in text


def test_after_the_deadline_says_it_passed_and_still_possible(answerer):
    reply, _ = answerer.respond("is it too late?")
    assert reply.intent == "deadline"
    text = render_plain(reply).lower()
    assert "any time" in text and "future" in text


def test_day_before_says_one_day(answerer):
    answerer.clock = FixedClock(dt.datetime(2025, 11, 2, 12, tzinfo=dt.UTC))
    reply, _ = answerer.respond("how do I opt out?")
    assert re.search(r"in 1 day\b", render_plain(reply))


def answered_on_a_topic(answerer: QuestionAnswerer, question: str) -> bool:
    reply, _ = answerer.respond(question)
    return reply.intent is not None and answerer.kb.intents[reply.intent].kind == "topic"


def test_out_of_scope_is_not_answered(answerer):
    for question in (
        "what's the capital of Canada",
        "how do I delete my Facebook account",
        "tell me a joke",
    ):
        assert not answered_on_a_topic(answerer, question), question


@pytest.mark.parametrize(
    "question",
    [
        "is my phone secretly recording me",
        "how often should I pick a new password",
        "can you suggest a good book",
        "how many people live in Portugal",
        "empfiehl mir ein gutes Buch",
        "mi teléfono me graba en secreto?",
        "czy telefon mnie podsłuchuje",
        "quel âge a l'univers ?",
    ],
)
def test_off_topic_sharing_only_generic_words_is_not_answered(answerer, question):
    # "how often", "should", "phone", "recommend" are the topic's words too, but not its subject.
    assert not answered_on_a_topic(answerer, question)


@pytest.mark.parametrize(
    "question",
    [
        "how do i switch off airplane mode",
        "como se apaga el modo avion",
        "jak wylaczyc tryb samolotowy",
    ],
)
def test_off_subject_questions_are_offered_topics_not_answered(answerer, question):
    # Shaped like "how do I turn it off", but most of what they say is in words no topic uses,
    # and none is the subject's ("linkedin", "ai", "data"): unsure, the bot offers topics.
    reply, _ = answerer.respond(question)
    assert reply.kind in ("did_you_mean", "fallback", "out_of_scope"), question
    assert reply.intent is None or answerer.kb.intents[reply.intent].kind != "topic"


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        # A word of the subject, a device, or a compound holding one keeps them on their topic.
        ("how do i switch off linkedin ai on my samsung tablet", "opt_out_steps"),
        ("how do I turn it off on my iphone", "opt_out_steps"),
        ("como lo apago en el movil", "opt_out_steps"),
        ("werden meine Profildaten fuer das Training genutzt?", "data_used"),
    ],
)
def test_a_subject_word_keeps_a_question_on_its_topic(answerer, question, intent):
    reply, _ = answerer.respond(question)
    assert reply.intent == intent, question


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("is it too late", "deadline"),
        ("how do i do it on my phone", "opt_out_steps"),
        ("es demasiado tarde?", "deadline"),
        ("jak to wylaczyc na telefonie", "opt_out_steps"),
        # Words that off-topic questions use too ("browser", "update my phone") must not make
        # an on-topic question off-topic.
        ("how do I turn it off in the browser", "opt_out_steps"),
        ("how do I update my phone settings to stop linkedin ai", "opt_out_steps"),
        ("como lo desactivo en el navegador", "opt_out_steps"),
        ("jak wylaczyc to w przegladarce", "opt_out_steps"),
    ],
)
def test_vague_on_topic_questions_are_still_answered(answerer, question, intent):
    reply, _ = answerer.respond(question)
    assert reply.intent == intent


def test_unsure_offers_three_topics(answerer):
    reply, _ = answerer.respond("linkedin data")
    if reply.kind == "did_you_mean":
        assert len(reply.suggestions) == 3 and reply.intent is None


def test_json_contract(answerer):
    reply, _ = answerer.respond("am I affected in Toronto?")
    data = reply.as_json(render_plain(reply), render_short(reply, hint=False))
    assert set(data) == {
        "intent",
        "confidence",
        "region",
        "coverage",
        "coverage_basis",
        "answer",
        "short",
        "sources",
        "suggestions",
        "follow_ups",
        "language",
    }
    assert data["region"] == "CA" and 0 <= data["confidence"] <= 1
    assert data["coverage"] == {"ai_training": "yes", "microsoft_ads": "unclear"}
    assert data["coverage_basis"] == {"ai_training": "reported", "microsoft_ads": "reported"}
    assert data["language"] == "en"
    assert all(url.startswith("https://") or url.startswith("http://") for url in data["sources"])
    assert data["suggestions"] == [] and data["follow_ups"]
    # `answer` is the full text; `short` what a chat shows first: the place's verdict.
    assert data["short"].startswith("Am I affected? Canada\n\nYes.")
    assert len(data["short"]) < len(data["answer"])


def test_complain_names_the_regulator_for_the_region(answerer):
    reply, _ = answerer.respond("who do I complain to in the UK?")
    assert reply.intent == "complain"
    assert "ICO" in render_plain(reply)


def test_every_answer_fits_in_a_message(answerer, kb):
    for clock in (FixedClock(BEFORE_DEADLINE), FixedClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))):
        answerer.clock = clock
        for intent_id in kb.intents:
            for region in (None, "CA", "DE", "US", "GB", "BR"):
                text = render_plain(answerer.answer_intent(intent_id, region))
                assert len(text) <= 3500, (intent_id, region, len(text))
                assert "{" not in text, (intent_id, region)


def test_empty_session_is_fine(answerer):
    reply, _ = answerer.respond("", Session())
    assert reply.kind == "fallback" and reply.paragraphs


def test_a_vague_question_offers_the_main_topics(answerer):
    for question in ("linkedin ai", "my data", "linkedin data"):
        reply, _ = answerer.respond(question)
        assert reply.kind == "did_you_mean" and reply.intent is None, question
        assert [t.id for t in reply.suggestions] == ["am_i_affected", "opt_out_steps", "data_used"]


def test_hong_kong_is_named_plainly(answerer):
    reply, _ = answerer.respond("is Hong Kong included?")
    assert reply.title == "Am I affected? Hong Kong"


@pytest.mark.parametrize(
    ("text", "region"),
    [("NO", "NO"), ("IT", "IT"), ("it?", "IT"), ("DE", "DE"), ("uk?", "GB"), ("CA", "CA")],
)
def test_a_country_code_alone_asks_about_that_country(answerer, text, region):
    reply, _ = answerer.respond(text)
    assert (reply.kind, reply.intent, reply.region) == ("answer", "am_i_affected", region)


@pytest.mark.parametrize("text", ["no", "yes", "de", "it", "2", "nope", "ja"])
def test_a_word_alone_is_no_confident_answer(answerer, text):
    reply, _ = answerer.respond(text)
    assert reply.kind != "answer"


def test_answerers_over_one_knowledge_base_share_what_it_builds(kb):
    first = QuestionAnswerer(kb, FixedClock(BEFORE_DEADLINE), CACHE_DIR)
    second = QuestionAnswerer(kb, FixedClock(BEFORE_DEADLINE), CACHE_DIR)
    assert first.matchers is second.matchers and first.regions is second.regions
    assert first.clock is not second.clock
    # A reloaded knowledge base is built afresh, even when its files did not change.
    reloaded = QuestionAnswerer(
        load_knowledge(KNOWLEDGE_DIR), FixedClock(BEFORE_DEADLINE), CACHE_DIR
    )
    assert reloaded.matchers is not first.matchers
    assert reloaded.respond("am I affected in Canada?")[0].region == "CA"


@pytest.mark.parametrize(
    "question",
    [
        "turn off linkedin email notifications",
        "how do I unsubscribe from linkedin emails",
        "jak wyłączyć powiadomienia na linkedinie",
        "Benachrichtigungen von LinkedIn abschalten",
        "como dejo de recibir los correos de linkedin",
    ],
)
def test_the_platforms_own_mail_is_not_this_bots_reminders(answerer, question):
    assert not answered_on_a_topic(answerer, question)


@pytest.mark.parametrize(
    "question",
    [
        "remind me by email before the linkedin deadline",
        "notify me if linkedin changes the policy again",
        "erinnere mich per mail an die linkedin frist",
        "avísame por correo si linkedin cambia algo",
    ],
)
def test_reminders_asked_for_by_mail_stay_reminders(answerer, question):
    reply, _ = answerer.respond(question)
    assert reply.intent == "reminders"


@pytest.mark.parametrize(
    "question",
    [
        "a shop leaked my data, what can I do",
        "my employer wants my fingerprint, is that legal under gdpr",
        "mi casero tiene mis datos, es legal?",
        "Datenleck bei meiner Krankenkasse, bin ich betroffen?",
        "sklep internetowy zgubił moje dane, co robić",
        "ho un b&b, cosa chiede il gdpr",
    ],
)
def test_dealings_with_another_business_are_not_answered(answerer, question):
    # Words of ours ("data", "GDPR", "affected", "legal"), about a shop's or employer's doing.
    assert not answered_on_a_topic(answerer, question)


def test_another_business_with_the_platform_named_is_ours(answerer):
    assert answered_on_a_topic(
        answerer, "my employer posted a photo of me on linkedin, is it used?"
    )


@pytest.mark.parametrize(
    "question",
    [
        "does chatgpt train on my chats",
        "come disattivo la cronologia di chatgpt",
        "Nutzt ChatGPT meine Chats zum Training?",
    ],
)
def test_ones_own_use_of_an_ai_assistant_is_another_platform(answerer, question):
    assert not answered_on_a_topic(answerer, question)


@pytest.mark.parametrize(
    "question",
    ["is this to feed chatgpt?", "will my chats end up in chatgpt", "does linkedin use chatgpt"],
)
def test_an_ai_assistant_named_alone_is_ours(answerer, question):
    # Microsoft, LinkedIn's owner, backs OpenAI: where the data goes is asked about here.
    assert answered_on_a_topic(answerer, question)


@pytest.mark.parametrize(
    "question",
    [
        "do kiedy trzeba złożyć PIT",
        "what is the deadline for my tax return",
        "entro quando devo fare la dichiarazione dei redditi",
    ],
)
def test_another_subjects_deadline_is_not_ours(answerer, question):
    # A curated word of another subject (the out-of-scope keywords), none of ours.
    assert not answered_on_a_topic(answerer, question)


def test_a_word_that_only_begins_like_an_out_of_scope_keyword_is_no_veto(answerer):
    # "mieszkam" (I live) shares its first six letters with "mieszkańców" (inhabitants).
    reply, _ = answerer.respond("mieszkam w Pile, czy mnie to dotyczy")
    assert reply.intent == "am_i_affected"
