"""ktui's source, copied into the exported script so its math is ktui's, not a rewrite.

The custom layers, the losses, the metrics and the steering rules are read as text (so
exporting imports neither TensorFlow nor the modules), one top-level definition at a time:
:func:`library` offers them all, by name, and the script takes only those its code names
(:mod:`.shake`). Their ``ktui`` imports become the registry's tables written out as
literals: the script never imports ktui. What is copied is chosen by the registry's entries
and the script's own code, never by the user's text.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from ktui.core import choices
from ktui.core.export.literals import literal
from ktui.core.export.shake import top_level


@cache
def module_text(module: str) -> str:
    """The source of a ktui module, found without importing it."""
    found = importlib.util.find_spec(module)
    if found is None or found.origin is None:
        raise RuntimeError(f"{module}: source not found for the exporter")
    return Path(found.origin).read_text(encoding="utf-8")


def definitions(module: str) -> dict[str, str]:
    """Top-level functions and classes of a ktui module, by name, as source (decorators
    dropped: the script needs no Keras registration)."""
    return {name: src for name, src in top_level(module_text(module)).items()
            if src.startswith(("def ", "class "))}


def _impl_name(entry: choices.Entry, module: str) -> str:
    """The attribute an entry's ``impl`` names, which must be in ``module`` (it is copied)."""
    where, _, attr = entry.impl.partition(":")
    if where != module:
        raise RuntimeError(f"{entry.name}: the exporter copies only {module}, not {where}")
    return attr


def table_source(name: str, rows: dict[str, str], note: str) -> str:
    """``#: note`` then ``NAME = {`` one ``'key': value,`` line per row ``}``."""
    return (f"#: {note}\n{name} = {{\n"
            + "".join(f"    {k!r}: {v},\n" for k, v in rows.items()) + "}")


def layer_pieces() -> dict[str, str]:
    """ktui.core.layers' definitions, verbatim, and the registry's initializer table and
    ``initializer_config`` that they call (layers.py imports them from ktui)."""
    rows = {name: literal(row, f"initializer {name}")
            for name, row in choices.INITIALIZER_CONFIGS.items()}
    pieces = {"INITIALIZER_CONFIGS": table_source(
                  "INITIALIZER_CONFIGS", rows,
                  "ktui.core.choices.INITIALIZERS: name -> (Keras config, arguments it takes)."),
              "initializer_config": definitions("ktui.core.choices")["initializer_config"]}
    layers = top_level(module_text("ktui.core.layers"))
    for name in ("_register", "LAYER_CLASSES"):  # Keras registration, the kind table
        layers.pop(name, None)
    return {**pieces, **layers}


def loss_pieces(name: str) -> dict[str, str]:
    """ktui.core.losses' per-example losses, verbatim, and ``loss_fn``: the batch mean the
    trainer takes of the spec's loss."""
    attr = _impl_name(choices.LOSSES[name], "ktui.core.losses")
    return {**definitions("ktui.core.losses"),
            "loss_fn": (f"def loss_fn(y_true, y_pred):  # the batch's loss: its examples' mean\n"
                        f"    return tf.reduce_mean({attr}(y_true, y_pred))")}


def metric_parts() -> dict[str, tuple[str | None, dict]]:
    """Metric name -> (the ktui.core.metrics class it uses or None, its Keras config): the
    registry's METRICS as the script's ``METRIC_PARTS`` table holds it."""
    return {name: (_impl_name(e, "ktui.core.metrics") if e.impl else None, dict(e.config))
            for name, e in choices.METRICS.items()}


def metric_source(name: str) -> str:
    """The expression ``make_metric`` (ktui.core.metrics) evaluates for metric ``name``: a
    class of ktui's alone, a Keras metric alone, or ktui's class wrapping the Keras one."""
    cls, config = metric_parts()[name]
    if not config:
        return f"{cls}(name={name!r})"
    inner_name = f"{name}_inner" if cls else name
    inner = f"keras.metrics.{config['class_name']}(name={inner_name!r})"
    return f"{cls}({inner}, {name!r})" if cls else inner


def metrics_source(used: list[str]) -> str:
    """``[...]``: the ``used`` metrics built as ktui builds them (the loop's ``metrics``,
    written after ``    metrics = ``, wrapped one a line when they would not fit in one)."""
    listed = [metric_source(name) for name in used]
    if sum(len(m) + 2 for m in listed) <= 78:
        return f"[{', '.join(listed)}]"
    return "[\n" + "".join(f"        {m},\n" for m in listed) + "    ]"


#: What the script may copy to steer a run as ktui does: module -> names.
_STEERING = (
    ("ktui.core.spec.steering", ("StopTarget", "parse_stop_when")),
    ("ktui.core.training.stopping", ("monitored", "_Best", "Plateau", "EarlyStopper",
                                     "target_reason", "budget_reason")),
    ("ktui.core.training.schedules", ("base_schedule", "make_steered_rate", "LearningRate")),
)


def steering_pieces() -> dict[str, str]:
    """The learning-rate schedule, plateau, early stopping and stop rules of the trainer,
    verbatim, and the metrics' directions they read (from the registry, as a table)."""
    better = sorted(name for name, e in choices.METRICS.items() if e.higher_is_better)
    pieces = {
        # The spec tables the copied code's annotations name: the script holds them as
        # SimpleNamespace objects of the same fields.
        "ScheduleSpec": "ScheduleSpec = SimpleNamespace  # [train.schedule]'s fields",
        "EarlyStoppingSpec": "EarlyStoppingSpec = SimpleNamespace  # [train.early_stopping]'s",
        "HIGHER_IS_BETTER": ("#: ktui.core.choices.METRICS whose bigger values are better.\n"
                             f"HIGHER_IS_BETTER = {better!r}"),
        "higher_is_better": ("def higher_is_better(monitor):\n"
                             '    return monitor.removeprefix("val_") in HIGHER_IS_BETTER'),
    }
    for module, names in _STEERING:
        defs = definitions(module)
        pieces.update((name, defs[name]) for name in names)
    return pieces
