"""The experiment as dataclasses: dataset + layer stack + training settings, and its limits.

Every setting is declared once, with :func:`ktui.core.schema.spec_field` (type, range,
choices, label, help); the dataset's are on its kind in :mod:`ktui.core.datasets`, a layer's on
its kind in :mod:`ktui.core.catalog`, training's in :mod:`ktui.core.spec.train`. Reading and
writing TOML is :mod:`ktui.core.spec.toml`; whether a spec can run is
:mod:`ktui.core.spec.validate`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ktui.core.catalog import LAYER_KINDS
from ktui.core.choices import Task
from ktui.core.datasets import DatasetSpec, LinearData
from ktui.core.schema import spec_field
from ktui.core.spec.train import TrainSpec

SPEC_VERSION = 1
#: Longest experiment name: it names the run directory and the Keras model.
MAX_NAME = 100
MAX_DESCRIPTION = 10_000
#: More layers than any model here needs. Keras' graph code (``map_graph``) recurses once per
#: layer: 1 000 layers already end in RecursionError; 500 build, train and save in every style.
MAX_LAYERS = 500
#: A spec file larger than this is not a spec (explicit x/y points included).
MAX_SPEC_BYTES = 16 * 1024 * 1024


class SpecError(ValueError):
    """A spec that cannot be used; ``errors`` holds every ``path: message``."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LayerSpec:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> dict[str, Any]:
        """Catalog defaults overlaid with the given parameters (a user's layer whose file is
        not loaded, read leniently from a past run: its parameters as they are)."""
        kind = LAYER_KINDS.get(self.kind)
        return kind.resolve(self.params) if kind is not None else dict(self.params)


@dataclass
class ExperimentSpec:
    name: str = spec_field("str", "experiment", label="name", max_len=MAX_NAME, required=True,
                           note=" (it names the run)",
                           help="runs are recorded, listed, compared and exported under this name")
    description: str = spec_field("str", "", max_len=MAX_DESCRIPTION)
    dataset: DatasetSpec = field(default_factory=LinearData)
    layers: list[LayerSpec] = field(default_factory=list)
    train: TrainSpec = field(default_factory=TrainSpec)

    @property
    def task(self) -> Task:
        return self.dataset.resolved_task()

    def input_shape(self) -> tuple[int, ...]:
        return self.dataset.input_shape()

    def output_shape(self) -> tuple[int, ...]:
        return self.dataset.output_shape()

    def copy(self) -> ExperimentSpec:
        return copy.deepcopy(self)
