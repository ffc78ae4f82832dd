"""How many training steps each compiled call runs: ``steps_per_execution``, or ``0`` (auto).

The host dispatches one compiled call per K steps, as Keras ``fit``'s ``steps_per_execution``
does; a step of a small model is a few milliseconds, so a call per step spends a fifth of the
time in dispatch (measured on fashion-mlp, 2 cores: K=16 is +18 % samples/s). Auto picks K
so that the run behaves exactly as with K=1, only faster:

- Each call ends on a multiple of ``log_every`` (or the epoch's end), so the step losses
  are reported at the same steps, the rate windows are the same, and the event stream is
  that of K=1 whatever the machine's speed (K is a divisor of ``log_every``).
- A call lasts at most :data:`CALL_BUDGET_S` (measured per step as the run goes), so pause,
  stop and quit still answer within a fraction of a second on a slow model.
- The first :data:`WARMUP_CALLS` calls run one step each: the first one traces the step, the
  others measure it.
- Under a multi-worker strategy every worker must make the same calls, which timing would
  not guarantee: auto is one step per call there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The longest a compiled call may take when K is chosen automatically (stop latency).
CALL_BUDGET_S = 0.1
#: The most steps auto puts in one call.
MAX_AUTO_STEPS = 32
#: Calls of one step that trace and measure the step before auto grows K.
WARMUP_CALLS = 3
#: How much of a new measurement the running step time takes in.
_SMOOTHING = 0.3


def divisors_up_to(n: int, most: int) -> list[int]:
    """The divisors of ``n`` that are at most ``most``, ascending (``[1]`` at least)."""
    return [d for d in range(1, max(min(n, most), 1) + 1) if n % d == 0] or [1]


@dataclass
class CallSizes:
    """The number of steps of each compiled call of one run.

    ``fixed`` > 0 is the user's ``steps_per_execution`` (every call that size, the epoch's
    end aside); ``fixed`` == 0 is auto (see the module's docstring).
    """

    fixed: int
    log_every: int
    #: Multi-worker: auto stays at one step per call (see the module's docstring).
    lockstep: bool = False
    #: The running estimate of one step's seconds (None until measured).
    step_s: float | None = None
    _calls: int = field(default=0, repr=False)

    @property
    def auto(self) -> bool:
        return self.fixed == 0

    @property
    def python_steps(self) -> bool:
        """Whether each step is its own call with the batch pulled in Python (K=1 as set)."""
        return self.fixed == 1

    def next_count(self, step: int, steps_per_epoch: int, paused: bool) -> int:
        """How many steps the next call runs, from ``step`` (steps done in the epoch)."""
        left = steps_per_epoch - step
        if paused:
            return 1 if left > 0 else 0
        if not self.auto:
            return min(self.fixed, left)
        if self.lockstep or self._calls < WARMUP_CALLS or self.step_s is None:
            return min(1, left)
        budget = max(int(CALL_BUDGET_S / max(self.step_s, 1e-9)), 1)
        size = max(d for d in divisors_up_to(self.log_every, MAX_AUTO_STEPS) if d <= budget)
        to_boundary = self.log_every - step % self.log_every
        return min(size, to_boundary, left)

    def observe(self, count: int, seconds: float) -> None:
        """A call of ``count`` steps took ``seconds`` (the first call's tracing is not a
        step's time and is left out)."""
        self._calls += 1
        if self._calls == 1 or count <= 0:
            return
        per_step = seconds / count
        self.step_s = per_step if self.step_s is None else (
            (1 - _SMOOTHING) * self.step_s + _SMOOTHING * per_step)


__all__ = ["CALL_BUDGET_S", "MAX_AUTO_STEPS", "WARMUP_CALLS", "CallSizes", "divisors_up_to"]
