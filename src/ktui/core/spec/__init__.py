"""The experiment spec: what to train, as dataclasses, TOML and its checks.

One room, one job per module:

* :mod:`~ktui.core.spec.model`: ``ExperimentSpec``, ``LayerSpec``, ``SpecError``, the limits.
* :mod:`~ktui.core.spec.train`: ``TrainSpec`` and its ``[train.*]`` tables;
  :mod:`~ktui.core.spec.steering`: the schedule and early-stopping tables, stop rules.
* :mod:`~ktui.core.spec.toml`: reading (every problem at once) and writing spec files.
* :mod:`~ktui.core.spec.validate`: whether a spec can run (``validate``, ``check``).
* Authoring helpers, imported by name where used: :mod:`~ktui.core.spec.presets` (the
  tutorials' experiments), :mod:`~ktui.core.spec.defaults` (what a dataset's task needs),
  :mod:`~ktui.core.spec.describe` (a spec in words), :mod:`~ktui.core.spec.for_data` (a spec
  for the user's own data).

The names below are the public ones; import them from here.
"""

from ktui.core.datasets import DatasetSpec, FashionData, LinearData
from ktui.core.spec.model import (
    MAX_DESCRIPTION,
    MAX_LAYERS,
    MAX_NAME,
    MAX_SPEC_BYTES,
    SPEC_VERSION,
    ExperimentSpec,
    LayerSpec,
    SpecError,
)
from ktui.core.spec.toml import dumps, load, loads, parse_spec, read_text, save, spec_to_dict
from ktui.core.spec.train import (
    DEVICES,
    JIT_SETTINGS,
    MAX_CPU_DEVICES,
    MODEL_STYLES,
    PRECISIONS,
    STRATEGIES,
    TRAIN_TABLES,
    TrainSpec,
)
from ktui.core.spec.validate import MAX_PARAMS, check, layer_errors, stack_problem, validate

__all__ = [
    "DEVICES", "JIT_SETTINGS", "MAX_CPU_DEVICES", "MAX_DESCRIPTION", "MAX_LAYERS", "MAX_NAME",
    "MAX_PARAMS", "MAX_SPEC_BYTES", "MODEL_STYLES", "PRECISIONS", "SPEC_VERSION", "STRATEGIES",
    "TRAIN_TABLES", "DatasetSpec", "ExperimentSpec", "FashionData", "LayerSpec", "LinearData",
    "SpecError", "TrainSpec", "check", "dumps", "layer_errors", "load", "loads", "parse_spec",
    "read_text", "save", "spec_to_dict", "stack_problem", "validate",
]
