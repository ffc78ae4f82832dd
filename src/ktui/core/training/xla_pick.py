"""Whether the step runs with XLA: the user's ``on`` or ``off``, or ``auto``, measured in the run.

XLA fuses a step's element-wise work: on this 2-core CPU it made fashion-mlp's step 5-23 %
faster before the one-kernel Adam (:mod:`.fused_adam`) and 0.96-1.09× since, fashion-cnn's
2× slower, and it costs seconds of compilation before its first step (2-6 s for
fashion-mlp here). No rule of thumb says which model gains, so ``auto``
measures, on the run's own steps (every timed step trains; nothing is run twice):

1. The first calls run the step without XLA. Once :data:`MIN_CALLS` of them are timed (the
   first call, which traces, left out), the run's remaining steps at that speed are
   estimated (from :data:`ESTIMATE_S` of them when the estimate is near the bar); under
   :data:`TRY_MIN_S` XLA is not tried, as its compilation would cost more than it could
   save, and the pick is "without XLA" (every preset as shipped ends here).
2. Otherwise the next call compiles the step with XLA (one step, its batch pulled in Python;
   its time, less that of an XLA step, is the compilation's), and then the calls alternate
   between the two compiled steps (the first XLA one, which traces XLA's loop of K steps,
   untimed) until each has :data:`COMPARE_S` of timed steps (alternating, so a machine
   that speeds up or slows down meanwhile weighs on both alike). XLA is kept for the rest of
   the run when its median step is at least :data:`MARGIN` faster; else the step goes back
   to the plain one. The compilation is then spent either way.

A model XLA cannot compile (an op it lacks: ``tf.numpy_function`` in a layer of yours, say)
fails at that first XLA call, before anything is applied: the loop then trains the same batch
with the plain step, and the pick is "without XLA" and why (:meth:`XlaPicker.cannot`).

The picker holds no TensorFlow: the loop times each call (with a host sync while deciding,
as a GPU returns before its kernels end) and asks :attr:`XlaPicker.use_xla` before the next.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from ktui.core.events import XlaPicked
from ktui.core.spec.train import JIT_SETTINGS

#: Seconds of plain steps timed before the run's length is estimated.
ESTIMATE_S = 0.5
#: Seconds of each kind of step timed, alternating, before the pick.
COMPARE_S = 2.0
#: The fewest calls of each kind behind a median.
MIN_CALLS = 3
#: XLA is tried only when the run's remaining steps, without it, would take this long:
#: its compilation (2-6 s for a small dense model on this CPU, more for a convolutional
#: one) must be a small share of what it might save.
TRY_MIN_S = 120.0
#: How much faster XLA's step must be to be kept (a smaller gain is within the noise of
#: two medians on a busy machine).
MARGIN = 0.03


def _per_step(calls: list[tuple[int, float]]) -> float:
    """The median seconds a step over ``calls`` of (steps, seconds)."""
    return statistics.median(seconds / steps for steps, seconds in calls)


def _seconds(s: float) -> str:
    return f"{s:.0f} s" if s >= 10 else f"{s:.2g} s"


def _timed(calls: list[tuple[int, float]]) -> float:
    return sum(seconds for _, seconds in calls)


@dataclass
class XlaPicker:
    """What one run's step is compiled with, call by call. ``setting`` is ``on``, ``off`` or
    ``auto`` (see the module's docstring); ``on`` and ``off`` never change."""

    setting: str
    #: ``plain`` (timing plain calls), ``compile`` (the next call compiles XLA), ``compare``
    #: (alternating), ``done``.
    phase: str = field(init=False)
    use_xla: bool = field(init=False)
    #: Seconds XLA's compilation took (known with the pick; None: not tried).
    compile_s: float | None = field(default=None, init=False)
    _plain: list[tuple[int, float]] = field(default_factory=list, init=False, repr=False)
    _xla: list[tuple[int, float]] = field(default_factory=list, init=False, repr=False)
    _calls: int = field(default=0, init=False, repr=False)
    #: Whether XLA's K-step loop has been traced (its first call, not timed).
    _traced_xla: bool = field(default=False, init=False, repr=False)
    #: The call that compiled XLA's step: (steps, seconds).
    _compile_call: tuple[int, float] = field(default=(0, 0.0), init=False, repr=False)

    def __post_init__(self) -> None:
        if self.setting not in JIT_SETTINGS:
            raise ValueError(f"jit_compile must be one of {JIT_SETTINGS}, "
                             f"got {self.setting!r}")
        self.phase = "plain" if self.setting == "auto" else "done"
        self.use_xla = self.setting == "on"

    @property
    def deciding(self) -> bool:
        """Whether calls are being timed for the pick (the loop syncs after each)."""
        return self.phase != "done"

    @property
    def compiling(self) -> bool:
        """Whether the next call compiles XLA's step (its time is not a step's)."""
        return self.phase == "compile"

    def observe(self, steps: int, seconds: float, steps_left: int, where: tuple[int, int]
                ) -> XlaPicked | None:
        """The call just made (with :attr:`use_xla` as it was) ran ``steps`` steps in
        ``seconds``; ``steps_left`` remain in the run, ``where`` is (epoch, step) after it.
        Returns the pick once made (and :attr:`use_xla` is then final)."""
        if not self.deciding or steps <= 0:
            return None
        self._calls += 1
        if self.phase == "plain":
            if self._calls > 1:  # the first call traced the step
                self._plain.append((steps, seconds))
            if len(self._plain) < MIN_CALLS:
                return None
            left_s = _per_step(self._plain) * steps_left
            if left_s >= TRY_MIN_S / 4 and _timed(self._plain) < ESTIMATE_S:
                return None  # far from the bar: said at once; near it: time some more
            if left_s < TRY_MIN_S:
                return self._pick(False, where, f"not tried: the run's steps left take "
                                  f"~{_seconds(left_s)}, too few to repay XLA's "
                                  "compilation", tried=False)
            self._plain.clear()
            self.phase, self.use_xla = "compile", True
            return None
        if self.phase == "compile":
            self._compile_call = (steps, seconds)
            self.phase, self.use_xla = "compare", False
            self._traced_xla = False
            return None
        if self.use_xla and not self._traced_xla:
            self._traced_xla = True  # its first call of K steps traced XLA's K-step loop
        else:
            (self._xla if self.use_xla else self._plain).append((steps, seconds))
        done = all(_timed(c) >= COMPARE_S and len(c) >= MIN_CALLS
                   for c in (self._plain, self._xla))
        if not done:
            self.use_xla = not self.use_xla
            return None
        plain_s, xla_s = _per_step(self._plain), _per_step(self._xla)
        steps_compiled, compile_call_s = self._compile_call
        self.compile_s = max(compile_call_s - steps_compiled * xla_s, 0.0)
        gain = plain_s / xla_s
        timing = (f"{xla_s * 1000:.3g} ms a step with XLA, {plain_s * 1000:.3g} without; "
                  f"compiled in {self.compile_s:.1f} s")
        if xla_s <= plain_s * (1 - MARGIN):
            return self._pick(True, where, f"{gain:.2f}× as fast with XLA ({timing})")
        return self._pick(False, where, f"{'only ' if gain > 1 else ''}{gain:.2f}× as fast "
                          f"with XLA ({timing})")

    def cannot(self, where: tuple[int, int], why: str) -> XlaPicked:
        """XLA could not compile the step (``why``, TensorFlow's words): the plain step
        trains the rest of the run."""
        return self._pick(False, where, f"XLA cannot compile this model: {why}")

    def _pick(self, xla: bool, where: tuple[int, int], reason: str, tried: bool = True
              ) -> XlaPicked:
        self.phase, self.use_xla = "done", xla
        plain = _per_step(self._plain) if self._plain else None
        faster = _per_step(self._xla) if self._xla else None
        return XlaPicked(xla=xla, reason=reason, epoch=where[0], step=where[1], tried=tried,
                         plain_ms=None if plain is None else plain * 1000,
                         xla_ms=None if faster is None else faster * 1000,
                         compile_s=self.compile_s)
