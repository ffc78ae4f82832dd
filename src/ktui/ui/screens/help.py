"""The ``?`` screen: what each key does, in every view.

The keys are read from the views' ``BINDINGS`` (and the app's), never written here: a binding
added or changed in a screen appears in this help by itself. What this module adds is the
longer explanation of each binding, by binding id; a binding without one shows its
``tooltip`` or its footer description, so nothing that works is ever missing.

The app's own bindings come from the running app's class (``type(self.app)``): this module
never imports the app, which imports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ktui.ui.commands import key_label
from ktui.ui.web_keys import WEB_KEYMAP


@dataclass(frozen=True)
class Section:
    title: str
    #: Classes whose BINDINGS are listed; ``own_only`` lists a class's own, not inherited.
    classes: tuple[type, ...]
    #: Binding id (or action) -> what it does here; None hides a binding that this section
    #: does not offer (e.g. Textual's copy on ctrl+c, which ktui's quit overrides).
    explain: dict[str, str | None] = field(default_factory=dict)
    own_only: bool = False
    #: Also list bindings inherited from Textual's classes (only "Anywhere" wants them:
    #: tab, ctrl+q; a list widget's arrow keys need no help).
    textual_too: bool = False
    #: Lines for keys that are no binding of a ktui class (Textual's command palette).
    extra: tuple[tuple[str, str], ...] = ()


def explanations(table: str) -> dict[str, str | None]:
    """The ``explain`` of a section from a two-column table, one binding a line: its id (or
    action), two spaces or more, what it does; ``-`` hides it. A table reads like the help
    it becomes, and every section is written the same way, once."""
    out: dict[str, str | None] = {}
    for line in table.strip().splitlines():
        name, what = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        out[name] = None if what == "-" else what
    return out


def sections(app_type: type[App[object]]) -> tuple[Section, ...]:
    """The help's sections; "Anywhere" lists ``app_type``'s bindings (the running app's).
    Quit and screenshot explain themselves with their tooltips; ctrl+c (Textual's copy)
    quits in ktui, "r" while a run is going is the same key as "run", and loading a spec
    is for a past run only (its own section).

    The views are imported here, when help is opened, not with this module: the app imports
    this module, and the training views pull in the charts, the insight pages and numpy
    (about 0.5 s before the first frame, measured with ``python -X importtime``)."""
    from ktui.ui.screens.layer_form import LayerFormScreen
    from ktui.ui.screens.lr_input import LrInputScreen
    from ktui.ui.screens.recorded_run import RecordedRunScreen
    from ktui.ui.screens.runs import RunsScreen
    from ktui.ui.screens.setup import SetupScreen
    from ktui.ui.screens.spec_file import SpecFileScreen
    from ktui.ui.screens.training import TrainingScreen
    from ktui.ui.widgets.layer_stack import LayerStack

    palette = key_label(app_type.COMMAND_PALETTE_BINDING)
    return (
        Section("Anywhere", (app_type, Screen), explanations("""
            help                  this help
            app.focus_next        next field
            app.focus_previous    previous field
            screen.copy_text      -
        """), textual_too=True,
            extra=((palette, "command palette: every action, and the presets"),)),
        Section("Setup", (SetupScreen,), explanations("""
            train                 train this experiment (it is checked first)
            save_spec             save the experiment as a TOML spec
            open_spec             open a TOML spec
            open_runs             past runs: open one, load its spec, compare
            add_layer_global      add a layer, wherever the focus is
            toggle_focus          jump between the layer list and the fields
        """)),
        Section("Layer list (in setup)", (LayerStack,), explanations("""
            add_layer             add a layer after the highlighted one
            edit_layer            edit the highlighted layer
            edit_layer_enter      edit the highlighted layer
            remove_layer          remove the highlighted layer
            move_up               move the layer up
            move_down             move the layer down
            duplicate_layer       duplicate the layer
        """)),
        Section("Layer form", (LayerFormScreen,), explanations("""
            save                  save the layer (only when every field is valid)
            cancel                cancel
        """)),
        Section("Save / open a spec", (SpecFileScreen,), explanations("""
            cancel_file           cancel
        """)),
        Section("Training", (TrainingScreen,), explanations("""
            run                   run again from scratch
            run_busy              -
            pause                 pause / resume
            step                  one step (batch) while paused
            stop                  stop after this batch
            lr_set                type a learning rate (from the next step)
            lr_up                 double the learning rate (from the next step)
            lr_down               halve the learning rate (from the next step)
            cycle_chart           on a small terminal: the next chart (or matrix / gallery)
            cycle_page            next page: charts, learned (fit, confusion, gallery), gradients
            gallery_mode          the gallery: misclassified / random / by class
            chart_smoothing       smooth the charts (EMA as TensorBoard): 0, 0.6, 0.9
            chart_log_y           log y axis on the charts (values ≤ 0 left out, counted)
            chart_window          the charts' epochs: all, the last 10, the last 50
            load_spec             -
            open_runs             past runs (open, load or compare; a running one is watched)
            back                  back to setup, keeping the stack
        """)),
        Section("Learning rate dialog (in training)", (LrInputScreen,), explanations("""
            cancel_lr             cancel (enter sets the rate typed)
        """)),
        Section("Past runs", (RunsScreen,), explanations("""
            open_run              open the run read-only
            load_run_spec         load its spec into setup
            toggle_compare        mark for comparison on the live charts (up to 3)
            clear_compare         clear the marks
            refresh_runs          read the runs folder again
            runs_back             back
        """)),
        Section("A past run (read-only)", (RecordedRunScreen,), explanations("""
            load_spec             load its spec into setup
            back                  back to the runs list
        """), own_only=True),
    )


def _bindings(cls: type, own_only: bool, textual_too: bool) -> list[Binding]:
    """``cls``'s bindings, one per key (a subclass's binding of a key hides its parent's)."""
    seen: set[str] = set()
    out: list[Binding] = []
    for klass in (cls,) if own_only else cls.__mro__:
        if not textual_too and not klass.__module__.startswith("ktui"):
            continue
        for binding in Binding.make_bindings(klass.__dict__.get("BINDINGS", ())):
            if binding.key not in seen:
                seen.add(binding.key)
                out.append(binding)
    return out


def section_lines(section: Section, keymap: Mapping[str, str] | None = None
                  ) -> list[tuple[str, str]]:
    """(keys, what they do) for one section: one line per action, its keys together.
    ``keymap`` (binding id -> keys, as Textual's ``set_keymap`` takes them) replaces a
    binding's keys where the app applied one (in a browser: ``F9`` for ``ctrl+r``)."""
    lines: dict[str, tuple[list[str], str]] = {}
    for cls in section.classes:
        for binding in _bindings(cls, section.own_only, section.textual_too):
            name = binding.id or binding.action
            if binding.system or name in section.explain and section.explain[name] is None:
                continue
            what = section.explain.get(name) or binding.tooltip or binding.description.lower()
            keys, _ = lines.setdefault(binding.action, ([], what))
            if keymap and binding.id in keymap:
                labels = [key_label(k.strip()) for k in keymap[binding.id].split(",")]
            else:
                labels = [binding.key_display or key_label(binding.key)]
            keys.extend(label for label in labels if label not in keys)
    return [("  ".join(keys), what) for keys, what in lines.values()] + list(section.extra)


def help_renderable(all_sections: Iterable[Section],
                    keymap: Mapping[str, str] | None = None) -> Group:
    parts: list[Text | Table] = [
        Text.assemble(("ktui keys", "bold underline"), ("   esc closes · ↑ ↓ scroll", "dim"))]
    for section in all_sections:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), pad_edge=False)
        table.add_column(style="bold", no_wrap=True, min_width=16)
        table.add_column()
        for keys, what in section_lines(section, keymap):
            table.add_row(keys, what)
        parts += [Text(""), Text(section.title, style="bold underline"), table]
    return Group(*parts)


def here_first(all_sections: Iterable[Section], here: type | None) -> list[Section]:
    """The sections with the one for the view ``here`` (the screen help was opened from)
    first: its own class's section, else its nearest parent's; the rest as they were."""
    ordered = list(all_sections)
    if here is None:
        return ordered
    for match in (lambda c: c is here, lambda c: isinstance(c, type) and issubclass(here, c)):
        found = [s for s in ordered if s.title != "Anywhere" and any(map(match, s.classes))]
        if found:
            return [found[0], *(s for s in ordered if s is not found[0])]
    return ordered


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="close_help"),
    ]

    def __init__(self, here: type | None = None) -> None:
        """``here``: the class of the screen help was opened from (its keys come first)."""
        super().__init__()
        self.here = here

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            # In a browser the app rebinds the keys browsers keep (ui/web_keys.py).
            keymap = WEB_KEYMAP if self.app.is_web else None
            yield Static(help_renderable(here_first(sections(type(self.app)), self.here),
                                         keymap), id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
