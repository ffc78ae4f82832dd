"""Where the step runs: one device, or a ``tf.distribute`` strategy over several.

:func:`place` turns ``train.strategy``/``devices``/``cpu_devices``/``precision`` into a
:class:`Placement`: the TensorFlow strategy (None for one device: the plain step is the fast
path, XLA-able and with nothing to all-reduce), the names people read (``mirrored × 2: GPU:0,
GPU:1``) and, for several machines, this worker's role. The engine is TensorFlow's own:
``MirroredStrategy`` for the devices of one machine, ``MultiWorkerMirroredStrategy`` for
machines named by ``TF_CONFIG``. What needs no TensorFlow (the device list, the worker's role
from ``TF_CONFIG``) is answered here without importing it, so the CLI and validation can
use it early: the functions that need TensorFlow get it from
:func:`ktui.core.tfenv.ensure_imported` when called.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ktui.core.tfenv import ensure_imported


class PlacementError(RuntimeError):
    """The strategy asked for cannot run here; the message says why and what to do."""


def device_list_problem(text: str) -> str | None:
    """Why ``train.devices`` is not a list of GPU indices like ``0,1`` (empty = all)."""
    if not text.strip():
        return None
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() and p.isascii() and len(p) <= 3 for p in parts):
        return f"must be GPU indices separated by commas, like 0,1; got {text!r}"
    if len(set(parts)) != len(parts):
        return f"names a GPU twice: {text!r}"
    return None


def device_indices(text: str) -> tuple[int, ...]:
    """``"0, 2"`` -> (0, 2); empty -> () (all)."""
    return tuple(int(p) for p in text.split(",")) if text.strip() else ()


# ---- multi-worker roles ---------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerRole:
    """This process's place in a TF_CONFIG cluster."""

    task_type: str
    index: int
    workers: int
    #: Whether the cluster names a ``chief`` task (then no worker is the chief).
    has_chief: bool = False

    @property
    def is_chief(self) -> bool:
        """The chief writes the run directory; the others write nothing that lasts. As in
        TensorFlow: the ``chief`` task, or worker 0 when the cluster has no chief."""
        return self.task_type == "chief" or (
            not self.has_chief and self.task_type == "worker" and self.index == 0)

    def describe(self) -> str:
        role = "chief" if self.is_chief else "worker"
        return f"{role} ({self.task_type} {self.index} of {self.workers} workers)"


def worker_role(environ: dict[str, str] | None = None) -> WorkerRole:
    """This process's role, read from ``TF_CONFIG``; :class:`PlacementError` when it is
    missing or not what TensorFlow expects (a clear message, not a gRPC hang)."""
    env = os.environ if environ is None else environ
    raw = env.get("TF_CONFIG", "")
    if not raw.strip():
        raise PlacementError(
            "--strategy multiworker needs TF_CONFIG: a JSON cluster of host:port workers and "
            "this process's task, e.g. TF_CONFIG='{\"cluster\": {\"worker\": [\"host1:12345\", "
            "\"host2:12345\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}' (see README)")
    try:
        config = json.loads(raw)
    except ValueError as err:
        raise PlacementError(f"TF_CONFIG is not valid JSON ({err})") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise PlacementError("TF_CONFIG needs a \"cluster\" and a \"task\" object")
    task_type, index = task.get("type"), task.get("index")
    members = cluster.get(task_type) if isinstance(task_type, str) else None
    if not isinstance(members, list) or not isinstance(index, int) or not (
            0 <= index < len(members)):
        raise PlacementError(f"TF_CONFIG's task {task!r} is not one of its cluster's members")
    workers = sum(len(v) for k, v in cluster.items() if k in ("chief", "worker")
                  and isinstance(v, list))
    return WorkerRole(task_type, index, workers, has_chief=bool(cluster.get("chief")))


# ---- placement ------------------------------------------------------------------------------

@dataclass
class Placement:
    """The strategy a run uses and how to name it."""

    #: ``one``, ``mirrored`` or ``multiworker`` (``auto`` resolved).
    kind: str
    #: Device names people read: ``CPU``, ``GPU:0 NVIDIA H100``, ``CPU:1``.
    devices: tuple[str, ...]
    #: The ``tf.distribute`` strategy; None for one device.
    strategy: Any = None
    #: One device's TensorFlow name (``/GPU:0``); unused under a strategy.
    device: str = "/CPU:0"
    role: WorkerRole | None = None

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync) if self.strategy is not None else 1

    @property
    def is_chief(self) -> bool:
        return self.role is None or self.role.is_chief

    def describe(self) -> str:
        """``one device: CPU`` or ``mirrored × 2: CPU:0, CPU:1``."""
        if self.strategy is None:
            return f"one device: {', '.join(self.devices)}"
        text = f"{self.kind} × {self.replicas}: {', '.join(self.devices)}"
        if self.role is not None:
            text += f" ({self.role.workers} workers)"
        return text

    @contextmanager
    def scope(self) -> Iterator[None]:
        """Where the model, optimizer and metrics are created (and the step traced)."""
        if self.strategy is not None:
            with self.strategy.scope():
                yield
        else:
            with ensure_imported().device(self.device):
                yield


_lock = threading.Lock()
#: MultiWorkerMirroredStrategy: one per process (it starts a gRPC server and cannot be made
#: twice); created before any other TensorFlow op.
_multiworker: Any = None
_mirrored_strategies: dict[tuple[str, ...], Any] = {}


def configure_cpu_devices(count: int) -> None:
    """Split the CPU into ``count`` logical devices, before TensorFlow's runtime starts.

    Once the runtime runs the split cannot change: asking for more devices than it has is a
    :class:`PlacementError` naming the fix (start ktui again with ``--cpu-devices``)."""
    tf = ensure_imported()
    with _lock:
        cpu = tf.config.list_physical_devices("CPU")[0]
        current = tf.config.get_logical_device_configuration(cpu)
        have = len(current) if current else 1
        if count <= 1 or count == have:
            return
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)])
        except RuntimeError:
            if have >= count:
                return
            raise PlacementError(
                f"train.cpu_devices = {count}: TensorFlow already runs with {have} CPU "
                f"device(s) in this process and cannot split it again; start ktui again "
                f"with --cpu-devices {count}") from None


def gpu_names() -> list[str]:
    """``GPU:0 NVIDIA H100 80GB HBM3``, one per physical GPU."""
    tf = ensure_imported()
    names = []
    for dev in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(dev)
        index = dev.name.rsplit(":", 1)[-1]
        names.append(f"GPU:{index} {details.get('device_name', '')}".strip())
    return names


def place(strategy: str, devices: str = "", cpu_devices: int = 1, device: str = "auto",
          precision: str = "float32") -> Placement:
    """The :class:`Placement` for a run's settings; :class:`PlacementError` when it cannot
    run here (a GPU asked for and none seen, a GPU index TensorFlow does not have, TF_CONFIG
    missing)."""
    tf = ensure_imported()
    if strategy == "multiworker":
        placement = _multiworker_placement()
        if precision == "mixed_float16" and not tf.config.list_logical_devices("GPU"):
            raise PlacementError("train.precision = mixed_float16 needs a GPU on every "
                                 "worker; use mixed_bfloat16 or float32")
        return placement
    configure_cpu_devices(cpu_devices)
    gpus = tf.config.list_logical_devices("GPU")
    names = gpu_names()
    wanted = device_indices(devices)
    missing = [i for i in wanted if i >= len(gpus)]
    if missing:
        seen = f"{len(gpus)} GPU(s)" if gpus else "no GPU"
        raise PlacementError(f"train.devices: TensorFlow sees {seen}, not GPU "
                             f"{', '.join(map(str, missing))} (`ktui devices` lists them)")
    if device == "gpu" and not gpus:
        raise PlacementError("--device gpu: TensorFlow sees no GPU on this machine (is CUDA "
                             "installed? try `pip install 'ktui[gpu]'`), or use --device cpu")
    chosen = list(wanted) if wanted else list(range(len(gpus)))
    on_gpus = bool(gpus) and device != "cpu"
    if precision == "mixed_float16" and not on_gpus:
        raise PlacementError("train.precision = mixed_float16 needs a GPU (on a CPU float16 "
                             "maths is slower, not faster); use mixed_bfloat16 or float32")
    if strategy == "auto":
        strategy = "mirrored" if on_gpus and len(chosen) > 1 else "one"
    if strategy == "one":
        if not on_gpus:
            return Placement("one", ("CPU",), device="/CPU:0")
        first = chosen[0]
        return Placement("one", (names[first],), device=f"/GPU:{first}")
    # mirrored: the chosen GPUs, else every logical CPU (one unless --cpu-devices split it)
    if on_gpus:
        targets = [f"/GPU:{i}" for i in chosen]
        labels = tuple(names[i] for i in chosen)
    else:
        cpus = tf.config.list_logical_devices("CPU")
        targets = [d.name for d in cpus]
        labels = tuple(f"CPU:{i}" for i in range(len(cpus)))
    return Placement("mirrored", labels, strategy=_mirrored(tuple(targets)))


def _mirrored(targets: tuple[str, ...]) -> Any:
    """One MirroredStrategy per device set and process: two strategies over the same devices
    reuse the collectives' group and instance keys, so the second run's all-reduce meets the
    first run's shapes ("Shape mismatch in the collective instance", measured)."""
    tf = ensure_imported()
    with _lock:
        if targets not in _mirrored_strategies:
            _mirrored_strategies[targets] = tf.distribute.MirroredStrategy(list(targets))
        return _mirrored_strategies[targets]


def _multiworker_placement() -> Placement:
    global _multiworker
    tf = ensure_imported()
    role = worker_role()
    with _lock:
        if _multiworker is None:
            options = tf.distribute.experimental.CommunicationOptions(
                implementation=tf.distribute.experimental.CommunicationImplementation.AUTO)
            try:
                _multiworker = tf.distribute.MultiWorkerMirroredStrategy(
                    communication_options=options)
            except (RuntimeError, ValueError) as err:
                raise PlacementError(f"multiworker: TensorFlow could not start the "
                                     f"strategy ({str(err).splitlines()[0]}); the strategy "
                                     f"must be the first TensorFlow work of the process: "
                                     f"run it from `ktui train`") from None
    gpus = gpu_names()
    local = gpus or ["CPU"]
    return Placement("multiworker", tuple(f"worker {role.index} {d}" for d in local),
                     strategy=_multiworker, role=role)
