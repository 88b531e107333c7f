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
