from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bootstrap import Services, build_services
from bot.core.clock import FixedClock
from bot.core.knowledge import KnowledgeBase
from bot.settings import load_settings
from tests.conftest import BEFORE_DEADLINE, KNOWLEDGE_DIR


class RecordingNotifier:
    platforms = frozenset({"terminal"})

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat, text: str, stop_label: str = "Stop reminders") -> None:
        self.sent.append((chat.chat_id, text))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A knowledge base of the test's own, to break or change."""
    return Path(shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge"))


@pytest.fixture
def services(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    kb: KnowledgeBase,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Services]:
    """Over the test's own copy of the knowledge base when the test asks for `knowledge_copy`
    (to change it and reload), else over the shipped one."""
    knowledge = (
        request.getfixturevalue("knowledge_copy")
        if "knowledge_copy" in request.fixturenames
        else KNOWLEDGE_DIR
    )
    settings = load_settings(
        {
            "OPTOUT_DATA_DIR": str(tmp_path / "data"),
            "OPTOUT_KNOWLEDGE_DIR": str(knowledge),
            "OPTOUT_HTTP_PORT": str(free_port()),
        }
    )
    with monkeypatch.context() as starting:
        # Until the test changes it, the copy holds the shipped files: the services start over
        # the knowledge base parsed once per session; a reload reads the copy's files.
        starting.setattr("bot.bootstrap.load_knowledge", lambda directory=None: kb)
        built = build_services(FixedClock(BEFORE_DEADLINE), settings=settings)
    yield built
    built.close()
