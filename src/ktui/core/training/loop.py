"""The epoch/step loop: :func:`train` runs an experiment and reports through a sink.

It reports events of plain numbers to ``sink``, obeys a :class:`TrainerControl` from any
thread, and never raises for a training problem: it returns (and sends) ``RunFailed``.
Whatever else needs the model (the run directory's checkpoints, TensorBoard, ``model.keras``)
is a :class:`ModelSink` passed in ``model_sinks``, called like a Keras callback; the loop
itself keeps the step, the loop and the pipelines. Losses are read back to the host every
``log_every`` steps, not every step, to keep the device busy.

Importing this module does not import TensorFlow (the TUI imports it before TensorFlow has
loaded): the modules that do TensorFlow work (:mod:`.assemble`, :mod:`.insight`,
:mod:`.pipeline`, ...) import it at their top, so they are imported here only inside
:func:`train`, after :func:`ktui.core.tfenv.import_tf`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ktui.core.events import (
    EpochDone,
    Evaluating,
    Event,
    LayerWeights,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    XlaPicked,
    wb_model_of,
)
from ktui.core.spec import ExperimentSpec, validate
from ktui.core.training.calls import CallSizes
from ktui.core.training.control import TrainerControl
from ktui.core.training.failures import LOADING, explain, one_line, xla_refusal
from ktui.core.training.placement import Placement
from ktui.core.training.steer import Steerer

if TYPE_CHECKING:
    from ktui.core.training.insight import ViewData
    from ktui.core.training.steps import StepsBase
    from ktui.core.training.xla_pick import XlaPicker

Sink = Callable[[Event], None]


class ModelSink(Protocol):
    """A consumer of the run that also needs the model, like a Keras callback."""

    def attach(self, model: Any, optimizer: Any, layers: Sequence[Any]) -> int:
        """The model is built: set up (restore a checkpoint); return the epoch to start from
        (0 for a fresh run)."""
        ...

    def on_epoch_end(self, event: EpochDone) -> None:
        """After ``event`` went to the sink."""
        ...

    def on_train_end(self) -> None:
        """Before the run's last event (finished, stopped or NaN; not after a crash)."""
        ...

    def io_failure(self, err: BaseException, reason: str) -> str | None:
        """A write the disk refused (``reason``): the failure's message if it was this
        sink's, else None."""
        ...


def train(spec: ExperimentSpec, sink: Sink, control: TrainerControl | None = None, *,
          data_dir: str | None = None, model_sinks: Sequence[ModelSink] = ()
          ) -> RunFinished | RunFailed:
    """Run the experiment to the end, a stop request or a failure; return the last event
    (which ``sink`` got too). To record it into a run directory, start it with
    :func:`ktui.core.session.start_run`."""
    control = control or TrainerControl()

    def fail(kind: str, message: str, **details: Any) -> RunFailed:
        event = RunFailed(kind=kind, message=message, **details)  # type: ignore[arg-type]
        sink(event)
        return event

    from ktui.core.user_layers.checks import before_training, warnings_of

    user = before_training(spec, validate, data_dir)  # your layers: built, checked (TF)
    if user is not None:
        return fail("spec", user.message, details={"user_traceback": user.traceback})
    said = warnings_of(spec, data_dir)  # the checks' (kept): said in RunStarted
    errors = validate(spec)
    if errors:
        return fail("spec", "the experiment is not valid: " + "; ".join(errors),
                    details={"errors": errors})
    phase = LOADING
    try:
        from ktui.core.datasets import DataError, load_splits

        try:
            splits = load_splits(spec, data_dir)
        except DataError as err:
            return fail("data", str(err))
        if control.stop_requested:
            return _finish(sink, "stopped", 0, {}, 0.0)

        from ktui.core.tfenv import import_tf
        from ktui.core.training.placement import PlacementError, place

        import_tf()
        t = spec.train
        try:
            placement = place(t.strategy, t.devices, t.cpu_devices, t.device, t.precision)
        except PlacementError as err:
            return fail("spec", str(err))
        phase = "building the model"
        with placement.scope():
            run = _Run(spec, splits, sink, control, placement, model_sinks, said)
            phase = "training the model"
            return run.execute()
    except Exception as err:  # noqa: BLE001 - a bug or a TF error must end as an event
        kind, message, details = explain(err, spec, phase,
                                         [s.io_failure for s in model_sinks])
        return fail(kind, message, details=details)


def _finish(sink: Sink, status: str, epochs: int, test: dict[str, float], seconds: float,
            reason: str = "") -> RunFinished:
    event = RunFinished(status=status, epochs_done=epochs, test=test,  # type: ignore[arg-type]
                        seconds=seconds, reason=reason)
    sink(event)
    return event


class _Run:
    """One run's state: model, optimizer, compiled steps, pipelines, model sinks."""

    def __init__(self, spec: ExperimentSpec, splits: Any, sink: Sink,
                 control: TrainerControl, placement: Placement,
                 model_sinks: Sequence[ModelSink], said: Sequence[str] = ()) -> None:
        import contextlib

        import keras  # TensorFlow has been imported quietly by train()
        import tensorflow as tf

        from ktui.core.build import build_model, model_layers, summarize
        from ktui.core.training.assemble import make_optimizer, make_steps
        from ktui.core.training.insight import ViewData
        from ktui.core.training.pipeline import Passes, eval_dataset
        from ktui.core.user_layers import uses_user_layers
        from ktui.core.user_layers.caught import caught

        self.spec, self.splits, self.sink, self.control = spec, splits, sink, control
        self.placement, self.model_sinks = placement, tuple(model_sinks)
        t = spec.train
        keras.utils.set_random_seed(t.seed)  # Keras' global state is per thread: set it here
        keras.config.set_dtype_policy(t.precision)  # per thread too
        built: list[str] = []  # Keras' UserWarnings about the user's layers: logged, not raw
        with caught(built) if uses_user_layers(spec) else contextlib.nullcontext():
            self.model = build_model(spec)
        self.warnings = (*said, *(f"building the model: {w}" for w in built
                                  if not any(line.endswith(w) for line in said)))
        #: XLA compiles the step on one device only (RunStarted says "off" under a strategy).
        self.xla_setting = t.jit_compile if placement.strategy is None else "off"
        self.layers = model_layers(self.model)
        self.summary = summarize(spec, self.model)
        n = len(splits.x_train)
        self.batch_size = t.batch_size or n
        self.steps_per_epoch = math.ceil(n / self.batch_size)
        optimizer, rate = make_optimizer(t, self.steps_per_epoch,
                                         t.epochs * self.steps_per_epoch)
        self.steer = Steerer(t, rate, self.model)
        classes = (len(spec.dataset.class_names()) or int(spec.dataset.output_shape()[-1])
                   if spec.task == "classification" else 0)
        self.views: ViewData = ViewData(self.model, splits, classes,
                                        spec.dataset.class_names(), t.seed)
        self.train_xy = (tf.constant(splits.x_train), tf.constant(splits.y_train))
        val = (eval_dataset(splits.x_val, splits.y_val, self.batch_size)
               if len(splits.x_val) else None)
        test = (eval_dataset(splits.x_test, splits.y_test, self.batch_size)
                if len(splits.x_test) else None)
        self.steps: StepsBase = make_steps(placement, self.model, optimizer, spec, splits,
                                           val if val is not None else test)
        # One iterator for every epoch's validation (pipeline.Passes: memory stays flat);
        # several workers read their shares afresh each epoch.
        self.val_passes = (Passes(val, self.steps.distribute, repeat=placement.role is None)
                           if val is not None else None)
        self.test_ds = self.steps.distribute(test) if test is not None else None
        self.start_epoch = 0
        for model_sink in self.model_sinks:
            self.start_epoch = max(self.start_epoch,
                                   model_sink.attach(self.model, optimizer, self.layers))

    def weights(self) -> tuple[LayerWeights, ...]:
        """The model's weights now, as the statistics events carry."""
        from ktui.core.training.weights import layer_weights

        return layer_weights(self.layers)

    def _started(self) -> RunStarted:
        spec, splits, t = self.spec, self.splits, self.spec.train
        initial = self.weights()
        return RunStarted(
            name=spec.name, devices=self.placement.devices, layers=self.summary,
            total_params=sum(r.params for r in self.summary),
            trainable_params=sum(r.trainable_params for r in self.summary),
            epochs=t.epochs, start_epoch=self.start_epoch, steps_per_epoch=self.steps_per_epoch,
            batch_size=self.batch_size, train_samples=len(splits.x_train),
            val_samples=len(splits.x_val), test_samples=len(splits.x_test), task=spec.task,
            metric_names=tuple(t.metrics), true_weights=tuple(splits.true_w),
            true_bias=splits.true_b, initial_weights=initial, wb_model=wb_model_of(initial),
            strategy=self.placement.kind, replicas=self.placement.replicas,
            placement=self.placement.describe(),
            role=self.placement.role.describe() if self.placement.role else "",
            precision=t.precision, xla=self.xla_setting,  # type: ignore[arg-type]
            warnings=self.warnings)

    def _end(self) -> None:
        for model_sink in self.model_sinks:
            model_sink.on_train_end()

    def execute(self) -> RunFinished | RunFailed:
        import numpy as np  # not at the top: the TUI's first frame imports this module

        from ktui.core.training.pipeline import train_dataset
        from ktui.core.training.xla_pick import XlaPicker

        spec, sink, control, steps = self.spec, self.sink, self.control, self.steps
        t = spec.train
        sink(self._started())
        if (sample := self.views.sample()) is not None:
            sink(sample)
        started = time.perf_counter()
        #: Seconds spent waiting in a pause: not training time, so kept out of every rate
        #: and duration the run reports (steps/s, EpochDone.seconds, RunFinished.seconds).
        paused_s = 0.0
        dataset = train_dataset(*self.train_xy, n=len(self.splits.x_train),
                                batch_size=self.batch_size, seed=t.seed, shuffle=t.shuffle,
                                first_epoch=self.start_epoch + 1, last_epoch=t.epochs)
        batches = iter(steps.distribute(dataset))
        calls = CallSizes(t.steps_per_execution, t.log_every,
                          lockstep=self.placement.role is not None)
        xla = XlaPicker(self.xla_setting)  # auto: times both compilers on these steps
        global_step = self.start_epoch * self.steps_per_epoch
        epochs_done = self.start_epoch
        reason = ""  # why a rule ended the run (early stopping, a target, a time budget)
        for epoch in range(self.start_epoch + 1, t.epochs + 1):
            epoch_start = time.perf_counter()
            epoch_paused = 0.0
            steps.start_epoch()
            pending: list[Any] = []
            window_start = time.perf_counter()
            step = 0
            stopped = False
            while step < self.steps_per_epoch:
                wait_start = time.perf_counter()
                go = control.wait_turn(
                    on_pause=lambda e=epoch, s=step: sink(Paused(e, s)),
                    on_resume=lambda e=epoch, s=step: sink(Resumed(e, s)),
                )
                waited = time.perf_counter() - wait_start
                epoch_paused += waited
                window_start += waited  # the rate window restarts where the pause ended
                if not go:
                    stopped = True
                    break
                if (changed := self.steer.take_request(control, epoch, step)) is not None:
                    sink(changed)
                # K steps per call (one at a time while single-stepping a pause), or one
                # step with the batch pulled by Python (K = 1 as set: no loop in the graph,
                # and XLA's first step: its compilation, which may fail).
                compiling = xla.compiling  # this call compiles XLA: its time is not a step's
                count = (1 if calls.python_steps or compiling
                         else calls.next_count(step, self.steps_per_epoch, control.paused))
                call_start = time.perf_counter()
                picked = None
                if compiling:
                    loss, picked = self._first_xla_step(next(batches), xla, (epoch, step + 1))
                    pending.append(loss)
                else:
                    pending.append(steps.train(*next(batches)) if calls.python_steps
                                   else steps.train_many(batches, count))
                if xla.deciding:  # the call's own time (a GPU returns before it ends)
                    np.asarray(pending[-1])
                took = time.perf_counter() - call_start
                if not (calls.python_steps or compiling):
                    calls.observe(count, took)
                if xla.deciding:
                    left = (t.epochs - epoch + 1) * self.steps_per_epoch - step - count
                    picked = xla.observe(count, took, left, (epoch, step + count))
                    steps.set_xla(xla.use_xla)
                if picked is not None:
                    steps.forget_other()
                    sink(picked)
                before, step = step, step + count
                global_step += count
                flush = (step // t.log_every > before // t.log_every
                         or step == self.steps_per_epoch or control.paused)
                if flush:
                    losses = [float(v) for p in pending for v in np.ravel(p)]  # one host sync
                    now = time.perf_counter()
                    rate = len(losses) / max(now - window_start, 1e-9)
                    pending, window_start = [], now
                    if not all(math.isfinite(v) for v in losses) or steps.skipped > 0:
                        self._end()  # the weights are still the last finite ones
                        return self._nan_failure(epoch, step, losses)
                    sink(StepDone(epoch=epoch, step=step, steps_per_epoch=self.steps_per_epoch,
                                  global_step=global_step, loss=losses[-1], steps_per_s=rate,
                                  grad_norms=steps.take_grad_norms()))
            paused_s += epoch_paused
            if stopped:
                break
            if steps.skipped > 0:
                self._end()
                return self._nan_failure(epoch, step, [])
            val_loss, val_metrics = steps.score(self.val_passes)
            seconds = max(time.perf_counter() - epoch_start - epoch_paused, 0.0)
            loss, metrics = steps.epoch_results()
            done = EpochDone(
                epoch=epoch, epochs=t.epochs, loss=loss, val_loss=val_loss, metrics=metrics,
                val_metrics=val_metrics, weights=self.weights(), seconds=seconds,
                samples_per_s=len(self.splits.x_train) / max(seconds, 1e-9),
                lr=self.steer.rate.current(),
            )
            sink(done)
            for event in self.views.after_validation(steps, epoch, self.val_passes is not None):
                sink(event)
            changes, reason = self.steer.after_epoch(
                done, time.perf_counter() - started - paused_s)
            for change in changes:
                sink(change)
            for model_sink in self.model_sinks:  # the checkpoint keeps a plateau's new rate
                model_sink.on_epoch_end(done)
            epochs_done = epoch
            if reason:
                break
        complete = epochs_done == t.epochs or bool(reason)
        restored = self.steer.restore(epochs_done) if complete else ""
        test: dict[str, float] = {}
        if self.test_ds is not None and complete:
            sink(Evaluating(split="test"))  # seconds on a big test set: say so first
            test_loss, test_metrics = steps.score(self.test_ds)
            test = {"loss": test_loss, **test_metrics}
            if (matrix := self.views.confusion(steps, epochs_done, "test")) is not None:
                sink(matrix)
        self._end()  # model.keras: the restored best weights, when asked for
        return _finish(sink, "finished" if complete else "stopped", epochs_done, test,
                       max(time.perf_counter() - started - paused_s, 0.0),
                       "; ".join(part for part in (reason, restored) if part))

    def _first_xla_step(self, batch: Any, xla: XlaPicker, where: tuple[int, int]
                        ) -> tuple[Any, XlaPicked | None]:
        """XLA's first step, which compiles it, on a batch pulled here: when XLA cannot
        compile the model (TensorFlow raises before anything is applied), the plain step
        trains that same batch and ``auto`` keeps the plain step (the pick, returned)."""
        import tensorflow as tf

        try:
            return self.steps.train(*batch), None
        except tf.errors.OpError as err:
            self.steps.set_xla(False)
            why = xla_refusal(str(err)) or one_line(f"{type(err).__name__}: {err.message}")
            return self.steps.train(*batch), xla.cannot(where, why)

    def _nan_failure(self, epoch: int, step: int, losses: list[float]) -> RunFailed:
        event = RunFailed(
            kind="nan",
            message=(f"the loss became NaN or infinite at epoch {epoch}, step {step}; "
                     "training stopped and the weights are those of the last finite step. "
                     "Try a lower learning rate, standardised inputs or another initializer."),
            epoch=epoch, step=step,
            details={"last_losses": [v if math.isfinite(v) else str(v) for v in losses[-5:]]},
        )
        self.sink(event)
        return event
