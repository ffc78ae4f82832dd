"""The experiment: dataset + layer stack + training settings, as dataclasses and TOML.

Every setting is declared once, with :func:`ktui.core.schema.spec_field` (type, range,
choices, label, help); the dataset's are on its kind in :mod:`ktui.core.datasets`, a layer's on
its kind in :mod:`ktui.core.catalog`. ``parse_spec`` turns TOML data into an
:class:`ExperimentSpec`, collecting *every* problem (unknown keys included) as ``path:
message`` strings; :mod:`ktui.core.validate` checks values, the layer stack's shapes and
whether the loss and metrics fit the dataset. Both are pure Python and survive any input.
"""

from __future__ import annotations

import copy
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS, layer_label
from ktui.core.datasets import DATASETS, DatasetSpec, FashionData, LinearData
from ktui.core.registry import Task
from ktui.core.schema import (
    is_int,
    parse_table,
    spec_field,
    table_of,
    values_of,
)
from ktui.core.steering import EarlyStoppingSpec, ScheduleSpec
from ktui.core.text import brief
from ktui.core.train_spec import (  # noqa: F401 - spec.TrainSpec etc. stay importable here
    DEVICES,
    MAX_CPU_DEVICES,
    MODEL_STYLES,
    PRECISIONS,
    STRATEGIES,
    TrainSpec,
)

SPEC_VERSION = 1
#: Longest experiment name: it names the run directory and the Keras model.
MAX_NAME = 100
MAX_DESCRIPTION = 10_000
#: More layers than any model here needs. Keras' graph code (``map_graph``) recurses once per
#: layer: 1 000 layers already end in RecursionError; 500 build, train and save in every style.
MAX_LAYERS = 500
#: A spec file larger than this is not a spec (explicit x/y points included).
MAX_SPEC_BYTES = 16 * 1024 * 1024


class SpecError(ValueError):
    """A spec that cannot be used; ``errors`` holds every ``path: message``."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LayerSpec:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> dict[str, Any]:
        """Catalog defaults overlaid with the given parameters (a user's layer whose file is
        not loaded, read leniently from a past run: its parameters as they are)."""
        kind = LAYER_KINDS.get(self.kind)
        return kind.resolve(self.params) if kind is not None else dict(self.params)


@dataclass
class ExperimentSpec:
    name: str = spec_field("str", "experiment", label="name", max_len=MAX_NAME, required=True,
                           note=" (it names the run)",
                           help="runs are recorded, listed, compared and exported under this name")
    description: str = spec_field("str", "", max_len=MAX_DESCRIPTION)
    dataset: DatasetSpec = field(default_factory=LinearData)
    layers: list[LayerSpec] = field(default_factory=list)
    train: TrainSpec = field(default_factory=TrainSpec)

    @property
    def task(self) -> Task:
        return self.dataset.resolved_task()

    def input_shape(self) -> tuple[int, ...]:
        return self.dataset.input_shape()

    def output_shape(self) -> tuple[int, ...]:
        return self.dataset.output_shape()

    def copy(self) -> ExperimentSpec:
        return copy.deepcopy(self)


# ---- TOML in ---------------------------------------------------------------------------------

_TOP_KEYS = ("ktui_spec", "name", "description", "dataset", "layers", "train", "layer_files")


@dataclass
class _Parsed:
    """A spec built from TOML data as far as it goes, every problem found on the way, and
    the checks that validation must skip because they would only echo those problems (a
    stack check with a broken layer, a loss-fits-the-dataset check with no dataset)."""

    spec: ExperimentSpec
    errors: list[str]
    skip: set[str]


def _fill(cls: type, data: dict[str, Any], path: str, errors: list[str]) -> Any:
    """Build dataclass ``cls`` from a TOML table: unknown keys and wrong types are errors;
    a value of the wrong type is still stored, so validation can skip what depends on it."""
    options = ", ".join(f.name for f in table_of(cls))
    values = parse_table(table_of(cls), data, errors, at=lambda k: f"{path}.{k}: ",
                         unknown=lambda k: f"{path}.{k}: unknown key (expected one of: "
                                           f"{options})")
    return cls(**values)


#: ``[train.NAME]`` sub-tables and their dataclasses.
TRAIN_TABLES: dict[str, type] = {"schedule": ScheduleSpec, "early_stopping": EarlyStoppingSpec}


def _parse_train(raw: dict[str, Any], errors: list[str]) -> TrainSpec:
    tables = {}
    for key, cls in TRAIN_TABLES.items():
        sub = raw.get(key, {})
        if isinstance(sub, dict):
            tables[key] = _fill(cls, sub, f"train.{key}", errors)
        else:
            errors.append(f"train.{key}: must be a table ([train.{key}]), got {brief(sub)}")
            tables[key] = cls()
    train = _fill(TrainSpec, {k: v for k, v in raw.items() if k not in TRAIN_TABLES},
                  "train", errors)
    for key, value in tables.items():
        setattr(train, key, value)
    return train


def _version_problem(data: dict[str, Any]) -> str | None:
    version = data.get("ktui_spec", SPEC_VERSION)
    if not is_int(version) or version < 1:
        return (f"ktui_spec: must be the format version, an integer ({SPEC_VERSION}), "
                f"got {brief(version)}")
    if version > SPEC_VERSION:
        return (f"ktui_spec: this file is spec version {version}; this ktui reads version "
                f"{SPEC_VERSION} and older. Upgrade ktui to use it.")
    return None


def _parse_dataset(raw: Any, errors: list[str], skip: set[str]) -> DatasetSpec:
    default = next(iter(DATASETS.values()))
    if not isinstance(raw, dict):
        errors.append(f"dataset: must be a table ([dataset] with a kind), got {brief(raw)}")
        skip.update(("fit", "stack"))
        return default()
    kind = raw.get("kind", default.kind)
    cls = DATASETS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        kinds = " or ".join(repr(k) for k in DATASETS)
        errors.append(f"dataset.kind: must be {kinds}, got {brief(kind)}")
        skip.update(("fit", "stack"))
        return default()
    return _fill(cls, {k: v for k, v in raw.items() if k != "kind"}, "dataset", errors)


def _parse_layers(raw: Any, errors: list[str], skip: set[str],
                  files: user_layers.RecordCheck) -> list[LayerSpec]:
    from ktui.core.validate import SKIP_ROW, kind_problem, param_problems

    if not isinstance(raw, list):
        errors.append(f"layers: must be a list of tables ([[layers]]), got {brief(raw)}")
        skip.update(("stack", "layers"))
        return []
    if len(raw) > MAX_LAYERS:  # one line, not a problem per layer of a runaway file
        errors.append(f"layers: at most {MAX_LAYERS} layers, got {len(raw)}")
        skip.update(("stack", "layers"))
        return []
    layers = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.append(f"layer {i + 1}: must be a table ([[layers]] with a kind), "
                          f"got {brief(item)}")
        elif files.foreign(i, item.get("kind")):  # a user's layer file not loaded: said below
            skip.update(("stack", f"{SKIP_ROW}{i}"))
            layers.append(LayerSpec(item["kind"], {k: v for k, v in item.items() if k != "kind"}))
            continue
        else:
            problem = kind_problem(i, item.get("kind"))
            if problem is None:
                params = {k: v for k, v in item.items() if k != "kind"}
                problems = param_problems(layer_label(i, item["kind"]), LAYER_KINDS[item["kind"]],
                                          params, types_only=True)
                errors.extend(problems)
                if problems:
                    skip.add("stack")
                layers.append(LayerSpec(item["kind"], params))
                continue
            errors.append(problem)
        # Keep the numbering of the layers after it; validation skips this placeholder.
        skip.update(("stack", f"{SKIP_ROW}{i}"))
        layers.append(LayerSpec("", {}))
    errors.extend(files.problems())
    return layers


def _parse(data: dict[str, Any], lenient_layers: bool = False) -> _Parsed:
    errors: list[str] = []
    skip: set[str] = set()
    for key in data:
        if key not in _TOP_KEYS:
            errors.append(f"{key}: unknown key (expected name, description, dataset, layers, "
                          "train, layer_files)")
    top = {k: data[k] for k in ("name", "description") if k in data}
    spec = ExperimentSpec(**parse_table(table_of(ExperimentSpec), top, errors,
                                        at=lambda k: f"{k}: ", unknown=str))
    spec.dataset = _parse_dataset(data.get("dataset", {}), errors, skip)
    records = user_layers.read_records(data.get("layer_files", []), errors)
    files = user_layers.RecordCheck(records, lenient=lenient_layers)
    spec.layers = _parse_layers(data.get("layers", []), errors, skip, files)
    train = data.get("train", {})
    if isinstance(train, dict):
        spec.train = _parse_train(train, errors)
    else:
        errors.append(f"train: must be a table ([train]), got {brief(train)}")
        skip.add("fit")
    return _Parsed(spec, errors, skip)


def parse_spec(data: dict[str, Any], lenient_layers: bool = False) -> ExperimentSpec:
    """TOML-shaped data -> spec.

    Raises :class:`SpecError` when the data has the wrong structure or types (unknown keys,
    a list where a name belongs, a layer without a kind): those cannot even be shown in the
    form. The error then lists *every* problem at once, the values out of range included
    (what validation finds in the parts that could be read). A spec whose problems are
    only values out of range is returned; :func:`ktui.core.validate.validate` lists them.

    A layer from a user's layer file (``[[layer_files]]``) that is not loaded, or loaded with
    another content, is a problem naming the file to pass with ``--layers``; nothing is ever
    imported here. ``lenient_layers`` (listing past runs) keeps such layers unchecked.
    """
    from ktui.core.validate import collect_problems

    version = _version_problem(data)
    if version:  # a newer format may mean other things by the same keys: say only this
        raise SpecError([version])
    parsed = _parse(data, lenient_layers)
    if parsed.errors:
        seen = set(parsed.errors)
        more = [e for e in collect_problems(parsed.spec, parsed.skip) if e not in seen]
        raise SpecError(sorted(parsed.errors + more, key=_section))
    return parsed.spec


def _section(error: str) -> int:
    """Where a problem's field sits in the file (top keys, dataset, layers, train), so the
    combined list reads in file order; the sort is stable within a section."""
    for rank, prefix in enumerate(("dataset", "layer", "train")):
        if error.startswith(prefix):
            return rank + 1
    return 0


def loads(text: str, source: str = "", lenient_layers: bool = False) -> ExperimentSpec:
    """Parse TOML text (``source``, a file name, prefixes problems with the text itself;
    ``lenient_layers``: see :func:`parse_spec`)."""
    prefix = f"{source}: " if source else ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError([f"{prefix}not valid TOML: {err}"]) from None
    except RecursionError:
        raise SpecError([f"{prefix}not valid TOML: arrays or tables nested too deeply"]) from None
    return parse_spec(data, lenient_layers)


def read_text(path: str | Path) -> str:
    """A spec file's text, or :class:`SpecError` saying, with the path, why it is not one:
    missing, unreadable, a directory or a device, too large, not UTF-8, binary."""
    try:
        info = os.stat(path)
    except OSError as err:
        raise SpecError([f"{path}: cannot read ({err.strerror or err})"]) from None
    except ValueError:  # a NUL byte in the name
        raise SpecError([f"{path}: not a valid file name"]) from None
    if stat.S_ISDIR(info.st_mode):
        raise SpecError([f"{path}: is a directory; give the spec's .toml file"])
    if not stat.S_ISREG(info.st_mode):
        raise SpecError([f"{path}: not a regular file; give the spec's .toml file"])
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_SPEC_BYTES + 1)
    except OSError as err:
        raise SpecError([f"{path}: cannot read ({err.strerror or err})"]) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError([f"{path}: too large for a spec file (over "
                         f"{MAX_SPEC_BYTES // 2**20} MiB)"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise SpecError([f"{path}: not UTF-8 text: byte 0x{raw[err.start]:02x} at position "
                         f"{err.start} (line {line}); save the spec as UTF-8"]) from None
    if "\x00" in text:
        raise SpecError([f"{path}: not a text file (it contains NUL bytes at position "
                         f"{text.index(chr(0))}); a spec is a UTF-8 TOML file"])
    return text.removeprefix("\ufeff")  # a byte-order mark some Windows editors write


def load(path: str | Path, lenient_layers: bool = False) -> ExperimentSpec:
    """Read a spec file. Any problem, with the file or in it, is a :class:`SpecError`
    (never another exception: listing runs reads every run's spec with this)."""
    return loads(read_text(path), source=str(path), lenient_layers=lenient_layers)


# ---- TOML out --------------------------------------------------------------------------------

def spec_to_dict(spec: ExperimentSpec) -> dict[str, Any]:
    """The spec as TOML-ready data; layer parameters are written in full (defaults included)
    so a saved spec means the same thing even if a later ktui changes a default. A user's
    layer file in use is recorded in ``[[layer_files]]`` (path, sha256, classes)."""
    data = {
        "ktui_spec": SPEC_VERSION,
        "name": spec.name,
        "description": spec.description,
        "dataset": {"kind": spec.dataset.kind, **spec.dataset.values()},
        "layers": [{"kind": layer.kind, **layer.resolved()} for layer in spec.layers],
        "train": {**values_of(spec.train),
                  **{key: values_of(getattr(spec.train, key)) for key in TRAIN_TABLES}},
    }
    files = user_layers.file_records(spec.layers)
    if files:
        data["layer_files"] = files
    return data


def dumps(spec: ExperimentSpec) -> str:
    return tomli_w.dumps(spec_to_dict(spec))


def save(spec: ExperimentSpec, path: str | Path) -> None:
    Path(path).write_text(dumps(spec), encoding="utf-8")


# ---- names that moved ------------------------------------------------------------------------

#: Validation moved to :mod:`ktui.core.validate`; these names still resolve here for the
#: callers that import them from this module (it cannot import them eagerly: validate.py
#: imports this module).
_MOVED_TO_VALIDATE = ("validate", "check", "layer_errors", "stack_problem", "MAX_PARAMS")


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_VALIDATE:
        from ktui.core import validate as validation

        return getattr(validation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEVICES", "MAX_LAYERS", "MAX_SPEC_BYTES", "MODEL_STYLES",
    "SPEC_VERSION", "DatasetSpec", "ExperimentSpec", "FashionData", "LayerSpec",
    "LinearData", "SpecError", "TrainSpec", "dumps", "load", "loads", "parse_spec",
    "read_text", "save", "spec_to_dict", *_MOVED_TO_VALIDATE,
]
