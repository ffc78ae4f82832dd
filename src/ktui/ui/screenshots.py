"""Where an SVG screenshot goes: the folder of the run on screen, else the current folder.

Textual's default saves into ~/Downloads and fails when that folder is missing; ktui names the
folder and the file itself (``screen-1.svg`` in a run's folder, ``ktui-screen-1.svg`` here).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from textual.screen import ModalScreen, Screen


def screenshot_folder(screen_stack: Iterable[Screen[object]]) -> Path:
    """The folder of the run on screen (a live run's or a past one's, its ``run_dir``), else
    the current folder: never a ~/Downloads that may not exist. Dialogs are looked through."""
    for screen in reversed(list(screen_stack)):
        if isinstance(screen, ModalScreen):
            continue
        path = getattr(screen, "run_dir", None)
        if isinstance(path, (str, os.PathLike)) and Path(path).is_dir():
            return Path(path)
        break
    return Path.cwd()


def free_name(folder: Path, stem: str, suffix: str) -> str:
    """``stem-N.suffix`` with the first N not taken in ``folder``."""
    n = 1
    while (folder / f"{stem}-{n}{suffix}").exists():
        n += 1
    return f"{stem}-{n}{suffix}"


__all__ = ["free_name", "screenshot_folder"]
