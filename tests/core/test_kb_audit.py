"""`kb check` does what the December 2026 fact audit did by hand: each check on a knowledge base
broken in one place (a copy in tmp_path), reported as file:line: field: problem."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.kb_audit import audit_knowledge
from bot.core.knowledge import KnowledgeBase
from bot.core.knowledge_loader import load_knowledge
from tests.conftest import KNOWLEDGE_DIR

TODAY = dt.date(2026, 12, 4)


@pytest.fixture
def copy(tmp_path) -> Path:
    return Path(shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge"))


def _edit(path: Path, old: str, new: str) -> int:
    """Replace `old` once; return the 1-based line where the new text starts."""
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), "utf-8")
    return text[: text.index(old)].count("\n") + 1


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def _findings(
    directory: Path,
    today: dt.date = TODAY,
    severity: str = "error",
    kb: KnowledgeBase | None = None,
) -> list[str]:
    """The audit's findings of one severity; `kb`: the folder's, when the test has loaded it."""
    kb = kb or load_knowledge(directory)
    return [str(f) for f in audit_knowledge(directory, kb, today) if f.severity == severity]


def test_the_real_knowledge_base_passes(kb: KnowledgeBase):
    assert _findings(KNOWLEDGE_DIR, kb=kb) == []
    warnings = _findings(KNOWLEDGE_DIR, severity="warning", kb=kb)
    assert warnings == [f for f in warnings if "republication" in f]


def test_a_regulator_source_cited_for_other_regions(copy):
    path = copy / "regions.yaml"
    line = _edit(path, "      sources: [S1]\n", "      sources: [S1, S8]\n")
    assert _findings(copy) == [
        f"knowledge/regions.yaml:{line}: coverage[1].ai_training.sources: S8 concerns GB, not EEA, CH"
    ]


def test_a_regional_source_on_an_event_of_other_regions(copy):
    """(A regional source on the "*" event is not checked: every region includes its own.)"""
    path = copy / "events.yaml"
    _edit(path, "    sources: [S1, S3]\n", "    sources: [S1, S3, S10]\n")
    line = _line_of(path, "sources: [S1, S3, S10]")
    assert _findings(copy) == [
        f"knowledge/events.yaml:{line}: events[0].sources: S10 concerns CA, not EEA, CH, GB"
    ]


def test_a_link_on_a_host_none_of_the_cited_sources_has(copy):
    path = copy / "intents/microsoft_sharing.yaml"
    _edit(
        path,
        "url: https://www.linkedin.com/mypreferences/d/settings/ads-interactions-with-business",
        "url: https://linkedin.example.net/ads-interactions-with-business",
    )
    line = _line_of(path, "linkedin.example.net")
    found = _findings(copy)
    assert len(found) == 1
    assert found[0].startswith(
        f"knowledge/intents/microsoft_sharing.yaml:{line}: answer.links[1].url: "
        "linkedin.example.net is not the host of any source this intent cites ("
    )


def test_a_regulator_link_outside_its_sources_host(copy):
    path = copy / "regions.yaml"
    _edit(
        path,
        "    name: the Office of the Privacy Commissioner of Canada (OPC)\n    source: S10\n",
        "    name: the Office of the Privacy Commissioner of Canada (OPC)\n    source: S10\n"
        "    url: https://news.example.com/opc-linkedin\n",
    )
    line = _line_of(path, "news.example.com")
    assert _findings(copy) == [
        f"knowledge/regions.yaml:{line}: regulators[6].url: news.example.com is not the "
        "host of S10 (priv.gc.ca)"
    ]


def test_plain_http_and_staging_hosts(copy):
    path = copy / "sources.yaml"
    _edit(
        path,
        "url: https://privacy-daily.com/article/",
        "url: http://stage.privacy-daily.com/article/",
    )
    line = _line_of(path, "http://stage.privacy-daily.com")
    found = _findings(copy)
    assert len(found) == 2 and all(f.startswith(f"knowledge/sources.yaml:{line}: ") for f in found)
    assert "plain http URL" in found[0] and "staging host 'stage.privacy-daily.com'" in found[1]


def test_an_http_url_in_an_answer_text(copy):
    path = copy / "intents/opt_out_steps.yaml"
    text = path.read_text("utf-8")
    assert "https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement" in text
    path.write_text(
        text.replace(
            "url: https://www.linkedin.com/mypreferences",
            "url: http://www.linkedin.com/mypreferences",
            1,
        )
    )
    line = _line_of(path, "url: http://www.linkedin.com/mypreferences")
    assert any(
        f.startswith(
            f"knowledge/intents/opt_out_steps.yaml:{line}: answer.links[0].url: plain http URL"
        )
        for f in _findings(copy)
    )


def test_last_verified_older_than_180_days_is_a_warning(copy):
    line = _line_of(copy / "meta.yaml", "last_verified:")
    kb = load_knowledge(copy)
    assert not [f for f in _findings(copy, TODAY, "warning", kb) if "last_verified" in f]
    late = dt.date(2027, 6, 3)  # 181 days after 2026-12-04
    assert _findings(copy, late, kb=kb) == []  # a warning, not an error
    assert [f for f in _findings(copy, late, "warning", kb) if "last_verified" in f] == [
        f"knowledge/meta.yaml:{line}: last_verified: 2026-12-04 is 181 days before 2027-06-03 "
        "(more than 180): re-check the facts against the sources, then move it"
    ]


@pytest.mark.slow
def test_kb_check_warns_on_a_stale_date_by_the_given_or_the_real_clock(copy):
    env = {**os.environ, "PYTHONPATH": str(KNOWLEDGE_DIR.parent)}
    command = [sys.executable, "-m", "bot.cli", "kb", "check", "--dir", str(copy)]
    later = subprocess.run(
        [*command, "--now", "2027-07-01T00:00:00+00:00"], capture_output=True, text=True, env=env
    )
    assert later.returncode == 0 and "knowledge base ok" in later.stdout
    assert "warning: knowledge/meta.yaml:" in later.stderr and "209 days" in later.stderr
    _edit(copy / "meta.yaml", "last_verified: 2026-12-04", "last_verified: 2020-01-01")
    real = subprocess.run(command, capture_output=True, text=True, env=env)
    assert real.returncode == 0 and "last_verified: 2020-01-01 is" in real.stderr


def test_the_same_paragraph_in_two_answers(copy):
    source = copy / "intents/data_used.yaml"
    paragraph = next(
        line for line in source.read_text("utf-8").splitlines() if "So on job applications" in line
    )
    first = _line_of(source, "So on job applications")
    target = copy / "intents/should_i_opt_out.yaml"
    _edit(target, "    - 'That is your call; here is what to weigh.'\n", paragraph + "\n")
    line = _line_of(target, "So on job applications")
    assert _findings(copy) == [
        f"knowledge/intents/should_i_opt_out.yaml:{line}: answer.paragraphs[0]: the same "
        f"paragraph as intent data_used (knowledge/intents/data_used.yaml:{first}); one reply "
        "can show both"
    ]


def test_the_same_paragraph_in_an_answer_and_a_coverage_note_in_a_translation(copy):
    regions = copy / "i18n/de/regions.yaml"
    note = next(
        line.split("note: ", 1)[1]
        for line in regions.read_text("utf-8").splitlines()
        if "note: " in line and len(line) > 80 and not any(c.isdigit() for c in line)
    )
    target = copy / "i18n/de/intents/should_i_opt_out.yaml"
    text = target.read_text("utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(text) if line.startswith("    - "))
    text[index] = "    - " + note + "\n"
    target.write_text("".join(text), "utf-8")
    found = _findings(copy)
    assert len(found) == 1 and "one reply can show both" in found[0]
    assert found[0].startswith("knowledge/i18n/de/regions.yaml:")
