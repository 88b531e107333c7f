"""The platform-free reply: its plain-text renderings (the short form a chat shows first, the full
one behind "More"), the compact source line, and the JSON contract of `optout-bot ask --json`."""

from __future__ import annotations

from dataclasses import replace

from bot.core.reply import (
    ENGLISH_LABELS,
    CitedSource,
    CommandButton,
    LinkButton,
    Reply,
    Topic,
    cited_sites,
    compact_sources,
    render_plain,
    render_short,
)

SOURCES = (
    CitedSource("https://www.linkedin.com/legal/privacy-policy", "Privacy policy", "confirmed"),
    CitedSource("https://www.linkedin.com/help/linkedin/answer/1", "Help", "confirmed"),
    CitedSource("https://gulfnews.com/article", "Gulf News", "reported"),
    CitedSource("https://linkedin.com/other", "Other", "reported"),
)
REPLY = Reply(
    kind="answer",
    intent="opt_out_steps",
    confidence=0.93456,
    region="CA",
    title="How to turn it off",
    paragraphs=("First paragraph.", "Second paragraph."),
    steps=("Open Settings.", "Turn it off."),
    links=(LinkButton("Open the setting", "https://www.linkedin.com/settings"),),
    sources=SOURCES,
    follow_ups=(Topic("deadline", "The deadline"),),
    commands=(CommandButton("Stop reminders", "unsubscribe"),),
    coverage={"ai_training": "yes"},
    coverage_basis={"ai_training": "reported"},
    short="Yes. Turn it off with the link below.",
)


def test_a_site_is_its_host_without_www():
    assert [s.site for s in SOURCES] == [
        "linkedin.com",
        "linkedin.com",
        "gulfnews.com",
        "linkedin.com",
    ]


def test_each_site_once_per_status_with_its_first_url():
    assert cited_sites(SOURCES) == [
        ("linkedin.com", "confirmed", "https://www.linkedin.com/legal/privacy-policy"),
        ("gulfnews.com", "reported", "https://gulfnews.com/article"),
        ("linkedin.com", "reported", "https://linkedin.com/other"),
    ]
    assert compact_sources(SOURCES) == (
        "linkedin.com (confirmed); gulfnews.com (reported); linkedin.com (reported)"
    )


def test_the_status_in_the_replys_language():
    words = {"confirmed": "bestätigt", "reported": "berichtet"}
    assert compact_sources(SOURCES[:3], words) == (
        "linkedin.com (bestätigt); gulfnews.com (berichtet)"
    )


def test_the_full_text_has_every_part_in_order():
    assert render_plain(REPLY) == "\n\n".join(
        [
            "How to turn it off",
            "First paragraph.",
            "Second paragraph.",
            "1. Open Settings.\n2. Turn it off.",
            "- Open the setting: https://www.linkedin.com/settings",
            "See also:\n- The deadline",
            '- Stop reminders: send "unsubscribe"',
            "Sources: linkedin.com (confirmed); gulfnews.com (reported); linkedin.com (reported)",
        ]
    )


def test_the_short_text_is_the_title_the_short_answer_its_links_and_how_to_get_more():
    assert render_short(REPLY) == "\n\n".join(
        [
            "How to turn it off",
            "Yes. Turn it off with the link below.",
            "- Open the setting: https://www.linkedin.com/settings",
            'Send "more" for the details and sources.',
        ]
    )
    assert not render_short(REPLY, hint=False).endswith(ENGLISH_LABELS["more_hint"])


def test_a_reply_without_a_short_form_shows_in_full():
    assert render_short(REPLY.full()) == render_plain(REPLY)
    assert REPLY.full().short == "" and REPLY.full().paragraphs == REPLY.paragraphs


def test_suggestions_are_headed_by_what_they_are_once():
    topics = (Topic("deadline", "The deadline"), Topic("data_used", "What data"))
    # A did-you-mean's own paragraph asks the question; the list follows it without a heading.
    asked = ("Did you mean one of these?",)
    did_you_mean = Reply("did_you_mean", None, 0.5, None, "", asked, suggestions=topics)
    assert render_plain(did_you_mean) == "Did you mean one of these?\n\n- The deadline\n- What data"
    fallback = replace(did_you_mean, kind="fallback", paragraphs=())
    assert render_plain(fallback).startswith("I can answer:\n- The deadline")


def test_the_labels_are_the_replys_language_or_english():
    german = replace(REPLY, labels={"see_also": "Siehe auch:"})
    assert "Siehe auch:\n- The deadline" in render_plain(german)
    assert "Sources: " in render_plain(german)  # a label it lacks is English's
    assert german.label("send_command", command="stop") == 'send "stop"'


def test_the_json_contract():
    assert REPLY.as_json("full text", "short text") == {
        "intent": "opt_out_steps",
        "confidence": 0.9346,
        "region": "CA",
        "coverage": {"ai_training": "yes"},
        "coverage_basis": {"ai_training": "reported"},
        "answer": "full text",
        "short": "short text",
        "sources": [s.url for s in SOURCES],
        "suggestions": [],  # only a "did you mean" has suggestions
        "follow_ups": ["deadline"],
        "language": "en",
    }
    assert REPLY.as_json("full text")["short"] == "full text"
    did_you_mean = Reply("did_you_mean", None, 0.5, None, "", suggestions=(Topic("a", "A"),))
    assert did_you_mean.as_json("x")["suggestions"] == ["a"]
    assert replace(did_you_mean, kind="fallback").as_json("x")["suggestions"] == []
