"""A ``ktui train`` started by a sweep worker for an ``--isolate`` trial stops when that worker
dies (``$KTUI_PARENT_PID``: Linux's parent-death signal, a clean SIGTERM stop), instead of
training on for nobody until its last epoch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ktui.core.processes import PARENT_ENV, die_with_parent, pid_alive

PARENT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-m", "ktui", "train", "--preset", "linear-gd",
                          "--epochs", "100000", "--runs-dir", sys.argv[1]],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL,
                         env={**os.environ, "KTUI_PARENT_PID": str(os.getpid())})
print(child.pid, flush=True)
time.sleep(600)
"""


def _until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_not_asked_means_nothing_changes() -> None:
    assert die_with_parent({}) is False
    assert die_with_parent({PARENT_ENV: "not a pid"}) is False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_trial_process_stops_when_its_worker_is_killed(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(runs)],
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    child = 0
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())

        def epochs() -> int:
            found = list(runs.glob("*/summary.json"))
            if not found:
                return 0
            try:
                return int(json.loads(found[0].read_text()).get("epochs_done", 0))
            except (ValueError, OSError):
                return 0

        assert _until(lambda: epochs() >= 2, 90), "the trial never trained"
        parent.kill()  # the worker dies (SIGKILL: nothing of its own runs)
        parent.wait()
        assert _until(lambda: not pid_alive(child) or _reaped(child), 30), \
            "the trial trained on after its worker died"
        summary = json.loads(next(runs.glob("*/summary.json")).read_text())
        assert summary["status"] == "stopped"
        assert "SIGTERM" in str(summary.get("reason", ""))
    finally:
        parent.kill()
        if child and pid_alive(child):
            os.kill(child, signal.SIGKILL)


def _reaped(pid: int) -> bool:
    """A child of a dead parent is reaped by init; a zombie still answers signal 0."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True
