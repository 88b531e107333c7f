"""Whatever arrives, answer() returns a valid reply within the length cap and never raises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.reply import MAX_REPLY_CHARS, render_plain
from bot.core.session import Session

MARKUP = st.sampled_from(
    [
        "<b>",
        "</b>",
        "<script>alert(1)</script>",
        "&amp;",
        "**",
        "__",
        "`",
        "[link](http://x)",
        "@everyone",
    ]
)
SCRIPTS = st.sampled_from(
    [
        "مرحبا هل تأثرت",
        "שלום האם זה משפיע",
        "こんにちは",
        "Привет, я из Канады",
        "😀🔥🇨🇦",
        "\u202e\u200f",
        "ℌ𝔢𝔩𝔩𝔬",
    ]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.lists(st.one_of(MARKUP, SCRIPTS, st.text(max_size=20)), max_size=20).map(" ".join),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)

CHECKS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check_reply(answerer, text, session=None):
    reply, new_session = answerer.respond(text, session)
    rendered = render_plain(reply)
    assert reply.kind in ("answer", "ask_region", "did_you_mean", "fallback")
    assert 0.0 <= reply.confidence <= 1.0
    assert rendered and len(rendered) <= MAX_REPLY_CHARS
    assert reply.intent is None or reply.intent in answerer.kb.intents
    assert isinstance(new_session, Session)
    return reply


@CHECKS
@given(text=TEXT)
def test_any_text(answerer, text):
    check_reply(answerer, text)


@CHECKS
@given(text=TEXT)
def test_any_text_mid_conversation(answerer, text):
    _, session = answerer.respond("am I affected?")
    check_reply(answerer, text, session)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    unit=st.sampled_from(["a", "opt out ", "🇨🇦", "<b>", "Canada ", "\x00", "ü"]),
    times=st.integers(1000, 200_000),
)
def test_huge_text(answerer, unit, times):
    check_reply(answerer, unit * times)


def test_control_characters_and_nul(answerer):
    check_reply(answerer, "\x00\x01\x02 am I affected in Canada?\x7f\x1b[31m")
