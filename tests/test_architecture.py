"""The layout is the architecture: the core imports no platform, storage or asyncio."""

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
    "bot.doors",
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
