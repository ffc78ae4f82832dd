"""Export a run as a standalone Python script: TensorFlow/Keras and numpy only.

The script defines the custom layers and metrics (ktui's own source, so the math is identical),
loads the same data the same way (training, validation and test sets: the dataset's class
writes that part), builds the model in the chosen style (the seeds' three: Sequential,
functional, subclassed), and trains it with a ``tf.function`` ``GradientTape`` loop using the
same seeds, shuffling and optimizer, so it reproduces the run's curves closely. It prints what
``ktui train`` prints: each epoch's loss and metrics (``val_`` ones on the validation set),
then the test set's.

Safety: user text (the experiment's name and description, the run folder's name, a data folder,
any string parameter) reaches the script only as a Python literal written by
:func:`~ktui.core.export.literals.literal` (``repr`` of a plain value, checked to read back as
exactly that value), never pasted into a docstring, a comment or code; names that select code
(loss, optimizer, metrics, layer kinds and parameter names, the model style) must be ones ktui
knows. A spec that breaks either rule is an :class:`ExportError`, so a hostile ``spec.toml``
can at worst make a script that fails, never one that runs code of its own.

Modules: :mod:`.literals` (values as literals), :mod:`.sources` (ktui's source copied in),
:mod:`.model_source` (``build_model()``), :mod:`.script_parts` (the fixed text).
"""

from __future__ import annotations

from typing import Any

from ktui.core import choices
from ktui.core.datasets import DATASETS, DatasetSpec, ScriptConstant
from ktui.core.export.literals import ExportError, literal, shown
from ktui.core.export.model_source import model_source
from ktui.core.export.script_parts import LOOP, header
from ktui.core.export.sources import (
    layers_source,
    loss_source,
    metrics_source,
    steering_source,
)
from ktui.core.export.user_source import layer_files_source
from ktui.core.schema import values_of
from ktui.core.spec import MODEL_STYLES, ExperimentSpec
from ktui.core.training.parts import optimizer_settings

STYLES = MODEL_STYLES


def _check_names(spec: ExperimentSpec, style: str) -> None:
    """Names that select code must be ones ktui knows (they pick functions and classes)."""
    t = spec.train
    if style not in STYLES:
        raise ExportError(f"style must be one of {', '.join(STYLES)}; got {shown(style)}")
    for where, value, known in (("train.loss", t.loss, choices.LOSSES),
                                ("train.optimizer", t.optimizer, choices.OPTIMIZERS)):
        if not isinstance(value, str) or value not in known:
            raise ExportError(f"{where}: must be one of {', '.join(known)}; got {shown(value)}")
    if not isinstance(t.metrics, list):
        raise ExportError("train.metrics: must be a list of metric names")
    for i, metric in enumerate(t.metrics):
        if not isinstance(metric, str) or metric not in choices.METRICS:
            raise ExportError(f"train.metrics[{i}]: must be one of "
                              f"{', '.join(choices.METRICS)}; got {shown(metric)}")
    if not isinstance(spec.dataset, DatasetSpec):
        raise ExportError(f"dataset: must be one of {', '.join(DATASETS)}")
    if not spec.dataset.script_loader():
        raise ExportError(f"dataset: {spec.dataset.title} cannot be exported to a script yet; "
                          "export a run of another dataset")


def _optimizer(spec: ExperimentSpec) -> dict[str, Any]:
    """The Keras config the trainer builds its optimizer from, each setting checked (the
    script swaps in its learning-rate schedule, as the trainer does)."""
    t = spec.train
    settings = optimizer_settings(t)
    for key, value in settings.items():
        literal(value, f"train.{key}")
    return choices.optimizer_config(t.optimizer, settings)


def _constants(spec: ExperimentSpec, run_name: str) -> str:
    """The script's settings block: every value a checked literal."""
    t = spec.train
    values = [
        ScriptConstant("NAME", "name", spec.name),
        ScriptConstant("DESCRIPTION", "description", spec.description),
        ScriptConstant("RUN", "run name", run_name),
        ScriptConstant("SEED", "train.seed", t.seed, integer=True),
        ScriptConstant("EPOCHS", "train.epochs", t.epochs, integer=True),
        ScriptConstant("BATCH_SIZE", "train.batch_size", t.batch_size, integer=True),
        ScriptConstant("SHUFFLE", "train.shuffle", t.shuffle),
        ScriptConstant("VALIDATION_SPLIT", "train.validation_split", t.validation_split),
        ScriptConstant("METRICS", "train.metrics", list(t.metrics)),
        ScriptConstant("OPTIMIZER", "train.optimizer", _optimizer(spec)),
        ScriptConstant("LEARNING_RATE", "train.learning_rate", t.learning_rate),
        ScriptConstant("SCHEDULE", "train.schedule", values_of(t.schedule)),
        ScriptConstant("EARLY_STOPPING", "train.early_stopping", values_of(t.early_stopping)),
        ScriptConstant("STOP_WHEN", "train.stop_when", t.stop_when),
        ScriptConstant("MAX_MINUTES", "train.max_minutes", t.max_minutes),
        ScriptConstant("CLIP_NORM", "train.clip_norm", t.clip_norm),
        ScriptConstant("CLIP_VALUE", "train.clip_value", t.clip_value),
        *spec.dataset.script_constants(),
    ]
    for c in values:
        if c.integer and type(c.value) is not int:
            raise ExportError(f"{c.where}: must be an integer, got {type(c.value).__name__}")
    notes = {"RUN": "  # the ktui run exported ('' = none)", "BATCH_SIZE": "  # 0 = full batch"}
    return "".join(f"{c.name} = {literal(c.value, c.where)}{notes.get(c.name, '')}\n"
                   for c in values)


def export_script(spec: ExperimentSpec, style: str | None = None, run_name: str = "",
                  file_name: str | None = None) -> str:
    """The standalone training script for ``spec`` (``style`` defaults to the spec's).

    ``run_name`` is recorded in the script's ``RUN``; ``file_name`` is the name of the file
    it will be written to, shown in its docstring's usage line (None: "<this file>").
    Raises :class:`ExportError` naming the field when the spec cannot be written safely.
    """
    style = style or spec.train.model_style
    _check_names(spec, style)
    if not isinstance(run_name, str):
        raise ExportError("run name: must be a string")
    layer_files, user_code = layer_files_source(spec.layers)
    parts = [
        header(file_name),
        _constants(spec, run_name) + layer_files,
        _section("the custom layers (ktui.core.layers)"),
        layers_source(),
        _section("data"),
        spec.dataset.script_loader(),
        _section("loss"),
        loss_source(spec.train.loss),
        _section("metrics (ktui.core.metrics)"),
        metrics_source(),
        _section("steering: schedule, plateau, early stopping, stop rules (ktui.core)"),
        steering_source(),
        _section("model"),
        model_source(spec, style),
        _section("training loop"),
        LOOP,
    ]
    if user_code:  # your own layers (--layers), each file its own module
        parts[4:4] = [_section("your layers (--layers: LAYER_FILES)"), user_code]
    script = "\n".join(parts)
    try:
        compile(script, "<export>", "exec")
    except (SyntaxError, ValueError) as err:  # a bug here, never the user's text
        raise RuntimeError(f"the exported script does not compile: {err}") from err
    return script


def _section(title: str) -> str:
    """``# ---- title ------``: a section rule of the script, 92 columns wide."""
    return f"# ---- {title} ".ljust(92, "-")


__all__ = ["STYLES", "ExportError", "export_script"]
