"""``ktui sweep``'s settings: the spec (``--spec``/``--preset``/``--data`` as ``ktui train``
reads them), its ``[sweep]`` table if any, and the flags, which win."""

from __future__ import annotations

import argparse
import tomllib
from typing import Any

from ktui.cli.common import load_spec, spec_problems
from ktui.cli.errors import UsageError
from ktui.core import spec as specmod
from ktui.core.sweep.space import SweepError
from ktui.core.sweep.table import merge_params, read_table, split_sweep

DEFAULTS: dict[str, Any] = {"trials": 20, "workers": None, "metric": None, "direction": None,
                            "pruner": "median", "sampler": "tpe", "study": None,
                            "storage": None, "epochs": None, "seed": 0,
                            "warmup_epochs": None}


def _spec_and_table(args: argparse.Namespace) -> tuple[specmod.ExperimentSpec, dict[str, Any]]:
    """The spec with the flags ``ktui train`` also takes applied, and its ``[sweep]``."""
    path = getattr(args, "spec", None)
    if not path:
        return load_spec(args), {}
    try:
        data = tomllib.loads(specmod.read_text(path))
    except (specmod.SpecError, tomllib.TOMLDecodeError):
        data = {}  # load_spec says what is wrong with the file
    if "sweep" not in data:
        return load_spec(args), {}
    rest, raw = split_sweep(data)
    table, errors = read_table(raw)
    try:
        spec = specmod.parse_spec(rest)
    except specmod.SpecError as err:
        errors = errors + err.errors
        spec = None
    if errors:
        raise UsageError(spec_problems(path, errors))
    return spec, table


def settings_for(args: argparse.Namespace) -> tuple[specmod.ExperimentSpec, dict[str, Any]]:
    """The spec to sweep and every setting: flag, else ``[sweep]``, else the default."""
    spec, table = _spec_and_table(args)
    out = dict(DEFAULTS)
    out.update({k: v for k, v in table.items() if k != "params"})
    for key in DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:
            out[key] = value
    out["params"] = merge_params(table.get("params", []), list(getattr(args, "param", [])))
    out["no_baseline"] = bool(getattr(args, "no_baseline", False))
    out["isolate"] = bool(getattr(args, "isolate", False) or table.get("isolate", False))
    if out["epochs"] is not None:
        spec.train.epochs = out["epochs"]
    if out["workers"] is not None and out["workers"] > out["trials"]:
        raise SweepError([f"--workers {out['workers']} is more than --trials {out['trials']}"])
    return spec, out


def gpu_workers(spec: specmod.ExperimentSpec | None, workers: int | None, trials: int
                ) -> tuple[int, tuple[str, ...]]:
    """How many workers, and the GPU ids they share one each: with several GPUs (and a spec
    that trains on one), ``--workers`` defaults to their number; else to 1, all GPUs as
    they are (:mod:`ktui.core.sweep.gpus`)."""
    import os

    from ktui.core.sweep.gpus import ENV, default_workers, gpu_ids, gpus_here, spreads_over_gpus

    ids: list[str] = []
    if spec is None or spreads_over_gpus(spec.train):
        ids = gpu_ids(gpus_here(), os.environ.get(ENV))
    if len(ids) < 2:
        ids = []  # one GPU or none: nothing to share out
    return (workers or default_workers(ids, trials)), tuple(ids)
