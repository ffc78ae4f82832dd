"""What ``ktui train`` prints in a pipe (issue 21, item 11): never silent for long."""

from __future__ import annotations

import io

from ktui.cli.reporters import PROGRESS_EVERY_S, PlainReporter
from ktui.core.events import RunFinished, StepDone


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _step(step: int) -> StepDone:
    return StepDone(epoch=2, step=step, steps_per_epoch=400, global_step=400 + step,
                    loss=0.4321, steps_per_s=12.0)


def test_a_long_epoch_prints_a_progress_line_at_most_every_10_s() -> None:
    out, clock = io.StringIO(), FakeClock()
    reporter = PlainReporter(out, io.StringIO(), clock=clock)
    for step in range(1, 400, 10):  # a step event every 1.5 s
        clock.now += 1.5
        reporter(_step(step))
    lines = out.getvalue().splitlines()
    # Events come every 1.5 s: a line at the first event 10 s after the last (10.5 s),
    # so 5 lines in the 60 s of 40 events, not 40.
    assert PROGRESS_EVERY_S == 10.0 and len(lines) == 5
    assert lines[0] == "epoch 2  step 61/400 (15 %)  loss 0.4321  12 steps/s"


def test_a_short_epoch_prints_no_progress_lines() -> None:
    out, clock = io.StringIO(), FakeClock()
    reporter = PlainReporter(out, io.StringIO(), clock=clock)
    for step in range(1, 400, 10):
        clock.now += 0.1
        reporter(_step(step))
    assert out.getvalue() == ""


def test_one_epoch_is_said_in_the_singular() -> None:
    out = io.StringIO()
    PlainReporter(out, io.StringIO())(RunFinished(status="finished", epochs_done=1, test={},
                                                  seconds=2.0))
    assert out.getvalue() == "done: 1 epoch in 2.0s\n"


def test_every_view_writes_a_metric_the_same_way() -> None:
    # `accuracy 1` beside `val_accuracy 0.8719` read as two formats (issue 21, item 10).
    from rich.text import Text

    from ktui.core.export.script_parts import LOOP
    from ktui.core.text import metric_text
    from ktui.ui.screens.run_result import finished_text
    from ktui.ui.widgets.progress import _fmt as progress_fmt

    for value, text in ((1.0, "1.0000"), (0.87194, "0.8719"), (1234.5, "1234"),
                        (-0.5, "-0.5000")):
        assert metric_text(value) == progress_fmt(value) == text
    shown: Text = finished_text(RunFinished(status="finished", epochs_done=3,
                                            test={"accuracy": 1.0}, seconds=1.0), None, 10)
    assert "accuracy 1.0000" in shown.plain
    namespace: dict = {}
    start = LOOP.index("def fmt(value):")
    exec(compile(LOOP[start:LOOP.index("\n\n\n", start)], "script", "exec"), namespace)
    assert namespace["fmt"](1.0) == "1.0000" and namespace["fmt"](1234.5) == "1234"
    for value in (1.0, 0.87194, 1234.5, -0.5, 5e-05, 0.0, 123456.0, float("nan")):
        assert namespace["fmt"](value) == metric_text(value)
