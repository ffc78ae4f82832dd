"""One duration, said the same everywhere (issue 21, item 4): a run's training time is the
trainer's own clock (RunFinished.seconds), and that is what the live view, a reopened run,
``ktui runs show`` and the done line say; the wall time (TensorFlow, data, compilation
included) is a second figure, labelled as such."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ktui.cli import EXIT_OK, main
from ktui.core.runs import RunDir
from ktui.core.runs.replay import load_recorded

pytestmark = pytest.mark.slow  # trains or starts processes: not in `make test-fast`


def test_training_and_wall_time_agree_everywhere(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--preset", "linear-gd", "--epochs", "3", "--jsonl",
                 "--runs-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    finished = json.loads(out.splitlines()[-1])
    assert finished["event"] == "run_finished"
    (path,) = tmp_path.iterdir()
    run = RunDir(path)
    summary = run.read_summary()
    assert summary.seconds == pytest.approx(finished["seconds"])  # not a sum of epochs
    assert summary.wall_seconds > summary.seconds > 0
    assert load_recorded(run).summary.seconds == pytest.approx(finished["seconds"])

    code = main(["runs", "show", run.name, "--runs-dir", str(tmp_path)])
    shown = capsys.readouterr().out
    assert code == EXIT_OK
    line = next(ln for ln in shown.splitlines() if ln.startswith("time"))
    got = re.search(r"([\d.]+) s training, ([\d.]+) s wall", line)
    assert got is not None, line
    assert float(got.group(1)) == pytest.approx(finished["seconds"], abs=0.06)
    assert float(got.group(2)) == pytest.approx(summary.wall_seconds, abs=0.06)
