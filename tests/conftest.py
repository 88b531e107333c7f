from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import pytest

from bot.core.clock import FixedClock
from bot.core.engine import QuestionAnswerer
from bot.core.knowledge import KnowledgeBase
from bot.core.knowledge_loader import load_knowledge
from bot.service.chat import ChatService
from bot.service.conversations import ConversationService
from bot.service.subscriptions import SubscriptionService, stored_language
from bot.settings import cache_dir
from bot.storage import open_store
from tests.databases import Database, postgres_url_or_skip

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
DATA_DIR = Path(__file__).resolve().parent / "data"
# The core's caches (the region index, word lists), where the bot keeps them on this machine.
CACHE_DIR = cache_dir()
AFTER_DEADLINE = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
BEFORE_DEADLINE = dt.datetime(2025, 10, 15, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="session", autouse=True)
def yaml_parsed_once_per_text() -> Iterator[None]:
    """Many tests load a copy of the knowledge base with one file changed: 180 files, parsed
    again for each. Here a file's text is parsed once per session and the same text gives the
    same parsed YAML (the loader and the audit only read it); a changed file, or one that does
    not parse, goes through the parser as always. tests/core/test_yaml_lines.py tests it."""
    import bot.core.kb_audit
    import bot.core.knowledge_reader

    parse = bot.core.knowledge_reader.load_yaml_with_lines
    parsed: dict[str, object] = {}

    def load_yaml_with_lines(text: str) -> object:
        if text not in parsed:
            parsed[text] = parse(text)
        return parsed[text]

    with pytest.MonkeyPatch.context() as patch:
        for module in (bot.core.knowledge_reader, bot.core.kb_audit):
            patch.setattr(module, "load_yaml_with_lines", load_yaml_with_lines)
        yield


@pytest.fixture(autouse=True)
def shipped_knowledge_parsed_once(monkeypatch, kb: KnowledgeBase) -> None:
    """Services built in a test get the shipped knowledge base parsed once per session (and so
    its matchers, shared by answerers over one knowledge base); any other folder, such as a
    copy a reload test edits, is read from its files as always."""

    def load(directory: Path | None = None) -> KnowledgeBase:
        if directory is None or Path(directory).resolve() == KNOWLEDGE_DIR:
            return kb
        return load_knowledge(directory)

    monkeypatch.setattr("bot.bootstrap.load_knowledge", load)


@pytest.fixture(autouse=True)
def released_memory(monkeypatch) -> list[str]:
    """Services.warm_up() ends by handing freed heap back to the system: a full garbage
    collection, which in this test process's heap costs a third of a second at every service
    set a test builds. Tests record the call instead; tests/test_release_memory.py runs the
    real one."""
    calls: list[str] = []
    monkeypatch.setattr("bot.bootstrap.release_freed_memory", lambda: calls.append("released"))
    return calls


@pytest.fixture(scope="session")
def _shared_answerer(kb: KnowledgeBase) -> QuestionAnswerer:
    return QuestionAnswerer(kb, FixedClock(AFTER_DEADLINE), CACHE_DIR)


@pytest.fixture
def answerer(_shared_answerer: QuestionAnswerer) -> QuestionAnswerer:
    """The real knowledge base, with the clock reset to a moment after 3 Nov 2025 for each test."""
    _shared_answerer.clock = FixedClock(AFTER_DEADLINE)
    return _shared_answerer


@pytest.fixture
def chat_service(answerer: QuestionAnswerer, tmp_path: Path):
    """The one service a door talks to, over the real answerer and a SQLite file of its own."""
    store = open_store(f"sqlite:///{tmp_path / 'chat.db'}")
    conversations = ConversationService(answerer, stored_language=stored_language(store))
    yield ChatService(conversations, SubscriptionService(store, conversations))
    store.close()


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    """A schema of its own on the test server, dropped after the test."""
    base = postgres_url_or_skip()
    import psycopg

    schema = f"optout_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    joiner = "&" if "?" in base else "?"
    url = f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"
    try:
        yield Database("postgres", url, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    return Database("sqlite", f"sqlite:///{tmp_path / 'data' / 'optout.db'}")


# The PostgreSQL variant is slow: every behaviour it checks, the SQLite variant checks in the
# inner loop too; `make test` and CI run both.
@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def database(request: pytest.FixtureRequest) -> Database:
    """Each kind of database in turn, empty."""
    return request.getfixturevalue(f"{request.param}_database")


@pytest.fixture
def command_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """`optout-bot ARGS` run in this process with these settings (the environment's others
    kept): its exit status, stdout and stderr. The root logger, which a command sets up, is put
    back. tests/cli_process.py runs it in a process of its own (slow)."""

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        from bot.cli import main

        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        with monkeypatch.context() as settings:
            for name, value in (env or {}).items():
                settings.setenv(name, value)
            try:
                status = main(list(args))
            except SystemExit as exited:  # a wrong argument: argparse exits
                status = exited.code
            finally:
                root.handlers[:] = handlers
                root.setLevel(level)
        out, err = capsys.readouterr()
        return status, out, err

    return run


def load_bench(name: str) -> ModuleType:
    """A benchmark script of bench/ as a module, for the tests that run it on a tiny input."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # where dataclasses look a module's names up
    spec.loader.exec_module(module)
    return module


def pytest_terminal_summary(terminalreporter) -> None:
    """The blind sets' scores per language (never their questions), when they ran."""
    from tests.core.blind_scores import BLIND_SCORES, scores

    if BLIND_SCORES:
        terminalreporter.section("blind sets (tests/data/blind)")
        for language, report in sorted(BLIND_SCORES.items()):
            terminalreporter.write_line(f"{language}: {scores(report)}")
