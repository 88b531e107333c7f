"""The translations in knowledge/i18n/<lang>/, checked against English: a translation holds text
only, with English's numbers, placeholders and links; what English has not is refused, what a
translation lacks is English's, with a warning. On an English knowledge base of a few entries,
so that each rule is seen on its own."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

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
)
from bot.core.knowledge_reader import Reader
from bot.core.languages import LANGUAGES
from bot.core.translations import load_translations

START = dt.date(2025, 11, 3)
SOURCE = Source("S1", "Privacy policy", "https://www.linkedin.com/legal/privacy-policy", "official")
EU = RegionSet(frozenset({"EU", "DE", "FR", "IT"}))  # as the loader keeps a group: with members
ANYWHERE = RegionSet(frozenset({"*"}))
DEADLINE = Intent(
    id="deadline",
    kind="topic",
    title="The deadline",
    phrasings=("what is the deadline",),
    keywords=("deadline",),
    answer=Answer(
        paragraphs=(
            "Training started on 3 November 2025.",
            "Turn it off at https://example.org/setting at any time.",
        ),
        steps=("Open Settings.", "Turn off 1 switch."),
        links=(Link("Open the setting", "https://example.org/setting"),),
        dated=(DatedParagraph(0, "start", "Training starts on {date}, in {days_left}."),),
        short="No, it is never too late.",
    ),
    sources=(),
    follow_ups=("thanks",),
)
THANKS = Intent(
    "thanks", "smalltalk", "Thanks", ("thanks",), (), Answer(("Glad to help.",)), (), ()
)
EVENT = Event("start", START, "Training starts", EU, "Turn the setting off.", (SOURCE,))
ENGLISH = KnowledgeBase(
    platform="LinkedIn",
    topic="AI training",
    last_verified=dt.date(2025, 10, 1),
    sources={"S1": SOURCE},
    intents={"thanks": THANKS, "deadline": DEADLINE},  # not in the files' order
    events=(EVENT,),
    event_index={"start": EVENT},
    groups={"EU": ("the European Union", frozenset({"DE", "FR", "IT"}))},
    aliases={},
    demonyms={},
    europe_words=("europe",),
    coverage=(
        CoverageRule(
            EU,
            "the EU",
            {
                "ai_training": PolicyCoverage(
                    "yes", "confirmed", "Since 3 November 2025.", (), START
                )
            },
        ),
        CoverageRule(
            ANYWHERE,
            "everywhere else",
            {"ai_training": PolicyCoverage("no", "confirmed", "No.", ())},
        ),
    ),
    regulators=(
        Regulator(RegionSet(frozenset({"DE"})), "your state's authority", note="About LinkedIn."),
        Regulator(ANYWHERE, "your data protection authority"),
    ),
    messages={"answers.since": "since {date}", "greeting.hello": "Hello!"},
)

# One language's files; every language gets the same (the check does not read the words).
FILES = {
    "messages.yaml": """\
answers:
  since: 'seit dem {date}'
greeting:
  hello: Hallo!
""",
    "events.yaml": """\
events:
  start:
    title: Das Training beginnt
    what_to_do: Schalten Sie die Einstellung aus.
""",
    # The coverage rules in another order than English's: each pairs by the regions it names.
    "regions.yaml": """\
groups:
  EU: die Europäische Union
europe_words: [Europa, Europäisch]
aliases:
  Deutschland: DE
demonyms:
  Deutsche: DE
coverage:
  - regions: ["*"]
    label: überall sonst
    ai_training:
      note: Nein.
  - regions: [EU]
    label: die EU
    ai_training:
      note: Seit dem 3. November 2025.
regulators:
  - regions: [DE]
    name: die Behörde Ihres Bundeslandes
    note: Über LinkedIn.
  - regions: ["*"]
    name: Ihre Datenschutzbehörde
""",
    "intents/deadline.yaml": """\
id: deadline
title: Die Frist
phrasings:
  - was ist die frist
  - bis wann muss ich widersprechen
  - ist es zu spät
  - hab ich die frist verpasst
  - ab wann gilt das
  - wann tritt die änderung in kraft
  - wie viel zeit habe ich noch
  - wann ist stichtag
  - muss ich mich beeilen
  - gibt es eine frist
  - bin ich zu spät dran
  - wann geht es los
  - wann startet das training
  - bis wann muss ich das erledigen
  - wann ist die deadline
keywords:
  - Frist
  - zu spät
answer:
  short: Nein, es ist nie zu spät.
  paragraphs:
    - before: 'Das Training beginnt am {date}, in {days_left}.'
      after: Das Training hat am 3. November 2025 begonnen.
    - Schalten Sie es unter https://example.org/setting jederzeit aus.
  steps:
    - Öffnen Sie die Einstellungen.
    - Schalten Sie 1 Schalter aus.
  links:
    - label: Zur Einstellung
""",
    "intents/thanks.yaml": """\
id: thanks
title: Danke
phrasings:
  - danke
  - vielen dank
  - danke schön
  - merci
  - dankeschön
answer:
  paragraphs:
    - Gern geschehen.
""",
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A knowledge folder whose i18n/ has every language, complete."""
    root = tmp_path / "knowledge"
    for language in LANGUAGES[1:]:
        for name, text in FILES.items():
            path = root / "i18n" / language / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
    return root


def load(root: Path) -> tuple[dict[str, KnowledgeBase], list[str], list[str]]:
    """Every language's knowledge base, the issues and the warnings, as `kb check` prints them."""
    reader = Reader(root)
    result = load_translations(root, reader, ENGLISH)
    return result, [str(i) for i in reader.issues], [str(w) for w in reader.warnings]


def edit(root: Path, name: str, old: str, new: str, language: str = "de") -> int:
    """Replace `old` once in one language's file; the 1-based line where the new text is."""
    path = root / "i18n" / language / name
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), "utf-8")
    return text[: text.index(old)].count("\n") + 1


# --- a complete translation --------------------------------------------------------------------


def test_a_complete_translation_is_its_own_words_over_englishs_facts(root):
    result, issues, warnings = load(root)
    assert issues == [] and warnings == []
    assert list(result) == list(LANGUAGES) and result["en"] is ENGLISH
    german = result["de"]
    assert german.language == "de" and german.translations == {}
    assert german.messages == {"answers.since": "seit dem {date}", "greeting.hello": "Hallo!"}
    deadline = german.intents["deadline"]
    assert deadline.title == "Die Frist" and len(deadline.phrasings) == 15
    assert deadline.keywords == ("frist", "zu spat")  # normalised, as the matcher reads them
    assert deadline.answer.short == "Nein, es ist nie zu spät."
    assert deadline.answer.paragraphs[0] == "Das Training hat am 3. November 2025 begonnen."
    assert deadline.answer.dated == (
        DatedParagraph(0, "start", "Das Training beginnt am {date}, in {days_left}."),
    )
    assert deadline.answer.steps[1] == "Schalten Sie 1 Schalter aus."
    assert deadline.answer.links == (Link("Zur Einstellung", "https://example.org/setting"),)
    # The facts are English's: kind, sources, follow-ups, the event's day and regions.
    assert (deadline.kind, deadline.follow_ups) == ("topic", ("thanks",))
    assert german.events[0].title == "Das Training beginnt"
    assert (german.events[0].date, german.events[0].regions) == (START, EU)
    assert german.event_index["start"] is german.events[0]
    assert german.groups == {"EU": ("die Europäische Union", frozenset({"DE", "FR", "IT"}))}
    assert german.aliases == {"deutschland": "DE"} and german.demonyms == {"deutsche": "DE"}
    assert german.europe_words == ("europa", "europaisch")


def test_a_translations_entries_keep_englishs_order(root):
    german = load(root)[0]["de"]
    assert list(german.intents) == ["thanks", "deadline"]  # menus list topics in this order
    assert [rule.label for rule in german.coverage] == ["die EU", "überall sonst"]
    eu = german.coverage_for("FR")
    assert eu.policies["ai_training"].note == "Seit dem 3. November 2025."
    assert eu.policies["ai_training"].value == "yes" and eu.policies["ai_training"].since == START
    assert german.regulator_for("DE").name == "die Behörde Ihres Bundeslandes"
    assert german.regulator_for("DE").note == "Über LinkedIn."
    assert german.regulator_for("FR").name == "Ihre Datenschutzbehörde"


def test_a_knowledge_base_without_an_i18n_folder_is_english_only(tmp_path):
    reader = Reader(tmp_path / "knowledge")
    assert load_translations(tmp_path / "knowledge", reader, ENGLISH) == {"en": ENGLISH}
    assert reader.issues == [] and reader.warnings == []


def test_with_an_i18n_folder_every_language_needs_its_own(root):
    shutil.rmtree(root / "i18n" / "fr")
    result, issues, _ = load(root)
    assert issues == [f"{root / 'i18n' / 'fr'}:1: language: no translation folder for 'fr'"]
    assert "fr" not in result


# --- English's facts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "old", "new", "problem"),
    [
        (
            "regions.yaml",
            "note: Seit dem 3. November 2025.",
            "note: Seit dem 4. November 2025.",
            "coverage[0].ai_training.note: numbers differ from English: ['2025', '4'] instead of "
            "['2025', '3']",
        ),
        (
            "events.yaml",
            "what_to_do: Schalten Sie die Einstellung aus.",
            "what_to_do: Schalten Sie die Einstellung bis zum 2. November aus.",
            "events.start.what_to_do: numbers differ from English: ['2'] instead of []",
        ),
        (
            "intents/deadline.yaml",
            "short: Nein, es ist nie zu spät.",
            "short: Nein, nach 30 Tagen ist es zu spät.",
            "answer.short: numbers differ from English: ['30'] instead of []",
        ),
        (
            "intents/deadline.yaml",
            "after: Das Training hat am 3. November 2025 begonnen.",
            "after: Das Training hat am 3. November begonnen.",
            "answer.paragraphs[0]: numbers differ from English: ['3'] instead of ['2025', '3']",
        ),
        (
            "intents/deadline.yaml",
            "before: 'Das Training beginnt am {date}, in {days_left}.'",
            "before: 'Das Training beginnt am {date}.'",
            "answer.paragraphs[0].before: placeholders differ from English: ['date'] instead of "
            "['date', 'days_left']",
        ),
        (
            "messages.yaml",
            "since: 'seit dem {date}'",
            "since: 'seit dem {datum}'",
            "answers.since: placeholders differ from English: ['datum'] instead of ['date']",
        ),
        (
            "intents/deadline.yaml",
            "unter https://example.org/setting jederzeit",
            "unter https://example.org/einstellung jederzeit",
            "answer.paragraphs[1]: links differ from English",
        ),
        (
            "intents/deadline.yaml",
            "- Schalten Sie 1 Schalter aus.",
            "- Schalten Sie 2 Schalter aus.",
            "answer.steps: numbers differ from English: ['2'] instead of ['1']",
        ),
    ],
)
def test_numbers_placeholders_and_links_must_be_englishs(root, name, old, new, problem):
    line = edit(root, name, old, new)
    _, issues, warnings = load(root)
    assert issues == [f"knowledge/i18n/de/{name}:{line}: {problem}"]
    assert warnings == []


# --- what English has not, or has in another shape ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "old", "new", "at", "problem"),
    [
        (
            "messages.yaml",
            "  hello: Hallo!\n",
            "  hello: Hallo!\n  goodbye: Tschüss!\n",
            "goodbye:",
            "greeting.goodbye: unknown message: English has no such key",
        ),
        (
            "events.yaml",
            "events:\n",
            "events:\n  later:\n    title: Später\n    what_to_do: Nichts.\n",
            "later:",
            "events.later: English has no such event",
        ),
        (
            "regions.yaml",
            "  - regions: [EU]\n",
            "  - regions: [US]\n",
            "[US]",
            "coverage.regions: not English's regions here",
        ),
        (
            "regions.yaml",
            "  Deutschland: DE\n",
            "  Deutschland: XX\n",
            "XX",
            "aliases.Deutschland: unknown region 'XX'",
        ),
        (
            "intents/deadline.yaml",
            "answer:\n",
            "answer:\n  after_event:\n    before: Vorher.\n    after: Nachher.\n",
            "after_event:",
            "answer.after_event: English has none",
        ),
        (
            "intents/deadline.yaml",
            "    - Öffnen Sie die Einstellungen.\n",
            "",
            "  steps:",
            "answer.steps: 1 item(s) where English has 2",
        ),
        (
            "intents/deadline.yaml",
            "    - Schalten Sie es unter https://example.org/setting jederzeit aus.\n",
            "",
            "  paragraphs:",
            "answer.paragraphs: 1 item(s) where English has 2",
        ),
        (
            "intents/deadline.yaml",
            "    - before: 'Das Training beginnt am {date}, in {days_left}.'\n      after:",
            "    -",
            "Das Training hat",
            "answer.paragraphs[0]: English has before and after texts here",
        ),
        (
            "intents/deadline.yaml",
            "    - Schalten Sie es unter",
            "    - before: Bald.\n      after: Schalten Sie es unter",
            "after: Schalten",
            "answer.paragraphs[1]: English has one text here",
        ),
        (
            "intents/deadline.yaml",
            "      after: Das",
            "      event: later\n      after: Das",
            "event: later",
            "answer.paragraphs[0].event: the event comes from English",
        ),
        (
            "intents/deadline.yaml",
            "  links:\n    - label: Zur Einstellung\n",
            "  links: []\n",
            "  links:",
            "answer.links: needs 1 link label(s), as English has",
        ),
        (
            # Where English has a short answer, so must the translation (the issue is on the
            # answer's first line).
            "intents/deadline.yaml",
            "  short: Nein, es ist nie zu spät.\n",
            "",
            "  paragraphs:",
            "answer.short: missing: English has a short answer",
        ),
    ],
)
def test_what_english_has_not_or_has_otherwise_is_refused(root, name, old, new, at, problem):
    edit(root, name, old, new)
    lines = (root / "i18n/de" / name).read_text("utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if at in text)
    assert load(root)[1] == [f"knowledge/i18n/de/{name}:{line}: {problem}"]


def test_an_intent_english_has_not_is_refused(root):
    (root / "i18n/nl/intents/other.yaml").write_text("id: other\ntitle: Anders\n", "utf-8")
    assert load(root)[1] == [
        "knowledge/i18n/nl/intents/other.yaml:1: id: English has no intent 'other'"
    ]


# --- phrasings and keywords --------------------------------------------------------------------


def test_a_topic_needs_fifteen_phrasings_and_its_keywords(root):
    edit(root, "intents/deadline.yaml", "  - wann ist die deadline\n", "")
    edit(root, "intents/deadline.yaml", "keywords:\n  - Frist\n  - zu spät\n", "")
    issues = load(root)[1]
    assert issues == [
        "knowledge/i18n/de/intents/deadline.yaml:3: phrasings: needs at least 15 phrasings",
        "knowledge/i18n/de/intents/deadline.yaml:1: keywords: missing",
    ]


def test_small_talk_needs_five_phrasings_and_no_keywords(root):
    edit(root, "intents/thanks.yaml", "  - merci\n", "")
    assert load(root)[1] == [
        "knowledge/i18n/de/intents/thanks.yaml:3: phrasings: needs at least 5 phrasings"
    ]


def test_one_phrasing_under_two_intents_is_refused_once_normalised(root):
    line = edit(root, "intents/thanks.yaml", "  - merci\n", "  - Wann ist Stichtag?\n")
    assert load(root)[1] == [
        f"knowledge/i18n/de/intents/thanks.yaml:{line}: phrasings: 'Wann ist Stichtag?' also "
        "appears under 'deadline'"
    ]


# --- what a translation lacks: English's, marked, with a warning -------------------------------


def test_a_missing_intent_is_englishs_with_a_warning(root):
    (root / "i18n/it/intents/thanks.yaml").unlink()
    result, issues, warnings = load(root)
    assert issues == []
    assert warnings == [
        f"{root / 'i18n/it/intents/thanks.yaml'}:1: id: missing: English has intent 'thanks'; "
        "English is used"
    ]
    italian = result["it"].intents
    assert italian["thanks"].english_only and italian["thanks"].answer == THANKS.answer
    assert not italian["deadline"].english_only
    assert list(italian) == ["thanks", "deadline"]
    assert not result["de"].intents["thanks"].english_only


def test_a_missing_message_is_englishs_with_a_warning(root):
    edit(root, "messages.yaml", "greeting:\n  hello: Hallo!\n", "", language="pl")
    result, issues, warnings = load(root)
    assert issues == []
    assert warnings == [
        "knowledge/i18n/pl/messages.yaml:1: greeting.hello: missing: English has this message; "
        "English is used"
    ]
    assert result["pl"].messages["greeting.hello"] == "Hello!"
    assert result["pl"].messages["answers.since"] == "seit dem {date}"


def test_a_missing_event_is_englishs_with_a_warning(root):
    edit(root, "events.yaml", "  start:\n", "  start_old:\n", language="es")
    result, issues, warnings = load(root)
    # What the translation has instead is refused; the event it lacks is only a warning.
    assert issues == [
        "knowledge/i18n/es/events.yaml:2: events.start_old: English has no such event"
    ]
    assert warnings == ["knowledge/i18n/es/events.yaml:2: start: missing event; English is used"]
    (event,) = result["es"].events
    assert event.english_only and event.title == "Training starts"


def test_a_missing_coverage_rule_or_regulator_is_englishs_with_a_warning(root):
    edit(
        root,
        "regions.yaml",
        "  - regions: [EU]\n    label: die EU\n    ai_training:\n      note: Seit dem 3. November"
        " 2025.\n",
        "",
    )
    edit(
        root,
        "regions.yaml",
        "  - regions: [DE]\n    name: die Behörde Ihres Bundeslandes\n    note: Über LinkedIn.\n",
        "",
    )
    result, issues, warnings = load(root)
    assert issues == []
    # A rule written for a group is named by the group.
    assert [w.split(": ", 2)[1:] for w in warnings] == [
        ["coverage[0]", "missing entry for EU; English is used"],
        ["regulators[0]", "missing entry for DE; English is used"],
    ]
    german = result["de"]
    assert german.coverage_for("IT").english_only
    assert german.coverage_for("IT").policies["ai_training"].note == "Since 3 November 2025."
    assert not german.coverage_for("US").english_only
    assert german.regulator_for("DE").english_only
    assert german.regulator_for("DE").name == "your state's authority"
    assert not german.regulator_for("FR").english_only
