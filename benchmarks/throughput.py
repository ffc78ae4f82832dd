"""In-process training throughput: ktui's trainer vs ``model.fit`` vs the seed's eager loop,
and the achieved FLOP/s against a large matmul. Everything here runs in one process, one
measurement after another, so the ratios share the machine's state.

Only steady-state epochs count: epoch 1 (tracing, pipeline warm-up) is always dropped.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from dataclasses import dataclass, field

from ktui.core.events import EpochDone, RunFailed
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.presets import get_preset

BATCH = 256


def bench_spec(samples: int = 0, epochs: int = 3, jit: bool = False,
               per_call: int | None = None, preset: str = "fashion-mlp") -> ExperimentSpec:
    """fashion-mlp (or ``preset``) on ``samples`` training images (0 = all 60 000), no
    validation split, so ktui and ``fit`` do exactly the same work per epoch; ``per_call``
    sets ``steps_per_execution`` (None: ktui's default, auto)."""
    spec = get_preset(preset)
    if per_call is not None:
        spec.train.steps_per_execution = per_call
    spec.dataset.samples = samples  # type: ignore[union-attr]
    t = spec.train
    t.validation_split = 0.0
    t.epochs = epochs
    t.batch_size = BATCH
    t.jit_compile = "on" if jit else "off"
    t.device = "cpu"
    return spec


def mlp_flops_per_sample(spec: ExperimentSpec) -> float:
    """Dense layers' FLOPs per training sample: forward 2·in·out each, backward ≈ 2× forward."""
    fan_in = 784
    forward = 0
    for layer in spec.layers:
        if layer.kind == "Dense":
            units = int(layer.params["units"])
            forward += 2 * fan_in * units
            fan_in = units
    return 3.0 * forward


@dataclass
class Rates:
    """Per-epoch samples/s; ``steady`` drops the first epoch."""

    per_epoch: list[float] = field(default_factory=list)

    @property
    def steady(self) -> list[float]:
        return self.per_epoch[1:] or self.per_epoch

    @property
    def value(self) -> float:
        """The median steady-state rate (robust to one epoch disturbed by a neighbour)."""
        return statistics.median(self.steady) if self.steady else float("nan")


def ktui_rates(spec: ExperimentSpec, splits=None) -> Rates:
    """ktui's trainer, headless and unrecorded: ``EpochDone.samples_per_s`` per epoch."""
    from ktui.core.session import start_run

    rates = Rates()

    def sink(event) -> None:
        if isinstance(event, EpochDone):
            rates.per_epoch.append(event.samples_per_s)

    final = start_run(spec, [sink], record=False).join()
    if isinstance(final, RunFailed):
        raise RuntimeError(f"ktui's trainer failed: {final.message}")
    return rates


def auto_pick(spec: ExperimentSpec):
    """What ``jit_compile = "auto"`` picks for ``spec`` when every run counts as long enough
    to try XLA (its bar, two minutes of steps, lowered to 0 for this run; the run goes on
    until the pick, then stops): the :class:`~ktui.core.events.XlaPicked` event, or None if
    the run ended first."""
    from ktui.core.events import XlaPicked
    from ktui.core.session import start_run
    from ktui.core.training import xla_pick
    from ktui.core.training.control import TrainerControl

    picks: list[XlaPicked] = []
    control = TrainerControl()

    def sink(event) -> None:
        if isinstance(event, XlaPicked):
            picks.append(event)
            control.stop()

    spec.train.jit_compile = "auto"
    spec.train.epochs = 10_000  # stopped at the pick
    bar, xla_pick.TRY_MIN_S = xla_pick.TRY_MIN_S, 0.0
    try:
        final = start_run(spec, [sink], record=False, control=control).join()
    finally:
        xla_pick.TRY_MIN_S = bar
    if isinstance(final, RunFailed):
        raise RuntimeError(f"ktui's trainer failed: {final.message}")
    return picks[0] if picks else None


def fit_rates(spec: ExperimentSpec, splits) -> Rates:
    """``compile`` + ``fit`` on the same ``build_model``, the same arrays, batch size and the
    same index-gather ``tf.data`` pipeline (shuffled each epoch), timed by a callback."""
    import keras
    import tensorflow as tf

    from ktui.core.build import build_model

    keras.utils.set_random_seed(spec.train.seed)
    model = build_model(spec)
    model.compile(optimizer=keras.optimizers.Adam(spec.train.learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"], jit_compile=spec.train.jit_compile == "on")
    xs, ys = tf.constant(splits.x_train), tf.constant(splits.y_train)
    n = len(splits.x_train)
    ds = (tf.data.Dataset.range(n).shuffle(n, seed=spec.train.seed, reshuffle_each_iteration=True)
          .batch(spec.train.batch_size)
          .map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)),
               num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
          .prefetch(tf.data.AUTOTUNE))
    rates = Rates()

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            rates.per_epoch.append(n / (time.perf_counter() - self.t0))

    model.fit(ds, epochs=spec.train.epochs, verbose=0, callbacks=[Timer()])
    return rates


def seed_rates(spec: ExperimentSpec, splits) -> Rates:
    """Seed 001's loop as written (eager tape, ``apply_gradients``, ``loss.numpy()`` printed
    every step, here into a discarded buffer) on the same arrays and batch size."""
    import keras

    from benchmarks import seed001

    keras.utils.set_random_seed(spec.train.seed)
    n = len(splits.x_train)
    data = seed001.make_dataset(splits.x_train, splits.y_train, take=n,
                                batch=spec.train.batch_size)
    model = seed001.make_model()
    optimizer = keras.optimizers.Adam(learning_rate=spec.train.learning_rate)
    rates = Rates()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        for _ in range(spec.train.epochs):
            t0 = time.perf_counter()
            for _, (x, y) in enumerate(data):
                loss = seed001.train_per_step(model, x, y, optimizer)
                print(loss.numpy())
            rates.per_epoch.append(n / (time.perf_counter() - t0))
            sink.seek(0)
            sink.truncate()
    return rates


def matmul_flops(n: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of float32 ``tf.matmul`` on n×n (the best of ``repeats``, after a warm-up)."""
    import tensorflow as tf

    with tf.device("/CPU:0"):
        a = tf.random.uniform((n, n), dtype=tf.float32, seed=1)
        b = tf.random.uniform((n, n), dtype=tf.float32, seed=2)
        tf.matmul(a, b).numpy()
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            tf.matmul(a, b).numpy()
            best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best


def dense_shapes(spec: ExperimentSpec) -> list[tuple[int, int]]:
    """(fan_in, units) of each Dense layer of a fashion MLP spec, in order."""
    fan_in, shapes = 784, []
    for layer in spec.layers:
        if layer.kind == "Dense":
            units = int(layer.params["units"])
            shapes.append((fan_in, units))
            fan_in = units
    return shapes


def model_matmul_flops(spec: ExperimentSpec, repeats: int = 5, calls: int = 50) -> float:
    """The roofline of *this* model: FLOP/s of exactly its matmuls at its batch size (per
    Dense: forward x·W, backward gᵀ… dW = xᵀ·g and dx = g·Wᵀ), run back to back in one
    compiled loop, best of ``repeats``. A model's Dense layers cannot beat their own
    shapes; a 2048² matmul is a ceiling they never reach at batch 256."""
    import tensorflow as tf

    batch = spec.train.batch_size
    shapes = dense_shapes(spec)
    with tf.device("/CPU:0"):
        rng = tf.random.Generator.from_seed(1)
        xs = [rng.normal((batch, i)) for i, _ in shapes]
        ws = [rng.normal((i, o)) for i, o in shapes]
        gs = [rng.normal((batch, o)) for _, o in shapes]

        @tf.function
        def loop():
            total = tf.constant(0.0)
            for _ in tf.range(calls):
                for x, w, g in zip(xs, ws, gs, strict=True):
                    y = tf.matmul(x, w)
                    dw = tf.matmul(x, g, transpose_a=True)
                    dx = tf.matmul(g, w, transpose_b=True)
                    total += y[0, 0] + dw[0, 0] + dx[0, 0]
            return total

        loop().numpy()
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            loop().numpy()
            best = min(best, time.perf_counter() - t0)
    flops = calls * sum(3 * 2 * batch * i * o for i, o in shapes)
    return flops / best


def model_chain_flops(spec: ExperimentSpec, repeats: int = 5, calls: int = 50) -> float:
    """The same matmuls as :func:`model_matmul_flops`, but in the order a training step must
    run them: forward layer after layer, then backward from the last layer, each step after
    the previous one. Independent matmuls let TensorFlow run several at once on idle cores;
    a step's chain cannot, so this is the tighter ceiling for one step at a time."""
    import tensorflow as tf

    batch = spec.train.batch_size
    shapes = dense_shapes(spec)
    with tf.device("/CPU:0"):
        rng = tf.random.Generator.from_seed(1)
        x0 = rng.normal((batch, shapes[0][0]))
        ws = [rng.normal((i, o), stddev=(1 / i) ** 0.5) for i, o in shapes]

        @tf.function
        def loop():
            x = x0
            for _ in tf.range(calls):
                acts = [x]
                for w in ws:
                    acts.append(tf.matmul(acts[-1], w))
                g = acts[-1]
                first_dw = None
                for w, a in zip(reversed(ws), reversed(acts[:-1]), strict=True):
                    first_dw = tf.matmul(a, g, transpose_a=True)
                    g = tf.matmul(g, w, transpose_b=True)
                x = x + 0.0 * first_dw[0, 0] + 0.0 * g[0, 0]  # the next step waits
            return x[0, 0]

        loop().numpy()
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            loop().numpy()
            best = min(best, time.perf_counter() - t0)
    flops = calls * sum(3 * 2 * batch * i * o for i, o in shapes)
    return flops / best


def load(spec: ExperimentSpec):
    from ktui.core.datasets import load_splits

    return load_splits(spec)
