"""Auto ``steps_per_execution``: calls end where K=1 reports, stay under the time budget,
and change nothing but the speed."""

from __future__ import annotations

import pytest

from ktui.core.events import StepDone
from ktui.core.spec.presets import get_preset
from ktui.core.training.calls import CALL_BUDGET_S, WARMUP_CALLS, CallSizes, divisors_up_to
from ktui.core.training.loop import train


def test_divisors() -> None:
    assert divisors_up_to(10, 32) == [1, 2, 5, 10]
    assert divisors_up_to(1000, 32) == [1, 2, 4, 5, 8, 10, 20, 25]
    assert divisors_up_to(1, 32) == [1]


def run_epoch(calls: CallSizes, steps_per_epoch: int, step_s: float) -> list[int]:
    """The ends of the calls of one epoch, each call taking ``step_s`` per step."""
    ends, step = [], 0
    while step < steps_per_epoch:
        count = calls.next_count(step, steps_per_epoch, paused=False)
        assert count >= 1
        calls.observe(count, count * step_s)
        step += count
        ends.append(step)
    return ends


def test_auto_warms_up_then_ends_calls_on_the_log_interval() -> None:
    calls = CallSizes(0, log_every=10)
    ends = run_epoch(calls, 47, step_s=0.003)
    assert ends[:WARMUP_CALLS] == [1, 2, 3]
    # Then calls up to the next multiple of 10 (the reports of K=1), the epoch's end last.
    assert ends[WARMUP_CALLS:] == [10, 20, 30, 40, 47]
    assert run_epoch(calls, 47, step_s=0.003) == [10, 20, 30, 40, 47]


def test_auto_keeps_calls_under_the_budget_for_a_slow_model() -> None:
    calls = CallSizes(0, log_every=10)
    run_epoch(calls, 20, step_s=0.04)  # 40 ms a step: at most 2 per call (0.1 s)
    ends = run_epoch(calls, 20, step_s=0.04)
    sizes = [b - a for a, b in zip([0, *ends], ends, strict=False)]
    assert max(sizes) * 0.04 <= CALL_BUDGET_S and max(sizes) == 2
    slow = CallSizes(0, log_every=10)
    run_epoch(slow, 10, step_s=0.5)
    assert run_epoch(slow, 5, step_s=0.5) == [1, 2, 3, 4, 5]


def test_fixed_and_paused_and_lockstep() -> None:
    assert run_epoch(CallSizes(16, log_every=10), 40, 0.001) == [16, 32, 40]
    calls = CallSizes(0, log_every=10)
    run_epoch(calls, 30, 0.001)
    assert calls.next_count(3, 30, paused=True) == 1
    assert calls.next_count(3, 30, paused=False) == 7  # back on the interval at step 10
    lockstep = CallSizes(0, log_every=10, lockstep=True)
    assert set(run_epoch(lockstep, 12, 0.001)) == set(range(1, 13))


@pytest.mark.parametrize("jit", ["off", "on"])
@pytest.mark.slow
def test_auto_reports_and_learns_exactly_as_one_step_per_call(jit: str) -> None:
    def losses(per_call: int) -> tuple[list[tuple[int, int]], list[float]]:
        spec = get_preset("linear-gd")
        spec.train.epochs = 2
        spec.train.steps_per_execution = per_call
        spec.train.jit_compile = jit
        steps: list[StepDone] = []
        final = train(spec, lambda e: steps.append(e) if isinstance(e, StepDone) else None)
        assert final.status == "finished"
        return [(s.epoch, s.step) for s in steps], [s.loss for s in steps]

    one_points, one_losses = losses(1)
    auto_points, auto_losses = losses(0)
    assert auto_points == one_points
    assert auto_losses == pytest.approx(one_losses, rel=1e-5, abs=1e-6)
