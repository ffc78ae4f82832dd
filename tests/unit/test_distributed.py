"""The tape step under tf.distribute (issue 10), on 2 logical CPU devices: mirrored equals one
device (losses, weights, metrics; a short last batch; a replica with an empty batch; K steps
per call; clipping
and a schedule), a NaN batch is skipped on every replica and stops the run, a run resumes under the
other placement as if uninterrupted; two local workers (MultiWorkerMirroredStrategy over
TF_CONFIG on 127.0.0.1) equal one device and only the chief leaves a run directory.

The CPU can only be split before TensorFlow's runtime starts, so the runs happen in fresh
processes (``distributed_driver.py``, ``ktui train``), once per module.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # trains in a module fixture or a new process

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-5


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("distributed")
    done = subprocess.run([sys.executable, str(ROOT / "tests/unit/distributed_driver.py"),
                           str(work)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _close(a, b, tol: float = TOL) -> bool:
    return np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ["linear", "fashion", "fashion_k3", "fashion_clip"])
def test_mirrored_equals_one_device(runs: dict, name: str) -> None:
    one, mirrored = runs[f"{name}/one"], runs[f"{name}/mirrored"]
    assert one["placement"] == "one device: CPU"
    assert mirrored["placement"] == "mirrored × 2: CPU:0, CPU:1"
    assert mirrored["replicas"] == 2 and mirrored["last"] == "RunFinished"
    assert len(one["loss"]) == len(mirrored["loss"]) == 3
    assert _close(one["loss"], mirrored["loss"])
    assert _close(one["val_loss"], mirrored["val_loss"])
    for a, b in zip(one["metrics"] + one["val_metrics"],
                    mirrored["metrics"] + mirrored["val_metrics"], strict=True):
        assert a.keys() == b.keys() and _close(list(a.values()), list(b.values()))
    assert one["test"].keys() == mirrored["test"].keys()
    assert _close(list(one["test"].values()), list(mirrored["test"].values()))
    assert len(one["weights"]) == len(mirrored["weights"])
    for a, b in zip(one["weights"], mirrored["weights"], strict=True):
        assert _close(a, b)
    assert one["loss"][0] != one["loss"][-1]  # it trained
    # jit_compile = "auto" (the default) compiles XLA on one device only, and says so.
    assert one["xla"] == "auto" and mirrored["xla"] == "off"
    assert mirrored["summary_xla"] == {"on": False,
                                       "reason": "not used under the mirrored strategy"}


def test_steps_per_execution_changes_nothing_but_speed(runs: dict) -> None:
    assert runs["fashion_k3/one"]["loss"] == pytest.approx(runs["fashion/one"]["loss"], abs=TOL)
    for a, b in zip(runs["fashion_k3/one"]["weights"], runs["fashion/one"]["weights"],
                    strict=True):
        assert _close(a, b)


def test_a_nan_batch_is_skipped_on_every_replica_and_stops_the_run(runs: dict) -> None:
    for placement in ("one", "mirrored"):
        run = runs[f"nan/{placement}"]
        assert (run["last"], run["kind"], run["epoch"], run["step"]) == (
            "RunFailed", "nan", 1, 1), run
        kernel, bias = run["weights"]
        assert _close([np.mean(kernel), np.mean(bias)], run["initial"][0])  # no update


@pytest.mark.parametrize("order", ["mirrored->one", "one->mirrored"])
def test_resume_under_the_other_placement_continues_the_run(runs: dict, order: str) -> None:
    resumed, straight = runs[f"resume/{order}"], runs["fashion/one"]
    assert len(resumed["loss"]) == 1  # epoch 3 only: 1 and 2 came from the checkpoint
    assert _close(resumed["loss"], straight["loss"][2:])
    assert _close(list(resumed["test"].values()), list(straight["test"].values()))
    for a, b in zip(resumed["weights"], straight["weights"], strict=True):
        assert _close(a, b)


# ---- two workers ----------------------------------------------------------------------------

def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _train(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ktui", "train", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd)


def _epochs(stdout: str) -> list[dict]:
    return [e for e in map(json.loads, stdout.splitlines()) if e["event"] == "epoch_done"]


def test_two_workers_equal_one_device_and_only_the_chief_records(tmp_path: Path) -> None:
    common = ["--preset", "linear-gd", "--epochs", "3", "--jsonl"]
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    workers = []
    for index in range(2):
        home = tmp_path / f"worker{index}"
        (home / "tmp").mkdir(parents=True)
        worker_env = {**env, "TMPDIR": str(home / "tmp"), "TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}})}
        workers.append(_train([*common, "--strategy", "multiworker", "--runs-dir",
                               str(home / "runs")], worker_env, home))
    single_home = tmp_path / "single"
    single_home.mkdir()
    single = _train([*common, "--strategy", "one", "--runs-dir", str(single_home / "runs")],
                    env, single_home)
    outputs = []
    try:
        for proc in [*workers, single]:
            outputs.append(proc.communicate(timeout=240))
    finally:
        for proc in [*workers, single]:
            proc.kill()
    for proc, (_out, err) in zip([*workers, single], outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
    (chief_out, chief_err), (other_out, other_err), (single_out, _) = outputs
    assert "this process is the chief (worker 0 of 2 workers)" in chief_err
    assert "worker (worker 1 of 2 workers); it writes nothing" in other_err
    started = json.loads(chief_out.splitlines()[0])  # stdout stays pure JSON
    assert (started["strategy"], started["replicas"]) == ("multiworker", 2)
    assert started["role"].startswith("chief")
    for out in (chief_out, other_out):
        assert _close([e["loss"] for e in _epochs(out)], [e["loss"] for e in _epochs(single_out)])
        assert _close([e["val_loss"] for e in _epochs(out)],
                      [e["val_loss"] for e in _epochs(single_out)])
    chief_runs = list((tmp_path / "worker0/runs").iterdir())
    assert len(chief_runs) == 1
    for name in ("events.jsonl", "metrics.csv", "summary.json", "model.keras", "spec.toml"):
        assert (chief_runs[0] / name).is_file(), name
    assert not (tmp_path / "worker1/runs").exists()  # the other worker leaves no run
    assert list((tmp_path / "worker1/tmp").iterdir()) == []  # and no scratch files
