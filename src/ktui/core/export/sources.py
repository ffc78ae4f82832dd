"""ktui's own source, copied into the exported script so its math is ktui's, not a rewrite.

The custom layers, the loss, the metrics and the initializer configs are read as text (so
exporting imports neither TensorFlow nor the modules), their ``ktui`` imports replaced by the
registry's tables written out as literals: the script never imports ktui. What is copied is
chosen by the registry's entries, never by the user's text.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path

from ktui.core import catalog, choices
from ktui.core.export.literals import literal

#: The imports of layers.py the script replaces (the layer code itself is copied verbatim).
_KTUI_IMPORTS = ("from ktui.core.catalog import LAMBDA_OPS, SEEDED_KINDS\n",
                 "from ktui.core.choices import initializer_config\n")
#: What the script's own imports already provide.
_SCRIPT_IMPORTS = ("from __future__ import annotations\n", "import keras\nfrom keras import ops\n")


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
    text = module_text(module)
    return {node.name: ast.get_source_segment(text, node) or ""
            for node in ast.parse(text).body
            if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def _impl_name(entry: choices.Entry, module: str) -> str:
    """The attribute an entry's ``impl`` names, which must be in ``module`` (it is copied)."""
    where, _, attr = entry.impl.partition(":")
    if where != module:
        raise RuntimeError(f"{entry.name}: the exporter copies only {module}, not {where}")
    return attr


def table_source(name: str, rows: dict[str, str]) -> str:
    """``NAME = {`` one ``'key': value,`` line per row ``}``: a table the script reads."""
    return f"{name} = {{\n" + "".join(f"    {k!r}: {v},\n" for k, v in rows.items()) + "}\n"


def initializers_source() -> str:
    """The registry's initializer table and ``initializer_config``, which layers.py calls."""
    rows = {name: literal(row, f"initializer {name}")
            for name, row in choices.INITIALIZER_CONFIGS.items()}
    return ("#: ktui.core.choices.INITIALIZERS: name -> (Keras config, arguments it takes).\n"
            + table_source("INITIALIZER_CONFIGS", rows) + "\n\n"
            + definitions("ktui.core.choices")["initializer_config"] + "\n")


def layers_source() -> str:
    """ktui.core.layers without its ktui imports: the layer classes, verbatim."""
    src = module_text("ktui.core.layers")
    src = src.split('"""', 2)[2]  # drop the module docstring
    for line in _SCRIPT_IMPORTS:
        src = src.replace(line, "")
    src = src.replace("from typing import Any\n", "from typing import Any  # noqa\n")
    catalog_import, registry_import = _KTUI_IMPORTS
    src = src.replace(catalog_import,
                      f"LAMBDA_OPS = {catalog.LAMBDA_OPS!r}\n"
                      f"SEEDED_KINDS = frozenset({sorted(catalog.SEEDED_KINDS)!r})\n")
    src = src.replace(registry_import, "")
    if "ktui" in src.replace('package="ktui"', ""):
        raise RuntimeError("layers.py gained a ktui import the exporter does not inline")
    return initializers_source() + "\n\n" + src.strip() + "\n"


def loss_source(name: str) -> str:
    """The per-example loss (and the helpers its registry entry needs) from
    ktui.core.losses, verbatim, and the batch mean the trainer takes of it."""
    entry = choices.LOSSES[name]
    attr = _impl_name(entry, "ktui.core.losses")
    functions = definitions("ktui.core.losses")
    parts = [functions[n] for n in [*entry.needs, attr]]
    return ("\n\n\n".join(parts)
            + "\n\n\ndef loss_fn(y_true, y_pred):\n"
            + f"    return tf.reduce_mean({attr}(y_true, y_pred))\n")


def metric_parts() -> dict[str, tuple[str | None, dict]]:
    """Metric name -> (the ktui.core.metrics class it uses or None, its Keras config): the
    registry's METRICS as the script's ``METRIC_PARTS`` table holds it."""
    return {name: (_impl_name(e, "ktui.core.metrics") if e.impl else None, dict(e.config))
            for name, e in choices.METRICS.items()}


def metrics_source() -> str:
    """The metric classes the registry uses and ``make_metric`` from ktui.core.metrics,
    verbatim, then the registry's metrics as a table of ``make_metric``'s arguments."""
    parts = metric_parts()
    used = {cls for cls, _ in parts.values() if cls}
    defs = definitions("ktui.core.metrics")
    classes = [src for name, src in defs.items() if name in used]
    rows = {name: f"({cls or 'None'}, {literal(config, f'metric {name}')})"
            for name, (cls, config) in parts.items()}
    return ("\n\n\n".join([*classes, defs["make_metric"]])
            + "\n\n\n#: ktui.core.choices.METRICS: name -> make_metric's class and config.\n"
            + table_source("METRIC_PARTS", rows))


#: What the script copies to steer a run as ktui does: module -> names, in order.
_STEERING = (
    ("ktui.core.spec.steering", ("StopTarget", "parse_stop_when")),
    ("ktui.core.training.stopping", ("monitored", "_Best", "Plateau", "EarlyStopper",
                                     "target_reason", "budget_reason")),
    ("ktui.core.training.schedules", ("base_schedule", "make_steered_rate", "LearningRate")),
    ("ktui.core.training.steer", ("Steerer",)),
)


def steering_source() -> str:
    """The learning-rate schedule, plateau, early stopping and stop rules of the trainer,
    verbatim, with the two names they take from elsewhere: the metrics' directions (from
    the registry, as a table) and the event a learning-rate change is."""
    better = sorted(name for name, e in choices.METRICS.items() if e.higher_is_better)
    parts = [f"#: ktui.core.choices.METRICS whose bigger values are better.\n"
             f"HIGHER_IS_BETTER = {better!r}\n\n\n"
             "def higher_is_better(monitor):\n"
             "    return monitor.removeprefix(\"val_\") in HIGHER_IS_BETTER\n\n\n"
             "class LrChanged(NamedTuple):\n"
             "    \"\"\"A learning-rate change (ktui's event of that name).\"\"\"\n\n"
             "    epoch: int\n    step: int\n    lr: float\n    previous: float\n"
             "    source: str = \"user\"\n"]
    for module, names in _STEERING:
        defs = definitions(module)
        parts += [defs[name] for name in names]
    return "\n\n\n".join(parts) + "\n"
