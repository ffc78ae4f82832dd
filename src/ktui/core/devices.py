"""The devices TensorFlow sees, for ``ktui devices`` and the placement's names.

Memory is what TensorFlow may use on each GPU (``device_lib``'s ``memory_limit``: the card's
free memory when TensorFlow started); CPUs have none to report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from types import ModuleType


@dataclass(frozen=True)
class DeviceInfo:
    #: TensorFlow's name: ``/device:GPU:0``.
    name: str
    #: ``CPU`` or ``GPU``.
    kind: str
    #: The card's name (``NVIDIA H100 80GB HBM3``); "" for CPUs.
    description: str = ""
    #: Bytes TensorFlow may allocate on it; None when unknown (CPUs).
    memory_bytes: int | None = None
    #: ``8.0`` for a GPU's compute capability; "" for CPUs.
    compute_capability: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def line(self) -> str:
        """``GPU:0  NVIDIA H100 80GB HBM3  79.1 GiB  compute 9.0``."""
        short = self.name.removeprefix("/device:")
        parts = [short]
        if self.description:
            parts.append(self.description)
        if self.memory_bytes is not None:
            parts.append(f"{self.memory_bytes / 2**30:.1f} GiB")
        if self.compute_capability:
            parts.append(f"compute {self.compute_capability}")
        return "  ".join(parts)


def list_devices(tf: ModuleType) -> list[DeviceInfo]:
    """Every logical device, CPUs first."""
    memory = _memory_limits()
    found = []
    for kind in ("CPU", "GPU"):
        physical = tf.config.list_physical_devices(kind)
        for logical in tf.config.list_logical_devices(kind):
            index = int(logical.name.rsplit(":", 1)[-1])
            details = {}
            if kind == "GPU" and index < len(physical):
                details = tf.config.experimental.get_device_details(physical[index])
            capability = details.get("compute_capability")
            found.append(DeviceInfo(
                name=logical.name, kind=kind, description=str(details.get("device_name", "")),
                memory_bytes=memory.get(logical.name) if kind == "GPU" else None,
                compute_capability=".".join(map(str, capability)) if capability else ""))
    return found


def _memory_limits() -> dict[str, int]:
    """Device name -> bytes TensorFlow may use on it ({} when TensorFlow cannot say)."""
    try:
        from tensorflow.python.client import device_lib  # the one API that reports it

        return {d.name: int(d.memory_limit) for d in device_lib.list_local_devices()}
    except Exception:  # noqa: BLE001 - a listing without memory is still a listing
        return {}
