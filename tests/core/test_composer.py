"""Writing a reply (bot.core.composer): each kind of reply with its title, paragraphs, links and
sources; a place's coverage, verdict and regional lines; wording before, on and after an event's
day. On a knowledge base of a few entries, with messages of its own, so that each rule is seen
on its own and each text can be checked whole."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.core.composer import ReplyComposer
from bot.core.knowledge import (
    Answer,
    CoverageRule,
    DatedParagraph,
    Event,
    Intent,
    KnowledgeBase,
    Link,
    PolicyCoverage,
    RegionSet,
    Regulator,
    Source,
    SourceRef,
    TimeVariant,
)
from bot.core.reply import CitedSource, LinkButton, Topic

START = dt.date(2025, 11, 3)
BEFORE = START - dt.timedelta(days=14)
AFTER = START + dt.timedelta(days=3)
SETTING = "https://example.org/setting"
ADS = "https://example.org/ads"

POLICY = Source("S1", "Privacy policy", "https://example.org/privacy", "official")
HELP = Source("S2", "Help page", "https://example.org/help", "official")
PRESS = Source("S3", "A newspaper", "https://news.example.org/story", "press")
DPA = Source("S4", "The DPA", "https://dpa.example.org", "official")

EEA = RegionSet(frozenset({"EEA", "EU", "DE", "FR", "NO"}))  # as the loader keeps groups


def cover(value, status="confirmed", note="", sources=(POLICY,), since=None, month=False):
    return PolicyCoverage(value, status, note, sources, since, month)


def rule(regions, label, ai, ads, english_only=False):
    return CoverageRule(
        RegionSet(frozenset(regions)),
        label,
        {"ai_training": ai, "microsoft_ads": ads},
        english_only,
    )


COVERAGE = (
    CoverageRule(
        EEA,
        "the EEA",
        {
            "ai_training": cover("yes", note="Training note.", since=START),
            "microsoft_ads": cover("no", note="Ads note."),
        },
    ),
    rule(
        {"US"},
        "the US",
        cover("yes", "reported", "US training note.", (PRESS,), dt.date(2024, 9, 1), True),
        cover("yes", "reported", "US ads note.", (PRESS, POLICY), START),
    ),
    rule({"CA"}, "Canada", cover("yes", since=START), cover("yes", "reported", since=START)),
    rule({"JP"}, "Japan", cover("no"), cover("no"), english_only=True),
    rule({"BR"}, "Brazil", cover("unclear", "reported"), cover("no", "reported")),
    rule({"*"}, "most other countries", cover("yes", "reported"), cover("unclear", "reported")),
)
REGULATORS = (
    Regulator(EEA, "the DPA", "https://dpa.example.org/complain", DPA, "About LinkedIn Ireland."),
    Regulator(RegionSet(frozenset({"*"})), "no data protection authority", none=True),
)
EVENTS = (
    Event("start", START, "Training starts", EEA, "Turn it off.", (POLICY,)),
    # The same day, an event of its own for Canada (as the shipped knowledge has for CA and HK).
    Event("start_ca", START, "Training starts", RegionSet(frozenset({"CA"})), "Off.", (PRESS,)),
)


def intent(intent_id, kind, title, answer, sources=(), follow_ups=()):
    return Intent(intent_id, kind, title, (intent_id,), (), answer, sources, follow_ups)


INTENTS = {
    i.id: i
    for i in (
        intent(
            "am_i_affected",
            "topic",
            "Am I affected?",
            Answer(("It depends on where you live.",), short="It depends."),
            (SourceRef(HELP, "who is affected", "confirmed"),),
            ("opt_out_steps",),
        ),
        intent(
            "opt_out_steps",
            "topic",
            "How to opt out",
            Answer(
                ("Open the setting and turn it off.",),
                steps=("Open Settings.", "Turn it off."),
                links=(Link("Open the setting", SETTING),),
                short="Turn it off.",
            ),
            (
                SourceRef(HELP, "the steps", "confirmed"),
                SourceRef(HELP, "the setting's name", "confirmed"),  # the same page again
                SourceRef(PRESS, "the screenshots", "reported"),
            ),
            ("deadline", "greeting"),
        ),
        intent(
            "microsoft_sharing",
            "topic",
            "Sharing with Microsoft",
            Answer(("Some data goes to Microsoft.",), links=(Link("Ads opt-out", ADS),), short="x"),
            (SourceRef(POLICY, "the sharing", "confirmed"),),
        ),
        intent(
            "deadline",
            "topic",
            "The deadline",
            Answer(
                ("Training started on 3 November 2025.",),
                dated=(DatedParagraph(0, "start", "Training starts on {date}, in {days_left}."),),
                after_event=TimeVariant(
                    "start",
                    "Turn it off before {date} ({days_left} left).",
                    "It began {days_since}.",
                ),
                short="No, it is never too late.",
            ),
            (SourceRef(PRESS, "the date", "reported"),),
        ),
        intent(
            "complain",
            "topic",
            "Where to complain",
            Answer(("A data protection authority hears complaints.", "Tell me your country.")),
            (SourceRef(POLICY, "complaints", "confirmed"),),
        ),
        intent(
            "non_members",
            "topic",
            "Not a member",
            Answer(("Use the form.",), links=(Link("The form", "https://example.org/form"),)),
            (SourceRef(POLICY, "non-members", "confirmed"),),
        ),
        intent("greeting", "smalltalk", "Hello", Answer(("Hello! Ask me about LinkedIn.",))),
        intent("weather", "out_of_scope", "Weather", Answer(("I know nothing of the weather.",))),
    )
}
MESSAGES = {
    "answers.affected_title": "Affected? {place}",
    "answers.for_place": "For {place}:",
    "answers.policy_ai_training": "AI training",
    "answers.policy_microsoft_ads": "Ads sharing",
    "answers.value_yes": "Yes",
    "answers.value_no": "No",
    "answers.value_unclear": "Unclear",
    "answers.since": "since {date}",
    "answers.from": "from {date}, {in_days}",
    "answers.status_reported": "(reported).",
    "answers.status_confirmed": "(confirmed).",
    "answers.europe_not_one_region": "Europe is not one region.",
    "answers.can_turn_off": "Turn it off at any time.",
    "answers.turn_off_before": "Turn it off before then.",
    "answers.regulator": "In {place}, complain to {regulator}.",
    "answers.regulator_complaint_page": "File it here: {url}",
    "answers.no_regulator": "In {place} there is {regulator}.",
    "answers.english_only": "(In English.)",
    "answers.place_line": "In {place}: {text}",
    "answers.deadline_not_here": "In {place} the date does not apply: on since {date}.",
    "answers.on_by_default_since": "In {place} on since {date}.",
    "answers.on_by_default_since_reported": "In {place} on since {date} (reported).",
    "answers.on_by_default": "In {place} on by default.",
    "answers.turn_off_any_time": "Off at any time.",
    "answers.short_ai_yes": "AI yes in {place}, {when} ({status}).",
    "answers.short_ai_yes_later": "AI soon in {place}, {when} ({status}).",
    "answers.short_ai_yes_undated": "AI yes in {place} ({status}).",
    "answers.short_ai_no": "AI no in {place} ({status}).",
    "answers.short_ai_unclear": "AI unclear in {place}.",
    "answers.short_ads_yes": "Ads yes, {when} ({status}).",
    "answers.short_ads_yes_later": "Ads soon, {when} ({status}).",
    "answers.short_ads_yes_undated": "Ads yes ({status}).",
    "answers.short_ads_no": "Ads no ({status}).",
    "answers.short_ads_unclear": "Ads unclear.",
    "answers.short_act": "Act.",
    "answers.short_act_later": "Act before then.",
    "answers.short_act_ads": "Ads too.",
    "answers.short_act_both": "Both.",
    "answers.today": "today",
    "answers.ask_region": "Which country?",
    "answers.not_sure_title": "Not sure.",
    "answers.did_you_mean": "Did you mean?",
    "answers.cannot_answer_title": "Cannot answer.",
    "answers.only_topic": "One topic only.",
    "answers.empty": "Type a question.",
    "answers.other_platform": "Only {platform}.",
    "answers.topics_title": "Topics",
    "answers.topics_intro": "Pick one:",
    "answers.unknown_place_title": "Unknown place",
    "answers.unknown_place": "Try a country.",
    "answers.sources_title": "Sources ({date})",
    "answers.source_line": "{title} ({status}): {url}",
    "labels.confirmed": "confirmed",
    "labels.reported": "reported",
    "labels.sources": "Sources:",
}
ENGLISH = KnowledgeBase(
    platform="LinkedIn",
    topic="AI training",
    last_verified=dt.date(2025, 10, 1),
    sources={s.id: s for s in (POLICY, HELP, PRESS, DPA)},
    intents=INTENTS,
    events=EVENTS,
    event_index={e.id: e for e in EVENTS},
    groups={
        "EU": ("the European Union", frozenset({"DE", "FR"})),
        "EEA": ("the European Economic Area", frozenset({"DE", "FR", "NO"})),
    },
    aliases={},
    demonyms={},
    europe_words=("europe",),
    coverage=COVERAGE,
    regulators=REGULATORS,
    messages=MESSAGES,
)
GERMAN = replace(
    ENGLISH,
    language="de",
    intents={
        **INTENTS,
        "opt_out_steps": replace(INTENTS["opt_out_steps"], title="Widerspruch"),
        "non_members": replace(INTENTS["non_members"], english_only=True),  # not translated yet
    },
    messages={
        **MESSAGES,
        "answers.ask_region": "Welches Land?",
        "answers.english_only": "(Auf Englisch.)",
        "answers.cannot_answer_title": "Das kann ich nicht beantworten.",
        "answers.did_you_mean": "Meinten Sie?",
        "labels.sources": "Quellen:",
    },
    translations={},
)
ENGLISH.translations.update({"en": ENGLISH, "de": GERMAN})
COMPOSER = ReplyComposer(ENGLISH)


def cited(source: Source, status: str, supports: str = "") -> CitedSource:
    return CitedSource(source.url, source.title, status, supports)


# --- an answer ---------------------------------------------------------------------------------


def test_an_answer_carries_the_topics_words_links_sources_and_follow_ups():
    reply = COMPOSER.answer("opt_out_steps", None, AFTER, confidence=0.8)
    assert (reply.kind, reply.intent, reply.confidence, reply.region) == (
        "answer",
        "opt_out_steps",
        0.8,
        None,
    )
    assert reply.title == "How to opt out" and reply.language == "en"
    assert reply.paragraphs == ("Open the setting and turn it off.",)
    assert reply.steps == ("Open Settings.", "Turn it off.") and reply.short == "Turn it off."
    # Its own link is the setting's: not added a second time.
    assert reply.links == (LinkButton("Open the setting", SETTING),)
    # One citation per page, the first one's words kept.
    assert reply.sources == (
        cited(HELP, "confirmed", "the steps"),
        cited(PRESS, "reported", "the screenshots"),
    )
    assert reply.follow_ups == (Topic("deadline", "The deadline"), Topic("greeting", "Hello"))
    assert reply.coverage == {} and reply.coverage_basis == {}


def test_a_replys_labels_are_its_own_copy():
    reply = COMPOSER.answer("greeting", None, AFTER)
    assert reply.labels == {"confirmed": "confirmed", "reported": "reported", "sources": "Sources:"}
    reply.labels["sources"] = "changed"
    assert ENGLISH.labels["sources"] == "Sources:"


@pytest.mark.parametrize(
    ("intent_id", "region", "expected"),
    [
        # The topic's own links first, then the one action where it is missing.
        ("microsoft_sharing", None, ("Ads opt-out", "Open the setting")),
        ("deadline", "US", ("Open the setting", "Ads opt-out")),
        ("deadline", "DE", ("Open the setting",)),  # no ads sharing there
        ("deadline", "JP", ()),  # no AI training there: no setting to turn off
        ("non_members", "US", ("The form",)),  # the setting cannot help non-members
        ("greeting", None, ()),  # small talk
    ],
)
def test_the_one_action_joins_a_topics_links(intent_id, region, expected):
    reply = COMPOSER.answer(intent_id, region, AFTER)
    assert tuple(link.label for link in reply.links) == expected


# --- "am I affected" for a place ---------------------------------------------------------------


def test_a_place_gets_its_coverage_with_its_basis_and_sources():
    reply = COMPOSER.answer("am_i_affected", "DE", AFTER)
    assert reply.title == "Affected? Germany" and reply.region == "DE"
    assert reply.paragraphs == (
        "For Germany:",
        "AI training: Yes, since 3 November 2025 (confirmed). Training note.",
        "Ads sharing: No (confirmed). Ads note.",
        "Turn it off at any time.",
    )
    assert reply.coverage == {"ai_training": "yes", "microsoft_ads": "no"}
    assert reply.coverage_basis == {"ai_training": "confirmed", "microsoft_ads": "confirmed"}
    # The coverage's sources alone, each once, not the topic's general one.
    assert reply.sources == (cited(POLICY, "confirmed"),)
    assert reply.steps == ()


def test_reported_coverage_is_said_to_be_reported_and_press_sources_cited_as_such():
    reply = COMPOSER.answer("am_i_affected", "US", AFTER)
    assert reply.paragraphs[1:3] == (
        "AI training: Yes, since September 2024 (reported). US training note.",
        "Ads sharing: Yes, since 3 November 2025 (reported). US ads note.",
    )
    assert reply.coverage_basis == {"ai_training": "reported", "microsoft_ads": "reported"}
    assert reply.sources == (cited(PRESS, "reported"), cited(POLICY, "confirmed"))


def test_unclear_coverage_says_neither_confirmed_nor_reported_and_no_turning_off():
    reply = COMPOSER.answer("am_i_affected", "BR", AFTER)
    assert reply.paragraphs == (
        "For Brazil:",
        "AI training: Unclear. ",
        "Ads sharing: No (reported). ",
    )


def test_before_the_start_a_place_is_told_what_is_coming():
    reply = COMPOSER.answer("am_i_affected", "DE", BEFORE)
    assert reply.paragraphs[1] == (
        "AI training: Yes, from 3 November 2025, in 14 days (confirmed). Training note."
    )
    assert reply.paragraphs[-1] == "Turn it off before then."


def test_a_place_name_starts_the_title_with_a_capital():
    reply = COMPOSER.answer("am_i_affected", "GB", AFTER)  # the "*" rule
    assert reply.title == "Affected? The UK" and reply.paragraphs[0] == "For the UK:"


def test_europe_without_a_country_is_answered_for_the_eea():
    reply = COMPOSER.answer("am_i_affected", None, AFTER, europe=True)
    assert reply.title == "Affected? The EEA" and reply.region is None
    assert reply.paragraphs[0] == "For the EEA:"
    assert reply.paragraphs[-2:] == ("Europe is not one region.", "Turn it off at any time.")
    assert reply.coverage == {} and reply.coverage_basis == {}  # no one region's verdict
    assert reply.short.startswith("AI yes in the EEA, since 3 November 2025")


def test_a_coverage_rule_without_its_translation_says_it_is_in_english():
    reply = COMPOSER.answer("am_i_affected", "JP", AFTER)
    assert reply.paragraphs[:2] == ("(In English.)", "For Japan:")


def test_without_a_place_the_topics_own_answer():
    reply = COMPOSER.answer("am_i_affected", None, AFTER)
    assert reply.title == "Am I affected?" and reply.paragraphs == (
        "It depends on where you live.",
    )
    assert reply.short == "It depends."
    assert reply.sources == (cited(HELP, "confirmed", "who is affected"),)


@pytest.mark.parametrize(
    ("region", "today", "short"),
    [
        (
            "DE",
            AFTER,
            "AI yes in Germany, since 3 November 2025 (confirmed). Ads no (confirmed). Act.",
        ),
        (
            "DE",
            BEFORE,
            "AI soon in Germany, from 3 November 2025, in 14 days (confirmed). Ads no (confirmed)."
            " Act before then.",
        ),
        # Both settings apply now: one line for the two.
        (
            "US",
            AFTER,
            "AI yes in the United States, since September 2024 (reported)."
            " Ads yes, since 3 November 2025 (reported). Both.",
        ),
        (
            "US",
            BEFORE,
            "AI yes in the United States, since September 2024 (reported)."
            " Ads soon, from 3 November 2025, in 14 days (reported). Both.",
        ),
        # Training still to come: turn it off before then, and the ads apart.
        (
            "CA",
            BEFORE,
            "AI soon in Canada, from 3 November 2025, in 14 days (confirmed)."
            " Ads soon, from 3 November 2025, in 14 days (reported). Act before then. Ads too.",
        ),
        ("JP", AFTER, "AI no in Japan (confirmed). Ads no (confirmed)."),  # nothing to do
        ("BR", AFTER, "AI unclear in Brazil. Ads no (reported). Act."),
    ],
)
def test_a_places_short_answer_is_its_verdicts_and_what_to_do(region, today, short):
    assert COMPOSER.answer("am_i_affected", region, today).short == short


# --- the regional line of other topics --------------------------------------------------------


def test_complain_names_the_authority_and_drops_the_question_for_a_country():
    reply = COMPOSER.answer("complain", "FR", AFTER)
    assert reply.paragraphs == (
        "In France, complain to the DPA. About LinkedIn Ireland."
        " File it here: https://dpa.example.org/complain",
        "A data protection authority hears complaints.",
    )
    assert reply.sources == (cited(POLICY, "confirmed", "complaints"), cited(DPA, "confirmed"))
    without = COMPOSER.answer("complain", None, AFTER)
    assert without.paragraphs[-1] == "Tell me your country."


def test_complain_where_there_is_no_authority_says_so():
    reply = COMPOSER.answer("complain", "BR", AFTER)
    assert reply.paragraphs[0] == "In Brazil there is no data protection authority."


def test_the_ads_sharing_for_a_place_comes_first_with_its_sources():
    reply = COMPOSER.answer("microsoft_sharing", "US", AFTER)
    assert reply.paragraphs == (
        "In the United States: Yes, since 3 November 2025 (reported). US ads note.",
        "Some data goes to Microsoft.",
    )
    assert reply.sources == (
        cited(POLICY, "confirmed", "the sharing"),
        cited(PRESS, "reported"),
    )
    japan = COMPOSER.answer("microsoft_sharing", "JP", AFTER)
    assert japan.paragraphs[0] == "In Japan: No (confirmed).  (In English.)"


def test_the_deadline_where_training_began_before_2025():
    reply = COMPOSER.answer("deadline", "US", AFTER)
    assert reply.paragraphs[0] == (
        "In the United States the date does not apply: on since September 2024."
    )
    germany = COMPOSER.answer("deadline", "DE", AFTER)
    assert germany.paragraphs[0] == "Training started on 3 November 2025."


# --- wording by the day -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (
            BEFORE,
            "Training starts on 3 November 2025, in 14 days.",
            "Turn it off before 3 November 2025 (14 days left).",
        ),
        (
            START - dt.timedelta(days=1),
            "Training starts on 3 November 2025, in 1 day.",
            "Turn it off before 3 November 2025 (1 day left).",
        ),
        (START, "Training started on 3 November 2025.", "It began today."),
        (AFTER, "Training started on 3 November 2025.", "It began 3 days ago."),
    ],
)
def test_an_event_is_coming_until_its_day_and_has_happened_from_it(today, first, last):
    reply = COMPOSER.answer("deadline", None, today)
    assert (reply.paragraphs[0], reply.paragraphs[-1]) == (first, last)
    assert reply.short == "No, it is never too late."


def test_a_region_the_event_does_not_concern_is_told_what_applies_there():
    us = COMPOSER.answer("deadline", "US", BEFORE)
    assert us.paragraphs[-1] == (
        "In the United States on since September 2024 (reported). Off at any time."
    )
    elsewhere = COMPOSER.answer("deadline", "IN", BEFORE)  # the "*" rule gives no date
    assert elsewhere.paragraphs[-1] == "In India on by default. Off at any time."


def test_an_event_of_the_same_day_for_the_region_counts_as_the_event():
    assert COMPOSER.answer("deadline", "CA", BEFORE).paragraphs[-1] == (
        "Turn it off before 3 November 2025 (14 days left)."
    )


# --- other languages ---------------------------------------------------------------------------


def test_an_answer_in_another_language_has_its_words_and_labels():
    reply = COMPOSER.answer("opt_out_steps", None, AFTER, language="de")
    assert reply.language == "de" and reply.title == "Widerspruch"
    assert reply.labels["sources"] == "Quellen:"
    assert reply.follow_ups[0] == Topic("deadline", "The deadline")
    assert reply.paragraphs == ("Open the setting and turn it off.",)
    # A language the knowledge base does not have: English.
    assert COMPOSER.answer("opt_out_steps", None, AFTER, language="xx").language == "en"


def test_a_topic_a_translation_lacks_is_english_with_a_note():
    reply = COMPOSER.answer("non_members", None, AFTER, language="de")
    assert reply.paragraphs == ("(Auf Englisch.)", "Use the form.")


# --- replies that are not answers --------------------------------------------------------------


def test_ask_region_is_the_topics_title_and_the_question():
    reply = COMPOSER.ask_region("am_i_affected", 0.7, language="de")
    assert (reply.kind, reply.intent, reply.confidence, reply.region) == (
        "ask_region",
        "am_i_affected",
        0.7,
        None,
    )
    assert reply.title == "Am I affected?" and reply.paragraphs == ("Welches Land?",)
    assert reply.language == "de"


def test_did_you_mean_offers_the_three_likeliest_topics():
    ranked = ["greeting", "opt_out_steps", "weather", "deadline", "complain", "am_i_affected"]
    reply = COMPOSER.did_you_mean(ranked, 0.4, "DE", language="de")
    assert (reply.kind, reply.intent, reply.region, reply.confidence) == (
        "did_you_mean",
        None,
        "DE",
        0.4,
    )
    assert reply.title == "Not sure." and reply.paragraphs == ("Meinten Sie?",)
    assert reply.suggestions == (
        Topic("opt_out_steps", "Widerspruch"),
        Topic("deadline", "The deadline"),
        Topic("complain", "Where to complain"),
    )
    offered = (Topic("greeting", "Hello"),)
    assert COMPOSER.did_you_mean(ranked, 0.4, None, suggestions=offered).suggestions == offered


def test_the_fallback_and_the_replies_built_on_it():
    menu = (
        Topic("am_i_affected", "Am I affected?"),
        Topic("opt_out_steps", "How to opt out"),
        Topic("deadline", "The deadline"),
        Topic("microsoft_sharing", "Sharing with Microsoft"),
    )  # data_used is not in this knowledge base
    fallback = COMPOSER.fallback(0.2, "US")
    assert (fallback.kind, fallback.title, fallback.region, fallback.confidence) == (
        "fallback",
        "Cannot answer.",
        "US",
        0.2,
    )
    assert fallback.paragraphs == ("One topic only.",) and fallback.suggestions == menu
    empty = COMPOSER.empty()
    assert (empty.confidence, empty.paragraphs, empty.suggestions) == (
        0.0,
        ("Type a question.",),
        menu,
    )
    assert COMPOSER.other_platform(0.5, None, "en").paragraphs == ("Only LinkedIn.",)
    out = COMPOSER.out_of_scope("weather", 0.9, None, "de")
    assert out.paragraphs == ("I know nothing of the weather.",) and out.intent is None
    assert out.title == "Das kann ich nicht beantworten." and out.language == "de"


def test_menus_of_topics():
    assert COMPOSER.main_topics() == (
        Topic("am_i_affected", "Am I affected?"),
        Topic("opt_out_steps", "How to opt out"),
    )  # data_used is not in this knowledge base
    assert [t.id for t in COMPOSER.topics()] == [
        "am_i_affected",
        "opt_out_steps",
        "microsoft_sharing",
        "deadline",
        "complain",
        "non_members",
    ]
    reply = COMPOSER.topics_reply("de")
    assert reply.title == "Topics" and reply.paragraphs == ("Pick one:",)
    assert reply.follow_ups[1] == Topic("opt_out_steps", "Widerspruch")


def test_an_unknown_place():
    reply = COMPOSER.unknown_region_reply()
    assert (reply.kind, reply.title, reply.paragraphs, reply.confidence) == (
        "fallback",
        "Unknown place",
        ("Try a country.",),
        0.0,
    )


def test_the_sources_reply_lists_each_cited_page_once():
    reply = COMPOSER.sources_reply()
    assert reply.title == "Sources (1 October 2025)"
    assert reply.paragraphs == (
        "Help page (confirmed): https://example.org/help",
        "A newspaper (reported): https://news.example.org/story",
        "Privacy policy (confirmed): https://example.org/privacy",
    )
