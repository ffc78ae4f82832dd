"""A spec file's optional ``[sweep]`` table: a sweep you can share as one file.

::

    [sweep]
    trials = 40
    workers = 2
    metric = "val_loss"        # direction, pruner, sampler, study, storage, epochs, seed too
    isolate = true             # each trial its own ktui train process
    [sweep.params]
    "train.learning_rate" = "log:1e-4..1e-1"
    "layers.2.units" = "choice:16,32,64"

``ktui train`` and the TUI never see it (it is taken out before the spec is read); flags on
the command line win over it, and ``--param`` adds to (or replaces) its parameters.
"""

from __future__ import annotations

from typing import Any

from ktui.core.sweep import PRUNERS, SAMPLERS
from ktui.core.text import brief, clean

#: key -> (the Python type it must be, its description); ``params`` is checked apart.
_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "trials": (int, "a whole number >= 1"), "workers": (int, "a whole number >= 1"),
    "epochs": (int, "a whole number >= 1"), "seed": (int, "a whole number"),
    "warmup_epochs": (int, "a whole number"),
    "metric": (str, "a metric's name"), "direction": (str, "min or max"),
    "pruner": (str, " or ".join(PRUNERS)), "sampler": (str, " or ".join(SAMPLERS)),
    "study": (str, "a name"), "storage": (str, "a URL or journal file path"),
    "isolate": (bool, "true or false"),
}


def split_sweep(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The spec's TOML data without ``[sweep]``, and that table ({} when none)."""
    rest = dict(data)
    table = rest.pop("sweep", {})
    return rest, table


def read_table(table: Any) -> tuple[dict[str, Any], list[str]]:
    """``[sweep]`` -> settings (``params`` as ``DOTTED=SPACE`` texts) and every problem."""
    if not isinstance(table, dict):
        return {}, [f"sweep: must be a table ([sweep]), got {clean(brief(table))}"]
    out: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in table.items():
        if key == "params":
            params, problems = _params(value)
            out["params"], errors = params, errors + problems
            continue
        if key not in _KEYS:
            errors.append(f"sweep.{key}: unknown key (expected one of: params, "
                          f"{', '.join(_KEYS)})")
            continue
        kind, must = _KEYS[key]
        bad = not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool) or (
            key in ("trials", "workers", "epochs") and value < 1) or (
            key == "pruner" and value not in PRUNERS) or (
            key == "sampler" and value not in SAMPLERS)
        if bad:
            errors.append(f"sweep.{key}: must be {must}, got {clean(brief(value))}")
        else:
            out[key] = value
    return out, errors


def _params(value: Any) -> tuple[list[str], list[str]]:
    if isinstance(value, dict):
        bad = [k for k, v in value.items() if not isinstance(v, str)]
        if bad:
            return [], [f"sweep.params.{clean(k)}: must be a space such as \"log:1e-4..1e-1\", "
                        f"got {clean(brief(value[k]))}" for k in bad]
        return [f"{k}={v}" for k, v in value.items()], []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value), []
    return [], ["sweep.params: must be a table of \"dotted.path\" = \"SPACE\" (or a list of "
                f"\"DOTTED=SPACE\"), got {clean(brief(value))}"]


def merge_params(table: list[str], flags: list[str]) -> list[str]:
    """The table's parameters with ``--param`` flags added, a flag replacing the same path."""
    flagged = {f.partition("=")[0].strip() for f in flags}
    return [t for t in table if t.partition("=")[0].strip() not in flagged] + list(flags)
