"""``jit_compile``'s three settings and the ``xla_picked`` event on every face: the spec (older
files' ``true``/``false`` still read), the CLI's flag and lines, the codec, the history the
views read, and the TUI's progress line."""

from __future__ import annotations

import json

import pytest

from ktui.cli.common import load_spec
from ktui.cli.parser import build_parser
from ktui.cli.reporters import PlainReporter, xla_line
from ktui.core import spec as specmod
from ktui.core.events import XlaPicked, from_dict, to_json
from ktui.core.history import RunHistory

PICKED = XlaPicked(xla=True, reason="1.09× as fast with XLA (4.99 ms a step with XLA, 5.45 "
                   "without; compiled in 2.4 s)", epoch=3, step=40, plain_ms=5.45,
                   xla_ms=4.99, compile_s=2.4)


@pytest.mark.parametrize(("line", "setting"), [
    ("", "auto"), ("jit_compile = true", "on"), ("jit_compile = false", "off"),
    ('jit_compile = "on"', "on"), ('jit_compile = "auto"', "auto")])
def test_the_spec_reads_every_setting_and_the_old_switch(line: str, setting: str) -> None:
    spec = specmod.loads(f"[train]\n{line}\n", lenient_layers=True)
    assert spec.train.jit_compile == setting
    assert f'jit_compile = "{setting}"' in specmod.dumps(spec)  # written as the new words


def test_a_wrong_setting_is_named_with_the_choices() -> None:
    spec = specmod.loads('[train]\njit_compile = "sometimes"\n', lenient_layers=True)
    assert any("train.jit_compile" in e and "auto, on, off" in e
               for e in specmod.validate(spec))


@pytest.mark.parametrize(("argv", "setting"), [
    ([], "auto"), (["--jit"], "on"), (["--jit", "off"], "off"), (["--jit", "auto"], "auto")])
def test_the_jit_flag(argv: list[str], setting: str) -> None:
    args = build_parser().parse_args(["train", "--preset", "fashion-mlp", *argv])
    spec = load_spec(args)
    assert spec.train.jit_compile == setting


def test_the_codec_round_trips_the_pick_and_reads_older_lines() -> None:
    assert from_dict(json.loads(to_json(PICKED))) == PICKED
    not_tried = XlaPicked(xla=False, reason="not tried", epoch=1, step=4, tried=False,
                          plain_ms=1.3)
    assert from_dict(json.loads(to_json(not_tried))) == not_tried
    assert from_dict({"event": "xla_picked", "xla": "yes", "epoch": 1, "step": 2,
                      "reason": 3}) == XlaPicked(xla=False, reason="3", epoch=1, step=2)


def test_the_plain_line_says_what_a_tried_pick_found_when_and_why() -> None:
    line = xla_line(PICKED)
    assert line.startswith("XLA on (jit_compile = auto, at epoch 3, step 40): 1.09× as fast")

    class Out(list):
        def write(self, text: str) -> None:
            self.append(text)

        def flush(self) -> None:
            pass

    out = Out()
    reporter = PlainReporter(out, Out())  # type: ignore[arg-type]
    reporter(XlaPicked(xla=False, reason="not tried: ...", epoch=1, step=4, tried=False,
                       plain_ms=1.0))
    assert not out  # every short run ends there: not a line in every log
    reporter(PICKED)
    assert "".join(out) == line + "\n"


def test_the_history_and_the_progress_line_follow_the_pick() -> None:
    from tests.tui.fakes import linear_events

    from ktui.ui.widgets.progress import RunProgress

    view = RunHistory()
    for event in linear_events(epochs=2, steps=3):
        view.apply(event)
        if event.event == "run_started":
            break
    assert not view.xla

    def third_line() -> str:
        shown: list = []
        progress = RunProgress()
        progress.show_lines = shown.append  # type: ignore[method-assign]
        progress.show(view)
        return shown[0][2][1].plain

    assert "XLA" not in third_line()
    view.apply(PICKED)
    assert view.xla and "· XLA" in third_line()
    view.apply(XlaPicked(xla=False, reason="", epoch=1, step=1))
    assert not view.xla and "XLA" not in third_line()
