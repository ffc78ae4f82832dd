"""A spec file in and out: TOML text -> :class:`ExperimentSpec` (every problem at once) -> TOML.

``parse_spec`` builds the dataclasses of :mod:`ktui.core.spec.model` from TOML data, collecting
*every* problem (unknown keys included) as ``path: message`` strings; what validation finds in
the parts that could be read is added (:mod:`ktui.core.spec.validate`). Pure Python, and it
survives any input. A spec never imports code: a ``[[layer_files]]`` record only says which
file to pass with ``--layers``.
"""

from __future__ import annotations

import os
import shlex
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS, kind_problem, layer_label, param_problems
from ktui.core.datasets import DATASETS, DatasetSpec
from ktui.core.schema import is_int, parse_table, table_of, values_of
from ktui.core.spec.model import (
    MAX_LAYERS,
    MAX_SPEC_BYTES,
    SPEC_VERSION,
    ExperimentSpec,
    LayerSpec,
    SpecError,
)
from ktui.core.spec.train import TRAIN_TABLES, TrainSpec
from ktui.core.spec.validate import SKIP_ROW, collect_problems
from ktui.core.text import brief

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
    only values out of range is returned; :func:`ktui.core.spec.validate.validate` lists them.

    A layer from a user's layer file (``[[layer_files]]``) that is not loaded, or loaded with
    another content, is a problem naming the file to pass with ``--layers``; nothing is ever
    imported here. ``lenient_layers`` (listing past runs) keeps such layers unchecked.
    """
    version = _version_problem(data) or sweep_problem(data)
    if version:  # a newer format, or a sweep: the other keys mean nothing here; say only this
        raise SpecError([version])
    parsed = _parse(data, lenient_layers)
    if parsed.errors:
        seen = set(parsed.errors)
        more = [e for e in collect_problems(parsed.spec, parsed.skip) if e not in seen]
        raise SpecError(sorted(parsed.errors + more, key=_section))
    return parsed.spec


def sweep_problem(data: dict[str, Any], source: str = "") -> str | None:
    """A ``[sweep]`` table makes the file a sweep, which ``ktui sweep --spec FILE`` runs (it
    takes the table out first); ``ktui train`` and the setup view train one run: one line
    pointing there, not "unknown key" among the rest."""
    if "sweep" not in data:
        return None
    where = f"{source}: " if source else "sweep: "
    return (f"{where}this file is a sweep (it has a [sweep] table): run it with `ktui sweep "
            f"--spec {shlex.quote(source) if source else 'FILE'}`; ktui train trains one run")


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
    if (sweep := sweep_problem(data, source)) is not None:
        raise SpecError([sweep])
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
