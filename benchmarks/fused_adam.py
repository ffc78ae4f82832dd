"""How much faster ktui's step is with its fused Adam than with Keras' Adam (Keras' time a
step ÷ the fused one's), side by side in one process.

Two :class:`~ktui.core.training.steps.Steps` on the same model, batch and data, one stepping
with ``keras.optimizers.Adam`` and one with :class:`~ktui.core.training.fused_adam.FusedAdam`,
run in alternating rounds of ``steps`` compiled steps (the order flips each round, so a busy
neighbour hits both alike). It checks first that the fused step holds the fused kernels and
Keras' none (else it would time two Keras steps and report about 1.0). Reported: the ratio
of the median wall time a step and of the median process CPU time a step (the CPU time is
steadier on a shared box: stolen time does not count).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    preset: str
    keras_ms: float
    fused_ms: float
    keras_cpu_ms: float
    fused_cpu_ms: float

    @property
    def speedup(self) -> float:
        return self.keras_ms / self.fused_ms

    @property
    def cpu_speedup(self) -> float:
        return self.keras_cpu_ms / self.fused_cpu_ms


#: Rounds and compiled steps a round, per preset: the CNN's step is ~25× the MLP's.
SIZES = {"fashion-mlp": (20, 50), "fashion-cnn": (8, 5)}


def compare(preset: str = "fashion-mlp", rounds: int | None = None, steps: int | None = None,
            samples: int = 2_000) -> Comparison:
    """Keras' Adam ÷ ktui's, as the module says; ``rounds``/``steps`` default to
    :data:`SIZES` (20 rounds of 50 steps for a preset not named there)."""
    import keras
    import tensorflow as tf

    from benchmarks import throughput as tp
    from ktui.core.build import build_model
    from ktui.core.choices import LOSSES
    from ktui.core.losses import batch_mean
    from ktui.core.training.assemble import insight_of
    from ktui.core.training.fused_adam import FusedAdam, fused_kernels
    from ktui.core.training.steps import Steps

    default_rounds, default_steps = SIZES.get(preset, (20, 50))
    rounds, steps = rounds or default_rounds, steps or default_steps
    spec = tp.bench_spec(samples, 1, preset=preset)
    splits = tp.load(spec)
    t = spec.train

    def steps_with(cls: type) -> Steps:
        keras.utils.set_random_seed(t.seed)
        model = build_model(spec)
        optimizer = cls(learning_rate=t.learning_rate)
        optimizer.build(model.trainable_variables)
        return Steps(model, optimizer, batch_mean(LOSSES[t.loss].load()), t.metrics,
                     splits.x_train.shape[1:], splits.y_train, t.jit_compile == "on",
                     insight=insight_of(spec, model))

    batch = (tf.constant(splits.x_train[:tp.BATCH]), tf.constant(splits.y_train[:tp.BATCH]))
    data = tf.data.Dataset.from_tensors(batch).repeat()
    runs = {"keras": steps_with(keras.optimizers.Adam), "fused": steps_with(FusedAdam)}
    batches = {name: iter(data) for name in runs}
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    kernels = {name: fused_kernels(run.train_function.get_concrete_function())
               for name, run in runs.items()}
    if kernels["keras"] or not kernels["fused"]:
        raise RuntimeError(f"ResourceApplyAdam kernels in the traced steps: {kernels}")
    for name, run in runs.items():  # trace both first
        run.train_many(batches[name], steps).numpy()
    for i in range(rounds):
        for name in (("keras", "fused") if i % 2 else ("fused", "keras")):
            w0, c0 = time.perf_counter(), time.process_time()
            runs[name].train_many(batches[name], steps).numpy()
            wall[name].append((time.perf_counter() - w0) / steps * 1e3)
            cpu[name].append((time.process_time() - c0) / steps * 1e3)
    med = {name: statistics.median(v) for name, v in wall.items()}
    cpu_med = {name: statistics.median(v) for name, v in cpu.items()}
    return Comparison(preset, med["keras"], med["fused"], cpu_med["keras"], cpu_med["fused"])


if __name__ == "__main__":
    import sys

    for name in sys.argv[1:] or ["fashion-mlp"]:
        c = compare(name)
        print(f"{name}: {c.keras_ms:.2f} -> {c.fused_ms:.2f} ms a step ({c.speedup:.3f}x), "
              f"CPU {c.keras_cpu_ms:.2f} -> {c.fused_cpu_ms:.2f} ms ({c.cpu_speedup:.3f}x)")
