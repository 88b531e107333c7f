"""The layout is the architecture: the core imports no platform, storage or asyncio; the doors
talk to the service layer only; only bot/settings.py reads the environment."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "bot" / "core"
FORBIDDEN_IN_CORE = {
    "telegram",
    "discord",
    "asyncio",
    "aiohttp",
    "httpx",
    "psycopg",
    "sqlite3",
    "bot.storage",
    "bot.service",
    "bot.telegram",
    "bot.discord",
    "bot.terminal",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_platform_storage_or_asyncio():
    for path in CORE.rglob("*.py"):
        for name in imported_modules(path):
            for forbidden in FORBIDDEN_IN_CORE:
                assert not (name == forbidden or name.startswith(forbidden + ".")), (
                    f"{path.name} imports {name}"
                )


BOT = CORE.parent
DOORS = ("telegram", "discord", "terminal")
# A door holds a ChatService: it reaches no composition root, store or operations server, and
# no other door.
FORBIDDEN_IN_DOORS = {
    "bot.bootstrap",
    "bot.cli",
    "bot.settings",
    "bot.storage",
    "bot.ops",
}


def test_doors_talk_to_the_service_layer_only():
    for door in DOORS:
        forbidden = FORBIDDEN_IN_DOORS | {f"bot.{other}" for other in DOORS if other != door}
        for path in (BOT / door).rglob("*.py"):
            for name in imported_modules(path):
                for module in forbidden:
                    assert not (name == module or name.startswith(module + ".")), (
                        f"{door}/{path.name} imports {name}"
                    )


ROOT = BOT.parent
ENVIRONMENT_READER = BOT / "settings.py"
ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "unsetenv", "putenv"}


def environment_reads(source: str) -> list[str]:
    """Where a module reaches the process environment: os.environ, os.getenv and the like, by
    attribute or by `from os import ...`; "line: name" each."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_NAMES:
            found.append(f"{node.lineno}: {node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("os", "posix", "nt"):
            found += [f"{node.lineno}: {a.name}" for a in node.names if a.name in ENVIRONMENT_NAMES]
    return found


def test_only_settings_reads_the_environment():
    """Every variable is read in one place, bot/settings.py; everything else, the core
    included, is given what it needs by bot/bootstrap.py (the benchmarks ask bot/settings.py)."""
    found = [
        f"{path.relative_to(ROOT)}:{read}"
        for folder in (BOT, ROOT / "bench")
        for path in sorted(folder.rglob("*.py"))
        if path != ENVIRONMENT_READER
        for read in environment_reads(path.read_text())
    ]
    assert not found, "the environment is read outside bot/settings.py:\n" + "\n".join(found)


def test_the_environment_check_sees_each_way_of_reading_it():
    source = "import os\nfrom os import getenv\na = os.environ.get('X')\nb = os.getenv('Y')\n"
    assert sorted(environment_reads(source)) == ["2: getenv", "3: environ", "4: getenv"]
    assert environment_reads(ENVIRONMENT_READER.read_text())  # the one reader is seen


def core_imports() -> dict[str, set[str]]:
    """Each core module -> the core modules it imports, lazily inside a function or not."""
    graph = {}
    for path in CORE.rglob("*.py"):
        module = "bot.core." + path.stem
        graph[module] = {
            name
            for name in imported_modules(path)
            if name.startswith("bot.core.") and name != module
        }
    return graph


def test_the_core_has_no_import_cycle():
    graph = core_imports()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, "import cycle: " + " -> ".join((*path, module))
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())


def test_no_module_imports_another_modules_private_names():
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {alias.name} from {node.module}"
        for folder in (BOT, ROOT / "bench")
        for path in sorted(folder.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot")
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert not found, "\n".join(found)
