"""Completing a path as it is typed: an Input's suggester over the file system.

The suggestion is the longest completion all matching names share (a folder's name ends with
``/``), shown dimmed after the cursor; → (or End) takes it, as in a shell's tab completion.
``~`` stays as typed. The folder is listed off the event loop, so a slow disk never stalls
typing.
"""

from __future__ import annotations

import asyncio
import os

from textual.suggester import Suggester

#: Entries looked at per folder: a folder of a million files still completes at once.
MAX_ENTRIES = 5000


def complete_path(text: str) -> str | None:
    """``text`` completed as far as every matching entry agrees, or None (no match, nothing
    to add, or an unreadable folder). Names starting with a dot only when typed so."""
    if not text or "\x00" in text:
        return None
    folder, partial = os.path.split(os.path.expanduser(text))
    names = []
    try:
        with os.scandir(folder or ".") as entries:
            for i, entry in enumerate(entries):
                if i >= MAX_ENTRIES:
                    break
                if not entry.name.startswith(partial):
                    continue
                if entry.name.startswith(".") and not partial.startswith("."):
                    continue
                try:
                    folder_like = entry.is_dir()
                except OSError:
                    folder_like = False
                names.append(entry.name + ("/" if folder_like else ""))
    except (OSError, ValueError):
        return None
    common = os.path.commonprefix(names)
    return text + common[len(partial):] if len(common) > len(partial) else None


class PathSuggester(Suggester):
    """Suggests the completion of a typed path (:func:`complete_path`)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # folders change

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value)
