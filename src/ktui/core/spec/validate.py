"""Whether an experiment can run: every problem at once, each starting with its field path.

Field by field the checks are the schema's (:mod:`ktui.core.schema`: types, ranges, choices);
here are the checks of the parts together: the loss and metrics against the dataset's task,
the layer stack against the dataset's shapes, and the limits of what ktui trains. Pure Python,
and it survives any input: whatever a file or a form holds, the answer is a list of problems,
never a TypeError. Layers are numbered from 1 with their kind, ``layer 2 (Dense): ...``, as
the UI lists them.
"""

from __future__ import annotations

from ktui.core.catalog import (
    InferredLayer,
    StackError,
    format_shape,
    infer_stack,
    layer_label,
    layer_problems,
)
from ktui.core.datasets import DATASETS, DatasetSpec
from ktui.core.schema import check_values, is_finite, table_of, values_of
from ktui.core.spec.model import MAX_LAYERS, ExperimentSpec, LayerSpec, SpecError
from ktui.core.spec.steering import steering_problems
from ktui.core.spec.train import TRAIN_TABLES, TrainSpec
from ktui.core.text import brief
from ktui.core.training.placement import device_list_problem

#: Weights of float32 beyond this (8 GB, before the optimizer's slots) do not fit a
#: workstation; refused with the count instead of an out-of-memory error from TensorFlow.
MAX_PARAMS = 2_000_000_000
#: Marks a ``[[layers]]`` entry already reported by the reader (its kind is unusable).
SKIP_ROW = "layer:"


def validate(spec: ExperimentSpec) -> list[str]:
    """Every problem with the spec, each starting with its field path; [] when it can run.

    Never raises, whatever the fields hold (a form mid-edit can hold None, a TOML file a
    list where a name belongs): a wrong type is reported like any other problem."""
    return collect_problems(spec, set())


def check(spec: ExperimentSpec) -> ExperimentSpec:
    """Return ``spec`` if valid, else raise :class:`SpecError` with every problem."""
    errors = validate(spec)
    if errors:
        raise SpecError(errors)
    return spec


def collect_problems(spec: ExperimentSpec, skip: set[str]) -> list[str]:
    """:func:`validate`, less the checks named in ``skip`` (the reader's: ``fit``, ``stack``,
    ``layers`` and rows marked with :data:`SKIP_ROW`), which would only echo a problem it
    reported already."""
    errors, _ = check_values(table_of(ExperimentSpec), values_of(spec), at=lambda k: f"{k}: ")
    if isinstance(spec.dataset, DatasetSpec):
        errors += spec.dataset.problems()
    else:
        errors.append(f"dataset: must be a {' or '.join(DATASETS)} dataset, "
                      f"got {brief(spec.dataset)}")
        skip = skip | {"fit", "stack"}
    _check_layers(spec, errors, skip)
    _check_train(spec, errors, fit="fit" not in skip)
    return errors


# ---- layers ---------------------------------------------------------------------------------

def layer_errors(index: int, layer: LayerSpec) -> list[str]:
    """Problems with one layer of a spec (:func:`ktui.core.catalog.layer_problems`), or that
    it is not a layer at all."""
    if not isinstance(layer, LayerSpec):
        return [f"layer {index + 1}: must be a layer, got {brief(layer)}"]
    return layer_problems(index, layer.kind, layer.params)


def _check_layers(spec: ExperimentSpec, errors: list[str], skip: set[str]) -> None:
    layers = spec.layers
    if "layers" in skip:  # not even a list in the file: reported already
        return
    if not isinstance(layers, list):
        errors.append(f"layers: must be a list of layers, got {brief(layers)}")
        return
    if not layers:
        errors.append("layers: the model needs at least one layer")
        return
    if len(layers) > MAX_LAYERS:
        errors.append(f"layers: at most {MAX_LAYERS} layers, got {len(layers)}")
        return
    problems = [e for i, layer in enumerate(layers) if f"{SKIP_ROW}{i}" not in skip
                for e in layer_errors(i, layer)]
    errors.extend(problems)
    if problems or "stack" in skip or not spec.dataset.shape_known():
        return  # a broken layer or an unknown input shape: their own problems say why
    try:
        rows = stack_problem(spec)
    except StackError as err:
        errors.append(str(err))
        return
    total = sum(r.params for r in rows)
    if total > MAX_PARAMS:
        errors.append(f"layers: the model has {total:,} parameters ({total * 4 / 1e9:,.1f} GB "
                      f"of float32 weights, more with the optimizer's state); ktui trains "
                      f"models of up to {MAX_PARAMS:,}: use fewer units or filters")


def stack_problem(spec: ExperimentSpec) -> list[InferredLayer]:
    """Raise :class:`StackError` when the stack cannot map the dataset's input to its target;
    else return the inferred layers (shapes and parameter counts)."""
    rows = infer_stack(spec.input_shape(), [(lay.kind, lay.params) for lay in spec.layers])
    out = rows[-1].output_shape
    want = spec.output_shape()
    if out != want:
        last = len(rows) - 1
        classes = spec.task == "classification"
        if classes:
            hint = (f"end with a Dense of {want[0]} units (logits, no softmax) after a "
                    "Flatten or Reshape")
        else:
            hint = "end with a Dense (or Linear) of 1 unit"
        raise StackError(
            f"{layer_label(last, spec.layers[last].kind)}: the model outputs "
            f"{format_shape(out)} but {spec.dataset.target_words} "
            f"{'need' if classes else 'needs'} {format_shape(want)}; {hint}",
            index=last, rows=rows[:-1],
        )
    return rows


# ---- training -------------------------------------------------------------------------------

def _check_train(spec: ExperimentSpec, errors: list[str], fit: bool) -> None:
    """The [train] table; ``fit`` says whether to check the loss and metrics against the
    dataset's task (not when the dataset itself could not be read)."""
    t = spec.train
    if not isinstance(t, TrainSpec):
        errors.append(f"train: must be a table of training settings, got {brief(t)}")
        return
    fit = fit and spec.dataset.task_known()  # a user's file not read yet: no task to fit
    task = spec.task if fit else None
    words = spec.dataset.target_words if fit else ""
    errors += check_values(table_of(TrainSpec), values_of(t), at=lambda k: f"train.{k}: ",
                           task=task, task_words=words)[0]
    if isinstance(t.devices, str) and (problem := device_list_problem(t.devices)):
        errors.append(f"train.devices: {problem}")
    for key, cls in TRAIN_TABLES.items():
        table = getattr(t, key, None)
        if not isinstance(table, cls):
            errors.append(f"train.{key}: must be a table ([train.{key}]), got {brief(table)}")
            continue
        errors += check_values(table_of(cls), values_of(table),
                               at=lambda k, key=key: f"train.{key}.{k}: ")[0]
    errors += steering_problems(t)
    clipping = is_finite(t.clip_norm) and t.clip_norm > 0 or (
        is_finite(t.clip_value) and t.clip_value > 0)
    if clipping and t.precision == "mixed_float16":
        errors.append("train.clip_norm: clipping is not offered with precision mixed_float16 "
                      "(its gradients are loss-scaled); use mixed_bfloat16 or float32")
