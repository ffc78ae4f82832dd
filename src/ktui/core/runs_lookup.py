"""Finding a run the way people name one: the latest, a full name or path, or a prefix.

``ktui runs show``, ``ktui export`` (and ``--resume``) take a RUN argument. Run names start
with a timestamp (``20261123-091107-linear-gd``), so typing the whole name is tedious: a
unique prefix is enough, and no name at all means the newest run. Pure Python, no
TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

from ktui.core.runs import RunDir, RunError

#: How many candidates an "ambiguous prefix" message lists before "and N more".
_LISTED = 8


def run_dirs(root: Path) -> list[Path]:
    """Run directories under ``root`` (those with a ``spec.toml``), newest first: names
    start with the start time, so name order is time order."""
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        raise RunError(f"{root}: not a directory (the runs root is a folder of runs)") from None
    except OSError as err:
        raise RunError(f"{root}: cannot list runs ({err.strerror or err})") from None
    found = []
    for path in entries:
        try:
            if not path.name.startswith(".") and (path / "spec.toml").is_file():
                found.append(path)
        except OSError:  # unreadable entry: `ktui runs` reports it; here it cannot match
            continue
    return sorted(found, key=lambda p: p.name, reverse=True)


def latest_run(root: Path) -> RunDir:
    """The most recently started run under ``root``."""
    dirs = run_dirs(root)
    if not dirs:
        raise RunError(f"no runs under {root}; `ktui train` records one "
                       "(or pass --runs-dir DIR)")
    return RunDir(dirs[0])


def find_run(root: Path, name: str | None = None) -> RunDir:
    """The run called ``name`` (a path, a name under ``root`` or a unique prefix of one);
    the latest run when ``name`` is None or empty. :class:`RunError` says why not, listing
    the candidates when a prefix matches several runs."""
    if not name:
        return latest_run(root)
    try:
        return RunDir.find(name, root)
    except RunError as err:
        missing = err
    matches = [p for p in run_dirs(root) if p.name.startswith(name)]
    if len(matches) == 1:
        return RunDir(matches[0])
    if len(matches) > 1:
        shown = ", ".join(p.name for p in matches[:_LISTED])
        more = f" and {len(matches) - _LISTED} more" if len(matches) > _LISTED else ""
        raise RunError(f"{name!r} matches {len(matches)} runs: {shown}{more}; "
                       "give more of the name")
    raise missing
