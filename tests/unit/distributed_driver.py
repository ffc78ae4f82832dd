"""Trains the same experiments on one device and mirrored over 2 logical CPU devices, in ONE
fresh process (the CPU can only be split before TensorFlow's runtime starts, so the test
process, where TensorFlow already runs, cannot do it). Prints one JSON object: per scenario
the epoch losses, metrics, test scores, the final weights and the last event.

    python tests/unit/distributed_driver.py WORKDIR
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.unit.idx_files


def run(spec, root: Path, data_dir: str | None = None, resume_from: Path | None = None):
    from ktui.core.runs.rundir import RunDir
    from ktui.core.session import start_run

    events: list = []
    run_dir = RunDir(resume_from) if resume_from is not None else None
    handle = start_run(spec, [events.append], runs_root=root, run=run_dir,
                       resume=resume_from is not None, data_dir=data_dir)
    result = handle.join(300)
    if handle.error is not None:
        raise handle.error
    return events, result, handle.run_dir.path


def weights(path: Path) -> list[list[float]]:
    import keras

    import ktui.core.layers  # noqa: F401 - registers the custom layers

    model = keras.saving.load_model(path / "model.keras")
    return [w.numpy().ravel().tolist() for w in model.weights]


def summary(events, result, path: Path) -> dict:
    epochs = [e for e in events if type(e).__name__ == "EpochDone"]
    started = next((e for e in events if type(e).__name__ == "RunStarted"), None)
    if started is None:
        raise SystemExit(f"no run_started: {events}")
    out = {
        "placement": started.placement, "replicas": started.replicas,
        "strategy": started.strategy,
        "loss": [e.loss for e in epochs], "val_loss": [e.val_loss for e in epochs],
        "metrics": [e.metrics for e in epochs], "val_metrics": [e.val_metrics for e in epochs],
        "last": type(result).__name__, "kind": getattr(result, "kind", ""),
        "epoch": getattr(result, "epoch", None), "step": getattr(result, "step", None),
        "test": getattr(result, "test", {}), "path": str(path),
        "initial": [[w.kernel.mean if w.kernel else None, w.bias.mean if w.bias else None]
                    for w in started.initial_weights],
        "xla": started.xla,
        "summary_xla": (json.loads((path / "summary.json").read_text()).get("xla")
                        if (path / "summary.json").is_file() else None),
    }
    if (path / "model.keras").is_file():
        out["weights"] = weights(path)
    return out


def main(workdir: str) -> None:
    from tests.unit.idx_files import make_fashion

    from ktui.core.spec import LayerSpec
    from ktui.core.spec.presets import get_preset
    from ktui.core.training.placement import configure_cpu_devices

    configure_cpu_devices(2)  # TensorFlow imported quietly there
    work = Path(workdir)
    data = work / "fashion"
    # 65 training images once 7 of 72 are held out for validation: batch 32 -> the last
    # batch holds 1 image, so one replica gets an empty batch.
    make_fashion(data, n_train=72, n_test=37, seed=3)
    results: dict = {}

    def both(name: str, spec, data_dir: str | None = None) -> None:
        for strategy in ("one", "mirrored"):
            s = copy.deepcopy(spec)
            s.train.strategy = strategy
            s.train.cpu_devices = 2
            results[f"{name}/{strategy}"] = summary(*run(s, work / name / strategy, data_dir))

    linear = get_preset("linear-gd")
    linear.train.epochs = 3
    both("linear", linear)

    fashion = get_preset("fashion-mlp")
    fashion.train.epochs = 3
    fashion.train.batch_size = 32
    fashion.dataset.samples = 0  # all 65
    fashion.layers = [LayerSpec("Flatten"), LayerSpec("Dense", {"units": 16, "activation":
                                                                "relu"}),
                      LayerSpec("Dense", {"units": 10})]
    both("fashion", fashion, str(data))

    # clipping the all-reduced gradients (not each replica's) and a per-step schedule
    clipped = copy.deepcopy(fashion)
    clipped.train.clip_norm = 0.05
    clipped.train.schedule.kind = "cosine"
    both("fashion_clip", clipped, str(data))

    many = copy.deepcopy(fashion)
    many.train.steps_per_execution = 3
    both("fashion_k3", many, str(data))

    # One replica gets the 1e20 point: its squared error is inf in float32, so the step must
    # be skipped on both replicas and the run stop with the initial weights.
    nan = get_preset("linear-gd")
    nan.dataset.x = [[1.0], [2.0], [3.0], [1e20]]
    nan.dataset.y = [1.0, 2.0, 3.0, 4.0]
    nan.train.batch_size = 4
    nan.train.shuffle = False
    both("nan", nan)

    # resume: 2 epochs under one placement, then 2 more under the other
    for first, second in (("mirrored", "one"), ("one", "mirrored")):
        s = copy.deepcopy(fashion)
        s.train.epochs, s.train.strategy, s.train.cpu_devices = 2, first, 2
        _, _, path = run(s, work / f"resume_{first}", str(data))
        s.train.epochs, s.train.strategy = 3, second
        events, result, path = run(s, work / f"resume_{first}", str(data), resume_from=path)
        results[f"resume/{first}->{second}"] = summary(events, result, path)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
