"""The Dockerfile's install steps in a fresh virtual environment: build the wheel, install only
the wheel (its dependencies come from the package index), run it from elsewhere. This proves the
wheel carries the knowledge base and the console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Subprocesses or large volumes: outside the inner loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def build_stage_copies() -> list[tuple[list[str], str]]:
    """The COPY lines of the Dockerfile's build stage: (sources, destination)."""
    stage = (ROOT / "deploy" / "Dockerfile").read_text().split("\nFROM ", 2)[1]
    copies = []
    for line in stage.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            *sources, destination = line.split()[1:]
            copies.append((sources, destination))
    return copies


def copy_as_docker_does(source: Path, target: Path) -> None:
    """Docker copies a symlink inside a folder as a symlink (moby/moby#39810): so does this."""
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy(source, target)


def test_the_built_wheel_installs_and_runs_from_anywhere(tmp_path: Path):
    # What the Dockerfile copies into its build stage, copied as Docker copies, and nothing else.
    source = tmp_path / "src"
    source.mkdir()
    copies = build_stage_copies()
    assert copies, "the Dockerfile's build stage copies nothing"
    for sources, destination in copies:
        for name in sources:
            # Docker: into the folder when it ends in "/" or several sources go there.
            into = destination.endswith("/") or len(sources) > 1
            target = source / destination / name if into else source / destination
            copy_as_docker_does(ROOT / name, target)
    wheels = tmp_path / "wheels"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTOUT_")}
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(wheels), str(source)],
        check=True, capture_output=True, env=env, timeout=600,
    )  # fmt: skip
    (wheel,) = wheels.glob("optout_bot-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in (["kb", "check"], ["config", "check"]):
        result = subprocess.run(
            [str(venv / "bin" / "optout-bot"), *args],
            cwd=elsewhere, capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    checked = subprocess.run(
        [str(venv / "bin" / "optout-bot"), "kb", "check"],
        cwd=elsewhere, capture_output=True, text=True, env=env, timeout=120,
    ).stdout  # fmt: skip
    assert "knowledge base ok" in checked
    assert "languages en, de, fr, nl, it, es, pl" in checked  # the translations ship too
