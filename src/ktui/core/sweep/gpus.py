"""One sweep worker per GPU: with several GPUs, ``--workers`` defaults to their number and
worker ``i`` sees only GPU ``i`` (``CUDA_VISIBLE_DEVICES`` in its environment; its isolated
trials inherit it). Without a GPU nothing changes.

The GPUs are those TensorFlow sees (:func:`ktui.core.devices.list_devices`), asked in a
short ``ktui devices --json`` process: the sweep's supervisor then holds neither TensorFlow
nor a context on every card for the hours a sweep lasts. A machine with no GPU device node
is not asked at all (no TensorFlow start on a CPU box). Pure Python.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from ktui.core.devices import DeviceInfo

ENV = "CUDA_VISIBLE_DEVICES"
#: Device nodes of NVIDIA (``/dev/nvidia0``), ROCm (``/dev/kfd``) and WSL (``/dev/dxg``).
DEVICE_NODES = ("/dev/nvidia[0-9]*", "/dev/kfd", "/dev/dxg")
#: How long the listing may take (TensorFlow's start, one context per card).
LIST_TIMEOUT_S = 120


def gpu_ids(devices: Sequence[DeviceInfo], visible: str | None = None) -> list[str]:
    """The ids to give ``CUDA_VISIBLE_DEVICES``, one per GPU in ``devices``. TensorFlow
    numbers the GPUs it sees from 0; when ``visible`` (this process's own
    ``CUDA_VISIBLE_DEVICES``) already picks some, GPU ``i`` is its ``i``-th entry."""
    seen = sorted(int(d.name.rsplit(":", 1)[-1]) for d in devices if d.kind == "GPU")
    picked = [p.strip() for p in (visible or "").split(",") if p.strip()]
    return [picked[i] if i < len(picked) else str(i) for i in seen]


def default_workers(ids: Sequence[str], trials: int) -> int:
    """One worker per GPU (no more than the trials); one without a GPU."""
    return max(1, min(len(ids), trials))


def worker_env(ids: Sequence[str], index: int,
               base: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """Worker ``index``'s environment: ``base`` with its one GPU (round robin when there are
    more workers than GPUs); None (this process's own, unchanged) without a GPU."""
    if not ids:
        return None
    env = dict(os.environ if base is None else base)
    env[ENV] = ids[index % len(ids)]
    return env


def spreads_over_gpus(train: object) -> bool:
    """Whether a trial of this spec would use one GPU, so a worker per GPU fits: not on the
    CPU, not mirrored over several cards, not on GPUs the spec names itself."""
    return (getattr(train, "device", "auto") != "cpu"
            and getattr(train, "strategy", "auto") in ("auto", "one")
            and not getattr(train, "devices", ""))


def gpus_here(env: Mapping[str, str] | None = None) -> list[DeviceInfo]:
    """The GPUs TensorFlow sees on this machine ([] when there is none, or when asking
    fails: the sweep then runs as on a CPU box)."""
    env = os.environ if env is None else env
    if env.get(ENV, None) in ("", "-1") or not any(glob.glob(p) for p in DEVICE_NODES):
        return []
    try:
        done = subprocess.run([sys.executable, "-m", "ktui", "devices", "--json"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=LIST_TIMEOUT_S, env=dict(env))
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_devices(done.stdout) if done.returncode == 0 else []


def parse_devices(text: str) -> list[DeviceInfo]:
    """``ktui devices --json``'s lines back into devices (the GPUs only)."""
    found = []
    for line in text.splitlines():
        try:
            data = json.loads(line)
            device = DeviceInfo(name=str(data["name"]), kind=str(data["kind"]))
        except (ValueError, KeyError, TypeError):
            continue
        if device.kind == "GPU":
            found.append(device)
    return found


__all__ = ["ENV", "default_workers", "gpu_ids", "gpus_here", "parse_devices",
           "spreads_over_gpus", "worker_env"]
