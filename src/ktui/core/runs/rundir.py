"""One run directory: its files, creating one, and rewinding or setting aside its logs.

See :mod:`ktui.core.runs` for the layout. Reading is defensive: a damaged ``summary.json`` or
``metrics.csv`` comes back as typed values plus a list of problems (:mod:`.summary`,
:mod:`.metrics_log`), never as an exception from deep inside a listing. Pure Python: the
checkpoints are :mod:`.keras_sink`'s business.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktui.core import spec as specmod
from ktui.core.events import json_safe
from ktui.core.files import atomic_write, cause
from ktui.core.processes import pid_alive
from ktui.core.runs.lock import LOCK_NAME, RunLock, lock_held
from ktui.core.runs.metrics_log import MetricsLog, csv_text, parse_metrics
from ktui.core.runs.storage import RunError, cannot
from ktui.core.runs.summary import SUMMARY_VERSION, RunSummary, check_summary, is_count
from ktui.core.text import brief, clean

PREVIOUS_DIR = "previous"
#: Longest experiment name kept in a run directory's name: file systems stop at 255 bytes,
#: and 48 characters of up to 4 bytes each leave room for the time stamp and a counter.
MAX_NAME_CHARS = 48
#: The files of one attempt at a run (what ``--restart`` sets aside).
ATTEMPT_FILES = ("summary.json", "metrics.csv", "events.jsonl", "tensorboard", "checkpoints",
                 "model.keras")


def _safe_name(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    return safe[:MAX_NAME_CHARS].strip(".") or "run"


def _alive(pid: Any, host: Any) -> bool:
    """Whether the process ``pid`` recorded on ``host`` is alive (only this host can say)."""
    return host == socket.gethostname() and pid_alive(pid)


@dataclass(frozen=True)
class RunDir:
    path: Path

    spec_file = property(lambda self: self.path / "spec.toml")
    summary_file = property(lambda self: self.path / "summary.json")
    metrics_file = property(lambda self: self.path / "metrics.csv")
    events_file = property(lambda self: self.path / "events.jsonl")
    tensorboard_dir = property(lambda self: self.path / "tensorboard")
    last_dir = property(lambda self: self.path / "checkpoints" / "last")
    best_dir = property(lambda self: self.path / "checkpoints" / "best")
    model_file = property(lambda self: self.path / "model.keras")
    confusion_file = property(lambda self: self.path / "confusion.csv")
    lock_file = property(lambda self: self.path / LOCK_NAME)

    @property
    def name(self) -> str:
        return self.path.name

    def rel(self, path: Path) -> str:
        """``path`` as ``RUN/metrics.csv`` style text for messages."""
        try:
            return clean(f"{self.name}/{path.relative_to(self.path)}")
        except ValueError:
            return clean(str(path))

    @classmethod
    def create(cls, root: Path, spec: specmod.ExperimentSpec) -> RunDir:
        """A new run directory named by time and experiment, with its spec and summary.

        Raises :class:`RunError` with one line naming the directory and the cause (a file in
        the way, read-only, no permission, disk full) and leaves nothing half-made behind.
        """
        stamp = time.strftime("%Y%m%d-%H%M%S")
        safe = _safe_name(spec.name)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise RunError(cannot("create the run directory", root / f"{stamp}-{safe}",
                                  err)) from None
        for i in range(1000):
            path = root / (f"{stamp}-{safe}" + (f"-{i}" if i else ""))
            try:
                path.mkdir()
            except FileExistsError:
                continue
            except OSError as err:
                raise RunError(cannot("create the run directory", path, err)) from None
            run = cls(path)
            try:
                atomic_write(run.spec_file, specmod.dumps(spec))
                run.write_summary({"status": "running", "epochs_done": 0,
                                   "started": time.time()})
            except OSError as err:
                shutil.rmtree(path, ignore_errors=True)
                raise RunError(cannot("create the run directory", path, err)) from None
            return run
        raise RunError(f"cannot create a run directory under {clean(str(root))}: 1000 runs "
                       f"named {stamp}-{safe} already exist")

    @classmethod
    def find(cls, name: str, root: Path) -> RunDir:
        """A run by path or by its name under ``root``."""
        for candidate in (Path(name), root / name):
            with contextlib.suppress(OSError):
                if (candidate / "spec.toml").is_file():
                    return cls(candidate)
        raise RunError(f"no run {clean(brief(name))} (looked for {clean(str(Path(name)))} and "
                       f"{clean(str(root / name))}); `ktui runs` lists them")

    def spec(self, lenient_layers: bool = False) -> specmod.ExperimentSpec:
        """The run's spec; ``lenient_layers`` (listing, viewing) reads layers of a user's
        layer file that is not loaded as they are (see :func:`specmod.parse_spec`)."""
        return specmod.load(self.spec_file, lenient_layers=lenient_layers)

    def lock(self, by: str | None = None) -> RunLock:
        """The run's exclusive lock, as a context manager: ``with run.lock(): ...``; ``by``
        says who holds it (default: this process's command line, ``ktui train --resume X``).
        Raises :class:`RunBusy` (message: who holds it) or :class:`RunError` on entry."""
        return RunLock(self.path, self.name, by)

    # -- summary ---------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """``summary.json`` as parsed, untyped; readers want :meth:`read_summary`."""
        try:
            data = json.loads(self.summary_file.read_text(encoding="utf-8"))
        except OSError as err:
            raise RunError(f"{self.rel(self.summary_file)}: unreadable ({cause(err)})") \
                from None
        except ValueError as err:
            raise RunError(f"{self.rel(self.summary_file)}: not JSON ({err})") from None
        if not isinstance(data, dict):
            raise RunError(f"{self.rel(self.summary_file)}: not a JSON object")
        return data

    def read_summary(self) -> RunSummary:
        """The summary, typed; wrong fields are in ``.problems``. Raises :class:`RunError`
        only when the file is missing or not a JSON object."""
        return RunSummary.from_dict(self.summary())

    def write_summary(self, fields: dict[str, Any], *, in_place_if_full: bool = False) -> None:
        """Merge ``fields`` into the summary (dropping damaged fields) and write it whole.

        With ``in_place_if_full``, a disk too full for the temporary file gets the summary
        written over the old one instead (its blocks are already allocated): the last word of
        a run that stopped because the disk filled up.
        """
        try:
            current, _ = check_summary(self.summary())
        except RunError:
            current = {}
        current.update(fields)
        current.update({"summary_version": SUMMARY_VERSION, "updated": time.time(),
                        "pid": os.getpid(), "host": socket.gethostname()})
        text = json.dumps(json_safe(current), indent=2) + "\n"
        try:
            atomic_write(self.summary_file, text)
        except OSError as err:
            if not in_place_if_full or err.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            with open(self.summary_file, "r+b") as f:
                f.write(text.encode("utf-8"))
                f.truncate()

    def status(self, summary: RunSummary | None = None) -> str:
        """``running``, ``finished``, ``stopped``, ``failed``, ``interrupted`` (it says running
        but nobody holds its lock, or, for runs without a lock file, its process is gone) or
        ``unknown`` (no valid status)."""
        summary = summary if summary is not None else self.read_summary()
        if summary.status == "running" and not self.in_use(summary):
            return "interrupted"
        return summary.status

    def in_use(self, summary: RunSummary | None = None) -> bool:
        """Whether a process is training into this run now (its lock, else its pid)."""
        held = lock_held(self.path)
        if held is not None:
            return held
        if summary is None:
            try:
                summary = self.read_summary()
            except RunError:
                return False
        return _alive(summary.pid, summary.host)

    # -- logs ------------------------------------------------------------------------------
    def read_metrics(self) -> MetricsLog:
        """``metrics.csv`` typed, with one problem line per damaged row (rows are skipped,
        never raised); an absent file is an empty log."""
        try:
            raw = self.metrics_file.read_bytes()
        except FileNotFoundError:
            return MetricsLog()
        except OSError as err:
            return MetricsLog(problems=(f"metrics.csv: unreadable ({cause(err)})",))
        return parse_metrics(raw.decode("utf-8", errors="replace"))

    def epochs_logged(self) -> list[dict[str, float]]:
        """metrics.csv rows as numbers (a torn last line and damaged rows are left out)."""
        return list(self.read_metrics().rows)

    def event_lines(self, limit: int | None = None) -> Iterator[tuple[str, Any]]:
        """``events.jsonl`` line by line (blank lines left out, at most ``limit``): each line
        with its JSON value, or None when it is not JSON. An unreadable file ends the lines."""
        try:
            with open(self.events_file, encoding="utf-8", errors="replace") as f:
                for i, line in enumerate(f):
                    if limit is not None and i >= limit:
                        return
                    line = line.rstrip("\n")
                    if not line.strip():
                        continue
                    try:
                        yield line, json.loads(line)
                    except ValueError:
                        yield line, None
        except (OSError, ValueError):  # unreadable file: whatever was read so far
            return

    # -- resume and restart ----------------------------------------------------------------
    def truncate_logs(self, epochs: int) -> None:
        """Drop log rows after ``epochs`` (before resuming from that checkpoint); unreadable
        lines and damaged rows go too (they cannot be continued)."""
        log = self.read_metrics()
        if self.metrics_file.exists():
            rows = [r for r in log.rows if r["epoch"] <= epochs]
            atomic_write(self.metrics_file, csv_text(rows, list(log.header)))
        if self.events_file.exists():
            kept = []
            for line, event in list(self.event_lines()):
                epoch = event.get("epoch", 0) if isinstance(event, dict) else None
                if is_count(epoch) and epoch <= epochs and event.get("event") not in (
                        "run_finished", "run_failed"):
                    kept.append(line)
            atomic_write(self.events_file, "".join(k + "\n" for k in kept))

    def set_aside(self) -> Path:
        """Move this run's logs, checkpoints and model to ``previous/STAMP/`` (with a copy of
        its spec) and mark it running from epoch 0: ``ktui train --resume RUN --restart``.
        Renames only, so it works on a full disk too. Returns the folder they went to."""
        base = self.path / PREVIOUS_DIR / time.strftime("%Y%m%d-%H%M%S")
        target = base
        for i in range(1, 1000):
            if not target.exists():
                break
            target = base.with_name(f"{base.name}-{i}")
        target.mkdir(parents=True)
        with contextlib.suppress(OSError):
            shutil.copy2(self.spec_file, target / "spec.toml")
        for name in ATTEMPT_FILES:
            source = self.path / name
            if source.exists():
                os.replace(source, target / name)
        self.write_summary({"status": "running", "epochs_done": 0, "started": time.time()})
        return target

    def remove_partial_files(self) -> None:
        """Delete what a failed write left half-made (temporary files, TF's ``*_temp``
        checkpoint folders), freeing the space for the run's last summary (checkpoint files
        newer than the one the index names: :func:`.keras_sink.remove_partial_checkpoints`)."""
        partial = [p for pattern in (".*.tmp*", ".model-partial.keras", "checkpoints/*/*_temp*")
                   for p in self.path.glob(pattern)]
        for path in partial:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
