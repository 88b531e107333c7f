"""YAML that remembers the line of every key and item, so that the knowledge base's errors name
file and line; YAML 1.2 booleans (NO is Norway) and dates left as text."""

from __future__ import annotations

import pytest
import yaml

from bot.core.yaml_lines import LineDict, LineList, load_yaml_with_lines

TEXT = """\
# a comment
id: deadline
regions: [NO, GB]
answer:
  paragraphs:
    - first
    - second

  since: 2025-11-03
flags: {on: yes, off: no, real: true, also: False}
"""


def test_mappings_and_lists_know_their_lines():
    doc = load_yaml_with_lines(TEXT)
    assert isinstance(doc, LineDict) and doc.line == 2
    assert [doc.line_of(key) for key in ("id", "regions", "answer", "flags")] == [2, 3, 4, 10]
    answer = doc["answer"]
    assert isinstance(answer, LineDict) and answer.line == 5
    assert answer.line_of("since") == 9
    paragraphs = answer["paragraphs"]
    assert isinstance(paragraphs, LineList) and paragraphs == ["first", "second"]
    assert (paragraphs.line, paragraphs.line_of(0), paragraphs.line_of(1)) == (6, 6, 7)


def test_a_missing_key_or_item_has_its_containers_line():
    doc = load_yaml_with_lines(TEXT)
    assert doc["answer"].line_of("short") == 5
    assert doc["regions"].line_of(5) == 3


def test_only_true_and_false_are_booleans():
    doc = load_yaml_with_lines(TEXT)
    assert doc["regions"] == ["NO", "GB"]  # Norway, not False
    assert doc["flags"] == {"on": "yes", "off": "no", "real": True, "also": False}


def test_dates_stay_text_for_the_loader_to_check():
    doc = load_yaml_with_lines("since: 2025-11-03\nbad: 2025-13-03\n")
    assert doc == {"since": "2025-11-03", "bad": "2025-13-03"}


def test_numbers_and_nulls_are_as_in_yaml():
    assert load_yaml_with_lines("a: 3\nb: 1.5\nc: null\nd: '7'\n") == {
        "a": 3,
        "b": 1.5,
        "c": None,
        "d": "7",
    }


def test_a_duplicate_key_is_an_error_at_its_line():
    with pytest.raises(yaml.YAMLError) as caught:
        load_yaml_with_lines("id: a\ntitle: x\nid: b\n")
    assert "duplicate key 'id'" in str(caught.value)
    assert caught.value.problem_mark.line + 1 == 3


def test_only_plain_data_is_built():
    with pytest.raises(yaml.YAMLError):
        load_yaml_with_lines("x: !!python/object/apply:os.system ['true']\n")
