"""Loading the knowledge base (bot.core.knowledge_loader): the shipped folder has an entry for each
of its files, and a fault in a file is reported with its file, line and field, every fault of a
load at once. On a folder of a few lines, so that each fault is the one issue reported.
tests/core/test_knowledge.py edits a copy of the shipped folder for other faults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.core.knowledge import DatedParagraph, RegionSet, Source, SourceRef
from bot.core.knowledge_loader import KnowledgeError, default_knowledge_dir, load_knowledge
from bot.core.languages import LANGUAGES
from tests.conftest import KNOWLEDGE_DIR

FILES = {
    "meta.yaml": """\
platform: LinkedIn
topic: AI training
last_verified: 2025-10-01
platform_names: [LinkedIn, linked in]
""",
    "sources.yaml": """\
sources:
  - id: S1
    title: Privacy policy
    url: https://example.org/privacy
    kind: official
  - id: S2
    title: A newspaper
    url: https://news.example.org/story
    kind: press
""",
    "regions.yaml": """\
groups:
  EU:
    name: the European Union
    members: [DE, FR]
aliases:
  Deutschland: DE
demonyms:
  German: DE
europe_words: [europe]
coverage:
  - regions: [EU]
    label: the EU
    ai_training:
      value: "yes"
      status: confirmed
      note: Since 3 November 2025.
      sources: [S1]
      since: 2025-11-03
    microsoft_ads:
      value: "no"
      status: confirmed
      note: Not in the EU.
      sources: [S1]
  - regions: ["*"]
    except: [EU]
    label: everywhere else
    ai_training:
      value: "yes"
      status: reported
      note: Since September 2024.
      sources: [S2]
      since: 2024-09
    microsoft_ads:
      value: unclear
      status: reported
      note: Unclear.
      sources: [S2]
regulators:
  - name: the DPA
    regions: [EU]
    url: https://example.org/complain
    source: S1
  - name: no data protection authority
    regions: ["*"]
    none: true
""",
    "events.yaml": """\
events:
  - id: start
    date: 2025-11-03
    title: Training starts
    regions: [EU]
    what_to_do: Turn the setting off.
    sources: [S1]
""",
    "intents/deadline.yaml": """\
id: deadline
kind: topic
title: The deadline
phrasings:
  - what is the deadline
  - is it too late
  - when does it start
keywords: [deadline, too late]
answer:
  paragraphs:
    - event: start
      before: Training starts on {date}, in {days_left}.
      after: Training started on 3 November 2025.
    - You can turn it off at any time.
  short: No, it is never too late.
  steps:
    - Open Settings.
  links:
    - label: Open the setting
      url: https://example.org/setting
  after_event:
    event: start
    before: Turn it off before {date}.
    after: It began {days_since}.
sources:
  - ref: S1
    supports: the start date
    status: confirmed
follow_ups: [thanks]
""",
    "intents/thanks.yaml": """\
id: thanks
kind: smalltalk
title: Thanks
phrasings: [thanks, thank you, cheers]
answer:
  paragraphs:
    - Glad to help.
sources: []
""",
    "messages.yaml": """\
answers:
  empty: Please type a question.
labels:
  sources: "Sources:"
""",
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A small valid knowledge folder, English only (no i18n/)."""
    root = tmp_path / "knowledge"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


def issues_of(root: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(root)
    assert str(caught.value) == "\n".join(str(i) for i in caught.value.issues)
    return [str(issue) for issue in caught.value.issues]


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), "utf-8")


def line_of(root: Path, name: str, text: str) -> int:
    """The 1-based line where `text` starts in the file."""
    content = (root / name).read_text("utf-8")
    assert content.count(text) == 1, text
    return content[: content.index(text)].count("\n") + 1


# --- what loads --------------------------------------------------------------------------------


def test_the_shipped_folder_has_an_entry_for_each_of_its_files(kb):
    assert default_knowledge_dir().resolve() == KNOWLEDGE_DIR
    ids = [yaml.safe_load(p.read_text("utf-8"))["id"] for p in KNOWLEDGE_DIR.glob("intents/*.yaml")]
    assert sorted(kb.intents) == sorted(ids)
    sources = yaml.safe_load((KNOWLEDGE_DIR / "sources.yaml").read_text("utf-8"))["sources"]
    assert list(kb.sources) == [s["id"] for s in sources]
    events = yaml.safe_load((KNOWLEDGE_DIR / "events.yaml").read_text("utf-8"))["events"]
    assert [e.id for e in kb.events] == [e["id"] for e in events]
    assert set(kb.event_index) == {e["id"] for e in events}
    regions = yaml.safe_load((KNOWLEDGE_DIR / "regions.yaml").read_text("utf-8"))
    assert len(kb.coverage) == len(regions["coverage"])
    assert len(kb.regulators) == len(regions["regulators"])
    assert set(kb.groups) == set(regions["groups"])
    folders = {p.name for p in (KNOWLEDGE_DIR / "i18n").iterdir() if p.is_dir()}
    assert kb.languages == LANGUAGES and set(LANGUAGES) == folders | {"en"}
    # Each language its own knowledge base, over the same intents in English's order.
    for language in kb.languages:
        assert kb.in_language(language).language == language
        assert list(kb.in_language(language).intents) == list(kb.intents)


def test_a_small_folder_loads_into_the_model(root: Path):
    kb = load_knowledge(root)
    assert (kb.platform, kb.topic, kb.last_verified) == (
        "LinkedIn",
        "AI training",
        dt.date(2025, 10, 1),
    )
    assert kb.platform_names == ("linkedin", "linked in")  # normalised for matching
    assert kb.other_platforms == () and kb.subject_words == {}  # all optional
    assert kb.other_parties == () and kb.assistants == () and not kb.assistant_use
    assert kb.platform_notices == () and not kb.reminder_words and not kb.assistant_history
    assert kb.sources["S2"] == Source(
        "S2", "A newspaper", "https://news.example.org/story", "press"
    )
    assert kb.groups == {"EU": ("the European Union", frozenset({"DE", "FR"}))}
    assert (kb.aliases, kb.demonyms, kb.parts) == ({"deutschland": "DE"}, {"german": "DE"}, {})
    # A group stands for its members wherever regions are listed.
    assert kb.coverage[0].regions == RegionSet(frozenset({"EU", "DE", "FR"}))
    assert kb.coverage[1].regions == RegionSet(frozenset({"*"}), frozenset({"EU", "DE", "FR"}))
    eu, other = (rule.policies["ai_training"] for rule in kb.coverage)
    assert (eu.since, eu.since_month_only) == (dt.date(2025, 11, 3), False)
    assert (other.since, other.since_month_only) == (dt.date(2024, 9, 1), True)  # YYYY-MM
    assert kb.coverage[1].policies["microsoft_ads"].since is None
    dpa, nobody = kb.regulators
    assert (dpa.url, dpa.source, dpa.none) == (
        "https://example.org/complain",
        kb.sources["S1"],
        False,
    )
    assert (nobody.url, nobody.source, nobody.none) == (None, None, True)
    assert kb.event_index["start"].date == dt.date(2025, 11, 3)
    deadline = kb.intents["deadline"]
    assert deadline.keywords == ("deadline", "too late") and deadline.follow_ups == ("thanks",)
    assert deadline.answer.paragraphs == (
        "Training started on 3 November 2025.",
        "You can turn it off at any time.",
    )
    assert deadline.answer.dated == (
        DatedParagraph(0, "start", "Training starts on {date}, in {days_left}."),
    )
    assert deadline.answer.after_event.after == "It began {days_since}."
    assert deadline.sources == (SourceRef(kb.sources["S1"], "the start date", "confirmed"),)
    assert kb.intents["thanks"].sources == ()  # small talk cites nothing
    assert kb.messages == {"answers.empty": "Please type a question.", "labels.sources": "Sources:"}
    assert kb.languages == ("en",) and kb.warnings == []  # no i18n/: English only


def test_a_folder_that_is_not_there(tmp_path: Path):
    missing = tmp_path / "nowhere"
    assert issues_of(missing) == [f"{missing}:1: directory: not found"]


def test_a_folder_without_intent_files(root: Path):
    for path in (root / "intents").iterdir():
        path.unlink()
    [issue] = issues_of(root)
    assert issue.endswith("knowledge/intents:1: intents: no intent files (*.yaml) found")


def test_every_fault_of_a_load_is_reported_at_once(root: Path):
    edit(root, "sources.yaml", "url: https://example.org/privacy", "url: example.org/privacy")
    edit(root, "events.yaml", "date: 2025-11-03", "date: soon")
    edit(root, "messages.yaml", "  empty: Please type a question.\n", "  empty: ''\n")
    assert issues_of(root) == [
        "knowledge/sources.yaml:4: sources[0].url: not a URL: 'example.org/privacy'",
        "knowledge/events.yaml:3: events[0].date: not a date (YYYY-MM-DD): 'soon'",
        "knowledge/messages.yaml:2: answers.empty: must be non-empty text",
    ]


# --- one fault, one issue, at its file, line and field -----------------------------------------

# (file, text, its replacement, the text on the issue's line, field: message)
FAULTS = {
    # A field missing: named at its entry's line.
    "missing field": (
        "sources.yaml",
        "    title: A newspaper\n",
        "",
        "  - id: S2",
        "sources[1].title: missing",
    ),
    "a complaint page without its source": (
        "regions.yaml",
        "    source: S1\n",
        "",
        "  - name: the DPA",
        "regulators[0].source: missing",
    ),
    # A field of the wrong type.
    "regions not a list": (
        "events.yaml",
        "    regions: [EU]",
        "    regions: EU",
        "    regions: EU",
        "events[0].regions: must be a list",
    ),
    "links not a list": (
        "intents/deadline.yaml",
        "    - label: Open the setting\n      url:",
        "    label: Open the setting\n    url:",
        "  links:",
        "answer.links: must be a list",
    ),
    "intent sources not a list": (
        "intents/thanks.yaml",
        "sources: []",
        "sources: none",
        "sources: none",
        "sources: must be a list (may be empty only for small talk)",
    ),
    # Dates: a month only where a source may give no day.
    "a month for an event's date": (
        "events.yaml",
        "date: 2025-11-03",
        "date: 2025-11",
        "date: 2025-11",
        "events[0].date: not a date (YYYY-MM-DD): '2025-11'",
    ),
    "a coverage start that is no month": (
        "regions.yaml",
        "since: 2024-09",
        "since: 2024-13",
        "since: 2024-13",
        "coverage[1].ai_training.since: not a date (YYYY-MM-DD or YYYY-MM): '2024-13'",
    ),
    "a day and time where a date is due": (
        "meta.yaml",
        "last_verified: 2025-10-01",
        "last_verified: 2025-10-01 12:00",
        "last_verified:",
        "last_verified: not a date (YYYY-MM-DD): '2025-10-01 12:00'",
    ),
    # Source ids: each reference to one sources.yaml lists.
    "an unknown source of a coverage": (
        "regions.yaml",
        "      note: Not in the EU.\n      sources: [S1]",
        "      note: Not in the EU.\n      sources: [S1, S9]",
        "      sources: [S1, S9]",
        "coverage[0].microsoft_ads.sources: unknown source 'S9'",
    ),
    "an unknown source of a regulator": (
        "regions.yaml",
        "    source: S1",
        "    source: S9",
        "    source: S9",
        "regulators[0].source: unknown source 'S9'",
    ),
    "a duplicate source id": (
        "sources.yaml",
        "    kind: press\n",
        "    kind: press\n  - id: S1\n    title: Copy\n    url: https://example.org/copy\n    kind: official\n",
        "  - id: S1\n    title: Copy",
        "sources[2].id: duplicate source id 'S1'",
    ),
    # Regions.
    "an alias of no region": (
        "regions.yaml",
        "  Deutschland: DE",
        "  Narnia: XX",
        "  Narnia: XX",
        "aliases.Narnia: unknown region 'XX'",
    ),
    "a group member that is no region": (
        "regions.yaml",
        "members: [DE, FR]",
        "members: [DE, FR, UK]",
        "members:",
        "groups.EU.members: unknown region 'UK'",
    ),
    "a part of itself": (
        "regions.yaml",
        "europe_words: [europe]\n",
        "europe_words: [europe]\nparts:\n  GP: GP\n",
        "  GP: GP",
        "parts.GP: not two country codes: 'GP': 'GP'",
    ),
    "a regulator's page that is no URL": (
        "regions.yaml",
        "url: https://example.org/complain",
        "url: example.org/complain",
        "url: example.org/complain",
        "regulators[0].url: not a URL: 'example.org/complain'",
    ),
    # Intents.
    "too few phrasings": (
        "intents/thanks.yaml",
        "phrasings: [thanks, thank you, cheers]",
        "phrasings: [thanks, thank you]",
        "phrasings:",
        "phrasings: needs at least 3 phrasings",
    ),
    "a topic citing nothing": (
        "intents/deadline.yaml",
        "sources:\n  - ref: S1\n    supports: the start date\n    status: confirmed\n",
        "sources: []\n",
        "sources: []",
        "sources: a topic needs at least one source",
    ),
    "a placeholder in a step": (
        "intents/deadline.yaml",
        "    - Open Settings.",
        "    - Open Settings before {date}.",
        "    - Open Settings before",
        "answer: placeholders are only allowed in dated texts",
    ),
    "an after-event text of an unknown event": (
        "intents/deadline.yaml",
        "    event: start\n    before: Turn",
        "    event: stop\n    before: Turn",
        "    event: stop",
        "answer.after_event.event: unknown event 'stop'",
    ),
    "a link that is no URL": (
        "intents/deadline.yaml",
        "url: https://example.org/setting",
        "url: settings page",
        "url: settings page",
        "answer.links[0].url: not a URL: 'settings page'",
    ),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_is_one_issue_named_by_file_line_and_field(root: Path, fault: str):
    name, old, new, at, problem = FAULTS[fault]
    edit(root, name, old, new)
    assert issues_of(root) == [f"knowledge/{name}:{line_of(root, name, at)}: {problem}"]


def test_a_yaml_syntax_error_is_named_by_its_line_and_the_rest_still_checked(root: Path):
    edit(root, "intents/deadline.yaml", "title: The deadline", "title: The deadline: when")
    edit(root, "events.yaml", "date: 2025-11-03", "date: 2025-11-31")
    [date, syntax] = issues_of(root)  # in the order the files are read
    assert date == "knowledge/events.yaml:3: events[0].date: not a date (YYYY-MM-DD): '2025-11-31'"
    # PyYAML says "... not allowed here", libyaml "... not allowed in this context".
    prefix = "knowledge/intents/deadline.yaml:3: yaml: mapping values are not allowed"
    assert syntax.startswith(prefix), syntax


def test_an_unknown_event_source_leaves_it_with_none(root: Path):
    edit(root, "events.yaml", "sources: [S1]", "sources: [S9]")
    line = line_of(root, "events.yaml", "    sources: [S9]")
    assert issues_of(root) == [
        f"knowledge/events.yaml:{line}: events[0].sources: unknown source 'S9'",
        f"knowledge/events.yaml:{line}: events[0].sources: needs at least one source",
    ]


@pytest.mark.parametrize(
    ("section", "rule", "problem"),
    [
        (
            "coverage",
            '  - regions: ["*"]\n    except: [EU]\n',
            'coverage: needs a last rule for "*" (every other region)',
        ),
        (
            "regulators",
            '  - name: no data protection authority\n    regions: ["*"]\n',
            'regulators: needs a last entry for "*" (every other region)',
        ),
    ],
)
def test_every_region_needs_an_answer(root: Path, section: str, rule: str, problem: str):
    edit(root, "regions.yaml", rule, rule.replace('["*"]', "[FR]"))
    line = line_of(root, "regions.yaml", f"{section}:\n") + 1  # the list's first entry
    assert issues_of(root) == [f"knowledge/regions.yaml:{line}: {problem}"]
