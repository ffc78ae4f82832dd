"""``jit_compile = "auto"``: the picker's decisions from given call timings (no TensorFlow;
the run that uses it is in ``test_xla_auto.py``)."""

from __future__ import annotations

import pytest

from ktui.core.events import XlaPicked
from ktui.core.training import xla_pick
from ktui.core.training.xla_pick import XlaPicker


def drive(picker: XlaPicker, plain_s: float, xla_s: float, compile_s: float = 5.0,
          steps: int = 10, steps_left: int = 1_000_000, calls: int = 200
          ) -> tuple[XlaPicked | None, list[bool]]:
    """Calls of ``steps`` steps timed as a machine where a step takes ``plain_s`` without
    XLA and ``xla_s`` with it (the compiling call ``compile_s`` more, the first call a
    trace); returns the pick and the compiler of each call made."""
    used: list[bool] = []
    for n in range(calls):
        xla = picker.use_xla
        used.append(xla)
        seconds = steps * (xla_s if xla else plain_s)
        seconds += compile_s if picker.compiling else 0.0
        seconds += 1.0 if n == 0 else 0.0  # the first call traces the step
        picked = picker.observe(steps, seconds, steps_left - steps * (n + 1), (1, n + 1))
        if picked is not None:
            return picked, used
    return None, used


@pytest.mark.parametrize("setting", ["on", "off"])
def test_on_and_off_never_change_nor_say_anything(setting: str) -> None:
    picker = XlaPicker(setting)
    assert not picker.deciding and picker.use_xla is (setting == "on")
    picked, used = drive(picker, 0.01, 0.001, calls=50)
    assert picked is None and set(used) == {setting == "on"}


def test_a_short_run_is_not_tried_and_says_so_after_a_few_calls() -> None:
    picker = XlaPicker("auto")
    picked, used = drive(picker, plain_s=0.002, xla_s=0.0001, steps_left=2_000)
    assert picked is not None and not picked.xla and not picker.use_xla
    assert not any(used)  # XLA never compiled
    assert len(used) == xla_pick.MIN_CALLS + 1  # the trace, then MIN_CALLS timed calls
    assert picked.plain_ms == pytest.approx(2.0)
    assert picked.xla_ms is None and picked.compile_s is None and not picked.tried
    assert "not tried" in picked.reason and "~3.9 s" in picked.reason  # 1 960 steps × 2 ms


def test_a_run_near_the_bar_is_timed_longer_before_it_is_judged() -> None:
    """An estimate within a factor 4 of TRY_MIN_S waits for ESTIMATE_S of plain steps."""
    step = 0.001
    picker = XlaPicker("auto")
    left = int(xla_pick.TRY_MIN_S / 2 / step)  # half the bar
    picked, used = drive(picker, plain_s=step, xla_s=step / 2, steps_left=left)
    assert picked is not None and not picked.xla
    timed_calls = len(used) - 1
    assert timed_calls * 10 * step >= xla_pick.ESTIMATE_S


@pytest.mark.parametrize(("xla_s", "kept"), [(0.008, True), (0.0099, False), (0.02, False)])
def test_a_long_run_compiles_xla_compares_alternately_and_keeps_the_faster(
        xla_s: float, kept: bool) -> None:
    picker = XlaPicker("auto")
    picked, used = drive(picker, plain_s=0.01, xla_s=xla_s, compile_s=5.0)
    assert picked is not None and picked.xla is kept and picker.use_xla is kept
    assert not picker.deciding and picked.tried
    assert picked.plain_ms == pytest.approx(10.0)
    assert picked.xla_ms == pytest.approx(xla_s * 1000)
    assert picked.compile_s == pytest.approx(5.0)  # the compiling call, less a plain call
    first_xla = used.index(True)
    compare = used[first_xla + 1:]  # after the compiling call: plain, XLA, plain, ...
    assert compare == [i % 2 == 1 for i in range(len(compare))]
    assert compare.count(True) >= xla_pick.MIN_CALLS
    assert sum(compare) * 10 * xla_s >= xla_pick.COMPARE_S
    words = f"{0.01 / xla_s:.2f}× as fast with XLA"
    assert words in picked.reason and "compiled in 5.0 s" in picked.reason
    assert picked.reason.startswith("only ") is (not kept and xla_s < 0.01)


def test_the_compare_alternates_so_a_machine_that_slows_down_is_judged_fairly() -> None:
    """Each call is 2 % slower than the one before, whichever compiler runs: XLA at 0.9 of
    a plain step must still win (all plain calls then all XLA ones would make it 1.1)."""
    picker = XlaPicker("auto")
    n, picked = 0, None
    while picked is None:
        xla, compiling = picker.use_xla, picker.compiling
        slow = 1.0 + 0.02 * n
        seconds = 10 * (0.009 if xla else 0.01) * slow + (5.0 if compiling else 0.0)
        picked = picker.observe(10, seconds, 10**7, (1, n))
        n += 1
    assert picked.xla


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="auto, on, off|'auto', 'on', 'off'"):
        XlaPicker("sometimes")


def test_a_model_xla_cannot_compile_is_said_and_keeps_the_plain_step() -> None:
    picker = XlaPicker("auto")
    calls = 0
    while not picker.compiling:  # plain calls of 0.1 s, a long run: XLA is tried next
        assert picker.observe(10, 0.1, 10**7, (1, calls)) is None
        calls += 1
    assert picker.use_xla and calls * 0.1 >= xla_pick.ESTIMATE_S
    picked = picker.cannot((2, 5), "Detected unsupported operations: PyFunc")
    assert not picked.xla and picked.tried and not picker.use_xla and not picker.deciding
    assert picked.reason == ("XLA cannot compile this model: Detected unsupported "
                             "operations: PyFunc")
    assert (picked.epoch, picked.step) == (2, 5)

