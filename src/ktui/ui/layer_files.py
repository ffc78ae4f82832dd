"""Your layer files in the TUI: reloading them (F5) and building a layer off the UI thread.

Both run the user's code, so both run in a thread worker and answer with a message: the UI
thread only registers what was imported (:func:`apply_reload`) and shows what was found. A
file that no longer imports leaves the earlier classes in place and says why, with the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message
from textual.widget import Widget

from ktui.core import user_layers
from ktui.core.user_layers import verdicts
from ktui.core.user_layers.checks import Report, checks_for
from ktui.core.user_layers.shapes import Failed, ensure, stack_inputs


@dataclass
class LayersReloaded(Message):
    """The registered layer files imported again: ``files``, or None and ``problem``."""

    files: list[user_layers.LayerFile] | None
    problem: str = ""


class StackChecked(Message):
    """The checks of a stack's user layers ran and changed a verdict: validate again."""


@dataclass
class LayerProbed(Message):
    """A user layer built for its input and checked: ``result`` is its failure, or its
    output shape and parameter count with the checks' report. ``key`` says for what."""

    key: tuple[Any, ...]
    result: Failed | tuple[tuple[int, ...], int, Report]


def start_reload(node: Widget) -> bool:
    """Import the registered layer files again in a worker of ``node``, which then gets
    :class:`LayersReloaded`; False (and a word) when no file was given with --layers."""
    paths = [f.path for f in user_layers.registered()]
    if not paths:
        node.notify("No layer file to reload: start ktui with --layers FILE to offer your "
                    "own layer classes.", title="Reload", severity="warning", timeout=6)
        return False

    def work() -> None:
        try:
            node.post_message(LayersReloaded(user_layers.load_files(paths)))
        except user_layers.LayerFileError as err:
            node.post_message(LayersReloaded(None, "\n".join(err.problems)))
        except Exception as err:  # noqa: BLE001 - the user's code: reported, never fatal
            node.post_message(LayersReloaded(None, f"{type(err).__name__}: {err}"))

    node.run_worker(work, thread=True, group="reload-layers", exclusive=True,
                    exit_on_error=False)
    return True


def apply_reload(node: Widget, message: LayersReloaded) -> bool:
    """Offer the reloaded classes (on the UI thread) and say what came of it."""
    if message.files is None:
        node.notify(message.problem, title="Layer file not reloaded (the earlier classes "
                    "stay)", severity="error", markup=False, timeout=12)
        return False
    try:
        user_layers.register(message.files)
    except user_layers.LayerFileError as err:
        node.notify("\n".join(err.problems), title="Layer file not reloaded",
                    severity="error", markup=False, timeout=12)
        return False
    node.notify(", ".join(f.describe() for f in message.files), title="Layers reloaded",
                markup=False, timeout=4)
    return True


def probe_in_thread(node: Widget, key: tuple[Any, ...], kind: user_layers.UserKind,
                    shape: tuple[int, ...], params: dict[str, Any], *, spec: Any = None,
                    index: int = 0, data_dir: str | None = None) -> None:
    """Build ``kind`` for ``shape`` and run its checks in a worker, on rows of ``spec``'s
    training data as the layer at ``index`` gets them (random input, said so, when there
    is none); ``node`` gets :class:`LayerProbed` (a newer probe replaces an older one)."""

    def work() -> None:
        got = ensure(kind, shape, params)
        if isinstance(got, Failed):
            node.post_message(LayerProbed(key, got))
            return
        report = checks_for(spec, index, kind, shape, params, data_dir)
        node.post_message(LayerProbed(key, (got[0], got[1], report)))

    node.run_worker(work, thread=True, group="layer-probe", exclusive=True,
                    exit_on_error=False)


def check_stack_in_thread(node: Widget, spec: Any, data_dir: str | None) -> None:
    """Run the checks of every user layer of ``spec`` (a copy) in a worker, so a stack that
    never went through the layer form (a spec file, a reload) is not "ready to train" while
    a check fails; ``node`` gets :class:`StackChecked` when a verdict changed."""

    def work() -> None:
        before = verdicts.version()
        for index, kind, shape, params in stack_inputs(spec):
            if not isinstance(ensure(kind, shape, params), Failed):
                checks_for(spec, index, kind, shape, params, data_dir)
        if verdicts.version() != before:
            node.post_message(StackChecked())

    node.run_worker(work, thread=True, group="stack-checks", exclusive=True,
                    exit_on_error=False)


__all__ = ["LayerProbed", "LayersReloaded", "StackChecked", "apply_reload",
           "check_stack_in_thread", "probe_in_thread", "start_reload"]
