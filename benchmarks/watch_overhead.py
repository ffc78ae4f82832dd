"""What watching costs the trainer: samples/s of a detached run with two ``ktui watch``
viewers attached ÷ with none (issue 23: ≥ 0.98). Reports, never asserts.

    python -m benchmarks.watch_overhead [--repeats 3] [--epochs 30] [--batch-size 8]

Each repeat starts ``ktui train --detach`` (linear-gd; a small batch makes many steps and so
many events for the viewers to read) twice, interleaved: once alone, once with two viewers
(``ktui watch --jsonl`` and ``--plain``, output to /dev/null) attached as soon as it returns.
A rate is the best steady-state epoch's ``samples_per_s`` (epoch 1 dropped) from the run's
``events.jsonl``; medians are printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rates(run: Path) -> list[float]:
    rates = []
    for line in (run / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event.get("event") == "epoch_done" and event["epoch"] > 1:
            rates.append(float(event["samples_per_s"]))
    return rates


def one_run(root: Path, viewers: int, epochs: int, batch: int) -> list[float]:
    env = {**os.environ, "KTUI_RUNS_DIR": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-m", "ktui", "train", "--preset", "linear-gd",
                          "--epochs", str(epochs), "--batch-size", str(batch), "--detach"],
                         capture_output=True, text=True, env=env, check=True)
    name = out.stdout.split(":", 1)[0]
    watchers = [subprocess.Popen([sys.executable, "-m", "ktui", "watch", name, mode],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
                for mode in ("--jsonl", "--plain")[:viewers]]
    run = root / name
    from ktui.core.runs.lock import lock_held

    while lock_held(run):
        time.sleep(0.2)
    for w in watchers:
        w.wait(30)
    return _rates(run)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    best: dict[int, list[float]] = {0: [], 2: []}
    every: dict[int, list[float]] = {0: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for viewers in (0, 2):
                rates = one_run(Path(tmp), viewers, args.epochs, args.batch_size)
                best[viewers].append(max(rates))
                every[viewers] += rates
    none, two = max(best[0]), max(best[2])
    print(f"samples/s, best epoch: no viewer {none:.0f}, two viewers {two:.0f}, "
          f"ratio {two / none:.3f} (target >= 0.98)")
    print(f"samples/s, median epoch: no viewer {statistics.median(every[0]):.0f}, two viewers "
          f"{statistics.median(every[2]):.0f}, ratio "
          f"{statistics.median(every[2]) / statistics.median(every[0]):.3f}")


if __name__ == "__main__":
    main()
