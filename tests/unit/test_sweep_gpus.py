"""One sweep worker per GPU, on a fake device list (this machine has no GPU): the ids each
worker's ``CUDA_VISIBLE_DEVICES`` gets, ``--workers`` defaulting to the GPU count, and on a
CPU box nothing changed (no environment given, one worker, no TensorFlow started)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktui.core.devices import DeviceInfo
from ktui.core.sweep import gpus

pytest.importorskip("optuna")

CPU = DeviceInfo("/device:CPU:0", "CPU")
TWO = [CPU, DeviceInfo("/device:GPU:0", "GPU", "NVIDIA H100"),
       DeviceInfo("/device:GPU:1", "GPU", "NVIDIA H100")]


def test_each_worker_sees_its_own_gpu() -> None:
    ids = gpus.gpu_ids(TWO)
    assert ids == ["0", "1"]
    envs = [gpus.worker_env(ids, i, {"PATH": "/bin"}) for i in range(3)]
    assert [e["CUDA_VISIBLE_DEVICES"] for e in envs] == ["0", "1", "0"]  # round robin
    assert all(e["PATH"] == "/bin" for e in envs)  # the rest of the environment kept
    assert gpus.default_workers(ids, trials=20) == 2
    assert gpus.default_workers(ids, trials=1) == 1
    # This process already picked cards 2 and 3: TensorFlow's GPU 0 is card 2.
    assert gpus.gpu_ids(TWO, "2,3") == ["2", "3"]


def test_on_a_cpu_nothing_changes() -> None:
    assert gpus.gpu_ids([CPU]) == []
    assert gpus.worker_env([], 0) is None  # the worker inherits this environment as it is
    assert gpus.default_workers([], trials=20) == 1


def test_which_specs_take_one_gpu_each() -> None:
    from ktui.core.spec.presets import get_preset

    train = get_preset("linear-gd").train
    assert gpus.spreads_over_gpus(train)
    for attr, value in (("device", "cpu"), ("strategy", "mirrored"), ("devices", "0,1")):
        other = get_preset("linear-gd").train
        setattr(other, attr, value)
        assert not gpus.spreads_over_gpus(other), attr


def test_the_listing_is_read_back_and_a_cpu_box_starts_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = ('{"name": "/device:CPU:0", "kind": "CPU"}\n'
            '{"name": "/device:GPU:0", "kind": "GPU", "description": "x"}\nnot json\n'
            '{"name": "/device:GPU:1", "kind": "GPU"}\n')
    assert [d.name for d in gpus.parse_devices(text)] == ["/device:GPU:0", "/device:GPU:1"]

    def no_run(*_a, **_k):
        raise AssertionError("started a process to list devices")

    monkeypatch.setattr(gpus.subprocess, "run", no_run)
    monkeypatch.setattr(gpus, "DEVICE_NODES", ("/nonexistent/nvidia[0-9]*",))
    assert gpus.gpus_here({}) == []
    monkeypatch.setattr(gpus, "DEVICE_NODES", ("/",))  # a node there, but none allowed:
    assert gpus.gpus_here({"CUDA_VISIBLE_DEVICES": ""}) == []


class FakeWorker:
    """A worker process that ends at once with an error (so the supervisor gives up on
    its slot after a few restarts); records how it was started."""

    started: list[tuple[list[str], dict | None]] = []

    def __init__(self, argv, env=None, **_kw) -> None:
        FakeWorker.started.append((list(argv), env))
        self.pid = 10**6 + len(FakeWorker.started)

    def poll(self) -> int:
        return 1

    def send_signal(self, _sig) -> None:
        pass


@pytest.mark.parametrize("devices", [TWO, [CPU]], ids=["two-gpus", "cpu"])
def test_sweep_workers_default_to_one_per_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys, devices: list[DeviceInfo]) -> None:
    from ktui.cli import main, sweep_run

    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(gpus, "gpus_here", lambda env=None: [d for d in devices
                                                             if d.kind == "GPU"])
    monkeypatch.setattr(sweep_run.subprocess, "Popen", FakeWorker)
    monkeypatch.setattr(sweep_run, "POLL_S", 0.01)
    FakeWorker.started = []
    code = main(["sweep", "--preset", "linear-gd", "--param", "train.learning_rate=log:1e-3..1",
                 "--trials", "4", "--study", "gpus", "--runs-dir", str(tmp_path)])
    assert code == 1  # the fake workers ran no trial
    err = capsys.readouterr().err
    slots = {argv[argv.index("--worker-index") + 1]: env for argv, env in FakeWorker.started}
    if len(devices) > 1:
        assert "2 workers (one per GPU: 0,1)" in err
        assert set(slots) == {"0", "1", "100", "101", "200", "201", "300", "301"}
        for index, env in slots.items():  # a restarted worker keeps its slot's GPU
            assert env["CUDA_VISIBLE_DEVICES"] == str(int(index) % 100)
    else:
        assert "1 worker," in err
        assert set(slots) == {"0", "100", "200", "300"} and set(map(type, slots.values())) \
            == {type(None)}
