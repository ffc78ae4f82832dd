"""The training loop: a compiled ``tf.GradientTape`` step over a ``tf.data`` pipeline.

:func:`train` is the one entry point for the CLI, the TUI and the benchmarks. It reports
through ``sink`` (events of plain numbers) and obeys a :class:`TrainerControl` from any
thread. It never raises for a training problem: it returns (and sends) ``RunFailed``.

Design choices, each for speed or safety:
- The step is a ``tf.function`` with a fixed input signature (a short last batch does not
  retrace) and is built anew per run (a step traced for one model's variables refuses
  another's).
- The step only applies an update when the loss and every gradient are finite, so a NaN
  never reaches the weights: "the last good weights" are simply the weights.
- Losses are read back to the host every ``log_every`` steps, not every step, to keep the
  device busy; loss and metrics accumulate on the device.
- The pipeline shuffles indices and gathers whole batches, instead of shuffling images one
  by one, and prefetches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import itertools
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ktui.core.control import TrainerControl
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
    TensorStats,
)
from ktui.core.runs import RunDir, RunError, RunRecorder, cause
from ktui.core.spec import ExperimentSpec, validate
from ktui.core.text import brief, clean

Sink = Callable[[Event], None]
#: A weight tensor this small is reported value by value (W per feature of a linear model).
SMALL_TENSOR = 16


def train(spec: ExperimentSpec, sink: Sink, control: TrainerControl | None = None, *,
          data_dir: str | None = None, run_dir: RunDir | None = None,
          resume: bool = False) -> RunFinished | RunFailed:
    """Run the experiment to the end, a stop request or a failure; return the last event.

    With ``run_dir``, the run is recorded there (logs, TensorBoard, checkpoints each epoch,
    ``model.keras`` at the end) while holding the run's lock (:meth:`RunDir.lock`: a second
    process training into the same run gets ``RunFailed(kind="io")`` saying who holds it);
    with ``resume`` too, training continues from its last checkpoint and the logs and curves
    continue from that epoch. A write that fails mid-run stops the run after the current batch
    with ``RunFailed(kind="io")``; what was written stays readable.
    """
    control = control or TrainerControl()
    if run_dir is None:
        return _train(spec, sink, control, data_dir, None, None, False)
    try:
        lock = run_dir.lock()
        lock.acquire()
    except RunError as err:
        return _send(sink, RunFailed(kind="io", message=str(err)))
    try:
        return _train_recorded(spec, sink, control, data_dir, run_dir, resume)
    finally:
        lock.release()


def _send(sink: Sink, event: RunFailed) -> RunFailed:
    sink(event)
    return event


def _train_recorded(spec: ExperimentSpec, sink: Sink, control: TrainerControl,
                    data_dir: str | None, run_dir: RunDir, resume: bool
                    ) -> RunFinished | RunFailed:
    if resume:
        problem = _rewind(run_dir)
        if problem:
            return _send(sink, RunFailed(kind="io", message=problem))
    try:
        recorder = RunRecorder(run_dir)
    except OSError as err:
        return _send(sink, RunFailed(kind="io", message=(
            f"cannot write {run_dir.rel(run_dir.events_file)}: {cause(err)}")))
    recording = _Recording(recorder, sink, control)
    try:
        result = _train(spec, recording, control, data_dir, run_dir, recorder, resume)
    finally:  # every way out, early failures included, closes the log
        recorder.close()
    return recording.final or result


def _rewind(run_dir: RunDir) -> str:
    """Cut the logs back to the last checkpoint before a resume; a message when that cannot
    be done safely (no checkpoint but logged epochs: resuming would silently retrain from
    epoch 1 and drop them; an unreadable checkpoint)."""
    try:
        epoch = _checkpoint_epoch(run_dir)
    except _CheckpointUnreadable as err:
        return str(err)
    if epoch is None:
        logged = len(run_dir.epochs_logged())
        if logged:
            _, why = run_dir.last_checkpoint()
            return (f"{clean(run_dir.name)} has {logged} logged epoch{'s' * (logged != 1)} but "
                    f"no checkpoint to resume from ({why or 'no readable checkpoint'}); start "
                    "a new run, or restart this one from epoch 1")
        epoch = 0
    try:
        run_dir.truncate_logs(epoch)
    except OSError as err:
        return f"cannot rewrite the logs of {clean(run_dir.name)}: {cause(err)}"
    return ""


class _Recording:
    """The sink of a recorded run: the recorder first (a crash must not lose a shown epoch),
    then the caller's sink. A failed write (the recorder's or the model's) stops the run after
    the current batch and turns its ending into ``RunFailed(kind="io")`` naming the file and
    the cause; ``final`` is the ending the caller saw."""

    def __init__(self, recorder: RunRecorder, sink: Sink, control: TrainerControl) -> None:
        self.recorder, self.sink = recorder, sink
        self.final: RunFinished | RunFailed | None = None
        recorder.on_failure = lambda message: control.stop()

    def __call__(self, event: Event) -> None:
        self.recorder(event)
        if isinstance(event, (RunFinished, RunFailed)):
            if self.recorder.failure is not None:
                event = self._io_ending(event, self.recorder.failure)
                self.recorder.record_failure(event)
            self.final = event
        self.sink(event)

    def _io_ending(self, event: RunFinished | RunFailed, failure: str) -> RunFailed:
        if isinstance(event, RunFailed) and event.kind == "io":
            return event
        if isinstance(event, RunFailed) and event.kind != "error":  # the first cause stays
            return dataclasses.replace(event, message=f"{event.message} (also: {failure})")
        return RunFailed(kind="io", message=failure, epoch=self.recorder.last_epoch,
                         details={"ended_as": event.status if isinstance(event, RunFinished)
                                  else event.message})


def _train(spec: ExperimentSpec, sink: Sink, control: TrainerControl, data_dir: str | None,
           run_dir: RunDir | None, recorder: RunRecorder | None, resume: bool
           ) -> RunFinished | RunFailed:
    def fail(kind: str, message: str, **details: Any) -> RunFailed:
        event = RunFailed(kind=kind, message=message, **details)  # type: ignore[arg-type]
        sink(event)
        return event

    errors = validate(spec)
    if errors:
        return fail("spec", "the experiment is not valid: " + "; ".join(errors),
                    details={"errors": errors})
    phase = "loading the data"
    try:
        from ktui.core.data import DataError, load_splits

        try:
            splits = load_splits(spec, data_dir)
        except DataError as err:
            return fail("data", str(err))
        if control.stop_requested:
            return _finish(sink, "stopped", 0, {}, 0.0)

        from ktui.core.tfenv import DeviceError, import_tf, pick_device

        tf = import_tf()
        try:
            device, device_names = pick_device(tf, spec.train.device)
        except DeviceError as err:
            return fail("spec", str(err))
        phase = "building the model"
        with tf.device(device):
            run = _Run(spec, splits, sink, control, device_names)
            if run_dir is not None and recorder is not None:
                run.attach(run_dir, recorder, resume)
            phase = "training the model"
            return run.execute()
    except Exception as err:  # noqa: BLE001 - a bug or a TF error must end as an event
        kind, message, details = _explain(err, spec, phase, recorder)
        return fail(kind, message, details=details)


#: What the OS says when a write cannot happen; TensorFlow's errors carry the same words.
_IO_CAUSES = ("No space left on device", "Disk quota exceeded", "Read-only file system",
              "Permission denied", "Input/output error", "File name too long",
              "Stale file handle")
_ERRNO = {"No space left on device": errno.ENOSPC, "Disk quota exceeded": errno.EDQUOT,
          "Read-only file system": errno.EROFS, "Permission denied": errno.EACCES,
          "Input/output error": errno.EIO, "File name too long": errno.ENAMETOOLONG,
          "Stale file handle": errno.ESTALE}
#: How long a one-line failure message may get; the whole text goes to ``details``.
MESSAGE_CHARS = 300


def _io_cause(err: BaseException) -> str | None:
    """``No space left on device`` when ``err`` (an OSError or a TF error wrapping one) is
    about a write that the disk refused; None otherwise."""
    if isinstance(err, OSError) and err.errno is not None:
        return cause(err)
    text = str(err)
    return next((c for c in _IO_CAUSES if c in text), None)


def _as_oserror(err: BaseException, reason: str) -> OSError:
    if isinstance(err, OSError) and err.errno is not None:
        return err
    return OSError(_ERRNO.get(reason, errno.EIO), reason)


def _one_line(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = clean(line)
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def _explain(err: Exception, spec: ExperimentSpec, phase: str, recorder: RunRecorder | None
             ) -> tuple[str, str, dict[str, Any]]:
    """An exception from loading, building or training as ``(kind, one-line message,
    details)``: a refused write is ``io``, running out of memory ``resources``, Keras refusing
    a value ``spec`` (naming the field), anything else ``error``."""
    import traceback

    details = {"exception": type(err).__name__, "text": str(err)[:20_000],
               "traceback": traceback.format_exc()[-20_000:]}
    reason = _io_cause(err)
    if reason is not None:
        path = getattr(err, "filename", None) or _path_in(str(err), recorder)
        if phase == "loading the data":
            return "data", f"cannot read {clean(str(path or 'the data'))}: {reason}", details
        if recorder is not None:
            recorder.io_failed(Path(path) if path else recorder.run.path,
                               _as_oserror(err, reason))
            return "io", recorder.failure or reason, details
        return "io", f"cannot write {clean(str(path or 'a file'))}: {reason}", details
    text = str(err)
    if isinstance(err, MemoryError) or "OOM when allocating" in text or \
            type(err).__name__ == "ResourceExhaustedError":
        return "resources", _out_of_memory(spec, phase), details
    if isinstance(err, RecursionError):
        return "spec", (f"layers: the model is too deep for Keras to build ({len(spec.layers)} "
                        "layers); use fewer layers"), details
    if isinstance(err, ValueError):
        known = _keras_refusal(text, spec)
        if known:
            return "spec", known, details
    return "error", _one_line(f"{type(err).__name__} while {phase}: {text}"), details


def _path_in(text: str, recorder: RunRecorder | None) -> str | None:
    """The run-directory file a TF error message names (TF messages also hold device names
    like ``/job:localhost``, so only paths inside the run count)."""
    if recorder is None:
        return None
    root = str(recorder.run.path)
    match = re.search(re.escape(root) + r"[^\s;:'\",\]\[]*", text)
    if not match:
        return None
    parts = Path(match.group(0)).relative_to(recorder.run.path).parts
    if parts[:1] == ("checkpoints",):  # TF's temporary names say nothing: name the folder
        return str(recorder.run.path.joinpath(*parts[:2]))
    return match.group(0)


def _out_of_memory(spec: ExperimentSpec, phase: str) -> str:
    if phase == "loading the data":
        return ("out of memory loading the data: lower dataset.n (linear) or dataset.samples "
                "(Fashion-MNIST)")
    params = ""
    with contextlib.suppress(Exception):
        from ktui.core.catalog import infer_stack

        rows = infer_stack(spec.input_shape(), [(lay.kind, lay.params) for lay in spec.layers])
        params = f"{sum(r.params for r in rows):,} parameters, "
    batch = spec.train.batch_size or "the whole training set"
    return (f"out of memory {phase} ({params}batch {batch}): lower train.batch_size or the "
            "layer sizes")


def _keras_refusal(text: str, spec: ExperimentSpec) -> str:
    """Keras' own ValueErrors for values ktui passes on, as ``field: what to do``."""
    if "Seed must be between" in text:
        return f"train.seed: must be between 0 and {2**32 - 1}, got {spec.train.seed}"
    if "cannot contain character `/`" in text:
        return (f"name: must not contain '/' (Keras names the model after it), got "
                f"{clean(brief(spec.name))}")
    return ""


def make_checkpoint(model, optimizer=None, epoch=None):
    """A ``tf.train.Checkpoint`` of the model's variables (trainable, moving statistics and
    dropout seed state), the optimizer's slots and the epoch.

    Variables are listed explicitly, in the model's deterministic order: TensorFlow's object
    graph does not see layers that a Keras 3 subclassed model keeps in a list, so
    ``Checkpoint(model=model)`` would silently save nothing for them.
    """
    import tensorflow as tf

    parts = {"model_variables": list(model.variables)}
    if optimizer is not None:
        parts["optimizer_variables"] = list(optimizer.variables)
    if epoch is not None:
        parts["epoch"] = epoch
    return tf.train.Checkpoint(**parts)


class _CheckpointUnreadable(Exception):
    """The run's last checkpoint is there but TensorFlow cannot read it."""


def _checkpoint_epoch(run_dir: RunDir) -> int | None:
    """The epoch stored in the run's last checkpoint; None when there is none.

    ``tf.train.get_checkpoint_state`` reads the index file TensorFlow writes last; the epoch
    is read from the checkpoint itself, which also proves it is readable before any log is
    cut back to it.
    """
    from ktui.core.tfenv import import_tf

    tf = import_tf()
    if not run_dir.last_dir.is_dir():
        return None
    state = tf.train.get_checkpoint_state(str(run_dir.last_dir))
    if state is None or not state.model_checkpoint_path:
        return None
    path = state.model_checkpoint_path
    try:
        reader = tf.train.load_checkpoint(path)
        return int(reader.get_tensor("epoch/.ATTRIBUTES/VARIABLE_VALUE"))
    except Exception as err:  # noqa: BLE001 - any TF read error means "cannot resume"
        raise _CheckpointUnreadable(
            f"cannot resume {clean(run_dir.name)}: its checkpoint {run_dir.rel(Path(path))} "
            f"is unreadable ({_one_line(str(err))}); start a new run, or train it again from "
            f"epoch 1 (`ktui train --resume {clean(run_dir.name)} --restart`)") from None


def checkpoint_problem(run_dir: RunDir) -> str:
    """Why the run's last checkpoint cannot be resumed from; "" when it can or there is none
    (the CLI asks before it changes anything; TensorFlow is imported)."""
    try:
        _checkpoint_epoch(run_dir)
    except _CheckpointUnreadable as err:
        return str(err)
    return ""


def _finish(sink: Sink, status: str, epochs: int, test: dict[str, float], seconds: float
            ) -> RunFinished:
    event = RunFinished(status=status, epochs_done=epochs, test=test,  # type: ignore[arg-type]
                        seconds=seconds)
    sink(event)
    return event


def tensor_stats(array: np.ndarray) -> TensorStats:
    flat = np.asarray(array, dtype=np.float64).ravel()
    values = tuple(float(v) for v in flat) if flat.size <= SMALL_TENSOR else ()
    return TensorStats(size=int(flat.size), mean=float(flat.mean()), std=float(flat.std()),
                       norm=float(np.linalg.norm(flat)), min=float(flat.min()),
                       max=float(flat.max()), values=values)


@dataclass
class _Steps:
    train: Callable
    evaluate: Callable


class _Run:
    """One run's state: model, optimizer, compiled steps, datasets, counters."""

    def __init__(self, spec: ExperimentSpec, splits: Any, sink: Sink,
                 control: TrainerControl, devices: tuple[str, ...]) -> None:
        import keras
        import tensorflow as tf

        from ktui.core.build import build_model, model_layers, summarize
        from ktui.core.losses import LOSS_FUNCTIONS
        from ktui.core.metrics import make_metric

        self.tf, self.keras = tf, keras
        self.spec, self.splits, self.sink, self.control = spec, splits, sink, control
        self.devices = devices
        t = spec.train
        keras.utils.set_random_seed(t.seed)  # Keras' global state is per thread: set it here
        self.model = build_model(spec)
        self.layers = model_layers(self.model)
        self.summary = summarize(spec, self.model)
        self.loss_fn = LOSS_FUNCTIONS[t.loss]
        self.optimizer = _make_optimizer(keras, t.optimizer, t.learning_rate, t.momentum)
        self.optimizer.build(self.model.trainable_variables)
        self.metrics = [make_metric(name) for name in t.metrics]
        self.val_metrics = [make_metric(name) for name in t.metrics]
        self.train_loss = keras.metrics.Mean(name="loss")
        self.val_loss = keras.metrics.Mean(name="val_loss")
        self.bad_steps = tf.Variable(0, dtype=tf.int64, trainable=False)
        n = len(splits.x_train)
        self.batch_size = t.batch_size or n
        self.steps_per_epoch = math.ceil(n / self.batch_size)
        self.train_xy = (tf.constant(splits.x_train), tf.constant(splits.y_train))
        self.val_ds = (self._dataset(splits.x_val, splits.y_val)
                       if len(splits.x_val) else None)
        self.test_ds = (self._dataset(splits.x_test, splits.y_test)
                        if len(splits.x_test) else None)
        self.steps = self._compile()
        self.start_epoch = 0
        self.run_dir: RunDir | None = None
        self.recorder: RunRecorder | None = None

    def attach(self, run_dir: RunDir, recorder: RunRecorder, resume: bool) -> None:
        """Record into ``run_dir``: checkpoints (last and best) and TensorBoard summaries."""
        tf = self.tf
        self.run_dir, self.recorder = run_dir, recorder
        self.epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = make_checkpoint(self.model, self.optimizer, self.epoch_var)
        self.last_ckpt = tf.train.CheckpointManager(self.checkpoint, str(run_dir.last_dir), 1,
                                                    checkpoint_name="ckpt")
        self.best_ckpt = tf.train.CheckpointManager(self.checkpoint, str(run_dir.best_dir), 1,
                                                    checkpoint_name="ckpt")
        if resume and self.last_ckpt.latest_checkpoint:
            self.checkpoint.restore(self.last_ckpt.latest_checkpoint).expect_partial()
            self.start_epoch = int(self.epoch_var.numpy())
        self.tb = tf.summary.create_file_writer(str(run_dir.tensorboard_dir))
        #: (tags, compiled writer) of the per-epoch summaries, made at the first epoch.
        self._summaries: tuple[tuple[str, ...], Any] | None = None

    # -- data ------------------------------------------------------------------------------
    def _gathered(self, xs, ys, indices):
        """Batches of indices -> batches of (x, y) gathered from in-memory tensors, one gather
        per batch instead of one element at a time, prefetched."""
        tf = self.tf
        ds = indices.map(lambda idx: (tf.gather(xs, idx), tf.gather(ys, idx)),
                         num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return ds.prefetch(tf.data.AUTOTUNE)

    def _dataset(self, x: np.ndarray, y: np.ndarray):
        """An evaluation pipeline: every sample once, in order."""
        tf = self.tf
        indices = tf.data.Dataset.range(len(x)).batch(self.batch_size)
        return self._gathered(tf.constant(x), tf.constant(y), indices)

    def _train_batches(self):
        """Every epoch's training batches, from ``start_epoch + 1`` on, as one iterator.

        Built and iterated once per run (measured: making a new dataset and iterator each
        epoch cost 0.15-0.45 s, re-tracing the gather and re-optimising the pipeline, i.e.
        5-15% of a 3 s fashion-mlp epoch on 60 000 images). Each epoch's order is a stateless
        shuffle seeded by (run seed, epoch), computed inside the pipeline, so prefetching
        across an epoch boundary is safe, every epoch differs, and a resumed run (or an
        exported script) sees exactly the batches an uninterrupted run would.
        """
        tf = self.tf
        xs, ys = self.train_xy
        n = len(self.splits.x_train)
        seed, shuffle = self.spec.train.seed, self.spec.train.shuffle

        def epoch_batches(epoch):
            indices = tf.range(n, dtype=tf.int64)
            if shuffle:
                indices = tf.random.experimental.stateless_shuffle(
                    indices, seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
            return tf.data.Dataset.from_tensor_slices(indices).batch(self.batch_size)

        epochs = tf.data.Dataset.range(self.start_epoch + 1, self.spec.train.epochs + 1)
        return iter(self._gathered(xs, ys, epochs.flat_map(epoch_batches)))

    # -- compiled steps --------------------------------------------------------------------
    def _compile(self) -> _Steps:
        tf = self.tf
        model, optimizer, loss_fn = self.model, self.optimizer, self.loss_fn
        variables = model.trainable_variables
        x_spec = tf.TensorSpec((None, *self.splits.x_train.shape[1:]), tf.float32)
        y_spec = tf.TensorSpec((None, *self.splits.y_train.shape[1:]),
                               tf.as_dtype(self.splits.y_train.dtype))
        jit = self.spec.train.jit_compile

        @tf.function(input_signature=[x_spec, y_spec], jit_compile=jit)
        def train_step(x, y):
            with tf.GradientTape() as tape:
                pred = model(x, training=True)
                loss = loss_fn(y, pred)
                total = loss + tf.add_n(model.losses) if model.losses else loss
            grads = tape.gradient(total, variables)
            # One reduction instead of an is_finite + reduce_all per gradient (measured:
            # 0.6 ms of a 6.4 ms fashion-mlp step): a sum is NaN/Inf when any element is
            # (NaN propagates, +Inf + -Inf is NaN); it can also overflow for gradients near
            # 1e38, which is divergence anyway.
            sums = [tf.cast(tf.reduce_sum(g), total.dtype) for g in grads if g is not None]
            finite = tf.math.is_finite(total + tf.add_n(sums) if sums else total)

            def apply():
                optimizer.apply(grads, variables)
                return tf.constant(0, tf.int64)

            def skip():
                self.bad_steps.assign_add(1)
                return tf.constant(1, tf.int64)

            tf.cond(finite, apply, skip)
            self.train_loss.update_state(loss)
            for metric in self.metrics:
                metric.update_state(y, pred)
            return loss

        @tf.function(input_signature=[x_spec, y_spec], jit_compile=jit)
        def eval_step(x, y):
            pred = model(x, training=False)
            self.val_loss.update_state(loss_fn(y, pred))
            for metric in self.val_metrics:
                metric.update_state(y, pred)

        return _Steps(train_step, eval_step)

    # -- the loop --------------------------------------------------------------------------
    def execute(self) -> RunFinished | RunFailed:
        spec, sink, control = self.spec, self.sink, self.control
        t = spec.train
        splits = self.splits
        sink(RunStarted(
            name=spec.name, devices=self.devices, layers=self.summary,
            total_params=sum(r.params for r in self.summary),
            trainable_params=sum(r.trainable_params for r in self.summary),
            epochs=t.epochs, start_epoch=self.start_epoch, steps_per_epoch=self.steps_per_epoch,
            batch_size=self.batch_size, train_samples=len(splits.x_train),
            val_samples=len(splits.x_val), test_samples=len(splits.x_test), task=spec.task,
            metric_names=tuple(t.metrics), true_weights=tuple(splits.true_w),
            true_bias=splits.true_b, initial_weights=self.weights(),
        ))
        started = time.perf_counter()
        #: Seconds spent waiting in a pause: not training time, so kept out of every rate
        #: and duration the run reports (steps/s, EpochDone.seconds, RunFinished.seconds).
        paused_s = 0.0
        batches = self._train_batches()
        global_step = self.start_epoch * self.steps_per_epoch
        epochs_done = self.start_epoch
        for epoch in range(self.start_epoch + 1, t.epochs + 1):
            epoch_start = time.perf_counter()
            epoch_paused = 0.0
            self.train_loss.reset_state()
            for metric in self.metrics:
                metric.reset_state()
            pending: list[Any] = []
            window_start = time.perf_counter()
            step = 0
            stopped = False
            for x, y in itertools.islice(batches, self.steps_per_epoch):
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
                pending.append(self.steps.train(x, y))
                step += 1
                global_step += 1
                flush = (step % t.log_every == 0 or step == self.steps_per_epoch
                         or control.paused)
                if flush:
                    losses = [float(v) for v in pending]  # one host sync per window
                    now = time.perf_counter()
                    rate = len(pending) / max(now - window_start, 1e-9)
                    pending, window_start = [], now
                    if not all(math.isfinite(v) for v in losses) or int(self.bad_steps) > 0:
                        self._save_model()  # the weights are still the last finite ones
                        return self._nan_failure(epoch, step, losses)
                    sink(StepDone(epoch=epoch, step=step, steps_per_epoch=self.steps_per_epoch,
                                  global_step=global_step, loss=losses[-1], steps_per_s=rate))
            paused_s += epoch_paused
            if stopped:
                break
            if int(self.bad_steps) > 0:
                self._save_model()
                return self._nan_failure(epoch, step, [])
            val_loss, val_metrics = self._evaluate(self.val_ds)
            seconds = max(time.perf_counter() - epoch_start - epoch_paused, 0.0)
            done = EpochDone(
                epoch=epoch, epochs=t.epochs, loss=float(self.train_loss.result()),
                val_loss=val_loss, metrics=_results(self.metrics), val_metrics=val_metrics,
                weights=self.weights(), seconds=seconds,
                samples_per_s=len(splits.x_train) / max(seconds, 1e-9),
            )
            sink(done)
            self._save_epoch(done)
            epochs_done = epoch
        test: dict[str, float] = {}
        if self.test_ds is not None and epochs_done == t.epochs:
            sink(Evaluating(split="test"))  # seconds on a big test set: say so first
            loss, metrics = self._evaluate(self.test_ds)
            test = {"loss": loss, **metrics}
        status = "finished" if epochs_done == t.epochs else "stopped"
        self._save_model()
        return _finish(sink, status, epochs_done, test,
                       max(time.perf_counter() - started - paused_s, 0.0))

    def _save_epoch(self, event: EpochDone) -> None:
        """After the epoch's log lines: checkpoint (last, and best), TensorBoard summaries.

        Logs are written before the checkpoint, so a crash in between makes a resume redo
        that epoch rather than leave a hole in the curves.

        Memory stays flat however long the run (``python -m benchmarks.soak``; it grew
        18.8 KB an epoch). TensorFlow keeps every Python number it turns into a tensor in an
        eager cache that is never emptied (~0.7 KB each), so no Python float or int reaches
        TensorFlow here: the epoch and the values go in as numpy arrays, all summaries through
        one function traced once per run. Each checkpoint's new file name also stays in
        ``fnmatch``'s pattern cache (TensorFlow globs it to record the size), emptied below.
        """
        if self.run_dir is None:
            return
        if self.recorder is not None and self.recorder.failure:
            return  # the epoch's log row was not written: a checkpoint would skip it on resume
        epoch = np.asarray(event.epoch, np.int64)
        self.epoch_var.assign(epoch)
        self.last_ckpt.save(checkpoint_number=event.epoch)
        if self.recorder is not None and self.recorder.is_best(event):
            self.best_ckpt.save(checkpoint_number=event.epoch)
        _forget_glob_patterns()
        tags, values = _summary_scalars(event)
        if self._summaries is None or self._summaries[0] != tags:
            self._summaries = (tags, self._summary_writer(tags))
        self._summaries[1](epoch, np.asarray(values, np.float32))
        self.tb.flush()

    def _summary_writer(self, tags: tuple[str, ...]):
        """A ``tf.function`` writing one epoch's scalars (``tags``, in order, from a float32
        vector) and the histogram of every trainable weight, at a given int64 step."""
        tf, writer = self.tf, self.tb
        weights = [(f"histograms/{w.path}", w) for layer in self.layers
                   for w in layer.trainable_weights]

        @tf.function(input_signature=[tf.TensorSpec((), tf.int64),
                                      tf.TensorSpec((len(tags),), tf.float32)])
        def write(step, values):
            with writer.as_default(step=step):
                for i, tag in enumerate(tags):
                    tf.summary.scalar(tag, values[i])
                for tag, w in weights:
                    tf.summary.histogram(tag, w.value)

        return write

    def _save_model(self) -> None:
        """``model.keras`` via write-then-rename, loadable with Keras' default safe_mode."""
        if self.run_dir is None:
            return
        import os

        target = self.run_dir.model_file
        tmp = target.with_name(".model-partial.keras")
        try:
            self.model.save(tmp)
            os.replace(tmp, target)
        except Exception as err:  # a full disk must not lose the run's ending
            reason = _io_cause(err)
            if reason is None or self.recorder is None:
                raise
            tmp.unlink(missing_ok=True)
            self.recorder.io_failed(target, _as_oserror(err, reason))

    def _evaluate(self, ds) -> tuple[float | None, dict[str, float]]:
        if ds is None:
            return None, {}
        self.val_loss.reset_state()
        for metric in self.val_metrics:
            metric.reset_state()
        for x, y in ds:
            self.steps.evaluate(x, y)
        return float(self.val_loss.result()), _results(self.val_metrics)

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

    def weights(self) -> tuple[LayerWeights, ...]:
        """Kernel and bias of each layer that has trainable weights, as small statistics."""
        out = []
        for layer in self.layers:
            tensors = {w.path.rsplit("/", 1)[-1]: w for w in layer.trainable_weights}
            if not tensors:
                continue
            kernel = tensors.get("kernel", tensors.get("gamma"))
            bias = tensors.get("bias", tensors.get("beta"))
            out.append(LayerWeights(
                layer=layer.name,
                kernel=tensor_stats(kernel.numpy()) if kernel is not None else None,
                bias=tensor_stats(bias.numpy()) if bias is not None else None,
            ))
        return tuple(out)


def _summary_scalars(event: EpochDone) -> tuple[tuple[str, ...], list[float]]:
    """The epoch's TensorBoard scalars as (tags, values): losses, metrics, and W/b (or their
    mean, std and norm) per layer. The tags are the same every epoch of a run."""
    pairs: list[tuple[str, float]] = [("loss/train", event.loss)]
    if event.val_loss is not None:
        pairs.append(("loss/validation", event.val_loss))
    pairs += [(f"{name}/train", value) for name, value in event.metrics.items()]
    pairs += [(f"{name}/validation", value) for name, value in event.val_metrics.items()]
    for layer in event.weights:
        for part, stats in (("kernel", layer.kernel), ("bias", layer.bias)):
            if stats is None:
                continue
            if stats.size == 1:
                pairs.append((f"weights/{layer.layer}/{part}", stats.values[0]))
            else:
                pairs += [(f"weights/{layer.layer}/{part}_{stat}", getattr(stats, stat))
                          for stat in ("mean", "std", "norm")]
    return tuple(tag for tag, _ in pairs), [value for _, value in pairs]


def _forget_glob_patterns() -> None:
    """Empty ``fnmatch``'s cache of compiled patterns (CPython keeps up to 32 768). Each
    checkpoint save globs ``<new file name>*`` inside TensorFlow, which would otherwise keep
    ~0.8 KB per checkpoint (measured), some 25 MB by the cache's limit."""
    import fnmatch

    clear = getattr(getattr(fnmatch, "_compile_pattern", None), "cache_clear", None)
    if clear is not None:
        clear()


def _results(metrics: list) -> dict[str, float]:
    return {m.name: float(m.result()) for m in metrics}


def _make_optimizer(keras, name: str, lr: float, momentum: float):
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=momentum)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr, momentum=momentum)
    return keras.optimizers.Adam(learning_rate=lr)
