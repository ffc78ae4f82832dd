"""Run directories: every run's spec, logs, checkpoints and final model, written crash-safe.

Layout of ``<runs root>/<YYYYmmdd-HHMMSS>-<name>/``::

    spec.toml          the exact experiment (loadable with --spec)
    summary.json       status, epochs, final and best metrics, seconds, why it ended
    metrics.csv        one row per epoch, columns like Keras' CSVLogger (epoch, then sorted keys)
    events.jsonl       the event stream, as ``ktui train --jsonl`` prints it
    tensorboard/       tf.summary scalars: loss, metrics, W/b statistics per layer
    checkpoints/last/  tf.train.Checkpoint of model + optimizer after the latest epoch
    checkpoints/best/  the same for the epoch with the lowest validation (else training) loss
    model.keras        the final model; loads in plain Keras after ``import ktui``
    .lock              flock'ed by the process training into the run (pid, host, since)
    previous/STAMP/    the files of an earlier attempt, set aside by ``--restart``

Logs are appended a whole line at a time (a failed write is cut back, so a full disk never
leaves half a line); everything else is written to a temporary file and renamed over the old
one, so a ``kill -9`` or a full disk leaves every file readable and complete up to the last
finished epoch. Reading is just as defensive: a damaged ``summary.json`` or ``metrics.csv``
comes back as typed values plus a list of problems, never as an exception from deep inside a
listing. This module does not import TensorFlow (listing runs stays instant).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import io
import json
import math
import os
import re
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ktui.core import spec as specmod
from ktui.core.events import (
    EpochDone,
    Event,
    RunFailed,
    RunFinished,
    RunStarted,
    json_safe,
    to_json,
)
from ktui.core.text import brief, clean

RUNS_ENV = "KTUI_RUNS_DIR"
DEFAULT_RUNS_DIR = "ktui-runs"
SUMMARY_VERSION = 1
#: What ``summary.json`` may say; a ``running`` run nobody holds is shown as ``interrupted``.
STATUSES = ("running", "finished", "stopped", "failed")
LOCK_NAME = ".lock"
PREVIOUS_DIR = "previous"
#: Longest experiment name kept in a run directory's name: file systems stop at 255 bytes,
#: and 48 characters of up to 4 bytes each leave room for the time stamp and a counter.
MAX_NAME_CHARS = 48
#: How long a lock is retried before the run is declared busy: a listing that probes the lock
#: holds it for microseconds and must not make a starting run fail.
LOCK_WAIT_S = 0.5


class RunError(Exception):
    """A run directory that cannot be used; the message says which and why (one line)."""


class RunBusy(RunError):
    """The run is being trained by another process (its lock is held); the message says who."""


def runs_root(explicit: str | os.PathLike | None = None) -> Path:
    """``--runs-dir``, else ``$KTUI_RUNS_DIR``, else ``./ktui-runs``."""
    return Path(explicit or os.environ.get(RUNS_ENV) or DEFAULT_RUNS_DIR)


def cause(err: OSError) -> str:
    """An OSError as a reader would say it: ``No space left on device``, not ``[Errno 28]``."""
    return err.strerror or str(err) or type(err).__name__


def _in_the_way(path: Path) -> Path | None:
    """The first component of ``path`` that exists and is not a folder (a file in the way)."""
    for part in reversed((path, *path.parents)):
        if part.exists() and not part.is_dir():
            return part
    return None


def _cannot(what: str, path: Path, err: OSError,
            hint: str = "choose another place with --runs-dir or $KTUI_RUNS_DIR") -> str:
    """``cannot create the run directory P: Read-only file system; ...`` with a file in the
    way named as such (``FileExistsError`` from ``mkdir -p`` says only "File exists")."""
    blocker = _in_the_way(path) if isinstance(err, (FileExistsError, NotADirectoryError)) \
        else None
    reason = f"{clean(str(blocker))} is a file, not a folder" if blocker else cause(err)
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "free some space"
    return f"cannot {what} {clean(str(path))}: {reason}; {hint}"


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte or none: a failed append (disk full) is cut back to the old size, so
    a log never ends in half a line."""
    size = os.fstat(fd).st_size
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise


def append_whole(path: Path, text: str) -> None:
    """Append ``text`` to ``path`` whole or not at all (see :func:`_write_all`)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _write_all(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def atomic_write(path: Path, text: str) -> None:
    """Write-then-rename: readers see the old file or the new one, never half of one; a
    failed write (disk full) removes its temporary file and leaves the old one as it was."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# ---- summary.json, typed -------------------------------------------------------------------

def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _row(v: Any) -> bool:
    return isinstance(v, dict) and all(
        isinstance(k, str) and (x is None or (isinstance(x, (int, float))
                                              and not isinstance(x, bool)))
        for k, x in v.items())


def _names(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


#: summary.json field -> (check, what it must be). ``null`` always means "not known".
_SUMMARY_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "status": (lambda v: v in STATUSES, "one of " + ", ".join(STATUSES)),
    "epochs_done": (_count, "a whole number >= 0"),
    "epochs": (_count, "a whole number >= 0"),
    "summary_version": (_count, "a whole number >= 0"),
    "pid": (_count, "a process id (a whole number)"),
    **{k: (lambda v: isinstance(v, str), "text")
       for k in ("name", "task", "monitor", "reason", "failure", "host")},
    "devices": (_names, "a list of device names"),
    **{k: (_row, "an object of numbers") for k in ("final", "best", "test")},
    **{k: (_number, "a number") for k in ("seconds", "started", "updated", "ended")},
}


def _floats(row: dict[str, Any] | None) -> dict[str, float]:
    return {k: math.nan if v is None else float(v) for k, v in (row or {}).items()}


@dataclass(frozen=True)
class RunSummary:
    """``summary.json`` with every field checked and typed; what every reader should use.

    A field of the wrong type (``"epochs_done": "x"``, ``"best": [1]``) is left at its default
    and described in ``problems`` (``summary.json: epochs_done must be a whole number >= 0,
    got 'x'``), so a damaged run can be reported, or shown with a warning, never crash.
    """

    status: str = "unknown"
    epochs_done: int = 0
    epochs: int | None = None
    name: str = ""
    task: str = ""
    monitor: str = "val_loss"
    devices: tuple[str, ...] = ()
    final: dict[str, float] = field(default_factory=dict)
    best: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    reason: str = ""
    failure: str = ""
    started: float | None = None
    updated: float | None = None
    ended: float | None = None
    pid: int | None = None
    host: str = ""
    problems: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSummary:
        good, problems = _check_summary(data)
        values: dict[str, Any] = {k: v for k, v in good.items() if k in _SUMMARY_ATTRS}
        for key in ("final", "best", "test"):
            if key in values:
                values[key] = _floats(values[key])
        if "devices" in values:
            values["devices"] = tuple(values["devices"])
        if "seconds" in values:
            values["seconds"] = float(values["seconds"])
        return cls(**values, problems=tuple(problems))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as ``null``), without ``problems`` and without the fields the file
        did not have (empty text, no number): what a display can print as it is."""
        data = asdict(self)
        data.pop("problems")
        data["devices"] = list(self.devices)
        keep = ("status", "epochs_done")
        return json_safe({k: v for k, v in data.items()
                          if k in keep or v not in (None, "", [], {})})


_SUMMARY_ATTRS = set(RunSummary.__dataclass_fields__) - {"problems"}


def _check_summary(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The fields of ``data`` that are well formed, and one line per field that is not."""
    good: dict[str, Any] = {}
    problems: list[str] = []
    if "status" not in data:
        problems.append("summary.json: no status")
    for key, value in data.items():
        check = _SUMMARY_FIELDS.get(key)
        if check is None or value is None:
            continue  # unknown fields (a newer ktui) and nulls are not damage
        ok, must = check
        if ok(value):
            good[key] = value
        else:
            problems.append(f"summary.json: {key} must be {must}, got {clean(brief(value))}")
    return good, problems


# ---- metrics.csv, typed --------------------------------------------------------------------

@dataclass(frozen=True)
class MetricsLog:
    """``metrics.csv`` read back: its header, the rows that parse, one line per row that
    does not (``metrics.csv line 5: 7 fields, the header has 5``)."""

    header: tuple[str, ...] = ()
    rows: tuple[dict[str, float], ...] = ()
    problems: tuple[str, ...] = ()


def _parse_metrics(text: str) -> MetricsLog:
    if text and not text.endswith("\n"):  # a torn last line from a crash: not damage
        text = text[: text.rfind("\n") + 1]
    reader = csv.reader(io.StringIO(text))
    header: list[str] = []
    rows: list[dict[str, float]] = []
    problems: list[str] = []
    try:
        for record in reader:
            if not record:
                continue
            if not header:
                header = record
                if "epoch" not in header:
                    return MetricsLog(tuple(header), (), ("metrics.csv: the header has no "
                                                          "epoch column",))
                continue
            row, problem = _metrics_row(header, record, reader.line_num)
            if problem:
                problems.append(problem)
            else:
                rows.append(row)
    except csv.Error as err:
        problems.append(f"metrics.csv line {reader.line_num}: not CSV ({err})")
    return MetricsLog(tuple(header), tuple(rows), tuple(problems))


def _metrics_row(header: list[str], record: list[str], line: int
                 ) -> tuple[dict[str, float], str]:
    where = f"metrics.csv line {line}"
    if len(record) != len(header):
        return {}, f"{where}: {len(record)} fields, the header has {len(header)}"
    row: dict[str, float] = {}
    for key, text in zip(header, record, strict=True):
        try:
            row[key] = float(text) if text else math.nan
        except ValueError:
            return {}, f"{where}: {clean(key)} is not a number ({clean(brief(text))})"
    epoch = row["epoch"]
    if not (math.isfinite(epoch) and epoch >= 1 and epoch == int(epoch)):
        return {}, f"{where}: epoch must be a whole number >= 1, got {clean(brief(epoch))}"
    return row, ""


# ---- the lock ------------------------------------------------------------------------------

@dataclass
class _Held:
    fd: int
    count: int


#: Locks this process holds, by resolved run path. flock conflicts between two open files of
#: one process too, so a second acquire here (the CLI, then ``train``) must reuse the first.
_HELD: dict[Path, _Held] = {}
_HELD_GUARD = threading.Lock()


def this_process() -> str:
    """This process as its user typed it, ``ktui train --preset linear-gd``, cut short."""
    argv = list(sys.argv) or ["ktui"]
    first = Path(argv[0]).name
    argv[0] = "ktui" if first in ("__main__.py", "-m", "") or first.startswith("ktui") else first
    words = " ".join(argv)
    return words if len(words) <= 80 else words[:79] + "…"


def _holder_text(data: dict[str, Any]) -> str:
    """``pid 1234 on HOST since 12:03 (ktui train)`` from the lock file's JSON."""
    pid, host, by = data.get("pid"), data.get("host"), data.get("by")
    since = data.get("since")
    words = f"pid {pid}" if isinstance(pid, int) else "another process"
    if isinstance(host, str) and host:
        words += f" on {clean(host)}"
    if _number(since):
        same_day = time.strftime("%Y%m%d", time.localtime(since)) == time.strftime("%Y%m%d")
        words += " since " + time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M",
                                           time.localtime(since))
    if isinstance(by, str) and by:
        words += f" ({clean(by)})"
    return words


class RunLock:
    """An exclusive ``flock`` on ``RUN/.lock`` for as long as a process trains into the run.

    The lock file says who holds it (pid, host, since, by), so a second ``ktui train --resume``
    can say ``RUN is in use by pid 1234 on HOST since 12:03 (ktui train)``; the kernel drops
    the lock when the holder dies (even by ``kill -9``), which is how a listing tells a live
    ``running`` run from an interrupted one. Re-entrant within a process.
    """

    def __init__(self, run: RunDir, by: str | None = None) -> None:
        self.run, self.by = run, by or this_process()
        self._key: Path | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise :class:`RunBusy` (held elsewhere) / :class:`RunError`."""
        if self._key is not None:
            return
        key = self.run.path.resolve()
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is not None:
                held.count += 1
                self._key = key
                return
            try:
                fd = os.open(self.run.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as err:
                raise RunError(_cannot("use the run directory", self.run.path, err,
                                       "it must be writable to train into it")) from None
            try:
                self._flock(fd)
            except BaseException:
                os.close(fd)
                raise
            info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(),
                    "by": self.by}
            with contextlib.suppress(OSError):  # a full disk: locked, just unsigned
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
            _HELD[key] = _Held(fd, 1)
            self._key = key

    def _flock(self, fd: int) -> None:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunBusy(f"{clean(self.run.name)} is in use by "
                                  f"{_holder_text(_read_holder(fd))}; wait for it or stop "
                                  "it") from None
                time.sleep(0.05)
            except OSError as err:
                raise RunError(_cannot("lock the run directory", self.run.path, err,
                                       "its file system must support flock")) from None

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None:
            return
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is None:
                return
            held.count -= 1
            if held.count:
                return
            del _HELD[key]
            with contextlib.suppress(OSError):
                os.ftruncate(held.fd, 0)
            with contextlib.suppress(OSError):
                fcntl.flock(held.fd, fcntl.LOCK_UN)
            os.close(held.fd)


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def lock_held(path: Path) -> bool | None:
    """Whether some process holds the run's lock; None when the run has no lock file (an
    older ktui) or it cannot be probed. Probing takes a shared lock for an instant."""
    with _HELD_GUARD:
        if path.resolve() in _HELD:
            return True
    try:
        fd = os.open(path / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


# ---- the run directory ---------------------------------------------------------------------

def _safe_name(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    return safe[:MAX_NAME_CHARS].strip(".") or "run"


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
            raise RunError(_cannot("create the run directory", root / f"{stamp}-{safe}",
                                   err)) from None
        for i in range(1000):
            path = root / (f"{stamp}-{safe}" + (f"-{i}" if i else ""))
            try:
                path.mkdir()
            except FileExistsError:
                continue
            except OSError as err:
                raise RunError(_cannot("create the run directory", path, err)) from None
            run = cls(path)
            try:
                atomic_write(run.spec_file, specmod.dumps(spec))
                run.write_summary({"status": "running", "epochs_done": 0,
                                   "started": time.time()})
            except OSError as err:
                shutil.rmtree(path, ignore_errors=True)
                raise RunError(_cannot("create the run directory", path, err)) from None
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

    def spec(self) -> specmod.ExperimentSpec:
        return specmod.load(self.spec_file)

    def lock(self, by: str | None = None) -> RunLock:
        """The run's exclusive lock, as a context manager: ``with run.lock(): ...``; ``by``
        says who holds it (default: this process's command line, ``ktui train --resume X``).
        Raises :class:`RunBusy` (message: who holds it) or :class:`RunError` on entry."""
        return RunLock(self, by)

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
            current, _ = _check_summary(self.summary())
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

    # -- metrics ---------------------------------------------------------------------------
    def read_metrics(self) -> MetricsLog:
        """``metrics.csv`` typed, with one problem line per damaged row (rows are skipped,
        never raised); an absent file is an empty log."""
        try:
            raw = self.metrics_file.read_bytes()
        except FileNotFoundError:
            return MetricsLog()
        except OSError as err:
            return MetricsLog(problems=(f"metrics.csv: unreadable ({cause(err)})",))
        return _parse_metrics(raw.decode("utf-8", errors="replace"))

    def epochs_logged(self) -> list[dict[str, float]]:
        """metrics.csv rows as numbers (a torn last line and damaged rows are left out)."""
        return list(self.read_metrics().rows)

    # -- checkpoints -----------------------------------------------------------------------
    def last_checkpoint(self) -> tuple[int | None, str]:
        """The epoch of ``checkpoints/last`` and ``""``, or ``None`` and why there is none
        (``checkpoints/last is missing``). TF-free: reads the ``checkpoint`` index file that
        TensorFlow writes last, and checks the files it names exist; whether their bytes
        restore is for the trainer to find out."""
        return self._named_checkpoint(self.last_dir)

    def _named_checkpoint(self, folder: Path) -> tuple[int | None, str]:
        if not folder.is_dir():
            return None, f"{self.rel(folder)} is missing"
        index = folder / "checkpoint"
        try:
            text = index.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, f"{self.rel(index)} is missing"
        except (OSError, ValueError) as err:
            why = cause(err) if isinstance(err, OSError) else "not text"
            return None, f"{self.rel(index)} is unreadable ({why})"
        match = re.search(r'^model_checkpoint_path:\s*"([^"]+)"', text, re.MULTILINE)
        if not match:
            return None, f"{self.rel(index)} names no checkpoint"
        prefix = Path(match.group(1))
        prefix = prefix if prefix.is_absolute() else folder / prefix
        if not prefix.with_name(prefix.name + ".index").is_file():
            return None, f"{self.rel(prefix)}.index is missing"
        if not any(prefix.parent.glob(prefix.name + ".data-*")):
            return None, f"the data of {self.rel(prefix)} is missing"
        number = re.search(r"-(\d+)$", prefix.name)
        if not number:
            return None, f"{self.rel(prefix)}: cannot tell its epoch"
        return int(number.group(1)), ""

    # -- resume and restart ----------------------------------------------------------------
    def truncate_logs(self, epochs: int) -> None:
        """Drop log rows after ``epochs`` (before resuming from that checkpoint); unreadable
        lines and damaged rows go too (they cannot be continued)."""
        log = self.read_metrics()
        if self.metrics_file.exists():
            rows = [r for r in log.rows if r["epoch"] <= epochs]
            atomic_write(self.metrics_file, _csv_text(rows, list(log.header)))
        if self.events_file.exists():
            kept = []
            text = self.events_file.read_bytes().decode("utf-8", errors="replace")
            for line in text.splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                epoch = event.get("epoch", 0) if isinstance(event, dict) else None
                if _count(epoch) and epoch <= epochs and event.get("event") not in (
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
        for name in ("summary.json", "metrics.csv", "events.jsonl", "tensorboard",
                     "checkpoints", "model.keras"):
            source = self.path / name
            if source.exists():
                os.replace(source, target / name)
        self.write_summary({"status": "running", "epochs_done": 0, "started": time.time()})
        return target

    def remove_partial_files(self) -> None:
        """Delete what a failed write left half-made (temporary files, TF's ``*_temp``
        checkpoint folders, checkpoint files newer than the one the index names), freeing
        the space for the run's last summary."""
        partial = [p for pattern in (".*.tmp*", ".model-partial.keras", "checkpoints/*/*_temp*")
                   for p in self.path.glob(pattern)]
        for folder in (self.last_dir, self.best_dir):
            kept, _ = self._named_checkpoint(folder)
            for path in folder.glob("ckpt-*"):
                number = re.match(r"ckpt-(\d+)\.", path.name)
                if number and (kept is None or int(number.group(1)) > kept):
                    partial.append(path)
        for path in partial:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()


def _alive(pid: Any, host: Any) -> bool:
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, OSError):
        return False
    return True


def _csv_text(rows: list[dict[str, float]], header: list[str] | None = None) -> str:
    if not rows:
        return ""
    keys = header if header and "epoch" in header else _csv_keys(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: int(row[k]) if k == "epoch" else row.get(k) for k in keys})
    return out.getvalue()


def _csv_keys(row: dict[str, Any]) -> list[str]:
    return ["epoch", *sorted(k for k in row if k != "epoch")]


def epoch_row(event: EpochDone) -> dict[str, float]:
    """The CSVLogger-style row: epoch, loss, metrics, val_loss, val_metrics."""
    row: dict[str, float] = {"epoch": event.epoch, "loss": event.loss}
    row.update(event.metrics)
    if event.val_loss is not None:
        row["val_loss"] = event.val_loss
    row.update({f"val_{k}": v for k, v in event.val_metrics.items()})
    return row


class RunRecorder:
    """A sink that writes events.jsonl, metrics.csv and summary.json as events arrive.

    A write that fails (disk full, the folder made read-only, removed) never raises into the
    trainer: the recorder notes it in :attr:`failure` (``cannot write RUN/metrics.csv: No
    space left on device; ...``), calls :attr:`on_failure` (the trainer stops after the
    current batch) and writes nothing more, so every file stays whole up to the last epoch.
    """

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self.best: dict[str, float] | None = None
        self.monitor = "val_loss"
        self.started = time.time()
        self.last_epoch = 0
        #: The first write that failed, as a one-line message; None while all is well.
        self.failure: str | None = None
        #: Called once, with the message, when a write fails (the trainer passes its stop).
        self.on_failure: Callable[[str], None] | None = None
        self._events = os.open(run.events_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                               | os.O_CLOEXEC, 0o644)
        log = run.read_metrics()
        self._csv_keys: list[str] | None = list(log.header) if log.header else None
        for row in log.rows:
            self._track_best(row)
            self.last_epoch = int(row["epoch"])

    def __call__(self, event: Event) -> None:
        if self.failure is not None:
            return  # after a failed write nothing more is written: the files stay whole
        path = self.run.events_file
        try:
            _write_all(self._events, (to_json(event) + "\n").encode("utf-8"))
            path = self.run.metrics_file
            if isinstance(event, EpochDone):
                row = epoch_row(event)
                self._append_csv(row)
                self._track_best(row)
                self.last_epoch = event.epoch
            path = self.run.summary_file
            self._summarize(event)
        except OSError as err:
            self.io_failed(path, err)

    def _summarize(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.monitor = "val_loss" if event.val_samples else "loss"
            self.run.write_summary({"status": "running", "name": event.name,
                                    "devices": list(event.devices),
                                    "epochs": event.epochs, "task": event.task,
                                    "monitor": self.monitor})
        elif isinstance(event, EpochDone):
            self.run.write_summary({"epochs_done": event.epoch, "final": epoch_row(event),
                                    "best": self.best,
                                    "seconds": self._seconds(event.seconds)})
        elif isinstance(event, RunFinished):
            self.run.write_summary({"status": event.status, "epochs_done": self.last_epoch,
                                    "test": event.test, "reason": event.status,
                                    "ended": time.time()})
        elif isinstance(event, RunFailed):
            self.run.write_summary({"status": "failed", "reason": event.message,
                                    "failure": event.kind, "ended": time.time()})

    def io_failed(self, path: Path, err: OSError) -> None:
        """Note a failed write of ``path`` (the first one wins) and ask the trainer to stop."""
        if self.failure is not None:
            return
        where = f"after epoch {self.last_epoch}" if self.last_epoch else "before its first epoch"
        hint = (f"free some space, then `ktui train --resume {clean(self.run.name)}`"
                if err.errno in (errno.ENOSPC, errno.EDQUOT) else
                f"fix that, then `ktui train --resume {clean(self.run.name)}`")
        self.failure = (f"cannot write {self.run.rel(path)}: {cause(err)}; the run stopped "
                        f"{where}, keeping what was written ({hint})")
        if self.on_failure is not None:
            self.on_failure(self.failure)

    def record_failure(self, event: RunFailed) -> None:
        """Try to log the run's ending after a failed write (best effort: the disk may still
        be full; then the run reads as interrupted and ``--resume`` continues it)."""
        self.run.remove_partial_files()
        with contextlib.suppress(OSError):
            _write_all(self._events, (to_json(event) + "\n").encode("utf-8"))
        with contextlib.suppress(OSError):
            self.run.write_summary({"status": "failed", "reason": event.message,
                                    "failure": event.kind, "ended": time.time()},
                                   in_place_if_full=True)

    def _seconds(self, epoch_seconds: float) -> float:
        try:
            before = self.run.read_summary().seconds
        except RunError:
            before = 0.0
        return before + epoch_seconds

    def _track_best(self, row: dict[str, float]) -> None:
        value = row.get(self.monitor, row.get("loss"))
        if value is None or not math.isfinite(value):
            return
        best = self.best.get(self.monitor, self.best.get("loss")) if self.best else None
        if best is None or value < best:
            self.best = dict(row)

    def is_best(self, event: EpochDone) -> bool:
        """Whether ``event`` is the best epoch so far (called after it was recorded)."""
        return self.best is not None and self.best.get("epoch") == event.epoch

    def _append_csv(self, row: dict[str, float]) -> None:
        new = self._csv_keys is None
        keys = self._csv_keys = self._csv_keys or _csv_keys(row)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n",
                                extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerow(row)
        try:
            append_whole(self.run.metrics_file, out.getvalue())
        except OSError:
            if new:
                self._csv_keys = None  # the header was not written either
            raise

    def close(self) -> None:
        if self._events >= 0:
            os.close(self._events)
            self._events = -1


@dataclass(frozen=True)
class RunInfo:
    name: str
    path: Path
    dataset: str
    epochs_done: int
    epochs: int
    status: str
    best: str
    age_s: float


def _best_text(summary: RunSummary) -> str:
    best = summary.best
    metric = next((k for k in best if k.startswith("val_") and k != "val_loss"), None) \
        or summary.monitor
    value = best.get(metric)
    return f"{metric} {value:.4f}" if value is not None and math.isfinite(value) else "-"


def _first_line(err: BaseException) -> str:
    text = str(err)
    return clean(text.splitlines()[0]) if text.strip() else type(err).__name__


def list_runs(root: Path) -> tuple[list[RunInfo], list[str]]:
    """Every readable run under ``root``, newest first, and a problem line for each
    directory that is not one or is damaged (``NAME: skipped, damaged run (summary.json:
    epochs_done must be a whole number >= 0, got 'x')``): reported and skipped, never a
    crash."""
    runs: list[RunInfo] = []
    problems: list[str] = []
    if not root.is_dir():
        return runs, problems
    now = time.time()
    for path in sorted(root.iterdir(), reverse=True):
        try:
            if not path.is_dir() or path.name.startswith("."):
                continue
        except OSError:
            continue
        run = RunDir(path)
        name = clean(path.name)
        try:
            spec = run.spec()
            summary = run.read_summary()
        except (RunError, specmod.SpecError, OSError, ValueError) as err:
            problems.append(f"{name}: skipped, not a readable ktui run ({_first_line(err)})")
            continue
        if summary.problems:
            more = len(summary.problems) - 1
            problems.append(f"{name}: skipped, damaged run ({summary.problems[0]}"
                            + (f"; {more} more problem{'s' * (more != 1)}" if more else "")
                            + ")")
            continue
        runs.append(RunInfo(
            name=path.name, path=path, dataset=spec.dataset.kind,
            epochs_done=summary.epochs_done, epochs=spec.train.epochs,
            status=run.status(summary), best=_best_text(summary),
            age_s=now - (summary.updated if summary.updated is not None else now),
        ))
    return runs, problems


def format_age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"
