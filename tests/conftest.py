from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.core.clock import FixedClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge import KnowledgeBase, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
DATA_DIR = Path(__file__).resolve().parent / "data"
AFTER_DEADLINE = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
BEFORE_DEADLINE = dt.datetime(2025, 10, 15, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def _shared_answerer(kb: KnowledgeBase) -> QuestionAnswerer:
    return QuestionAnswerer(kb, FixedClock(AFTER_DEADLINE))


@pytest.fixture
def answerer(_shared_answerer: QuestionAnswerer) -> QuestionAnswerer:
    """The real knowledge base, with the clock reset to a moment after 3 Nov 2025 for each test."""
    _shared_answerer.clock = FixedClock(AFTER_DEADLINE)
    return _shared_answerer
