"""Memory soak: does a long recorded run keep growing? ``python -m benchmarks.soak [--epochs N]``.

Trains a small MLP on linear data (one full-batch step per epoch, so an epoch is mostly the
per-epoch bookkeeping: logs, checkpoints, TensorBoard) for N epochs *in this process*, with a
run directory, and samples the resident set size after every epoch. The growth is the slope
of a least-squares line through the samples after a warm-up (the first quarter, at least 500
epochs: tracing, allocator arenas, bounded caches filling), in KB per epoch; a second
figure extrapolates it to MB per 1 000 epochs. Both come from one run in one process: a ratio
of memory to epochs, never a timing.

Target (issue 8, item 11): flat after warm-up, < 1 KB per epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

#: Growth below this is "flat" (the issue's target).
TARGET_KB_PER_EPOCH = 1.0
#: Epochs always left out of the fit: tracing, allocator arenas, and bounded caches filling
#: (Python's ``re`` cache keeps 512 patterns; each checkpoint save adds one, through the glob
#: TensorFlow runs on the new file name, so it is full after 256 to 512 epochs).
WARMUP_MIN = 500
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """This process's resident set size now (``/proc/self/statm``; Linux)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * _PAGE


def soak_spec(epochs: int):
    """A small MLP (Dense 16 relu, Dense 8 relu, Dense 1) on 256 linear samples, one step per
    epoch, with validation and two metrics: every per-epoch write path is exercised (scalars
    for loss, metrics and weight statistics, histograms, last and best checkpoints)."""
    from ktui.core.spec import ExperimentSpec, LayerSpec, LinearData, TrainSpec

    return ExperimentSpec(
        name="soak",
        description="memory soak: a small MLP, one step per epoch",
        dataset=LinearData(w=[3.0], b=2.0, noise=0.5, n=256, n_features=4, seed=0),
        layers=[LayerSpec("Dense", {"units": 16, "activation": "relu"}),
                LayerSpec("Dense", {"units": 8, "activation": "relu"}),
                LayerSpec("Dense", {"units": 1})],
        train=TrainSpec(loss="mse", optimizer="adam", learning_rate=1e-3,
                        metrics=["mae", "rmse"], epochs=epochs, batch_size=0,
                        validation_split=0.25, seed=1, log_every=1, device="cpu"),
    )


@dataclass(frozen=True)
class SoakResult:
    epochs: int
    warmup: int
    kb_per_epoch: float
    start_mb: float
    end_mb: float
    seconds: float

    @property
    def mb_per_1000_epochs(self) -> float:
        return self.kb_per_epoch * 1000 / 1024

    def line(self) -> str:
        return (f"soak_kb_per_epoch {self.kb_per_epoch:.3f}  MB per 1000 epochs "
                f"{self.mb_per_1000_epochs:.3f}  (RSS {self.start_mb:.0f} -> {self.end_mb:.0f} "
                f"MB after warm-up, {self.epochs} epochs, {self.warmup} warm-up, "
                f"{self.seconds:.0f} s)")


def slope(ys: list[float]) -> float:
    """Least-squares slope of ``ys`` against 0, 1, 2, ... (per sample)."""
    n = len(ys)
    if n < 2:
        return 0.0
    mx = (n - 1) / 2
    my = sum(ys) / n
    num = sum((i - mx) * (y - my) for i, y in enumerate(ys))
    den = sum((i - mx) ** 2 for i in range(n))
    return num / den


def soak(epochs: int, record: bool = True, root: Path | None = None) -> SoakResult:
    """Train ``soak_spec(epochs)`` in this process and measure the RSS slope after warm-up.

    ``record=False`` trains without a run directory (the baseline the issue found flat).
    """
    from ktui.core.events import EpochDone, RunFailed
    from ktui.core.runs import RunDir
    from ktui.core.session import start_run

    spec = soak_spec(epochs)
    samples: list[int] = []

    def sink(event) -> None:  # keeps one int per epoch, nothing else
        if isinstance(event, EpochDone):
            samples.append(rss_bytes())

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ktui-soak-") as tmp:
        run = RunDir.create(root or Path(tmp), spec) if record else None
        final = start_run(spec, [sink], run=run, record=record).join()
    if isinstance(final, RunFailed):
        raise RuntimeError(f"the soak run failed: {final.message}")
    warmup = max(WARMUP_MIN, epochs // 4)
    if len(samples) <= warmup + 10:
        raise RuntimeError(f"too few epochs ({len(samples)}) for a warm-up of {warmup}")
    steady = samples[warmup:]
    return SoakResult(epochs=len(samples), warmup=warmup,
                      kb_per_epoch=slope([s / 1024 for s in steady]),
                      start_mb=steady[0] / 2**20, end_mb=steady[-1] / 2**20,
                      seconds=time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2000,
                        help="epochs to run (default 2000; python -m benchmarks runs 2000 "
                        "with --quick, 6000 with --full)")
    parser.add_argument("--no-run-dir", action="store_true",
                        help="train without recording (the baseline)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (for python -m benchmarks)")
    args = parser.parse_args(argv)
    if args.epochs < WARMUP_MIN + 100:
        parser.error(f"--epochs must be at least {WARMUP_MIN + 100} (the warm-up alone is "
                     f"{WARMUP_MIN})")
    result = soak(args.epochs, record=not args.no_run_dir)
    if args.json:
        print(json.dumps({**asdict(result), "mb_per_1000_epochs": result.mb_per_1000_epochs}))
        return 0
    verdict = "ok" if result.kb_per_epoch < TARGET_KB_PER_EPOCH else "MISSED"
    print(result.line())
    print(f"target < {TARGET_KB_PER_EPOCH:g} KB per epoch: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
