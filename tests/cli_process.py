"""The command line as a user runs it: `python -m bot.cli` in a process of its own, with this
environment plus what a test sets. Tests that run it are marked slow (a process start and the
bot's imports, about a third of a second each)."""

from __future__ import annotations

import os
import subprocess
import sys

CLI = [sys.executable, "-m", "bot.cli"]


def run(
    *args: str, stdin: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
