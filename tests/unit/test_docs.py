"""The documentation cannot rot quietly (issue 21, items 19 and 20): the site builds with
``mkdocs build --strict`` (a broken link or anchor fails), the README stays a two-minute
page, and the commands the docs show print what they say they print."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "index.html").is_file()
    assert (tmp_path / "own-layers" / "index.html").is_file()


def test_the_readme_is_a_page_a_newcomer_reads_in_two_minutes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    assert readme.count("\n```sh\nmake run") == 1  # the quick start's two commands
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):  # every link lands
        assert (ROOT / link).is_file(), link


def _console_blocks() -> list[tuple[str, str, list[str]]]:
    """(page, command, the lines the docs say it prints) of each ``$ ktui ...`` in a
    console block (a line ending in "..." is the start of what is printed; a line that is
    only "..." stands for lines left out)."""
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for block in re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"),
                                re.S):
            command, lines = None, []
            for line in block.splitlines() + ["$"]:
                if line.startswith("$"):
                    if command and lines:
                        found.append((page.name, command, lines))
                    command, lines = line[1:].strip(), []
                elif line.strip() and line.strip() != "...":
                    lines.append(line)
    return found


#: Commands whose output depends on nothing but ktui (no run, no data, no clock).
_PURE = ("ktui presets", "ktui presets show")


@pytest.mark.parametrize("page, command, lines", [
    b for b in _console_blocks() if b[1].startswith(_PURE)],
    ids=lambda v: v if isinstance(v, str) else "")
def test_a_documented_command_prints_what_the_docs_say(
        page: str, command: str, lines: list[str]) -> None:
    argv = command.split()[1:]
    done = subprocess.run([sys.executable, "-m", "ktui", *argv], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    for line in lines:  # each documented line is printed (whole or, shortened, its start)
        start = line.removesuffix("...").rstrip()
        assert any(out == line or (line.endswith("...") and out.startswith(start))
                   for out in printed), (
            f"{page}: `{command}` no longer prints: {line}")


def test_the_presets_listing_in_the_docs_is_checked() -> None:
    # The one pure example the docs show today: make sure the check above runs on it.
    commands = [b[1] for b in _console_blocks()]
    assert "ktui presets" in commands
