"""An exception while loading, building or training, as what a user can act on.

The loop never lets an exception escape: it becomes ``RunFailed(kind, message, details)``
with a one-line message (naming the field or file, saying what to do) and the whole text and
traceback in ``details``.
"""

from __future__ import annotations

import contextlib
import re
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from ktui.core.files import io_cause
from ktui.core.spec import ExperimentSpec
from ktui.core.text import brief, clean

#: How long a one-line failure message may get; the whole text goes to ``details``.
MESSAGE_CHARS = 300
LOADING = "loading the data"

#: ``(err, reason) -> message or None``: a recording sink claiming a refused write as its own.
IoClaim = Callable[[BaseException, str], "str | None"]


def one_line(text: str) -> str:
    """The first non-blank line of ``text``, cleaned, at most :data:`MESSAGE_CHARS`."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = clean(line)
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def xla_refusal(text: str) -> str | None:
    """What XLA said it cannot compile, in a few words (``PyFunc has no XLA_CPU_JIT kernel``),
    from TensorFlow's error text; None when the text is not XLA refusing an op."""
    found = re.search(r"Detected unsupported operations when trying to compile graph \S+ on "
                      r"(\S+?): ([\w, ]+?)(?: \(|$)", text, re.MULTILINE)
    if found is None:
        return None
    return f"{clean(found.group(2).strip())} has no {clean(found.group(1))} kernel"


def explain(err: Exception, spec: ExperimentSpec, phase: str, io_claims: Sequence[IoClaim] = ()
            ) -> tuple[str, str, dict[str, Any]]:
    """An exception from ``phase`` as ``(kind, one-line message, details)``: a refused write
    is ``io`` (worded by the first of ``io_claims`` that knows the file), running out of
    memory ``resources``, Keras refusing a value ``spec`` (naming the field), anything else
    ``error``."""
    details = {"exception": type(err).__name__, "text": str(err)[:20_000],
               "traceback": traceback.format_exc()[-20_000:]}
    from ktui.core.user_layers import failure_of

    user = failure_of(err)  # raised in your own layer's code (--layers): your lines
    if user is not None:
        return "error", one_line(f"{user.message} while {phase}"), {
            **details, "user_traceback": user.traceback}
    reason = io_cause(err)
    if reason is not None:
        path = getattr(err, "filename", None)
        if phase == LOADING:
            return "data", f"cannot read {clean(str(path or 'the data'))}: {reason}", details
        for claim in io_claims:
            message = claim(err, reason)
            if message:
                return "io", message, details
        return "io", f"cannot write {clean(str(path or 'a file'))}: {reason}", details
    text = str(err)
    if isinstance(err, MemoryError) or "OOM when allocating" in text or \
            type(err).__name__ == "ResourceExhaustedError":
        return "resources", _out_of_memory(spec, phase), details
    refused = xla_refusal(text)
    if refused is not None:
        instead = ('"auto" (XLA only where it compiles and pays) or "off"'
                   if spec.train.jit_compile == "on" else '"off"')
        return "spec", (f"train.jit_compile = {spec.train.jit_compile}: XLA cannot compile this "
                        f"model ({refused}); set it to {instead}"), details
    if isinstance(err, RecursionError):
        return "spec", (f"layers: the model is too deep for Keras to build ({len(spec.layers)} "
                        "layers); use fewer layers"), details
    if isinstance(err, ValueError):
        known = _keras_refusal(text, spec)
        if known:
            return "spec", known, details
    return "error", one_line(f"{type(err).__name__} while {phase}: {text}"), details


def _out_of_memory(spec: ExperimentSpec, phase: str) -> str:
    if phase == LOADING:
        return ("out of memory loading the data: lower dataset.n (linear) or dataset.samples "
                "(Fashion-MNIST)")
    params = ""
    with contextlib.suppress(Exception):
        from ktui.core.catalog import infer_stack

        rows = infer_stack(spec.input_shape(), [(lay.kind, lay.params) for lay in spec.layers])
        params = f"{sum(r.params for r in rows):,} parameters, "
    batch = spec.train.batch_size or "the whole training set"
    return (f"out of memory {phase} ({params}batch {batch}): lower train.batch_size or the "
            "layer sizes")


def _keras_refusal(text: str, spec: ExperimentSpec) -> str:
    """Keras' own ValueErrors for values ktui passes on, as ``field: what to do``."""
    if "Seed must be between" in text:
        return f"train.seed: must be between 0 and {2**32 - 1}, got {spec.train.seed}"
    if "cannot contain character `/`" in text:
        return (f"name: must not contain '/' (Keras names the model after it), got "
                f"{clean(brief(spec.name))}")
    return ""
