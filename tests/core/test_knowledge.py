from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.knowledge_loader import KnowledgeError, load_knowledge
from tests.conftest import KNOWLEDGE_DIR

REQUIRED_INTENTS = {
    "am_i_affected", "opt_out_steps", "objection_form", "deadline", "data_used",
    "private_messages", "already_used_data", "on_by_default", "legal_basis", "microsoft_sharing",
    "why_linkedin", "non_members", "reduce_exposure", "should_i_opt_out", "complain", "under_18",
    "reminders", "greeting", "help", "thanks",
}  # fmt: skip


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def errors_of(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return [str(issue) for issue in caught.value.issues]


def replace_in(path: Path, old: str, new: str) -> int:
    """Replace text in a file and return the 1-based line where it was."""
    text = path.read_text()
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1))
    return line


def test_the_real_knowledge_base_loads(kb):
    assert set(kb.intents) >= REQUIRED_INTENTS
    assert kb.last_verified.year >= 2025


def test_every_topic_cites_sources_with_a_status(kb):
    for intent in kb.intents.values():
        if intent.kind == "topic" and intent.id != "reminders":
            assert intent.sources, intent.id
        for ref in intent.sources:
            assert ref.status in ("confirmed", "reported")
            assert ref.source.url.startswith("http")


def test_no_source_is_a_mirror_or_proxy_copy(kb):
    for source in kb.sources.values():
        for marker in ("proxy.", "vuink.com", "pathoyeastract", "4565v3", "guatda"):
            assert marker not in source.url, source.id


def test_coverage_follows_the_fact_sheet(kb):
    expected = {
        "DE": ("yes", "no"), "FR": ("yes", "no"), "IS": ("yes", "no"), "LI": ("yes", "no"),
        "NO": ("yes", "no"), "CH": ("yes", "no"), "GB": ("yes", "no"), "EU": ("yes", "no"),
        "EEA": ("yes", "no"), "CA": ("yes", "unclear"), "HK": ("yes", "unclear"),
        "US": ("yes", "yes"), "BR": ("yes", "yes"), "IN": ("yes", "yes"),
    }  # fmt: skip
    for region, (ai, ads) in expected.items():
        rule = kb.coverage_for(region)
        assert rule.policies["ai_training"].value == ai, region
        assert rule.policies["microsoft_ads"].value == ads, region
    assert kb.coverage_for("US").policies["microsoft_ads"].status == "reported"
    assert kb.coverage_for("GB").policies["ai_training"].since.isoformat() == "2025-11-03"


def test_eu_group_has_27_members(kb):
    assert len(kb.groups["EU"][1]) == 27
    assert kb.groups["EEA"][1] == kb.groups["EU"][1] | {"IS", "LI", "NO"}


def test_unknown_follow_up_names_file_line_and_field(kb_copy):
    path = kb_copy / "intents" / "opt_out_steps.yaml"
    line = replace_in(path, "follow_ups: [", "follow_ups: [no_such_intent, ")
    errors = errors_of(kb_copy)
    assert (
        f"knowledge/intents/opt_out_steps.yaml:{line}: follow_ups: unknown intent 'no_such_intent'"
        in errors
    )


def test_missing_source_reference_is_reported(kb_copy):
    path = kb_copy / "intents" / "opt_out_steps.yaml"
    line = replace_in(path, "  - ref: S4\n", "  - ref: S999\n")
    errors = errors_of(kb_copy)
    assert any(
        e.startswith(f"knowledge/intents/opt_out_steps.yaml:{line}: sources[0].ref: unknown source")
        for e in errors
    )


def test_duplicate_intent_id(kb_copy):
    shutil.copy(kb_copy / "intents" / "deadline.yaml", kb_copy / "intents" / "zz_copy.yaml")
    errors = errors_of(kb_copy)
    assert any("zz_copy.yaml:1: id: duplicate intent id 'deadline'" in e for e in errors)


def test_phrasing_under_two_intents(kb_copy, kb):
    phrasing = kb.intents["opt_out_steps"].phrasings[0]
    path = kb_copy / "intents" / "under_18.yaml"  # loaded after opt_out_steps.yaml
    line = replace_in(path, "phrasings:\n", f"phrasings:\n  - {phrasing}\n") + 1
    errors = errors_of(kb_copy)
    expected = f"knowledge/intents/under_18.yaml:{line}: phrasings: {phrasing!r} also appears under intent 'opt_out_steps'"
    assert any(e.startswith(expected) for e in errors), errors


def test_bad_date(kb_copy):
    line = replace_in(kb_copy / "events.yaml", "date: 2025-11-03", "date: 2025-13-03")
    errors = errors_of(kb_copy)
    assert any(
        e.startswith(f"knowledge/events.yaml:{line}: events[0].date: not a date") for e in errors
    )


def test_unknown_region(kb_copy):
    line = replace_in(
        kb_copy / "regions.yaml", "  - regions: [CA, HK]", "  - regions: [CA, HK, UK]"
    )
    errors = errors_of(kb_copy)
    assert f"knowledge/regions.yaml:{line}: coverage[2].regions: unknown region 'UK'" in errors


def test_bad_coverage_value(kb_copy):
    line = replace_in(kb_copy / "regions.yaml", "value: unclear", "value: maybe")
    errors = errors_of(kb_copy)
    assert any(
        e.startswith(f"knowledge/regions.yaml:{line}: coverage[2].microsoft_ads.value: 'maybe'")
        for e in errors
    )


def test_broken_yaml_names_the_line(kb_copy):
    path = kb_copy / "intents" / "thanks.yaml"
    path.write_text("id: thanks\nkind: smalltalk\nphrasings: [a, b\n  title: x\n")
    errors = errors_of(kb_copy)
    assert any(e.startswith("knowledge/intents/thanks.yaml:") and ": yaml: " in e for e in errors)


def test_binary_file_is_reported_not_crashed(kb_copy):
    (kb_copy / "intents" / "thanks.yaml").write_bytes(b"\xff\xfe\x00garbage")
    errors = errors_of(kb_copy)
    assert any(
        e.startswith("knowledge/intents/thanks.yaml:1: file: not valid UTF-8") for e in errors
    )


def test_unknown_placeholder(kb_copy):
    line = replace_in(kb_copy / "intents" / "opt_out_steps.yaml", "{days_left}", "{days_to_go}")
    errors = errors_of(kb_copy)
    assert any(
        e.startswith(
            f"knowledge/intents/opt_out_steps.yaml:{line}: answer.after_event.before: unknown placeholder"
        )
        for e in errors
    )


def test_norway_is_not_a_boolean(kb):
    # YAML 1.1 reads a bare NO as false; the loader reads YAML 1.2 booleans only.
    assert "NO" in kb.groups["EEA"][1]


def test_subject_words_are_read_per_language(kb):
    assert "linkedin" in kb.subject_words["en"] and "datos" in kb.subject_words["es"]
    assert set(kb.subject_words) == set(kb.languages)


def test_a_subject_words_entry_that_is_not_a_list_is_named(kb_copy: Path):
    line = replace_in(kb_copy / "meta.yaml", "  es: [linkedin, ia,", "  es: linkedin\n  xx: [ia,")
    problems = [e for e in errors_of(kb_copy) if "subject_words" in e]
    assert len(problems) == 2, problems
    not_a_list, unknown = problems
    assert "meta.yaml" in not_a_list and f":{line}:" in not_a_list
    assert "subject_words.es" in not_a_list and "must be a list" in not_a_list
    assert f":{line + 1}:" in unknown and "subject_words.xx" in unknown and "unknown" in unknown
