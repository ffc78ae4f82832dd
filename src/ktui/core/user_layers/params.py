"""A user's layer class as a form: its ``__init__`` parameters as schema Fields.

Names and defaults come from the signature; the type from the annotation (``int``, ``float``,
``bool``, ``str``, ``Literal["a", "b"]`` as a choice, ``tuple[int, int]`` as a pair), or from
the default when there is no annotation (``units=32`` is an int). A parameter whose type is
not one of these (``int | None = None``, an object default) is a **text** field: its text is
read as a TOML value (``0.5``, ``[1, 2]``, ``true``, ``"he_normal"``; a bare word is a string)
and an empty text means the class's own default. Such values are checked by building the
layer and round-tripping ``get_config``/``from_config`` (:mod:`.checks`), never evaluated.
The help of a parameter is its line under ``Args:`` in the docstring, when there is one.
"""

from __future__ import annotations

import inspect
import re
import tomllib
import typing
from typing import Any

from ktui.core.schema import Field, is_int, is_number

#: Keyword arguments every Keras layer takes: ktui sets ``name``; the others are not offered.
LAYER_KWARGS = frozenset({"name", "dtype", "trainable", "autocast", "input_shape",
                          "input_dim", "batch_size", "activity_regularizer", "dynamic"})
_ARG_LINE = re.compile(r"^\s{0,8}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


class ParamProblem(ValueError):
    """A parameter the form cannot offer (no default); the message says how to fix it."""


def text_value(text: str) -> Any:
    """A text field's value as the layer gets it: "" -> left out (None here), else the text
    read as a TOML value, else the text itself (a bare word such as ``he_normal``)."""
    if not text.strip():
        return None
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError, KeyError):
        return text


def arg_help(doc: str) -> dict[str, str]:
    """``name: what it is`` lines of a docstring's ``Args:``/``Parameters:`` section."""
    helps: dict[str, str] = {}
    inside = False
    for line in doc.splitlines():
        if line.strip().rstrip(":").lower() in ("args", "arguments", "parameters"):
            inside = True
            continue
        if inside:
            if not line.strip():
                if helps:
                    break
                continue
            match = _ARG_LINE.match(line)
            if match:
                helps[match.group(1)] = match.group(2).strip()
            elif helps and line.startswith((" ", "\t")):
                last = next(reversed(helps))
                helps[last] += " " + line.strip()
            else:
                break
    return helps


def _literal_choices(hint: Any) -> tuple[str, ...] | None:
    if typing.get_origin(hint) is typing.Literal:
        args = typing.get_args(hint)
        if args and all(isinstance(a, str) for a in args):
            return tuple(args)
    return None


def _typed(name: str, hint: Any, default: Any, help_text: str) -> Field | None:
    """The Field for an annotated parameter, or None when the annotation is not usable."""
    choices = _literal_choices(hint)
    if choices is not None:
        return Field(name, "choice", default, help_text, choices=choices)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        return Field(name, "bool", default, help_text)
    if hint is int:
        return Field(name, "int", default, help_text)
    if hint is float:
        return Field(name, "float", float(default) if is_number(default) else default,
                     help_text)
    if hint is str:
        return Field(name, "str", default, help_text)
    if origin in (tuple, list) and args in ((int, int),):
        return Field(name, "int_pair", list(default) if isinstance(default, (list, tuple))
                     else default, help_text)
    if origin in (tuple, list) and args in ((int,), (int, ...)):
        return Field(name, "shape", list(default) if isinstance(default, (list, tuple))
                     else default, help_text)
    return None


def _from_default(name: str, default: Any, help_text: str) -> Field | None:
    """The Field an unannotated parameter's default implies (``units=32``: an int)."""
    if isinstance(default, bool):
        return Field(name, "bool", default, help_text)
    if is_int(default):
        return Field(name, "int", default, help_text)
    if isinstance(default, float):
        return Field(name, "float", default, help_text)
    if isinstance(default, str):
        return Field(name, "str", default, help_text)
    if isinstance(default, (tuple, list)) and len(default) == 2 and all(map(is_int, default)):
        return Field(name, "int_pair", list(default), help_text)
    return None


def _text(name: str, default: Any, help_text: str) -> Field:
    shown = "" if default is None else toml_text(default)
    words = "a TOML value (0.5, [1, 2], true, \"text\"); empty: the class's default"
    if default is not None and shown == "":
        words += f" ({type(default).__name__})"
    return Field(name, "str", shown, f"{help_text} · {words}" if help_text else words,
                 any_value=True)


def _required(name: str, hint: Any, help_text: str) -> Field:
    """A parameter without a default: a text field that must be given (a TOML value)."""
    typed = getattr(hint, "__name__", "") if hint is not None else ""
    words = ("required: a TOML value (0.5, [1, 2], true, \"text\")"
             + (f", {typed}" if typed else ""))
    return Field(name, "str", "", f"{help_text} · {words}" if help_text else words,
                 required=True, any_value=True, note=" (required: __init__ has no default)")


def toml_text(value: Any) -> str:
    """A value as one line of TOML a text field shows (``0.2``, ``[1, 2]``, ``true``,
    ``{a = 1}``); "" when TOML cannot say it (None, an object)."""
    import tomli_w

    if isinstance(value, (list, tuple)):
        items = [toml_text(v) for v in value]
        return f"[{', '.join(items)}]" if all(items) or not items else ""
    if isinstance(value, dict):
        pairs = [(toml_text(str(k)), toml_text(v)) for k, v in value.items()]
        return ("{" + ", ".join(f"{k} = {v}" for k, v in pairs) + "}"
                if all(v for _, v in pairs) else "")
    try:
        return tomli_w.dumps({"v": value}).strip().removeprefix("v = ")
    except (TypeError, ValueError):
        return ""


def init_fields(cls: type, doc: str) -> tuple[tuple[Field, ...], frozenset[str], dict[str, Any]]:
    """The form's Fields for ``cls.__init__``, the names of the text ones, and the class's
    own defaults. A parameter without a default is a required text field."""
    init = cls.__init__  # type: ignore[misc]
    sig = inspect.signature(init)
    try:
        hints = typing.get_type_hints(init)
    except Exception:  # noqa: BLE001 - an annotation that does not resolve: read it as absent
        hints = {}
    helps = {**arg_help(inspect.getdoc(init) or ""), **arg_help(doc)}
    fields: list[Field] = []
    texts: set[str] = set()
    defaults: dict[str, Any] = {}
    for i, p in enumerate(sig.parameters.values()):
        if i == 0 or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in LAYER_KWARGS:
            continue
        help_text = helps.get(p.name, "")
        if p.default is inspect.Parameter.empty:
            fields.append(_required(p.name, hints.get(p.name), help_text))
            texts.add(p.name)
            continue
        defaults[p.name] = p.default
        hint = hints.get(p.name)
        field = (_typed(p.name, hint, p.default, help_text) if hint is not None
                 else _from_default(p.name, p.default, help_text))
        if field is None or field.check(field.default) is not None:
            field = _text(p.name, p.default, help_text)
            texts.add(p.name)
        fields.append(field)
    return tuple(fields), frozenset(texts), defaults


def takes_name(cls: type) -> bool:
    """Whether ``cls(name=...)`` is accepted (a ``name`` parameter or ``**kwargs``)."""
    params = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    return "name" in params or takes_kwargs(cls)


def takes_kwargs(cls: type) -> bool:
    """Whether ``cls.__init__`` takes ``**kwargs`` (then Keras' ``from_config`` can pass it
    ``name``, ``trainable`` and ``dtype``, and ``model.keras`` loads back)."""
    params = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    return any(p.kind is p.VAR_KEYWORD for p in params.values())


__all__ = ["LAYER_KWARGS", "ParamProblem", "arg_help", "init_fields", "takes_kwargs",
           "takes_name", "text_value", "toml_text"]
