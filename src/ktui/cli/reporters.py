"""How ``ktui train`` shows a run: JSON lines, plain lines, or a live bar on a terminal.

Each reporter is a sink for the core's events, and reads what it prints from the run's
:class:`RunHistory` (the same one the TUI draws). None touches TensorFlow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO, Any

from ktui.cli.summary import summary_text
from ktui.core.events import (
    EpochDone,
    Evaluating,
    Event,
    LrChanged,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    XlaPicked,
    to_json,
)
from ktui.core.history import RunHistory
from ktui.core.text import clean, metric_text, plural


class JsonlReporter:
    """One JSON object per event on ``out`` and nothing else (schema in the README)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def __call__(self, event: Event) -> None:
        self.out.write(to_json(event) + "\n")
        self.out.flush()


def _fmt(value: float | None) -> str:
    return "-" if value is None else metric_text(value)


def epoch_line(event: EpochDone, history: RunHistory) -> str:
    """``epoch  3/10  loss 0.6182  val_loss 0.5987  accuracy 0.7711 ...  W=3.27 b=1.81  0.4s``
    (W and b for a W-and-b model: ``history`` has taken ``event`` in)."""
    width = len(str(event.epochs))
    parts = [f"epoch {event.epoch:>{width}}/{event.epochs}", f"loss {_fmt(event.loss)}"]
    if event.val_loss is not None:
        parts.append(f"val_loss {_fmt(event.val_loss)}")
    parts += [f"{k} {_fmt(v)}" for k, v in event.metrics.items()]
    parts += [f"val_{k} {_fmt(v)}" for k, v in event.val_metrics.items()]
    if history.wb_model:
        latest = {label: ys[-1] for label, ys in history.weights.items() if ys}
        ws = [v for label, v in latest.items() if label.startswith("W")]
        if ws:
            parts.append("W=" + ",".join(f"{w:.3f}" for w in ws))
        if "b" in latest:
            parts.append(f"b={latest['b']:.3f}")
    if event.lr is not None:
        parts.append(f"lr {event.lr:.4g}")
    parts.append(f"{event.seconds:.2f}s")
    return "  ".join(parts)


def lr_line(event: LrChanged) -> str:
    """``learning rate 0.01 -> 0.001 (plateau, after epoch 7)``."""
    when = (f"after epoch {event.epoch}" if event.source == "plateau"
            else f"at epoch {event.epoch}, step {event.step + 1}")
    return (f"learning rate {event.previous:.3g} -> {event.lr:.3g} "
            f"({'plateau' if event.source == 'plateau' else 'changed'}, {when})")


def xla_line(event: XlaPicked) -> str:
    """``XLA on (auto, at epoch 3, step 40): 1.09× as fast with XLA (4.99 ms a step ...)``."""
    return (f"XLA {'on' if event.xla else 'off'} (jit_compile = auto, at epoch {event.epoch}, "
            f"step {event.step}): {event.reason}")


#: In a pipe, a line inside an epoch at most this often (a fashion-cnn epoch takes 10 s here,
#: a big one minutes: a log that stays silent that long looks hung).
PROGRESS_EVERY_S = 10.0


def step_line(event: StepDone) -> str:
    """``epoch 2/10  step 120/469 (26 %)  loss 0.4321  812 steps/s``: where a long epoch is."""
    done = 100 * event.step // max(event.steps_per_epoch, 1)
    return (f"epoch {event.epoch}  step {event.step}/{event.steps_per_epoch} ({done} %)  "
            f"loss {_fmt(event.loss)}  {event.steps_per_s:.0f} steps/s")


class PlainReporter:
    """Lines only, no control characters: logs on clusters stay readable. Inside a long
    epoch a progress line comes at most every :data:`PROGRESS_EVERY_S` seconds."""

    def __init__(self, out: IO[str], err: IO[str],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.out, self.err = out, err
        self.history = RunHistory()
        #: The epoch a resumed run started from (0: a new run).
        self.start_epoch = 0
        self.clock = clock
        self._last_line = clock()

    def __call__(self, event: Event) -> None:
        self.history.apply(event)
        if isinstance(event, RunStarted):
            self.start_epoch = event.start_epoch
            self._line(self.run_header(event))
        elif isinstance(event, EpochDone):
            self._line(epoch_line(event, self.history))
        elif isinstance(event, StepDone):
            if self.clock() - self._last_line >= PROGRESS_EVERY_S:
                self._line(step_line(event))
        elif isinstance(event, LrChanged):
            self._line(lr_line(event))
        elif isinstance(event, XlaPicked) and event.tried:  # a finding
            self._line(xla_line(event))  # (not tried, on a short run: jsonl only, not noise)
        elif isinstance(event, Paused):
            self._line(f"paused at epoch {event.epoch}, step {event.step}")
        elif isinstance(event, Resumed):
            self._line("resumed")
        elif isinstance(event, RunFinished):
            self._line(self.finish_line(event))
        elif isinstance(event, RunFailed):
            self.err.write(f"ktui: training failed: {clean(event.message, keep_newlines=True)}\n")
            user = event.details.get("user_traceback") if isinstance(event.details, dict) else ""
            if isinstance(user, str) and user:  # an error in your layer (--layers): your lines
                self.err.write(clean(user, keep_newlines=True) + "\n")
            self.err.flush()

    def _line(self, text: str) -> None:
        text = clean(text, keep_newlines=True)  # names and messages come from the user
        self.out.write(text + "\n")
        self.out.flush()
        self._last_line = self.clock()

    @staticmethod
    def run_header(e: RunStarted) -> str:
        data = f"{e.train_samples} train / {e.val_samples} validation / {e.test_samples} test"
        where = ", ".join(e.devices) if e.strategy == "one" else e.placement
        precision = f", {e.precision}" if e.precision != "float32" else ""
        precision += ", XLA" if e.xla == "on" else ""
        resumed = (f"resumed from epoch {e.start_epoch} of {e.epochs}\n"
                   if e.start_epoch else "")
        epochs = plural(e.epochs, "epoch")
        return (resumed + f"{clean(e.name)}: {data} samples, batch {e.batch_size}, "
                f"{e.steps_per_epoch} steps/epoch, {epochs} on {where}{precision}\n"
                + summary_text(e.layers))

    def finish_line(self, e: RunFinished) -> str:
        test = "  ".join(f"test_{k} {_fmt(v)}" for k, v in e.test.items())
        word = "done" if e.status == "finished" else "stopped"
        reason = f"{e.reason}\n" if e.reason else ""
        if e.status == "stopped" and e.reason.startswith("stopped: "):  # who stopped it
            word, reason = f"stopped ({e.reason[9:]})", ""
        start = self.start_epoch
        now = e.epochs_done - start
        this_time = f" ({plural(now, 'epoch')} this time, resumed from epoch {start})" \
            if start else ""
        done = plural(e.epochs_done, "epoch")
        return reason + f"{word}: {done}{this_time} in {e.seconds:.1f}s" + (
            f"  {test}" if test else "")


class ProgressReporter(PlainReporter):
    """On a terminal: a Rich progress bar per epoch (steps/s, ETA), then the epoch line."""

    def __init__(self, out: IO[str], err: IO[str]) -> None:
        super().__init__(out, err)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.console = Console(file=out)
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.1f} steps/s  loss {task.fields[loss]}"),
            TimeRemainingColumn(), console=self.console, transient=True,
        )
        self.task: Any = None
        #: A spinner while the test set is evaluated (seconds for a big one); gone after.
        self.status: Any = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, Evaluating):
            self.history.apply(event)
            self.status = self.console.status(f"evaluating the {event.split} set…")
            self.status.start()
            return
        if isinstance(event, (RunFinished, RunFailed)) and self.status is not None:
            self.status.stop()
            self.status = None
        if isinstance(event, StepDone):
            self._show_step(event)
            return
        if isinstance(event, (EpochDone, RunFinished, RunFailed)) and self.task is not None:
            self.progress.remove_task(self.task)
            self.progress.stop()
            self.task = None
        super().__call__(event)

    def _show_step(self, event: StepDone) -> None:
        h = self.history
        h.apply(event)
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("", total=h.steps_per_epoch, epoch=event.epoch,
                                               rate=0.0, loss="-")
        self.progress.update(self.task, completed=h.step, epoch=event.epoch,
                             rate=h.steps_per_s, loss=_fmt(h.step_loss))

    def _line(self, text: str) -> None:
        self.console.print(clean(text, keep_newlines=True), markup=False, highlight=False)

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()
        if self.status is not None:
            self.status.stop()
