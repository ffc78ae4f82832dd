"""Export a run as a standalone Python script: TensorFlow/Keras and numpy only.

The script holds only what its spec uses (:mod:`.shake`): it loads the same data the same way
(the dataset's class writes that part), builds the model in the chosen style (the seeds'
three: Sequential, functional, subclassed) from Keras' own layers where ktui's are Keras'
(Dense, Conv2D, ...) and ktui's tutorial classes copied where they are not, and trains it
with a ``tf.function`` ``GradientTape`` loop using the same seeds, shuffling and optimizer, so
it reproduces the run's curves. The loop's optional parts (shuffling, clipping, a schedule,
a plateau, early stopping, stop rules: :data:`FEATURES`) are written only when the spec turns
them on, and ktui's code they call (losses, metrics, steering) is copied verbatim, only the
definitions that code names. It prints what ``ktui train`` prints: each epoch's loss and
metrics (``val_`` ones on the validation set), then the test set's.

Safety: user text (the experiment's name and description, the run folder's name, a data folder,
any string parameter) reaches the script only as a Python literal written by
:func:`~ktui.core.export.literals.literal` (``repr`` of a plain value, checked to read back as
exactly that value), never pasted into a docstring, a comment or code; names that select code
(loss, optimizer, metrics, layer kinds and parameter names, the model style) must be ones ktui
knows. A spec that breaks either rule is an :class:`ExportError`, so a hostile ``spec.toml``
can at worst make a script that fails, never one that runs code of its own.

Modules: :mod:`.literals` (values as literals), :mod:`.sources` (ktui's source copied in),
:mod:`.shake` (what the script needs), :mod:`.model_source` (``build_model()``),
:mod:`.script_parts` (the fixed text and the loop's template), :mod:`.user_source` (your
layer files).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ktui.core import choices, user_layers
from ktui.core.datasets import DATASETS, DatasetSpec, ScriptConstant
from ktui.core.export.literals import ExportError, literal, shown
from ktui.core.export.model_source import model_source
from ktui.core.export.script_parts import LOOP, MAIN_GUARD, header, render
from ktui.core.export.shake import names_read, needed
from ktui.core.export.sources import (
    definitions,
    layer_pieces,
    loss_pieces,
    metrics_source,
    steering_pieces,
)
from ktui.core.export.user_source import layer_files_source
from ktui.core.schema import values_of
from ktui.core.spec import MODEL_STYLES, ExperimentSpec
from ktui.core.spec.steering import SCHEDULES
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


def _check_steering(spec: ExperimentSpec) -> None:
    """The steering values that choose the loop's parts must be of their type (a hand-edited
    spec is checked by ``ktui export`` first; this keeps a script from being wrong)."""
    t = spec.train
    kind = getattr(t.schedule, "kind", None)
    if not isinstance(kind, str) or kind not in SCHEDULES:
        raise ExportError(f"train.schedule.kind: must be one of {', '.join(SCHEDULES)}; "
                          f"got {shown(kind)}")
    for where, value, kinds in (
            ("train.shuffle", t.shuffle, (bool,)),
            ("train.early_stopping.enabled", t.early_stopping.enabled, (bool,)),
            ("train.early_stopping.restore_best", t.early_stopping.restore_best, (bool,)),
            ("train.stop_when", t.stop_when, (str,)),
            ("train.clip_norm", t.clip_norm, (int, float)),
            ("train.clip_value", t.clip_value, (int, float)),
            ("train.max_minutes", t.max_minutes, (int, float))):
        if type(value) not in kinds:
            raise ExportError(f"{where}: must be {' or '.join(k.__name__ for k in kinds)}, "
                              f"got {type(value).__name__}")


#: The loop's optional parts (``[feature]`` blocks of the template) and when a spec turns
#: each on; every other part of the script follows from the names these blocks read.
FEATURES: dict[str, Callable[[ExperimentSpec], bool]] = {
    "shuffle": lambda s: s.train.shuffle,
    "clip": lambda s: s.train.clip_norm > 0 or s.train.clip_value > 0,
    "schedule": lambda s: s.train.schedule.kind not in ("constant", "plateau"),
    "plateau": lambda s: s.train.schedule.kind == "plateau",
    "early_stopping": lambda s: s.train.early_stopping.enabled,
    "restore_best": lambda s: s.train.early_stopping.enabled
    and s.train.early_stopping.restore_best,
    "stop_when": lambda s: bool(s.train.stop_when.strip()),
    "max_minutes": lambda s: s.train.max_minutes > 0,
    # A stop rule of any kind: the loop keeps a reason to end the run.
    "stop": lambda s: any(FEATURES[k](s) for k in ("early_stopping", "stop_when",
                                                    "max_minutes")),
    # Your layers may add losses (add_loss); ktui's own never do.
    "layer_losses": lambda s: bool(user_layers.files_used(s.layers)),
    # The step compiled with XLA, as ktui compiled it (its numerics differ in the last bits);
    # for ``auto``, what the run picked (:func:`features`' ``xla``).
    "jit": lambda s: s.train.jit_compile == "on",
}


def features(spec: ExperimentSpec, xla: bool | None = None) -> set[str]:
    """The loop parts ``spec`` turns on (names of :data:`FEATURES`); ``xla`` is whether the
    run's step ended up compiled with XLA, when known (``jit_compile = "auto"`` picks it in
    the run; not known: as ``off``)."""
    _check_steering(spec)
    on = {name for name, on in FEATURES.items() if on(spec)}
    if xla is not None and spec.train.jit_compile == "auto":
        on = on | {"jit"} if xla else on - {"jit"}
    return on


#: Settings every script states, whether or not its code reads them.
_ALWAYS = ("NAME", "DESCRIPTION", "RUN")


def _constants(spec: ExperimentSpec, run_name: str) -> list[ScriptConstant]:
    """The script's settings, each to be a checked literal."""
    t = spec.train
    values = [
        ScriptConstant("NAME", "name", spec.name),
        ScriptConstant("DESCRIPTION", "description", spec.description),
        ScriptConstant("RUN", "run name", run_name),
        ScriptConstant("SEED", "train.seed", t.seed, integer=True),
        ScriptConstant("EPOCHS", "train.epochs", t.epochs, integer=True),
        ScriptConstant("BATCH_SIZE", "train.batch_size", t.batch_size, integer=True),
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
    return values


_NOTES = {"RUN": "  # the ktui run exported ('' = none)", "BATCH_SIZE": "  # 0 = full batch"}


def _settings(constants: list[ScriptConstant], used: set[str]) -> str:
    """``NAME = literal`` for the settings the script's code reads (and :data:`_ALWAYS`)."""
    return "".join(f"{c.name} = {literal(c.value, c.where)}{_NOTES.get(c.name, '')}\n"
                   for c in constants if c.name in used or c.name in _ALWAYS)


def export_script(spec: ExperimentSpec, style: str | None = None, run_name: str = "",
                  file_name: str | None = None, xla: bool | None = None) -> str:
    """The standalone training script for ``spec`` (``style`` defaults to the spec's).

    ``run_name`` is recorded in the script's ``RUN``; ``file_name`` is the name of the file
    it will be written to, shown in its docstring's usage line (None: "<this file>").
    ``xla``: whether the run's step ran with XLA (see :func:`features`).
    Raises :class:`ExportError` naming the field when the spec cannot be written safely.
    """
    style = style or spec.train.model_style
    _check_names(spec, style)
    if not isinstance(run_name, str):
        raise ExportError("run name: must be a string")
    constants = _constants(spec, run_name)
    for c in constants:  # every value checked, read by the code or not
        literal(c.value, c.where)
    layer_files, user_code = layer_files_source(spec.layers)
    loop = render(LOOP, features(spec, xla), {"metrics": metrics_source(list(spec.train.metrics))})
    fixed = {"data": spec.dataset.script_loader(),
             "loop": model_source(spec, style).rstrip("\n") + "\n\n\n" + loop.lstrip("\n")}
    copied = {"layers": layer_pieces(), "loss": loss_pieces(spec.train.loss),
              "metrics": definitions("ktui.core.metrics"), "steering": steering_pieces()}
    library = {name: src for pieces in copied.values() for name, src in pieces.items()}
    keep = needed(names_read("\n".join(fixed.values())), library)
    text = {part: "\n\n\n".join(src for name, src in pieces.items() if name in keep)
            for part, pieces in copied.items()}
    text.update((part, src.strip("\n")) for part, src in fixed.items())
    text["user"] = user_code.strip("\n")
    code = "\n\n\n".join([*(_SECTIONS.get(part, "") + text[part] for part in _ORDER
                            if text[part]), MAIN_GUARD])
    used = names_read(code)
    settings = _settings(constants, used) + layer_files
    script = header(file_name, used | names_read(settings)) + "\n" + settings + "\n\n" + code
    try:
        compile(script, "<export>", "exec")
    except (SyntaxError, ValueError) as err:  # a bug here, never the user's text
        raise RuntimeError(f"the exported script does not compile: {err}") from err
    return script


#: The script's parts, in order: the story (data, loss, model and training), then the code
#: it calls that is copied in; each under a rule naming it (and where it comes from).
_ORDER = ("data", "loss", "loop", "user", "layers", "metrics", "steering")
_SECTIONS = {part: f"# ---- {title} ".ljust(92, "-") + "\n" for part, title in (
    ("data", "data"),
    ("loss", "loss (ktui.core.losses)"),
    ("loop", "model and training loop"),
    ("user", "your layers (--layers: LAYER_FILES)"),
    ("layers", "the custom layers this model uses (ktui.core.layers)"),
    ("metrics", "the metrics' classes (ktui.core.metrics)"),
    ("steering", "schedule, plateau, early stopping, stop rules (ktui.core.training)"))}


__all__ = ["FEATURES", "STYLES", "ExportError", "export_script", "features"]
