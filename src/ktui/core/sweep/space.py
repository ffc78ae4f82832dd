"""The search space of a sweep: ``DOTTED=SPACE`` parameters, read and checked against a spec.

``DOTTED`` is a path into the spec as its TOML has it: ``train.learning_rate``,
``train.schedule.factor``, ``dataset.noise``, ``layers.2.units`` (layers numbered from 1, as
ktui lists them). ``SPACE`` is one of ``log:A..B`` (log-uniform floats), ``float:A..B``,
``int:A..B[:STEP]`` or ``choice:a,b,c``. Every problem is found at once, as a spec's are: the
grammar, a path the spec does not have, and each bound or choice the spec's own checks refuse
(:func:`ktui.core.spec.parse_spec` and :func:`~ktui.core.spec.validate`). Pure Python: no
Optuna, no TensorFlow.
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ktui.core import spec as specmod
from ktui.core.text import brief, clean

KINDS = ("log", "float", "int", "choice")
#: Top-level keys a sweep never changes (the name is each trial's own).
_FIXED = ("ktui_spec", "name", "description", "layer_files")
_EXAMPLE = "e.g. train.learning_rate=log:1e-4..1e-1 or layers.2.units=choice:16,32,64"


class SweepError(ValueError):
    """A sweep that cannot start; ``errors`` holds every problem, one line each."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Param:
    """One dimension of the space: ``path`` (dotted, as typed), its kind and values."""

    path: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    step: int | None = None
    choices: tuple[Any, ...] = ()
    #: The text as typed (``train.learning_rate=log:1e-3..0.5``), for messages and storage.
    text: str = ""

    def describe(self) -> str:
        if self.kind == "choice":
            return f"{self.path} in {{{', '.join(_show(c) for c in self.choices)}}}"
        step = f" step {self.step}" if self.step else ""
        return f"{self.path} {self.kind} {_show(self.low)}..{_show(self.high)}{step}"

    def grid(self) -> list[Any] | None:
        """The values a grid search tries: the choices, or every step of an int range; None
        for a continuous range (a grid cannot enumerate it)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "int":
            return list(range(int(self.low), int(self.high) + 1, self.step or 1))
        return None


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


# ---- the grammar -----------------------------------------------------------------------------

def _number(text: str, whole: bool) -> int | float | None:
    text = text.strip()
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        return None
    return value if whole or math.isfinite(value) else None


def _token(text: str) -> Any:
    """A choice as TOML would read it: true/false, an integer, a float, else the text."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip("'\"")


def parse_param(text: str) -> tuple[Param | None, list[str]]:
    """``DOTTED=SPACE`` -> a :class:`Param`, or None and every problem with the text."""
    at = f"--param {clean(brief(text))}"
    path, eq, space = text.partition("=")
    path, space = path.strip(), space.strip()
    if not eq or not path:
        return None, [f"{at}: expected DOTTED=SPACE, {_EXAMPLE}"]
    kind, colon, rest = space.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS or not colon:
        return None, [f"{at}: the space must start with one of {', '.join(k + ':' for k in KINDS)}"
                      f" ({_EXAMPLE})"]
    if kind == "choice":
        items = [_token(t) for t in rest.split(",") if t.strip()]
        if not items:
            return None, [f"{at}: choice needs at least one value: choice:a,b,c"]
        if len({repr(i) for i in items}) != len(items):
            return None, [f"{at}: a choice is listed twice"]
        return Param(path, kind, choices=tuple(items), text=text), []
    whole = kind == "int"
    bounds, _, step_text = rest.partition(":") if whole else (rest, "", "")
    low_text, dots, high_text = bounds.partition("..")
    form = "int:A..B[:STEP]" if whole else f"{kind}:A..B"
    if not dots:
        return None, [f"{at}: {kind} needs a range, {form}"]
    low, high = _number(low_text, whole), _number(high_text, whole)
    errors = [f"{at}: {clean(brief(t.strip()))} is not {'a whole' if whole else 'a finite'} number"
              for t, v in ((low_text, low), (high_text, high)) if v is None]
    step = None
    if step_text.strip():
        step = _number(step_text, True)
        if step is None or step < 1:
            errors.append(f"{at}: the step must be a whole number >= 1, got "
                          f"{clean(brief(step_text.strip()))}")
    if errors:
        return None, errors
    if not low < high:
        errors.append(f"{at}: the range must go up, A < B (got {_show(low)}..{_show(high)})")
    elif kind == "log" and low <= 0:
        errors.append(f"{at}: log needs 0 < A (got {_show(low)}); use float:A..B for a range "
                      "through zero")
    elif step is not None and (high - low) % step:
        errors.append(f"{at}: the step {step} does not divide {_show(low)}..{_show(high)}")
    if errors:
        return None, errors
    return Param(path, kind, low=low, high=high, step=step, text=text), []


# ---- against the spec -----------------------------------------------------------------------

def locate(data: dict[str, Any], path: str) -> tuple[Any, str | int | None, str | None]:
    """The container holding ``path``'s leaf in the spec's TOML data and its key, or a
    problem; layers are numbered from 1."""
    parts = path.split(".")
    if parts[0] in _FIXED:
        return None, None, f"{path}: a sweep cannot vary {parts[0]}"
    node: Any = data
    for i, part in enumerate(parts):
        here = ".".join(parts[:i]) or "the spec"
        if isinstance(node, list):
            if not part.isdigit() or not 1 <= int(part) <= len(node):
                return None, None, (f"{path}: {here} holds {len(node)} entries, numbered from "
                                    f"1; got {clean(brief(part))}")
            key: str | int = int(part) - 1
        elif isinstance(node, dict):
            if part not in node:
                near = difflib.get_close_matches(part, [str(k) for k in node], n=1)
                hint = f"; did you mean {'.'.join([*parts[:i], near[0]])}?" if near else \
                    f" (it has: {', '.join(str(k) for k in node)})"
                return None, None, f"{path}: {here} has no {clean(brief(part))}{hint}"
            key = part
        else:
            return None, None, f"{path}: {here} is a single value, not a table"
        if i == len(parts) - 1:
            return node, key, None
        node = node[key]
    return None, None, f"{path}: empty path"


def _typed(param: Param, current: Any) -> str | None:
    """Why ``param``'s kind cannot fill a field holding ``current``."""
    if isinstance(current, (dict, list)):
        return f"{param.path}: is a {'table' if isinstance(current, dict) else 'list'}; " \
               "sweep one of its values"
    if param.kind == "choice":
        return None
    if isinstance(current, bool) or isinstance(current, str):
        return f"{param.path}: holds {brief(current)}; use choice:a,b for it"
    if param.kind != "int" and isinstance(current, int):
        return f"{param.path}: is a whole number; use int:A..B"
    return None


def apply_values(data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec's TOML ``data`` with each dotted path set to its value (a whole
    float given to a float field stays a float, an int range's value an int)."""
    out = copy.deepcopy(data)
    for path, value in values.items():
        node, key, problem = locate(out, path)
        if problem:
            raise SweepError([problem])
        current = node[key]
        if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        node[key] = value
    return out


def _problems(data: dict[str, Any]) -> set[str]:
    try:
        return set(specmod.validate(specmod.parse_spec(data)))
    except specmod.SpecError as err:
        return set(err.errors)


def check_space(spec: specmod.ExperimentSpec, params: Sequence[Param]) -> list[str]:
    """Every problem of ``params`` against ``spec``: a path it lacks, a kind that does not fit
    the field, a bound or a choice the spec's checks refuse (each tried alone in the spec)."""
    data = specmod.spec_to_dict(spec)
    base = _problems(data)
    errors: list[str] = []
    seen: set[str] = set()
    for p in params:
        if p.path in seen:
            errors.append(f"{p.path}: given twice")
            continue
        seen.add(p.path)
        node, key, problem = locate(data, p.path)
        problem = problem or _typed(p, node[key])
        if problem:
            errors.append(problem)
            continue
        tries = list(p.choices) if p.kind == "choice" else [p.low, p.high]
        for value in tries:
            if p.kind == "choice" and not _fits(node[key], value):
                errors.append(f"{p.path}: {clean(brief(value))} does not fit a field holding "
                              f"{clean(brief(node[key]))}")
                continue
            for line in sorted(_problems(apply_values(data, {p.path: value})) - base):
                errors.append(f"{p.path}={_show(value)}: {line}")
    return errors


def _fits(current: Any, value: Any) -> bool:
    if isinstance(current, bool) or isinstance(value, bool):
        return isinstance(current, bool) and isinstance(value, bool)
    if isinstance(current, (int, float)):
        return isinstance(value, (int, float)) and (isinstance(current, float)
                                                    or isinstance(value, int))
    return isinstance(value, type(current))


def build_space(texts: Sequence[str], spec: specmod.ExperimentSpec) -> list[Param]:
    """The space of ``--param`` texts, checked against ``spec``; :class:`SweepError` with
    every problem when any."""
    params: list[Param] = []
    errors: list[str] = []
    if not texts:
        errors.append(f"no --param: a sweep needs at least one, {_EXAMPLE}")
    for text in texts:
        param, problems = parse_param(text)
        errors += problems
        if param is not None:
            params.append(param)
    errors += check_space(spec, params)
    if errors:
        raise SweepError(errors)
    return params


def params_from_texts(texts: Sequence[str]) -> list[Param]:
    """Params stored as their texts (a study's attributes), read back unchecked."""
    out = []
    for text in texts:
        param, problems = parse_param(text)
        if param is None:
            raise SweepError(problems)
        out.append(param)
    return out
