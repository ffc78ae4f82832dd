"""Runs that outlive the terminal, with real processes: ``ktui train --detach`` starts a
background trainer, ``ktui watch`` follows it (viewers come and go), ``ktui control`` steers
it, and every stop says why."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ktui.core.runs import RunDir
from ktui.core.runs.lock import lock_held, read_holder

TIMEOUT = 60


def _env() -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def ktui(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ktui", *args], capture_output=True,
                          text=True, env=_env(), timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                          cwd=cwd)


def viewer(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ktui", "watch", *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=_env())


def _until(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _epochs(run: RunDir) -> int:
    return sum(1 for line in run.events_file.read_text().splitlines()
               if '"event":"epoch_done"' in line)


_STARTED: list[int] = []


@pytest.fixture(autouse=True)
def _no_trainer_left() -> object:
    """A failing test must not leave a background run of 100 000 epochs behind."""
    yield
    while _STARTED:
        pid = _STARTED.pop()
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def detached(runs_dir: Path, epochs: int = 100_000) -> tuple[RunDir, int]:
    """A real background run of the linear preset with many short epochs, training."""
    out = ktui("train", "--preset", "linear-gd", "--epochs", str(epochs), "--detach")
    assert out.returncode == 0, out.stderr
    name = out.stdout.split(":", 1)[0]
    assert f"ktui watch {name}" in out.stdout and "train.log" in out.stdout
    run = RunDir(runs_dir / name)
    assert lock_held(run.path)  # --detach returned once the trainer held the run
    pid = read_holder(run.path)["pid"]
    _STARTED.append(pid)
    _until(lambda: run.events_file.exists() and _epochs(run) >= 2)
    return run, pid


def test_a_spec_error_exits_2_before_detaching(runs_dir: Path) -> None:
    out = ktui("train", "--preset", "linear-gd", "--epochs", "0", "--detach")
    assert out.returncode == 2 and "epochs" in out.stderr
    assert not any(runs_dir.iterdir())  # nothing started, no folder


def test_watch_without_a_running_run_says_so() -> None:
    out = ktui("watch", "--plain")
    assert out.returncode == 2 and "no run is being trained" in out.stderr


@pytest.mark.slow
def test_detach_watch_steer_and_stop_from_a_viewer(runs_dir: Path) -> None:
    run, pid = detached(runs_dir)
    assert pid != os.getpid() and os.getsid(pid) == pid  # its own session: no terminal's
    keeper = viewer(run.name, "--jsonl")
    quitter = viewer("--plain")  # no name: the latest running run
    _until(lambda: quitter.stdout is not None)
    time.sleep(1.0)
    quitter.kill()  # a viewer that dies (a dropped SSH session) leaves the run alone
    quitter.wait(10)
    before = _epochs(run)
    _until(lambda: _epochs(run) > before + 2)
    assert lock_held(run.path)

    out = ktui("control", run.name, "pause")
    assert out.returncode == 0 and "paused at epoch" in out.stdout, out.stderr
    out = ktui("control", "lr", "0.05")  # paused: answered at the next step
    assert out.returncode == 0, out.stderr
    out = ktui("control", run.name, "step")
    assert out.returncode == 0 and "stepped to epoch" in out.stdout, out.stderr
    out = ktui("control", run.name, "resume")
    assert out.returncode == 0 and "resumed" in out.stdout, out.stderr
    out = ktui("control", run.name, "stop")
    assert out.returncode == 0 and "stopped (from a viewer (pid" in out.stdout, out.stderr

    stdout, stderr = keeper.communicate(timeout=TIMEOUT)
    assert keeper.returncode == 0, stderr
    assert f"{run.name} is trained by pid {pid}" in stderr
    events = [json.loads(line) for line in stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert {"paused", "resumed", "lr_changed"} <= set(kinds)
    changed = next(e for e in events if e["event"] == "lr_changed")
    assert changed["lr"] == pytest.approx(0.05)
    reason = events[-1]["reason"]
    assert reason.startswith("stopped: from a viewer (pid ")
    assert run.read_summary().reason == reason
    shown = ktui("runs", "show", run.name)
    assert f"reason   {reason}" in shown.stdout
    _until(lambda: not lock_held(run.path))
    assert not (run.path / "control.sock").exists()
    log = (run.path / "train.log").read_text()
    assert "epoch" in log and "stopped (from a viewer" in log


@pytest.mark.slow
def test_sigterm_says_so(runs_dir: Path) -> None:
    run, pid = detached(runs_dir)
    os.kill(pid, signal.SIGTERM)
    _until(lambda: not lock_held(run.path))
    assert run.read_summary().reason == "stopped: SIGTERM"
    watched = ktui("watch", run.name, "--plain")  # an ended run: its log, its exit code
    assert watched.returncode == 0 and "stopped (SIGTERM)" in watched.stdout
    assert "is not being trained (stopped)" in watched.stderr

    out = ktui("train", "--resume", run.name, "--detach")  # continued in the background
    assert out.returncode == 0 and f"ktui watch {run.name}" in out.stdout, out.stderr
    _STARTED.append(read_holder(run.path)["pid"])
    follower = viewer(run.name, "--jsonl")  # the old ending is in the log for a moment
    time.sleep(1.0)
    assert follower.poll() is None
    _until(lambda: (run.path / "control.sock").exists())  # the checks done, it listens
    assert ktui("control", run.name, "stop", "--wait", "20").returncode == 0
    stdout, _ = follower.communicate(timeout=TIMEOUT)
    last = json.loads(stdout.splitlines()[-1])
    assert follower.returncode == 0 and last["reason"].startswith("stopped: from a viewer")


@pytest.mark.slow
def test_a_killed_trainer_ends_its_viewers_and_leaves_a_stale_socket(runs_dir: Path) -> None:
    run, pid = detached(runs_dir)
    follower = viewer(run.name, "--plain")
    time.sleep(0.5)
    os.kill(pid, signal.SIGKILL)  # no last word, control.sock left behind
    _, stderr = follower.communicate(timeout=TIMEOUT)
    assert follower.returncode == 1 and "gone without a last word" in stderr
    assert (run.path / "control.sock").exists()
    out = ktui("control", run.name, "pause")
    assert out.returncode == 1 and "stale control.sock, removed" in out.stderr
    assert not (run.path / "control.sock").exists()
