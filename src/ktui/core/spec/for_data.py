"""An experiment for a user's own data: the kind from the path, a stack that fits it, and
keeping an edited experiment fitting its data once the data has been read.

``ktui train --data iris.csv`` and ``ktui --data photos/`` start from
:func:`experiment_for`: an MLP for a table, a small convnet for images, both from the layer
catalog, sized for the data's features and classes, with the task's loss, metrics and
optimizer. In the TUI, :func:`fit_to_data` does the same to an edited experiment once the
data card says what the file holds. Pure Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ktui.core.catalog import StackError, infer_stack
from ktui.core.choices import LOSSES
from ktui.core.datasets import CsvData, DataError, DatasetSpec, ImageFolderData, NpzData
from ktui.core.datasets.own import OwnData
from ktui.core.spec import ExperimentSpec, LayerSpec, TrainSpec
from ktui.core.spec.defaults import TaskDefaults, apply_defaults, stack_fits
from ktui.core.spec.describe import model_words

#: File name endings -> kind (a folder is ``images``).
SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".npz": "npz"}
#: The tasks' training defaults for a user's data (Adam for regression too: an MLP on
#: standardised features trains reliably with it, where SGD 0.05 can diverge).
OWN_DEFAULTS = {
    "classification": TaskDefaults("classification", "sparse_categorical_crossentropy",
                                   ("accuracy",), "adam", 1e-3, 64, ()),
    "regression": TaskDefaults("regression", "mse", ("mae",), "adam", 1e-3, 32, ()),
}


def kind_for_path(path: str) -> str:
    """``csv``, ``npz`` or ``images`` (a folder), from the path.

    Raises:
        DataError: The name says none of them (the message says what each looks like).
    """
    p = Path(path).expanduser()
    if p.is_dir():
        return "images"
    kind = SUFFIXES.get(p.suffix.lower())
    if kind is not None:
        return kind
    if not p.exists():
        raise DataError(f"{path}: no such file or folder; check the path")
    raise DataError(f"{path}: cannot tell the kind of data from its name; give a .csv (or "
                    ".tsv) file, a .npz file, or a folder with one subfolder of images per "
                    "class")


def dataset_for(path: str, target: str | None = None,
                features: list[str] | None = None) -> OwnData:
    """The dataset spec for ``path`` (absolute, so a run and its export find it from any
    folder); ``target`` names a CSV file's target column, ``features`` the columns to learn
    from (default: the others)."""
    kind = kind_for_path(path)
    where = str(Path(path).expanduser().absolute())
    if (target or features) and kind != "csv":
        what = "--target names a CSV column" if target else "--features names CSV columns"
        raise DataError(f"{what}; {path} is not a CSV file")
    if kind == "csv":
        return CsvData(path=where, target=target or "", features=list(features or []))
    return NpzData(path=where) if kind == "npz" else ImageFolderData(path=where)


def _dense(units: int, activation: str = "linear") -> LayerSpec:
    return LayerSpec("Dense", {"units": units, "activation": activation})


def default_layers(dataset: DatasetSpec) -> list[LayerSpec]:
    """An MLP for a table, a small convnet for images, ending in one logit per class (or one
    value): from the catalog's layers, sized for ``dataset``'s shapes."""
    shape = tuple(dataset.input_shape())
    out = dataset.output_shape()[0]
    if len(shape) == 1:
        return [_dense(64, "relu"), _dense(32, "relu"), _dense(out), *_rescaled(dataset)]
    layers = []
    if len(shape) == 2:
        shape = (*shape, 1)
        layers.append(LayerSpec("Reshape", {"target_shape": list(shape)}))
    side = min(shape[:2])
    for filters in (16, 32):
        layers.append(LayerSpec("Conv2D", {"filters": filters, "kernel_size": [3, 3],
                                           "padding": "same", "activation": "relu"}))
        if side >= 4:
            layers.append(LayerSpec("MaxPooling2D", {"pool_size": [2, 2],
                                                     "strides": [2, 2]}))
            side //= 2
    return [*layers, LayerSpec("Flatten", {}), _dense(64, "relu"), _dense(out)]


def _rescaled(dataset: DatasetSpec) -> list[LayerSpec]:
    """For a regression target: a last layer putting the output in the target's units
    (``x * std + mean``), so the layers before it learn a standardised target (a diabetes
    table's target is 25..346: from outputs near 0 the bias alone needs thousands of Adam
    steps) while the loss and metrics stay in the units the user reads. [] otherwise."""
    card = dataset.card() if isinstance(dataset, OwnData) else None
    if card is None or card.target_range is None or not card.target_std:
        return []
    return [LayerSpec("Rescaling", {"scale": round(card.target_std, 6),
                                    "offset": round(card.target_range[1], 6)})]


#: A default run of a user's data: epochs enough to converge, stopped by early stopping on
#: the validation loss with the best epoch's weights restored (so it ends converged, not at
#: an arbitrary epoch: a table is cheap, images less so).
OWN_EPOCHS = {"table": 300, "images": 40}
OWN_PATIENCE = {"table": 20, "images": 5}


def train_defaults(spec: ExperimentSpec) -> None:
    """The task's loss, metrics, optimizer, rate and batch size; a generous epoch budget
    with early stopping (restoring the best weights) when there is a validation set."""
    apply_defaults(spec.train, OWN_DEFAULTS[spec.task])
    kind = "table" if len(spec.input_shape()) == 1 else "images"
    spec.train.epochs = OWN_EPOCHS[kind]
    stop = spec.train.early_stopping
    if spec.train.validation_split > 0:
        stop.enabled, stop.monitor, stop.restore_best = True, "val_loss", True
        stop.patience = OWN_PATIENCE[kind]
    else:  # nothing to watch: a budget that converges a table without it
        spec.train.epochs = 100 if kind == "table" else 10


def experiment_for(path: str, target: str | None = None,
                   features: list[str] | None = None) -> ExperimentSpec:
    """A ready experiment for the data at ``path`` (``ktui train --data``): the data is read
    (its card) to size the stack; a file that cannot be used still gives a spec, whose
    validation says why.

    Raises:
        DataError: The path names no kind of data.
    """
    dataset = dataset_for(path, target, features)
    name = Path(dataset.path).stem or "data"
    spec = ExperimentSpec(name=name[:100], dataset=dataset, train=TrainSpec())
    train_defaults(spec)
    spec.layers = default_layers(dataset)
    return spec  # no description: a derived one would go stale (describe.headline says it)


def use_data(spec: ExperimentSpec, path: str, target: str | None = None) -> None:
    """Point ``spec`` at the data at ``path`` (``--spec FILE --data PATH``): the same kind
    keeps its settings, another kind replaces the dataset; the layers and training settings
    stay (the validator says if they do not fit)."""
    dataset = dataset_for(path, target)
    if type(spec.dataset) is type(dataset):
        settings = spec.dataset
        settings.path = dataset.path  # type: ignore[attr-defined]
        if target:
            settings.target = target  # type: ignore[attr-defined]
    else:
        spec.dataset = dataset


def _fix_last_dense(spec: ExperimentSpec) -> str | None:
    """Give the stack's last Dense the units the data needs, if that alone makes it fit."""
    if not spec.layers or spec.layers[-1].kind != "Dense":
        return None
    last = spec.layers[-1]
    want = spec.output_shape()[0]
    before = last.params.get("units")
    last.params = {**last.params, "units": want}
    try:
        infer_stack(spec.input_shape(), [(lay.kind, lay.params) for lay in spec.layers])
    except (StackError, TypeError, ValueError):
        last.params = {**last.params, "units": before}
        return None
    if stack_fits(spec):
        return f"the last Dense now has {want} unit{'s' * (want != 1)}"
    last.params = {**last.params, "units": before}
    return None


def fit_to_data(spec: ExperimentSpec) -> str | None:
    """Once a user's data has been read: set the task's defaults when the loss does not fit
    it, and make the stack fit the data (the last Dense's units, else the default stack).
    Returns what changed, in words, or None when nothing had to."""
    dataset = spec.dataset
    if not isinstance(dataset, OwnData) or not dataset.task_known():
        return None
    changed = []
    loss: Any = spec.train.loss
    if not (isinstance(loss, str) and loss in LOSSES and LOSSES[loss].fits(spec.task)):
        train_defaults(spec)
        changed.append(f"loss, metrics and optimizer set for {spec.task}")
    if not dataset.shape_known() or stack_fits(spec):
        return "; ".join(changed) or None
    fixed = _fix_last_dense(spec)
    if fixed is None:
        spec.layers = default_layers(dataset)
        fixed = "the layers did not fit and are now " + " → ".join(
            model_words([lay]) for lay in spec.layers)
    changed.append(fixed)
    return "; ".join(changed)
