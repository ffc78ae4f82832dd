"""The setup form's rows by spec path: which rows there are, and reading and writing the
spec's value at a row's path (``name``, ``dataset.n``, ``train.epochs``,
``train.schedule.factor``)."""

from __future__ import annotations

from typing import Any

from ktui.core.datasets import DATASETS, KIND_FIELD
from ktui.core.spec import ExperimentSpec
from ktui.ui.widgets.fields import setup_def

DATASET_KIND = setup_def("dataset.kind", KIND_FIELD)
#: Each dataset kind's settings, shown while that kind is chosen.
DATASET_FIELDS = {kind: tuple(setup_def(f"dataset.{f.name}", f) for f in cls.form_fields())
                  for kind, cls in DATASETS.items()}


def fields_box_id(kind: str) -> str:
    """The id of the box holding a dataset kind's settings: ``linear-fields``,
    ``fashion-fields`` (the kind's first word)."""
    return f"{kind.split('_')[0]}-fields"


def _owner(spec: ExperimentSpec, path: str) -> tuple[Any, str]:
    """The object holding the field at ``path`` and the field's name: ``train.epochs`` is
    (spec.train, "epochs"), ``train.schedule.factor`` (spec.train.schedule, "factor")."""
    head, *tables, name = path.split(".")
    obj: Any = spec.dataset if head == "dataset" else spec.train
    for table in tables:
        obj = getattr(obj, table)
    return obj, name


def get_path(spec: ExperimentSpec, path: str) -> Any:
    if path == "name":
        return spec.name
    if path == "dataset.kind":
        return spec.dataset.kind
    obj, name = _owner(spec, path)
    if not hasattr(obj, name):  # a field of another dataset kind: show its default
        obj = next(cls() for cls in DATASETS.values() if hasattr(cls(), name))
    return getattr(obj, name)


def set_path(spec: ExperimentSpec, path: str, value: Any) -> None:
    """Set one field; a None (a field with no valid value) is never written."""
    if value is None:
        return
    if path == "name":
        spec.name = str(value)
        return
    obj, name = _owner(spec, path)
    if hasattr(obj, name):
        setattr(obj, name, value)


__all__ = ["DATASET_FIELDS", "DATASET_KIND", "fields_box_id", "get_path", "set_path"]
