"""``ktui sweep ... --view``: the sweep's workers start detached (their supervisor in a
session of its own, its lines in ``RUNS/.sweeps/STUDY.log``), the view opens on the study,
and leaving it running leaves the sweep to finish by itself. The view is replaced by a fake
here (its keys are tested in tests/tui/test_sweep_view.py)."""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from ktui.core.sweep import study as studymod  # noqa: E402

pytestmark = pytest.mark.slow


class LeftRunning:
    """What the view's app says after ``q`` then ``l``."""

    choice, return_code = "leave", 0


def test_view_starts_the_sweep_detached_and_leaving_leaves_it_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from ktui.cli import main
    from ktui.ui import sweep_app

    seen: dict = {}

    def view(study, url, runs_dir=None, running=None):
        seen.update(study=study.study_name, url=url, running=running())
        return LeftRunning()

    monkeypatch.setattr(sweep_app, "run_sweep_view", view)
    code = main(["sweep", "--preset", "linear-gd", "--param", "train.learning_rate=log:1e-3..0.5",
                 "--trials", "2", "--epochs", "2", "--pruner", "none", "--study", "bg",
                 "--view", "--runs-dir", str(tmp_path)])
    assert code == 0
    url = studymod.default_storage(tmp_path, "bg")
    assert seen == {"study": "bg", "url": url, "running": True}
    err = capsys.readouterr().err
    assert "ktui: sweep bg goes on in the background (pid " in err
    assert f"ktui sweep view --storage {url} --study bg" in err
    pid = int(re.search(r"background \(pid (\d+)", err).group(1))
    assert os.getsid(pid) == pid  # a session of its own: closing the terminal spares it

    study = studymod.load(url, "bg")
    deadline = time.monotonic() + 300
    while not (len(study.get_trials()) == 2
               and all(t.state.name == "COMPLETE" for t in study.get_trials())):
        assert time.monotonic() < deadline, (tmp_path / ".sweeps" / "bg.log").read_text()
        time.sleep(0.5)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)  # it ends once the study has its trials
    log = (tmp_path / ".sweeps" / "bg.log").read_text()
    assert "joining sweep bg with 1 worker" in log and "2 of 2 trials" in log
