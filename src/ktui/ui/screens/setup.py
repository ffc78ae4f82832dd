"""The setup view: dataset, layer stack with a live model summary, and training settings.

The screen edits ``app.spec`` in place as fields change; every change re-runs the spec's own
validation (pure Python) so problems show on their field, and the summary shows the stack's
shapes (or, naming the layer, why it cannot work) before any TensorFlow is involved.

Three rules keep it standing under fast or odd input:

- a field's change message carries its own value or error, and only a value that parsed
  reaches the spec (keys typed in a burst are judged one by one, in order);
- every handler first checks the screen is still mounted and attached (a ``q`` then ``e``
  burst: the app is exiting when ``e`` arrives), and queries with ``query`` where a widget
  may be absent;
- the spec's own checks run inside a guard: a checker that raises is shown, never fatal.

The view is composed of widgets that keep their own state: the head
(:class:`ExperimentHeader`: preset picker, name and description, which follow the edits), the
dataset's and training settings' rows, the layer stack and model summary, and the foot
(:class:`SetupFoot`: hint line, problems, Train). The screen owns the spec's editing: every
change ends in :meth:`SetupScreen.spec_changed`, which tells each of them what to show.
"""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Static

from ktui.core.datasets import DATASETS
from ktui.core.spec.defaults import Stash, metric_choices, switch_dataset
from ktui.core.spec.describe import experiment_description
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.setup_background import BackgroundTraining
from ktui.ui.screens.setup_base import safe_validate
from ktui.ui.screens.setup_data import DataPart
from ktui.ui.screens.setup_files import ExperimentFiles
from ktui.ui.screens.setup_hints import CHOICE_HELP, FieldHints
from ktui.ui.screens.setup_layers import STACK_BUTTONS, LayerEditing
from ktui.ui.screens.setup_paths import (
    DATASET_FIELDS,
    DATASET_KIND,
    fields_box_id,
    get_path,
    set_path,
)
from ktui.ui.screens.setup_sections import (
    SECTIONS,
    SettingsSection,
    applies,
    is_sub,
    problem_name,
)
from ktui.ui.unbroken import unbroken
from ktui.ui.widgets.data_card import DataCardView
from ktui.ui.widgets.experiment_header import ExperimentHeader
from ktui.ui.widgets.fields import FieldDef, FieldRow
from ktui.ui.widgets.layer_stack import LayerStack
from ktui.ui.widgets.lazy_rows import LazyRows
from ktui.ui.widgets.model_summary import ModelSummary
from ktui.ui.widgets.setup_foot import SetupFoot

#: Re-exported for the tests, which read the form by path and check the derived description.
__all__ = ["SetupScreen", "experiment_description", "get_path", "set_path"]


class SetupScreen(ExperimentFiles, LayerEditing, FieldHints, DataPart, BackgroundTraining):
    """Edit ``app.spec``; ``ctrl+r`` checks it and opens the training view.

    The form, its validation and the dataset switch are here; presets and files, the layer
    stack's editing, the hint line and the user's data are the parts it inherits, the head and
    the foot widgets it composes (see setup_base).
    """

    BINDINGS = [
        Binding("ctrl+r", "train", "Train", id="train"),
        Binding("ctrl+s", "save_spec", "Save", id="save_spec"),
        Binding("ctrl+o", "open_spec", "Open", id="open_spec"),
        Binding("ctrl+l", "app.open_runs", "Runs", id="open_runs"),
        Binding("ctrl+n", "add_layer", "Add layer", id="add_layer_global", show=False),
        Binding("ctrl+t", "toggle_focus", "Layers/fields", id="toggle_focus", show=False),
    ]

    #: Focus starts on the layer list, set once as the screen is composed. (``focus()`` in
    #: ``on_mount`` is deferred: the first frame showed Textual's own pick, the preset, and
    #: 0.2-0.4 s later the focus jumped, taking the keys typed meanwhile with it.)
    AUTO_FOCUS = "#stack"

    # ---- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        spec = self.spec
        self._stash: Stash = {}
        self._shown_desc = ""
        self._change_pending = False

        row = self._row

        with Horizontal(id="setup-body"):
            with VerticalScroll(id="settings", can_focus=False):
                yield ExperimentHeader(spec, blink=self.host.settings.cursor_blink,
                                       id="experiment-head")
                yield Static("Dataset", classes="section")
                yield row(DATASET_KIND)
                for kind, kind_fields in DATASET_FIELDS.items():
                    # The shown kind's rows now, the others' when they are first shown.
                    shown = kind == spec.dataset.kind
                    with LazyRows(None if shown else
                                  lambda fields=kind_fields: [self._row(f) for f in fields],
                                  id=fields_box_id(kind), classes="dataset-fields"):
                        if shown:
                            for f in kind_fields:
                                yield row(f)
                yield Static("", id="dataset-desc")
                yield DataCardView(id="data-card")
                for section in SECTIONS:
                    # A closed section's rows are built when it first opens (a third of
                    # the view's widgets: measured 0.2 s of the first frame).
                    with SettingsSection(section, None if section.open else
                                         lambda s=section: [self._row(f) for f in s.fields]):
                        if section.open:
                            for f in section.fields:
                                yield row(f)
            with Vertical(id="model-pane"):
                yield Static("Layers", classes="section", id="layers-title")
                yield LayerStack(id="stack")
                with Horizontal(id="stack-buttons"):
                    for bid, label, action in STACK_BUTTONS:
                        yield Button(label, id=f"btn-{bid}", compact=True,
                                     action=f"screen.{action}")
                yield Static("Model summary", classes="section")
                with VerticalScroll(id="summary-scroll", can_focus=False):
                    yield ModelSummary(id="summary")
        yield SetupFoot(id="setup-foot")
        yield Footer(compact=True)

    def _row(self, f: FieldDef) -> FieldRow:
        """The form's row for field ``f``, showing the spec's value now."""
        spec = self.spec
        if f.type == "multi":
            f = dataclasses.replace(f, choices=metric_choices(spec))
        field_row = FieldRow(f, get_path(spec, f.key), blink=self.host.settings.cursor_blink,
                             inline=True, id="f-" + f.key.replace(".", "-"))
        field_row.set_class(is_sub(f.key), "-sub")
        return field_row

    def on_settings_section_rows_added(self, event: SettingsSection.RowsAdded) -> None:
        """A section opened for the first time: judge its new rows with the others."""
        self._changed_soon()

    def on_lazy_rows_built(self, event: LazyRows.Built) -> None:
        """Another dataset's fields, shown for the first time: judged with the others."""
        self._changed_soon()

    def on_mount(self) -> None:
        self._ready = True
        # The stack's buttons are for the mouse (every one has a key): out of the tab order,
        # so shift+tab from the first field reaches the layer list in two steps.
        for button in self.query("#stack-buttons Button").results(Button):
            button.can_focus = False
        self.refresh_all()
        self.start_hints()

    # ---- spec -> widgets ----------------------------------------------------------------
    def refresh_all(self) -> None:
        """Show the whole spec (after a preset or at mount)."""
        if not self._live():
            return
        spec = self.spec
        for row in self.query(FieldRow):
            row.set_value(get_path(spec, row.field.key), self._choices_for(row))
        self.query_one(LayerStack).show_layers(spec.layers, highlight=0)
        self.spec_changed()
        for section in self.query(SettingsSection):
            if section.problems:  # a file's problem in a closed section: open it
                section.collapsed = False

    def spec_changed(self) -> list[str]:
        """Re-validate; flag fields, update the summary, description and problem line."""
        if not self._live():
            return []
        spec = self.spec
        self.query_one(ExperimentHeader).follow(spec)
        for kind in DATASETS:
            box = self.query_one(f"#{fields_box_id(kind)}", LazyRows)
            box.display = kind == spec.dataset.kind
            if box.display:
                box.build()
        self.show_data_card()  # a user's data: its card; fits an edited experiment to it
        desc = self._describe_dataset()
        if desc != self._shown_desc:
            self._shown_desc = desc
            self.query_one("#dataset-desc", Static).update(Text(unbroken(desc),
                                                                style="italic"))
        errors = safe_validate(spec)
        for row in self.query(FieldRow):
            key = row.field.key
            mine = [e for e in errors if e.startswith((key + ":", key + "["))]
            row.set_external_error(mine[0].split(": ", 1)[1] if mine else None)
            shown = applies(spec.train, key) or row.error is not None
            if row.display != shown:
                row.display = shown
        for section in self.query(SettingsSection):
            section.show_problems(section.count_problems(errors))
        self.query_one(ModelSummary).show(spec)
        problems = [f"{problem_name(r.field)}: {r.error}" for r in self.query(FieldRow)
                    if not r.valid]
        problems += errors
        self.query_one(SetupFoot).show_problems(problems)
        return problems

    def _describe_dataset(self) -> str:
        """The core's one line on the dataset (its kind says it; loads nothing), and a note
        when the validation split may surprise (more validation than training images)."""
        try:
            spec = self.spec
            note = spec.dataset.split_note(spec.train.validation_split)
            return spec.dataset.describe() + (f" · note: {note}" if note else "")
        except Exception as err:  # a description must never break the form
            return f"(cannot describe the dataset: {err})"

    # ---- widgets -> spec ----------------------------------------------------------------
    def on_field_row_changed(self, event: FieldRow.Changed) -> None:
        if not self._live():
            return
        row = event.row
        if row.field.key in CHOICE_HELP and row.has_focus_within:
            self.show_hint(row)
        # Judge the message by its own verdict, never by the row's state now (later keys of
        # a burst may have emptied it since: its None once reached the spec that way). A
        # valid message writes the row's newest valid value: its own, or a later key's, or
        # the value a preset put there since; never None, never text that did not parse.
        value = row.value
        if event.valid and value is not None:
            if row.field.key == "dataset.kind":
                self._switch_dataset(str(value))
            else:
                if row.field.key == "name" and value != self.spec.name:
                    # typed (a field's first echo is no edit): kept through later edits
                    self.query_one(ExperimentHeader).user_named()
                set_path(self.spec, row.field.key, value)
        self._changed_soon()

    def _changed_soon(self) -> None:
        """One :meth:`spec_changed` for a burst of field changes. Every row echoes its value
        when the view is built (55 rows: measured 2.7 s of re-validation before the first
        frame), and a preset or a file sets them all at once; the whole view is judged once,
        after the burst, at the next turn of the message loop."""
        if self._change_pending:
            return
        self._change_pending = True

        def run() -> None:
            self._change_pending = False
            self.spec_changed()

        self.call_later(run)

    def _switch_dataset(self, kind: str) -> None:
        """Change the dataset and what must change with it (``ktui.core.spec.defaults``: the old
        dataset's settings are kept aside, a new one gets its task's defaults), show it all
        and tell the user what changed."""
        spec = self.spec
        switch = switch_dataset(spec, kind, self._stash)
        if switch is None:
            return
        for row in self.query(FieldRow):
            if row.field.key != "dataset.kind":
                row.set_value(get_path(spec, row.field.key), self._choices_for(row))
        self.query_one(LayerStack).show_layers(
            spec.layers, highlight=0 if switch.layers_replaced else None)
        self._set_hint(Text(switch.message, style="bold"))
        self.notify(switch.message, title="Dataset changed", timeout=6)

    def _choices_for(self, row: FieldRow) -> tuple[str, ...] | None:
        return metric_choices(self.spec) if row.field.type == "multi" else None

    # ---- a whole new spec (presets and files in setup_files) -----------------------------
    def show_spec(self) -> None:
        """Show a whole new ``app.spec`` (a preset, a file, a past run's)."""
        if not self._live():
            return
        self._stash = {}
        self._reset_base()
        self.refresh_all()

    # ---- train ----------------------------------------------------------------------------
    def action_train(self) -> None:
        if not self._on_top():
            return
        problems = self.spec_changed()
        if problems:
            self.app.push_screen(ProblemsScreen(problems, title="Cannot train yet"))
            return
        self.host.open_training(start=True)

    def palette_commands(self) -> list[tuple[str, str, str]]:
        """(name, help, action) for the palette, each part's own (the keys are added from
        the bindings)."""
        return [
            ("Train", "Check the experiment and start training", "train"),
            *self.background_commands(),
            *self.file_commands(),
            ("Open a past run", "The runs list: open, load or compare past runs",
             "app.open_runs"),
            ("Clear comparison", "Stop overlaying past runs on the training charts",
             "app.clear_compare"),
            *self.layer_commands(),
            ("Layers / fields", "Jump between the layer list and the fields", "toggle_focus"),
            *self.preset_commands(),
        ]
