"""The TUI records its runs the way ``ktui train`` does: one real (tiny) run, end to end.

Every other TUI test trains with a scripted stand-in; this one starts the real trainer from
the training view (through :func:`ktui.core.session.start_run`, as the CLI does) and checks
what it left in the run directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ktui.core.runs import RunDir
from ktui.core.session import TRAIN_THREAD_NAME
from ktui.core.spec.presets import get_preset

from .helpers import make_test_app, training, until
from .test_flows import text_of

pytestmark = pytest.mark.slow  # seconds per test: not in `make test-fast`


async def test_a_real_run_from_the_tui_is_recorded(tmp_path: Path) -> None:
    import threading

    from ktui.ui.widgets.progress import RunProgress

    spec = get_preset("linear-gd")
    spec.train.epochs = 3
    root = tmp_path / "runs"
    app = make_test_app(spec, start=True, runs_dir=str(root))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: training(app).view.state == "finished", timeout=180)
        screen = training(app)
        (path,) = root.iterdir()
        assert screen.run_dir == str(path)
        screen.flush()
        await pilot.pause()
        assert screen.view.run_dir == str(path)  # not under the working directory
        # The folder is said whole; "recording in" before it only when both fit (item 7).
        assert f"│  {path}" in text_of(screen.query_one(RunProgress)).replace("\n", "")
        assert screen.view.epochs_done == 3 and screen.view.wb_model
    for thread in threading.enumerate():  # the trainer has let go of the run
        if thread.name == TRAIN_THREAD_NAME:
            thread.join(30)
    run = RunDir(path)
    assert {"spec.toml", "summary.json", "metrics.csv", "events.jsonl", "tensorboard",
            "checkpoints", "model.keras"} <= {p.name for p in path.iterdir()}
    assert run.spec().train.epochs == 3 and run.status() == "finished"
    assert [int(r["epoch"]) for r in run.epochs_logged()] == [1, 2, 3]
    lines = [json.loads(line) for line in run.events_file.read_text().splitlines()]
    assert lines[0]["event"] == "run_started" and lines[0]["wb_model"] is True
    assert lines[-1]["event"] == "run_finished" and lines[-1]["status"] == "finished"
    assert (run.last_dir / "checkpoint").is_file() and run.model_file.stat().st_size > 0
    # What the view drew is what the run logged.
    logged = [r["loss"] for r in run.epochs_logged()]
    assert screen.view.train_loss == logged
