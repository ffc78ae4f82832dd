"""Dataset kinds behind one interface (:class:`DatasetSpec`), by the name specs use.

A new kind is one module here (a :class:`DatasetSpec` dataclass) and one line in
:data:`DATASETS`; the spec reader, the validator, the setup form, the trainer, the
descriptions and the exporter find it there and ask it, never which kind it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ktui.core.datasets.base import (
    DataCorruptError,
    DataError,
    DataMissingError,
    DatasetSpec,
    ScriptConstant,
    Splits,
)
from ktui.core.datasets.csv_data import CsvData
from ktui.core.datasets.fashion import FashionData
from ktui.core.datasets.images import ImageFolderData
from ktui.core.datasets.linear import LinearData
from ktui.core.datasets.npz_data import NpzData
from ktui.core.datasets.own import OwnData
from ktui.core.schema import Field

if TYPE_CHECKING:
    from ktui.core.spec import ExperimentSpec

#: Kind name -> class, in the order the form offers them; the first is the default.
DATASETS: dict[str, type[DatasetSpec]] = {
    cls.kind: cls for cls in (
        LinearData,
        FashionData,
        CsvData,
        NpzData,
        ImageFolderData,
    )
}

#: The form's choice of kind (``[dataset] kind`` in a spec file).
KIND_FIELD = Field("kind", "choice", next(iter(DATASETS)), label="dataset",
                   help="; ".join(f"{kind}: {cls.help}" for kind, cls in DATASETS.items()),
                   choices=tuple(DATASETS))


def load_splits(spec: ExperimentSpec, data_dir: str | None = None) -> Splits:
    """Load the experiment's dataset, split by ``spec.train.validation_split``.

    Args:
        spec: The experiment.
        data_dir: A data folder overriding the spec's (``--data-dir``).
    """
    return spec.dataset.load(spec.train.validation_split, data_dir)


__all__ = [
    "DATASETS", "KIND_FIELD", "CsvData", "DataCorruptError", "DataError", "DataMissingError",
    "DatasetSpec", "FashionData", "ImageFolderData", "LinearData", "NpzData", "OwnData",
    "ScriptConstant", "Splits", "load_splits",
]
