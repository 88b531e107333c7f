"""Reading the knowledge base's YAML into typed values: every problem is recorded with its file,
line and field (and a default returned), so that one load reports them all; placeholders, nested
messages, dated paragraphs and the short answer's length."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.core.knowledge_reader import (
    PLACEHOLDER_WIDTH,
    Reader,
    flatten_messages,
    placeholders,
    read_paragraphs,
    read_short,
    short_length,
    short_limit,
)
from bot.core.yaml_lines import load_yaml_with_lines


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "knowledge").mkdir()
    return tmp_path / "knowledge"


def read(root: Path, text: str, name: str = "file.yaml"):
    """A Reader that has read `text` from knowledge/`name`, and what it read."""
    path = root / name
    path.write_text(text, "utf-8")
    reader = Reader(root)
    return reader, reader.read_file(path)


def issues(reader: Reader) -> list[str]:
    return [str(issue) for issue in reader.issues]


# --- files -------------------------------------------------------------------------------------


def test_a_file_is_named_from_the_knowledge_folders_parent(root):
    reader, doc = read(root, "id: x\n")
    assert doc == {"id": "x"} and reader.file == "knowledge/file.yaml" and reader.issues == []


def test_a_missing_file_broken_yaml_and_binary_are_issues_not_crashes(root):
    reader = Reader(root)
    assert reader.read_file(root / "none.yaml") is None
    reader2, doc = read(root, "id: x\ntitle: [unclosed\n")
    assert doc is None and issues(reader2)[0].startswith("knowledge/file.yaml:")
    assert ": yaml: " in issues(reader2)[0]
    path = root / "binary.yaml"
    path.write_bytes(b"id: x\n\xff\xfe")
    assert reader.read_file(path) is None
    assert issues(reader)[0].startswith("knowledge/none.yaml:1: file: cannot read")
    assert issues(reader)[1] == "knowledge/binary.yaml:2: file: not valid UTF-8 text"


# --- typed fields ------------------------------------------------------------------------------


def test_text_is_stripped_and_a_missing_or_empty_one_is_an_issue(root):
    reader, doc = read(root, "title: '  Hello  '\nempty: ''\nnumber: 3\n")
    assert reader.text(doc, "title") == "Hello"
    assert reader.text(doc, "empty") == "" and reader.text(doc, "number") == ""
    assert reader.text(doc, "absent", required=False) == ""
    assert reader.text(doc, "absent", prefix="answer.") == ""
    assert issues(reader) == [
        "knowledge/file.yaml:2: empty: must be non-empty text",
        "knowledge/file.yaml:3: number: must be non-empty text",
        "knowledge/file.yaml:1: answer.absent: missing",
    ]


def test_a_text_list_gives_each_item_with_its_line(root):
    reader, doc = read(root, "items:\n  - one\n  - 2\n  - ''\n  - four\nscalar: x\n")
    assert reader.text_list(doc, "items") == [("one", 2), ("2", 3), ("four", 5)]
    assert reader.text_list(doc, "scalar") == []
    assert reader.text_list(doc, "absent", required=False) == []
    assert issues(reader) == [
        "knowledge/file.yaml:4: items[2]: must be non-empty text",
        "knowledge/file.yaml:6: scalar: must be a list",
    ]


def test_a_date_a_month_where_allowed_and_never_a_time(root):
    text = "day: 2025-11-03\nmonth: 2024-09\ntime: 2025-11-03 10:00:00\nbad: 2025-13-03\n"
    reader, doc = read(root, text)
    assert reader.date(doc, "day") == dt.date(2025, 11, 3)
    assert reader.date(doc, "month", month_ok=True) == dt.date(2024, 9, 1)
    assert reader.date(doc, "month") is None
    assert reader.date(doc, "bad") is None
    assert reader.date(doc, "absent", required=False) is None
    assert issues(reader) == [
        "knowledge/file.yaml:2: month: not a date (YYYY-MM-DD): '2024-09'",
        "knowledge/file.yaml:4: bad: not a date (YYYY-MM-DD): '2025-13-03'",
    ]


def test_a_choice_is_one_of_its_options_and_never_an_unquoted_boolean(root):
    reader, doc = read(root, 'value: unclear\nbool: true\nother: maybe\nquoted: "yes"\n')
    options = ("yes", "no", "unclear")
    assert reader.choice(doc, "value", options) == "unclear"
    assert reader.choice(doc, "quoted", options) == "yes"
    assert reader.choice(doc, "bool", options) == "yes"  # the first option, after the issue
    assert reader.choice(doc, "other", options) == "yes"
    assert issues(reader) == [
        "knowledge/file.yaml:2: bool: reads as a boolean; quote it, one of yes, no, unclear",
        "knowledge/file.yaml:3: other: 'maybe' is not one of yes, no, unclear",
    ]


def test_a_mapping_where_one_is_needed(root):
    reader, doc = read(root, "answer: text\n")
    empty = reader.mapping(doc["answer"], doc.line_of("answer"), "answer")
    assert empty == {} and empty.line_of("paragraphs") == 1
    assert issues(reader) == ["knowledge/file.yaml:1: answer: must be a mapping"]


def test_warnings_are_kept_apart_from_issues(root):
    reader, _ = read(root, "id: x\n")
    reader.warn(1, "id", "missing: English is used")
    assert reader.issues == [] and [str(w) for w in reader.warnings] == [
        "knowledge/file.yaml:1: id: missing: English is used"
    ]


# --- messages, paragraphs, short answers -------------------------------------------------------


def test_placeholders():
    assert placeholders("From {date}, in {days_left}.") == {"date", "days_left"}
    assert placeholders("No placeholder, {{braces}} escaped.") == set()


def test_nested_messages_become_dotted_keys_with_their_lines(root):
    reader, doc = read(root, "answers:\n  empty: Ask me.\n  more:\n    hint: Send more.\nbad: ''\n")
    assert flatten_messages(reader, doc, 1) == {
        "answers.empty": ("Ask me.", 2),
        "answers.more.hint": ("Send more.", 4),
    }
    assert issues(reader) == ["knowledge/file.yaml:5: bad: must be non-empty text"]


PARAGRAPHS = """\
paragraphs:
  - Plain.
  - event: start
    before: 'From {date}, in {days_left}.'
    after: Since 3 November 2025.
"""


def test_a_dated_paragraph_reads_its_after_wording_and_keeps_its_before(root):
    reader, doc = read(root, PARAGRAPHS)
    texts, dated = read_paragraphs(reader, doc, {"start"})
    assert texts == [("Plain.", 2), ("Since 3 November 2025.", 5)]
    assert dated == [(1, "start", "From {date}, in {days_left}.", 4)]
    assert reader.issues == []


def test_a_paragraphs_event_must_be_known_and_placeholders_are_for_dated_texts(root):
    text = PARAGRAPHS.replace("event: start", "event: later") + "  - 'Plain {date}.'\n"
    reader, doc = read(root, text)
    read_paragraphs(reader, doc, {"start"})
    assert issues(reader) == [
        "knowledge/file.yaml:3: answer.paragraphs[1].event: unknown event 'later'",
        "knowledge/file.yaml:6: answer: placeholders are only allowed in dated texts",
    ]


def test_a_translations_dated_paragraph_takes_its_event_from_english(root):
    reader, doc = read(root, PARAGRAPHS)
    _texts, dated = read_paragraphs(reader, doc, None)
    assert dated == [(1, None, "From {date}, in {days_left}.", 4)]
    assert issues(reader) == [
        "knowledge/file.yaml:3: answer.paragraphs[1].event: the event comes from English"
    ]


def test_a_short_answers_length_counts_placeholders_at_their_longest():
    assert short_length("From {date}.") == len("From .") + PLACEHOLDER_WIDTH
    assert short_limit("en") == 400 and short_limit("de") == 480 and short_limit("pl") == 480


@pytest.mark.parametrize(("language", "limit"), [("en", 400), ("fr", 480)])
def test_a_short_answer_over_its_languages_limit_is_an_issue(root, language, limit):
    reader, doc = read(root, f"short: '{'x' * limit}'\n")
    assert read_short(reader, doc, set(), language)[0] == ("x" * limit, 1)
    assert reader.issues == []
    reader, doc = read(root, f"short: '{'x' * (limit + 1)}'\n")
    read_short(reader, doc, set(), language)
    assert issues(reader) == [
        f"knowledge/file.yaml:1: answer.short: {limit + 1} characters; a short answer has at "
        f"most {limit}"
    ]


def test_a_dated_short_answer(root):
    text = "short:\n  event: start\n  before: 'Yes, from {date}.'\n  after: Yes, since then.\n"
    reader, doc = read(root, text)
    assert read_short(reader, doc, {"start"}, "en") == (
        ("Yes, since then.", 4),
        ("start", "Yes, from {date}.", 3),
    )
    assert read_short(reader, load_yaml_with_lines("other: x\n"), set(), "en") == (None, None)
    reader, doc = read(root, "short:\n  event: start\n  before: 'Yes, {when}.'\n  after: Yes.\n")
    read_short(reader, doc, {"start"}, "en")
    assert issues(reader) == [
        "knowledge/file.yaml:3: answer.short.before: unknown placeholder(s) ['when']; allowed: "
        "['date', 'days_left']"
    ]
