"""Exceptions from a user's layer code, said as the user's: the file, the class, the line.

When the user's own ``build``, ``call`` or ``get_config`` raises, the one traceback worth
showing is theirs: :func:`user_failure` keeps only the frames in their files (Keras' and
ktui's frames are noise to them) and words a one-line message naming the class, the method and
the line. Keras wraps an exception raised while calling a layer in a paragraph of its own
("Exception encountered when calling ..."); :func:`keras_message` keeps the user's part of it.
Pure Python.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ktui.core.text import clean

#: A one-line message stays this short; the whole traceback goes with it.
MESSAGE_CHARS = 300
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: ``    RuntimeError: ...`` after the frames of an error raised while tracing a tf.function.
_TF_ERROR = re.compile(r"^ {0,4}(?!File )[A-Za-z_][\w.]*: ", re.M)


class LayerFileError(ValueError):
    """A layer file that cannot be used: every problem, one line each, naming the file, the
    class and the line, and what to do."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class UserFailure:
    """An exception that came out of the user's code: ``message`` is one line naming the
    class, method, file and line; ``traceback`` holds only the frames in their files."""

    message: str
    traceback: str
    line: int = 0


def keras_message(err: BaseException) -> str:
    """The first line of what went wrong, without Keras' wrapping ("Exception encountered
    when calling X.call()", "Could not automatically infer the output shape ... Error
    encountered:", "Arguments received by ...") and its terminal colour codes."""
    text = _ANSI.sub("", str(err))
    if text.lstrip().startswith("in user code:"):  # tf.function's frames, then the error
        found = _TF_ERROR.search(text)
        text = text[found.end():] if found else text
    text = text.split("Arguments received by", 1)[0]
    text = "\n".join(line.strip() for line in text.splitlines())
    if "Error encountered:" in text:
        text = text.split("Error encountered:", 1)[1]
    elif text.startswith("Exception encountered when calling"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = clean(line or type(err).__name__)
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


#: Keras 2 modules gone from Keras 3, with what replaces them.
_KERAS2_MODULES = {
    "keras.engine": "keras.layers.Layer, keras.Model, keras.Input",
    "keras.layers.core": "keras.layers",
    "keras.utils.generic_utils": "keras.saving / keras.utils",
    "keras.backend.tensorflow_backend": "keras.ops",
    "keras.layers.merge": "keras.layers",
}
#: Keras 2 ``keras.backend`` functions and their Keras 3 replacements.
_KERAS2_BACKEND = {
    "cast_to_floatx": "keras.ops.cast(x, keras.config.floatx())",
    "floatx": "keras.config.floatx()",
    "epsilon": "keras.config.epsilon()",
    "set_floatx": "keras.config.set_floatx",
    "image_data_format": "keras.config.image_data_format()",
    "get_value": "keras.ops.convert_to_numpy",
    "dot": "keras.ops.dot",
    "batch_dot": "keras.ops.einsum",
    "int_shape": "keras.ops.shape",
}
_BACKEND_ATTR = re.compile(r"module '(?:tensorflow\.)?keras(?:\.src)?\.backend' has no "
                           r"attribute '(\w+)'")


def keras2_hint(err: BaseException) -> str:
    """"; keras.engine is Keras 2 API ..." when ``err`` is Keras 2 code meeting Keras 3 (a
    gone module, a gone ``keras.backend`` function), else ""."""
    if isinstance(err, ModuleNotFoundError) and err.name:
        name = err.name.removeprefix("tensorflow.").removeprefix("tf_keras.")
        for gone, instead in _KERAS2_MODULES.items():
            if name == gone or name.startswith(gone + "."):
                return f"; {gone} is Keras 2 API, gone in Keras 3: use {instead}"
    if isinstance(err, AttributeError):
        found = _BACKEND_ATTR.search(str(err))
        if found:
            fn = found.group(1)
            instead = _KERAS2_BACKEND.get(fn, f"keras.ops.{fn} if it exists")
            return f"; keras.backend.{fn} is Keras 2 API, gone in Keras 3: use {instead}"
    return ""


def _chain(err: BaseException) -> Iterator[BaseException]:
    """``err`` and the exceptions it was raised from or during, innermost last."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def user_frames(err: BaseException, files: Iterable[str]) -> list[traceback.FrameSummary]:
    """The frames of ``err`` (and of the exceptions it chains) in the user's ``files``."""
    wanted = {str(Path(f)) for f in files}
    frames: list[traceback.FrameSummary] = []
    seen: set[tuple[str, int | None, str]] = set()
    for exc in reversed(list(_chain(err))):  # a re-raised error repeats its frames: once
        for f in traceback.extract_tb(exc.__traceback__):
            where = (f.filename, f.lineno, f.name)
            if str(Path(f.filename)) in wanted and where not in seen:
                seen.add(where)
                frames.append(f)
    return frames


def user_failure(err: BaseException, files: dict[str, dict[str, tuple[int, int]]]
                 ) -> UserFailure | None:
    """``err`` as the user's failure, or None when no frame of it is in their files.

    ``files`` maps each user file's path to its classes' line ranges (name -> (first,
    last)), so the frame's class can be named: ``MyDense.call raised ValueError: ... (in
    my_layers.py, line 23)``.
    """
    frames = user_frames(err, files)
    if not frames:
        return None
    last = frames[-1]
    owner = class_at(files.get(str(Path(last.filename)), {}), last.lineno or 0)
    where = f"{owner}.{last.name}" if owner and last.name != "<module>" else last.name
    message = (f"{where} raised {type(err).__name__}: {keras_message(err)} "
               f"({Path(last.filename).name}, line {last.lineno}){keras2_hint(err)}")
    text = "".join(traceback.format_list(frames))
    tb = (f"Traceback (your code only):\n{text}{type(err).__name__}: "
          f"{keras_message(err)}")
    return UserFailure(message, clean(tb, keep_newlines=True), last.lineno or 0)


def class_at(classes: dict[str, tuple[int, int]], line: int) -> str:
    """The class whose source spans ``line`` (the innermost), or ""."""
    best, size = "", None
    for name, (first, last) in classes.items():
        if first <= line <= last and (size is None or last - first < size):
            best, size = name, last - first
    return best


__all__ = ["LayerFileError", "UserFailure", "class_at", "keras2_hint", "keras_message",
           "user_failure", "user_frames"]
