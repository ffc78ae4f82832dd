"""A user's layer class as a catalog kind, and the file it came from.

A :class:`UserKind` is a :class:`~ktui.core.catalog.LayerKind` (so the form, the validator and
the exporter treat it like ktui's own kinds) that also knows its class, its file and the file's
sha256. Its output shape cannot be inferred without TensorFlow, so its ``infer`` reads what
:mod:`.shapes` worked out on a worker thread (or raises :class:`ShapePending`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ktui.core.catalog import LayerKind, StackError
from ktui.core.user_layers.params import text_value


class ShapePending(StackError):
    """A user layer's output shape is not known yet: TensorFlow has not built it for this
    input (the TUI does that on a worker thread; the CLI and the trainer before they check)."""


@dataclass(frozen=True)
class UserKind(LayerKind):
    """A layer class from the user's file, offered beside ktui's own."""

    #: The ``keras.layers.Layer`` subclass (compared by identity).
    cls: Any = field(default=None, compare=False, repr=False)
    #: The file's absolute path and sha256 when it was imported.
    path: str = ""
    sha256: str = ""
    #: Where the class is defined: its first and last line.
    line: int = 0
    end_line: int = 0
    #: Parameters typed as text: the layer gets ``text_value(text)`` (nothing for "").
    text_params: frozenset[str] = frozenset()
    #: The class's own name (``name`` is how specs address it: this, or ``STEM.Class`` when
    #: another kind has this name).
    class_name: str = ""
    #: Whether ``__init__`` accepts ``name=`` (else Keras names it, ktui renames it after),
    #: and ``**kwargs`` (else ``model.keras`` cannot load it back: Keras passes ``name``,
    #: ``trainable`` and ``dtype`` to ``__init__``).
    takes_name: bool = True
    takes_kwargs: bool = True

    @property
    def file_name(self) -> str:
        return Path(self.path).name

    @property
    def qualified(self) -> str:
        """``my_layers.Linear``: the file's stem and the class, always a spec's kind."""
        return f"{Path(self.path).stem}.{self.class_name or self.name}"

    @property
    def names(self) -> frozenset[str]:
        """Every kind a spec may give for it."""
        return frozenset((self.name, self.qualified))

    def arguments(self, params: dict[str, Any]) -> dict[str, Any]:
        """What the class is called with: text parameters read as TOML values, an empty one
        left out (so the class's own default applies)."""
        args = self.resolve(params)
        for name in self.text_params:
            value = args.pop(name, "")
            if isinstance(value, str):
                value = text_value(value)
            if value is not None:
                args[name] = value
        return args


@dataclass(frozen=True, eq=False)
class LayerFile:
    """A user's layer file as imported: its path, content hash and source, and its kinds."""

    path: Path
    sha256: str
    source: str
    module: str
    kinds: tuple[UserKind, ...]
    #: Classes of the file that cannot be offered, each ``Name: why`` (they block nothing).
    not_offered: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def class_lines(self) -> dict[str, tuple[int, int]]:
        return {k.class_name or k.name: (k.line, k.end_line) for k in self.kinds}

    def describe(self) -> str:
        """``my_layers.py (MyDense, Centered)``; classes not offered after, with why."""
        text = f"{self.name} ({', '.join(k.name for k in self.kinds)})"
        return text + "".join(f"; not offered: {why}" for why in self.not_offered)


__all__ = ["LayerFile", "ShapePending", "UserKind"]
