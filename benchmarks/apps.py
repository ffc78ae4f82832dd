"""Benchmarks of whole programs in subprocesses: headless vs TUI throughput, terminal bytes,
time to first frame, TensorFlow's import time, and peak memory against the seed script."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.ptyrun import ALT_SCREEN, Pty, PtyRun

ROOT = Path(__file__).resolve().parent.parent
COLS, ROWS = 120, 40
_CUP = re.compile(rb"\x1b\[\d+;\d+H")
#: Our children find the benchmarks and ktui, and keep compiled bytecode as an installed
#: package does (pip compiles it): with PYTHONDONTWRITEBYTECODE set, as on the shared box,
#: every launch compiled ktui's ~120 modules again, ~0.25 s before the first frame. The
#: bytecode goes to a cache folder of its own, never into the source tree.
CHILD_ENV = {"PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
             "PYTHONDONTWRITEBYTECODE": "",
             "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "ktui-bench-pycache")}


class Unavailable(Exception):
    """A figure cannot be measured here; the message says why (reported as n/a)."""


def _steady(rates: list[float]) -> list[float]:
    return rates[1:] or rates


@dataclass
class TrainRun:
    """One training subprocess: per-epoch samples/s, its wall time and peak RSS."""

    rates: list[float] = field(default_factory=list)
    seconds: float = 0.0
    maxrss_mb: float = 0.0
    tty_bytes_per_s: float | None = None
    train_window_s: float | None = None
    source: str = ""
    #: CPU seconds of the TUI's main thread per second of training, from ``run_started``
    #: to ``run_finished`` as the trainer sent them (None: headless).
    ui_cpu_fraction: float | None = None
    #: The same from /proc's ticks, read when the benchmark noticed each event: the end
    #: counts what the UI did after training until then (a run's last redraws, the footer
    #: and the result line), as until session 9 (None: headless).
    ui_cpu_fraction_polled: float | None = None
    #: Terminal bytes per second from the second ``epoch_done`` to the end: without the
    #: first paints (a page's, a gallery's first pictures) that a short run's whole window
    #: is mostly made of (None: fewer than three epochs).
    tty_bytes_per_s_steady: float | None = None
    #: :attr:`ui_cpu_fraction` from the second ``epoch_done`` to the last: without the run's
    #: fixed costs (the first paints, the footer's new keys, the result and the last redraws)
    #: that a short run's window weighs heavily (None: fewer than three epochs).
    ui_cpu_fraction_steady: float | None = None

    @property
    def best(self) -> float:
        return max(_steady(self.rates))

    @property
    def median(self) -> float:
        return statistics.median(_steady(self.rates))


def write_spec(path: Path, epochs: int, samples: int | None = None) -> Path:
    """The fashion-mlp preset as a TOML spec with ``epochs`` (the TUI has no --epochs)."""
    from ktui.core import spec as specmod
    from ktui.core.spec.presets import get_preset

    spec = get_preset("fashion-mlp")
    spec.train.epochs = epochs
    if samples is not None:
        spec.dataset.samples = samples  # type: ignore[union-attr]
    specmod.save(spec, path)
    return path


def _epoch_rates(lines: list[str]) -> list[float]:
    rates = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "epoch_done":
            rates.append(float(event["samples_per_s"]))
    return rates


def _wait4(proc: subprocess.Popen) -> tuple[int, float]:
    """Reap ``proc``: (exit code, its own peak RSS in MB) from ``wait4``'s rusage."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024


def run_headless(spec_file: Path, runs_dir: Path) -> TrainRun:
    """``python -m ktui train --spec FILE --jsonl`` with stdout piped: per-epoch rates from
    stdout, peak RSS from ``wait4``."""
    argv = [sys.executable, "-m", "ktui", "train", "--spec", str(spec_file), "--jsonl",
            "--runs-dir", str(runs_dir)]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err_file, cwd=ROOT,
                                env={**os.environ, **CHILD_ENV})
        assert proc.stdout is not None
        out = proc.stdout.read()  # until the child closes stdout, i.e. exits
        code, rss = _wait4(proc)  # wait4, not wait: its rusage is this child's peak memory
        err_file.seek(0)
        err = err_file.read()
    seconds = time.perf_counter() - t0
    if code != 0:
        raise Unavailable(f"ktui train exited {code}: {err.decode()[-300:]}")
    rates = _epoch_rates(out.decode().splitlines())
    if not rates:
        raise Unavailable("ktui train printed no epoch_done events")
    return TrainRun(rates=rates, seconds=seconds, maxrss_mb=rss, source="stdout (--jsonl)")


def measure_rss(argv: list[str]) -> float:
    """Peak resident memory (MB) of one command, from ``wait4``'s rusage of that child only."""
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err_file, cwd=ROOT,
                                env={**os.environ, **CHILD_ENV, "TF_CPP_MIN_LOG_LEVEL": "3"})
        code, rss = _wait4(proc)
        err_file.seek(0)
        err = err_file.read().decode(errors="replace")
    if code != 0:
        raise Unavailable(f"{' '.join(argv[1:4])} exited {code}: {err[-300:]}")
    return rss


def _first_frame(run: PtyRun) -> bool:
    head = bytes(run.head)
    at = head.find(ALT_SCREEN)
    if at < 0:
        return False
    frame = head[at:]
    return len(_CUP.findall(frame)) >= ROWS // 2 and len(frame) >= 2000


def compile_once() -> None:
    """Fill the children's bytecode cache (see :data:`CHILD_ENV`) before anything is timed,
    as installing the package would."""
    subprocess.run([sys.executable, "-c", "import ktui.ui.app, ktui.cli"], cwd=ROOT,
                   env={**os.environ, **CHILD_ENV}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)


def first_frame_s(timeout: float = 30) -> float:
    """Seconds from launching ``python -m ktui`` in a 120×40 pty to its first drawn screen
    (the alternate screen switch, then at least 2 000 bytes with 20 cursor moves), then quit."""
    compile_once()
    with tempfile.TemporaryDirectory(prefix="ktui-bench-") as tmp:
        app = Pty([sys.executable, "-m", "ktui"], cols=COLS, rows=ROWS, cwd=ROOT,
                  env={**CHILD_ENV, "KTUI_RUNS_DIR": tmp})
        try:
            seen = app.read_until(_first_frame, timeout)
            when = _frame_time(app.run) if seen else None
        finally:
            run = app.close()
    if when is None:
        raise Unavailable(f"no frame within {timeout:.0f} s (exit {run.returncode}, "
                          f"{run.total_bytes} bytes)")
    if run.killed:
        print("  note: ktui did not quit on q / ctrl+c and was killed", file=sys.stderr)
    return when


def _frame_time(run: PtyRun) -> float:
    """The time of the read that completed the first frame."""
    total = 0
    head = bytes(run.head)
    for t, n in run.chunks:
        total += n
        sub = PtyRun(head=bytearray(head[:total]))
        if _first_frame(sub):
            return t
    return run.chunks[-1][0]


def tf_import_s() -> float:
    """Wall seconds of ``python -c "import tensorflow"`` (interpreter start included)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tensorflow"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return time.perf_counter() - t0


def read_tap(tap: Path) -> list[dict]:
    """The events the harness's tap has written so far: complete lines only, as the trainer's
    thread may be writing the last one while the benchmark reads (a half line made
    ``json.loads`` fail mid-run)."""
    if not tap.exists():
        return []
    return [json.loads(line) for line in tap.read_text().split("\n")[:-1] if line.strip()]


def run_tui(spec_file: Path, fps: float | None = None, timeout: float = 300,
            env: dict[str, str] | None = None, keys: bytes = b"") -> TrainRun:
    """The real app (``ktui --spec FILE --start``) in a 120×40 pty (``keys`` typed once the
    run started: ``v`` shows the learned page), through the event tap of
    :mod:`benchmarks.tui_harness`; samples/s from the run directory the app records under
    ``$KTUI_RUNS_DIR`` when there is one, else from the tap. Terminal bytes are counted from
    ``run_started`` to ``run_finished``."""
    with tempfile.TemporaryDirectory(prefix="ktui-bench-") as tmp:
        tap = Path(tmp) / "events.jsonl"
        runs = Path(tmp) / "runs"
        argv = [sys.executable, "-m", "benchmarks.tui_harness", "--spec", str(spec_file),
                "--start"]
        if fps is not None:
            argv += ["--fps", str(fps)]
        launch_mono = time.monotonic()
        app = Pty(argv, cols=COLS, rows=ROWS, cwd=ROOT,
                  env={**CHILD_ENV, "KTUI_RUNS_DIR": str(runs), "KTUI_BENCH_EVENTS": str(tap),
                       **(env or {})})
        events: list[dict] = []
        ui_cpu: list[float] = []  # /proc's: the UI thread's CPU when each end was noticed

        def finished(_run: PtyRun) -> bool:
            events[:] = read_tap(tap)
            if not ui_cpu and any(e["event"] == "run_started" for e in events):
                ui_cpu.append(thread_cpu_s(app.proc.pid))
                if keys:  # e.g. b"v": another page of the training view for the whole run
                    app.send(keys)
            over = any(e["event"] in ("run_finished", "run_failed") for e in events)
            if over and len(ui_cpu) == 1:
                ui_cpu.append(thread_cpu_s(app.proc.pid))
            return over

        try:
            done = app.read_until(finished, timeout)
            app.read_until(lambda _r: False, 0.5)  # the final frame
        finally:
            run = app.close()
        if not done:
            raise Unavailable(f"the TUI did not finish training in {timeout:.0f} s "
                              f"(exit {run.returncode}, {run.total_bytes} bytes written)")
        last = events[-1]
        if last["event"] == "run_failed":
            raise Unavailable(f"training failed in the TUI: {last.get('message')}")
        first = next(e for e in events if e["event"] == "run_started")
        started, ended = first["t"] - launch_mono, last["t"] - launch_mono
        recorded = sorted(runs.glob("*/events.jsonl")) if runs.exists() else []
        if recorded:
            rates = _epoch_rates(recorded[-1].read_text().splitlines())
            source = "run directory"
        else:
            rates = [float(e["samples_per_s"]) for e in events if e["event"] == "epoch_done"]
            source = "event tap (the TUI records no run directory)"
        window = max(ended - started, 1e-9)
        ui_share = (last["ui_cpu_s"] - first["ui_cpu_s"]) / window
        at_epochs = [(e["t"], e["ui_cpu_s"]) for e in events if e["event"] == "epoch_done"]
        epochs_at = [t - launch_mono for t, _cpu in at_epochs]
        steady = (run.bytes_between(epochs_at[1], ended) / max(ended - epochs_at[1], 1e-9)
                  if len(epochs_at) >= 3 else None)
        return TrainRun(rates=rates, seconds=ended, maxrss_mb=run.rusage_maxrss_kb / 1024,
                        tty_bytes_per_s=run.bytes_between(started, ended) / window,
                        train_window_s=window, source=source,
                        ui_cpu_fraction=ui_share, tty_bytes_per_s_steady=steady,
                        ui_cpu_fraction_polled=(ui_cpu[1] - ui_cpu[0]) / window
                        if len(ui_cpu) == 2 else None,
                        ui_cpu_fraction_steady=_steady_fraction(at_epochs))


def _steady_fraction(at_epochs: list[tuple[float, float]]) -> float | None:
    """CPU seconds per second between the second and the last epoch's reading."""
    if len(at_epochs) < 3 or at_epochs[-1][0] <= at_epochs[1][0]:
        return None
    (t0, c0), (t1, c1) = at_epochs[1], at_epochs[-1]
    return (c1 - c0) / (t1 - t0)


def thread_cpu_s(pid: int, tid: int | None = None) -> float:
    """CPU seconds (user + system) of one thread of ``pid`` so far (its main thread by
    default: Textual's event loop, where the TUI's drawing runs); Linux ``/proc``."""
    path = Path(f"/proc/{pid}/task/{tid or pid}/stat")
    try:
        fields = path.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
