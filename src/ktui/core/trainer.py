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

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ktui.core.control import TrainerControl
from ktui.core.events import (
    EpochDone,
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
from ktui.core.runs import RunDir, RunRecorder
from ktui.core.spec import ExperimentSpec, validate

Sink = Callable[[Event], None]
#: A weight tensor this small is reported value by value (W per feature of a linear model).
SMALL_TENSOR = 16


def train(spec: ExperimentSpec, sink: Sink, control: TrainerControl | None = None, *,
          data_dir: str | None = None, run_dir: RunDir | None = None,
          resume: bool = False) -> RunFinished | RunFailed:
    """Run the experiment to the end, a stop request or a failure; return the last event.

    With ``run_dir``, the run is recorded there (logs, TensorBoard, checkpoints each epoch,
    ``model.keras`` at the end); with ``resume`` too, training continues from its last
    checkpoint and the logs and curves continue from that epoch.
    """
    control = control or TrainerControl()
    if run_dir is None:
        return _train(spec, sink, control, data_dir, None, None, False)
    if resume:
        run_dir.truncate_logs(_checkpoint_epoch(run_dir))
    recorder = RunRecorder(run_dir)

    def recorded(event: Event) -> None:  # record first: a crash must not lose a shown epoch
        recorder(event)
        sink(event)

    try:
        return _train(spec, recorded, control, data_dir, run_dir, recorder, resume)
    finally:  # every way out, early failures included, closes the log
        recorder.close()


def _train(spec: ExperimentSpec, sink: Sink, control: TrainerControl, data_dir: str | None,
           run_dir: RunDir | None, recorder: RunRecorder | None, resume: bool
           ) -> RunFinished | RunFailed:
    def fail(kind: str, message: str, **details: Any) -> RunFailed:
        event = RunFailed(kind=kind, message=message, **details)  # type: ignore[arg-type]
        sink(event)
        return event

    errors = validate(spec)
    if errors:
        return fail("spec", "the experiment is not valid:\n" + "\n".join(errors),
                    details={"errors": errors})
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
    try:
        with tf.device(device):
            run = _Run(spec, splits, sink, control, device_names)
            if run_dir is not None and recorder is not None:
                run.attach(run_dir, recorder, resume)
            return run.execute()
    except Exception as err:  # noqa: BLE001 - a bug or a TF error must end as an event
        return fail("error", f"{type(err).__name__}: {err}")


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


def _checkpoint_epoch(run_dir: RunDir) -> int:
    """The epoch of the run's last checkpoint, read from the index file TF writes last."""
    index = run_dir.last_dir / "checkpoint"
    if not index.exists():
        return 0
    import re

    match = re.search(r'model_checkpoint_path: "ckpt-(\d+)"', index.read_text())
    return int(match.group(1)) if match else 0


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
            true_bias=splits.true_b,
        ))
        started = time.perf_counter()
        batches = self._train_batches()
        global_step = self.start_epoch * self.steps_per_epoch
        epochs_done = self.start_epoch
        for epoch in range(self.start_epoch + 1, t.epochs + 1):
            epoch_start = time.perf_counter()
            self.train_loss.reset_state()
            for metric in self.metrics:
                metric.reset_state()
            pending: list[Any] = []
            window_start = time.perf_counter()
            step = 0
            stopped = False
            for x, y in itertools.islice(batches, self.steps_per_epoch):
                if not control.wait_turn(
                    on_pause=lambda e=epoch, s=step: sink(Paused(e, s)),
                    on_resume=lambda e=epoch, s=step: sink(Resumed(e, s)),
                ):
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
            if stopped:
                break
            if int(self.bad_steps) > 0:
                self._save_model()
                return self._nan_failure(epoch, step, [])
            val_loss, val_metrics = self._evaluate(self.val_ds)
            seconds = time.perf_counter() - epoch_start
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
            loss, metrics = self._evaluate(self.test_ds)
            test = {"loss": loss, **metrics}
        status = "finished" if epochs_done == t.epochs else "stopped"
        self._save_model()
        return _finish(sink, status, epochs_done, test, time.perf_counter() - started)

    def _save_epoch(self, event: EpochDone) -> None:
        """After the epoch's log lines: checkpoint (last, and best), TensorBoard scalars.

        Logs are written before the checkpoint, so a crash in between makes a resume redo
        that epoch rather than leave a hole in the curves.
        """
        if self.run_dir is None:
            return
        self.epoch_var.assign(event.epoch)
        self.last_ckpt.save(checkpoint_number=event.epoch)
        if self.recorder is not None and self.recorder.is_best(event):
            self.best_ckpt.save(checkpoint_number=event.epoch)
        tf = self.tf
        with self.tb.as_default(step=event.epoch):
            tf.summary.scalar("loss/train", event.loss)
            if event.val_loss is not None:
                tf.summary.scalar("loss/validation", event.val_loss)
            for name, value in event.metrics.items():
                tf.summary.scalar(f"{name}/train", value)
            for name, value in event.val_metrics.items():
                tf.summary.scalar(f"{name}/validation", value)
            for layer in event.weights:
                for part, stats in (("kernel", layer.kernel), ("bias", layer.bias)):
                    if stats is None:
                        continue
                    if stats.size == 1:
                        tf.summary.scalar(f"weights/{layer.layer}/{part}", stats.values[0])
                    else:
                        for stat in ("mean", "std", "norm"):
                            tf.summary.scalar(f"weights/{layer.layer}/{part}_{stat}",
                                              getattr(stats, stat))
            for layer in self.layers:
                for w in layer.trainable_weights:
                    tf.summary.histogram(f"histograms/{w.path}", w.value)
        self.tb.flush()

    def _save_model(self) -> None:
        """``model.keras`` via write-then-rename, loadable with Keras' default safe_mode."""
        if self.run_dir is None:
            return
        import os

        target = self.run_dir.model_file
        tmp = target.with_name(".model-partial.keras")
        self.model.save(tmp)
        os.replace(tmp, target)

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


def _results(metrics: list) -> dict[str, float]:
    return {m.name: float(m.result()) for m in metrics}


def _make_optimizer(keras, name: str, lr: float, momentum: float):
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=momentum)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr, momentum=momentum)
    return keras.optimizers.Adam(learning_rate=lr)
