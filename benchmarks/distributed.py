"""Training throughput under ``tf.distribute`` (issue 10), in a fresh process whose CPU is
split into 2 logical devices (only possible before TensorFlow's runtime starts):

- ``mirrored_vs_fit``: ktui's tape step under MirroredStrategy over the 2 logical CPUs ÷
  Keras ``fit`` under the same strategy, same model, data, batch and pipeline (target ≥ 1:
  the custom step adds no overhead of its own to the strategy's);
- ``spe_speedup_cpu``: one device, ``steps_per_execution`` = 8 ÷ 1 at a small batch (32),
  where the host's per-step dispatch weighs most;
- on a machine with GPUs only: per-GPU samples/s, the scaling efficiency of mirrored over all
  GPUs (rate on N ÷ (N × rate on one)), mixed_float16 ÷ float32 and steps_per_execution on a
  GPU, so a GPU box gives real numbers with ``python -m benchmarks.distributed``.

Prints one JSON object (``--json``) or a table. Epoch 1 (tracing) is never counted.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _spec(samples: int, epochs: int, batch: int, **train):
    from benchmarks.throughput import bench_spec

    spec = bench_spec(samples=samples, epochs=epochs)
    spec.train.batch_size = batch
    spec.train.device = "auto"
    for key, value in train.items():
        setattr(spec.train, key, value)
    return spec


def ktui_rate(spec) -> float:
    from benchmarks.throughput import ktui_rates

    return ktui_rates(spec).value


def fit_rate(spec, splits, strategy) -> float:
    """Keras ``fit`` under ``strategy`` (model, optimizer and metrics in its scope)."""
    import keras
    import tensorflow as tf

    from benchmarks.throughput import Rates
    from ktui.core.build import build_model

    keras.utils.set_random_seed(spec.train.seed)
    with strategy.scope():
        model = build_model(spec)
        model.compile(optimizer=keras.optimizers.Adam(spec.train.learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    xs, ys = tf.constant(splits.x_train), tf.constant(splits.y_train)
    n = len(splits.x_train)
    ds = (tf.data.Dataset.range(n).shuffle(n, seed=spec.train.seed)
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
    return rates.value


def cpu_figures(samples: int, epochs: int, pairs: int) -> dict[str, float]:
    import tensorflow as tf

    from benchmarks.throughput import load
    from ktui.core.training.placement import _mirrored

    spec = _spec(samples, epochs, 256, strategy="mirrored", cpu_devices=2, device="cpu")
    splits = load(spec)
    strategy = _mirrored(tuple(d.name for d in tf.config.list_logical_devices("CPU")))
    ktui, fit = [], []
    for _ in range(pairs):  # interleaved, so both see the same machine
        ktui.append(ktui_rate(spec))
        fit.append(fit_rate(spec, splits, strategy))
    small = _spec(samples // 3, epochs, 32, strategy="one", device="cpu")
    one_step = ktui_rate(small)
    many = ktui_rate(_with(small, steps_per_execution=8))
    return {"mirrored_vs_fit": max(ktui) / max(fit), "mirrored_samples_per_s": max(ktui),
            "fit_mirrored_samples_per_s": max(fit), "spe_speedup_cpu": many / one_step}


def gpu_figures(samples: int, epochs: int) -> dict[str, float]:
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if not gpus:
        return {}
    base = _spec(samples, epochs, 1024, strategy="one")
    one = ktui_rate(base)
    out = {"gpus": len(gpus), "one_gpu_samples_per_s": one,
           "mixed_f16_speedup": ktui_rate(_with(base, precision="mixed_float16")) / one,
           "spe_speedup_gpu": ktui_rate(_with(_with(base, batch_size=64),
                                              steps_per_execution=16))
           / ktui_rate(_with(base, batch_size=64))}
    if len(gpus) > 1:
        batch = 1024 * len(gpus)  # the same per-GPU batch
        every = ktui_rate(_with(base, strategy="mirrored", batch_size=batch))
        out.update(all_gpus_samples_per_s=every,
                   scaling_efficiency=every / (len(gpus) * one))
    return out


def _with(spec, **train):
    spec = copy.deepcopy(spec)
    for key, value in train.items():
        setattr(spec.train, key, value)
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer images and epochs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    from ktui.core.training.placement import configure_cpu_devices

    configure_cpu_devices(2)  # TensorFlow imported quietly there
    samples, epochs, pairs = (12_000, 3, 1) if args.quick else (0, 4, 2)
    figures = cpu_figures(samples, epochs, pairs)
    figures.update(gpu_figures(samples, epochs))
    if args.json:
        print(json.dumps({k: round(v, 4) for k, v in figures.items()}))
    else:
        for key, value in figures.items():
            print(f"{key:28s} {value:,.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
