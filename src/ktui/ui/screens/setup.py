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

The experiment keeps the name and description it was loaded with until the user edits
anything; then the description is derived from the spec, the name becomes
``<loaded>-custom`` (unless the user named it) and the preset picker says "custom".
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Footer, Label, Select, Static

from ktui.core.datasets import DATASETS, KIND_FIELD
from ktui.core.schema import field_of
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.defaults import Stash, metric_choices, switch_dataset
from ktui.core.spec.describe import custom_name, experiment_description, same_experiment
from ktui.core.spec.presets import PRESETS
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.setup_base import safe_validate
from ktui.ui.screens.setup_data import DataPart
from ktui.ui.screens.setup_files import ExperimentFiles
from ktui.ui.screens.setup_hints import FieldHints
from ktui.ui.screens.setup_layers import STACK_BUTTONS, LayerEditing
from ktui.ui.screens.setup_sections import (
    SECTIONS,
    SettingsSection,
    applies,
    is_sub,
    problem_name,
)
from ktui.ui.widgets.data_card import DataCardView
from ktui.ui.widgets.fields import FieldDef, FieldRow, setup_def
from ktui.ui.widgets.layer_stack import LayerStack
from ktui.ui.widgets.lazy_rows import LazyRows
from ktui.ui.widgets.model_summary import ModelSummary

NAME_FIELD = setup_def("name", field_of(ExperimentSpec, "name"))
DATASET_KIND = setup_def("dataset.kind", KIND_FIELD)
#: Each dataset kind's settings, shown while that kind is chosen.
DATASET_FIELDS = {kind: tuple(setup_def(f"dataset.{f.name}", f) for f in cls.form_fields())
                  for kind, cls in DATASETS.items()}
#: Every training setting's row (nested tables at ``train.schedule.X``), in its section.
TRAIN_FIELDS = tuple(f for section in SECTIONS for f in section.fields)
#: Per-choice help, shown in the hint line beside the field's own help.
CHOICE_HELP = {d.key: d.schema.registry for d in TRAIN_FIELDS
               if d.type == "choice" and d.schema is not None and d.schema.registry is not None}


def fields_box_id(kind: str) -> str:
    """The id of the box holding a dataset kind's settings: ``linear-fields``,
    ``fashion-fields`` (the kind's first word)."""
    return f"{kind.split('_')[0]}-fields"


def _owner(spec: ExperimentSpec, path: str) -> tuple[Any, str]:
    """The object holding the field at ``path`` and the field's name: ``train.epochs`` is
    (spec.train, "epochs"), ``train.schedule.factor`` (spec.train.schedule, "factor")."""
    head, *tables, name = path.split(".")
    obj: Any = spec.dataset if head == "dataset" else spec.train
    for table in tables:
        obj = getattr(obj, table)
    return obj, name


def get_path(spec: ExperimentSpec, path: str) -> Any:
    if path == "name":
        return spec.name
    if path == "dataset.kind":
        return spec.dataset.kind
    obj, name = _owner(spec, path)
    if not hasattr(obj, name):  # a field of another dataset kind: show its default
        obj = next(cls() for cls in DATASETS.values() if hasattr(cls(), name))
    return getattr(obj, name)


def set_path(spec: ExperimentSpec, path: str, value: Any) -> None:
    """Set one field; a None (a field with no valid value) is never written."""
    if value is None:
        return
    if path == "name":
        spec.name = str(value)
        return
    obj, name = _owner(spec, path)
    if hasattr(obj, name):
        setattr(obj, name, value)


class SetupScreen(ExperimentFiles, LayerEditing, FieldHints, DataPart):
    """Edit ``app.spec``; ``ctrl+r`` checks it and opens the training view.

    The form, its validation and the dataset switch are here; presets and files, the layer
    stack's editing and the hint line are the parts it inherits (see setup_base).
    """

    BINDINGS = [
        Binding("ctrl+r", "train", "Train", id="train"),
        Binding("ctrl+s", "save_spec", "Save", id="save_spec"),
        Binding("ctrl+o", "open_spec", "Open", id="open_spec"),
        Binding("ctrl+l", "app.open_runs", "Runs", id="open_runs"),
        Binding("ctrl+n", "add_layer", "Add layer", id="add_layer_global", show=False),
        Binding("ctrl+t", "toggle_focus", "Layers/fields", id="toggle_focus", show=False),
    ]

    # ---- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        spec = self.spec
        self._stash: Stash = {}
        self._preset_shown: object = Select.NULL
        self._shown_desc = ""
        self._change_pending = False
        self._shown_status: Text | None = None
        self._shown_spec_desc: str | None = None
        #: The experiment as loaded (or last saved): what "edited" is measured against.
        self._base = spec.copy()
        #: The user typed a name since then: keep it, do not derive one.
        self._user_named = False
        self._last_field: Widget | None = None

        row = self._row

        with Horizontal(id="setup-body"):
            with VerticalScroll(id="settings", can_focus=False):
                with Horizontal(id="preset-line", classes="field-line"):
                    yield Label("preset", classes="field-label")
                    yield Select([(name, name) for name in PRESETS],
                                 value=spec.name if spec.name in PRESETS else Select.NULL,
                                 prompt="custom", compact=True, id="preset")
                yield row(NAME_FIELD)
                yield Static("", id="spec-desc")
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
        with Vertical(id="setup-foot"):
            yield Static("", id="hint")
            with Horizontal(id="setup-bar"):
                yield Static("", id="problems")
                yield Static("", id="tf-status")
                yield Button("Train ▶", variant="success", id="btn-train", compact=True,
                             action="screen.train")
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
        self.watch(self.app, "tf_status", self._show_tf_status)
        self.refresh_all()
        self.query_one(LayerStack).focus()

    def _show_tf_status(self, text: str) -> None:
        for status in self.query("#tf-status").results(Static):
            status.update(Text(text, style="dim"))

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
        self._follow_edits()
        for kind in DATASETS:
            box = self.query_one(f"#{fields_box_id(kind)}", LazyRows)
            box.display = kind == spec.dataset.kind
            if box.display:
                box.build()
        self.show_data_card()  # a user's data: its card; fits an edited experiment to it
        desc = self._describe_dataset()
        if desc != self._shown_desc:
            self._shown_desc = desc
            self.query_one("#dataset-desc", Static).update(Text(desc, style="italic"))
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
        self._show_problems(problems)
        return problems

    def _describe_dataset(self) -> str:
        """The core's one line on the dataset (its kind says it; loads nothing)."""
        try:
            return self.spec.dataset.describe()
        except Exception as err:  # a description must never break the form
            return f"(cannot describe the dataset: {err})"

    def _show_problems(self, problems: list[str]) -> None:
        if len(problems) > 1:
            status = Text.assemble(("⚠ ", "bold red"),
                                   (f"(+{len(problems) - 1} more · ctrl+r lists all) ", "red"),
                                   (problems[0], "bold red"))
        elif problems:
            status = Text(f"⚠ {problems[0]}", style="bold red")
        else:
            status = Text("✔ ready to train", style="green")
        if status != self._shown_status:
            self._shown_status = status
            self.query_one("#problems", Static).update(status)
        self.query_one("#btn-train", Button).disabled = bool(problems)

    # ---- name and description follow the edits ------------------------------------------
    def edited(self) -> bool:
        """Whether the experiment differs from the one loaded (name and description aside)."""
        return not same_experiment(self.spec, self._base)

    def dirty(self) -> bool:
        """Whether loading something else would throw work away."""
        return self.edited() or self.spec.name != self._base.name

    def _follow_edits(self) -> None:
        spec, base = self.spec, self._base
        edited = self.edited()
        if not self._user_named:
            spec.name = custom_name(base.name) if edited else base.name
        spec.description = experiment_description(spec) if edited else base.description
        for row in self.query("#f-name").results(FieldRow):
            if row.valid and row.value != spec.name:
                row.set_value(spec.name)
        if spec.description != self._shown_spec_desc:
            self._shown_spec_desc = spec.description
            self.query_one("#spec-desc", Static).update(Text(spec.description, style="dim"))
        shown = base.name if not self.dirty() and base.name in PRESETS else Select.NULL
        if shown != self._preset_shown:
            # Select posts Changed after this returns, so remember what we showed and
            # ignore it there.
            self._preset_shown = shown
            self.query_one("#preset", Select).value = shown

    def _reset_base(self) -> None:
        self._base = self.spec.copy()
        self._user_named = False

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
                    self._user_named = True  # typed (a field's first echo is no edit)
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

    def choice_help(self, key: str, value: str) -> str | None:
        registry = CHOICE_HELP.get(key)
        entry = registry.get(value) if registry is not None else None
        return entry.help if entry is not None else None

    def _choices_for(self, row: FieldRow) -> tuple[str, ...] | None:
        return metric_choices(self.spec) if row.field.type == "multi" else None

    # ---- presets (the rest in setup_files) -----------------------------------------------
    @on(Select.Changed, "#preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        if not self._live():
            return
        if event.value is not Select.NULL and event.value != self._preset_shown:
            self.request_preset(str(event.value))

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
            *self.file_commands(),
            ("Open a past run", "The runs list: open, load or compare past runs",
             "app.open_runs"),
            ("Clear comparison", "Stop overlaying past runs on the training charts",
             "app.clear_compare"),
            *self.layer_commands(),
            ("Layers / fields", "Jump between the layer list and the fields", "toggle_focus"),
            *self.preset_commands(),
        ]
