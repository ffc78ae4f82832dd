"""The setup view: dataset, layer stack with a live model summary, and training settings.

The screen edits ``app.spec`` in place as fields change; every change re-runs the spec's own
validation (pure Python) so problems show on their field, and the summary shows the stack's
shapes (or, naming the layer, why it cannot work) before any TensorFlow is involved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Label, OptionList, Select, SelectionList, Static

from ktui.core.presets import PRESETS, get_preset
from ktui.core.spec import (
    LOSSES,
    METRICS,
    OPTIMIZERS,
    ExperimentSpec,
    FashionData,
    LayerSpec,
    LinearData,
    validate,
)
from ktui.ui.screens.layer_form import LayerFormScreen
from ktui.ui.screens.spec_file import SpecFileScreen, default_file_name
from ktui.ui.widgets.fields import FieldDef, FieldRow
from ktui.ui.widgets.layer_stack import LayerStack
from ktui.ui.widgets.model_summary import ModelSummary

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

DATASET_KIND = FieldDef("dataset.kind", "dataset", "choice",
                        "linear: y = x·W + b + noise; fashion_mnist: 28×28 clothing images",
                        ("linear", "fashion_mnist"))
LINEAR_FIELDS = (
    FieldDef("dataset.w", "W", "floats", "true weight(s): one, or one per feature"),
    FieldDef("dataset.b", "b", "float", "true bias"),
    FieldDef("dataset.noise", "noise", "float", "std of the Gaussian noise added to y"),
    FieldDef("dataset.n", "n", "int", "training samples to generate"),
    FieldDef("dataset.n_features", "features", "int", "features per sample"),
    FieldDef("dataset.seed", "data seed", "int", "seed of the generated data"),
)
FASHION_FIELDS = (
    FieldDef("dataset.samples", "samples", "int", "training images to use (0 = all 60 000)"),
    FieldDef("dataset.standardize", "standardize", "bool",
             "scale by the training set's mean and std"),
    FieldDef("dataset.data_dir", "data dir", "str",
             "folder with the four .gz files (empty = the standard places)"),
)
TRAIN_FIELDS = (
    FieldDef("train.loss", "loss", "choice", "the loss minimised", tuple(LOSSES)),
    FieldDef("train.optimizer", "optimizer", "choice", "how gradients update the weights",
             tuple(OPTIMIZERS)),
    FieldDef("train.learning_rate", "learning rate", "float", "step size, in (0, 10]"),
    FieldDef("train.momentum", "momentum", "float", "sgd / rmsprop momentum, in [0, 1)"),
    FieldDef("train.metrics", "metrics", "multi",
             "reported each epoch; space ticks one (those that fit the dataset)"),
    FieldDef("train.epochs", "epochs", "int", "passes over the training set"),
    FieldDef("train.batch_size", "batch size", "int", "samples per step (0 = all at once)"),
    FieldDef("train.validation_split", "val split", "float",
             "fraction held out for validation, in [0, 1)"),
    FieldDef("train.seed", "seed", "int", "seed of weights and shuffling"),
)
#: Per-choice help, shown in the hint line beside the field's own help.
CHOICE_HELP: dict[str, dict[str, Any]] = {"train.loss": LOSSES, "train.optimizer": OPTIMIZERS}
LAYERS_HINT = ("layers: a add · e/enter edit · x remove · shift+↑↓ move · d duplicate "
               "· tab next field")
TASK_DEFAULTS = {
    "regression": ("mse", ["mae"]),
    "classification": ("sparse_categorical_crossentropy", ["accuracy"]),
}


def metric_choices(spec: ExperimentSpec) -> tuple[str, ...]:
    """The metrics that fit the spec's dataset, in the catalogue's order."""
    return tuple(m for m, (tasks, _) in METRICS.items() if spec.task in tasks)


def get_path(spec: ExperimentSpec, path: str) -> Any:
    head, name = path.split(".")
    if path == "dataset.kind":
        return spec.dataset.kind
    obj: Any = spec.dataset if head == "dataset" else spec.train
    if not hasattr(obj, name):  # a field of the other dataset kind: show its default
        obj = LinearData() if isinstance(spec.dataset, FashionData) else FashionData()
    return getattr(obj, name)


def set_path(spec: ExperimentSpec, path: str, value: Any) -> None:
    head, name = path.split(".")
    obj = spec.dataset if head == "dataset" else spec.train
    if hasattr(obj, name):
        setattr(obj, name, value)


def describe(spec: ExperimentSpec, *, builtin_only: bool = False) -> str:
    """One line on what is loaded; ``ktui.core.data.describe_dataset`` when it is there."""
    if not builtin_only:
        try:
            from ktui.core.data import describe_dataset  # pure Python, no TensorFlow
        except ImportError:
            pass
        else:
            try:
                return describe_dataset(spec.dataset)
            except Exception as err:  # a description must never break the form
                return f"(cannot describe the dataset: {err})"
    d = spec.dataset
    if isinstance(d, LinearData):
        if d.x:
            return f"{len(d.x)} fixed points of {d.n_features} features (W, b, noise, n unused)"
        w = ", ".join(f"{v:g}" for v in d.w)
        return (f"y = x·[{w}] + {d.b:g} + N(0, {d.noise:g}²); {d.n:,} samples of "
                f"{d.n_features} feature{'s' * (d.n_features != 1)}, seed {d.seed}")
    used = f"{d.samples:,}" if d.samples else "all 60,000"
    std = "standardised" if d.standardize else "raw 0–255"
    return f"Fashion-MNIST 28×28 grey, 10 classes; {used} training images, {std}"


class SetupScreen(Screen[None]):
    """Edit ``app.spec``; ``ctrl+r`` checks it and opens the training view."""

    BINDINGS = [
        Binding("ctrl+r", "train", "Train", id="train"),
        Binding("ctrl+s", "save_spec", "Save", id="save_spec"),
        Binding("ctrl+o", "open_spec", "Open", id="open_spec"),
        Binding("ctrl+l", "app.open_runs", "Runs", id="open_runs"),
        Binding("ctrl+n", "add_layer", "Add layer", id="add_layer_global", show=False),
    ]

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    @property
    def spec(self) -> ExperimentSpec:
        return self.ktui.spec

    # ---- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        spec = self.spec
        blink = not self.ktui.test_mode
        self._stash: dict[str, Any] = {}
        self._preset_shown: object = Select.NULL
        self._shown_desc = ""
        self._shown_status: Text | None = None

        def row(f: FieldDef) -> FieldRow:
            if f.type == "multi":
                f = FieldDef(f.key, f.label, f.type, f.help, metric_choices(spec))
            return FieldRow(f, get_path(spec, f.key), blink=blink, inline=True,
                            id="f-" + f.key.replace(".", "-"))

        with Horizontal(id="setup-body"):
            with VerticalScroll(id="settings"):
                with Horizontal(id="preset-line", classes="field-line"):
                    yield Label("preset", classes="field-label")
                    yield Select([(name, name) for name in PRESETS],
                                 value=spec.name if spec.name in PRESETS else Select.NULL,
                                 prompt="custom", compact=True, id="preset")
                yield Static("Dataset", classes="section")
                yield row(DATASET_KIND)
                with Vertical(id="linear-fields"):
                    for f in LINEAR_FIELDS:
                        yield row(f)
                with Vertical(id="fashion-fields"):
                    for f in FASHION_FIELDS:
                        yield row(f)
                yield Static("", id="dataset-desc")
                yield Static("Training", classes="section")
                for f in TRAIN_FIELDS:
                    yield row(f)
            with Vertical(id="model-pane"):
                yield Static("Layers", classes="section")
                yield LayerStack(id="stack")
                with Horizontal(id="stack-buttons"):
                    for bid, label in (("add", "+ Add"), ("edit", "Edit"), ("remove", "Remove"),
                                       ("up", "↑"), ("down", "↓"), ("duplicate", "Dup")):
                        yield Button(label, id=f"btn-{bid}", compact=True)
                yield Static("Model summary", classes="section")
                with VerticalScroll(id="summary-scroll"):
                    yield ModelSummary(id="summary")
        with Vertical(id="setup-foot"):
            yield Static("", id="hint")
            with Horizontal(id="setup-bar"):
                yield Static("", id="problems")
                yield Static("", id="tf-status")
                yield Button("Train ▶", variant="success", id="btn-train", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "tf_status", self._show_tf_status)
        self.refresh_all()
        self.query_one(LayerStack).focus()

    def _show_tf_status(self, text: str) -> None:
        self.query_one("#tf-status", Static).update(Text(text, style="dim"))

    # ---- spec -> widgets ----------------------------------------------------------------
    def refresh_all(self) -> None:
        """Show the whole spec (after a preset or at mount)."""
        spec = self.spec
        for row in self.query(FieldRow):
            row.set_value(get_path(spec, row.field.key), self._choices_for(row))
        preset = self.query_one("#preset", Select)
        # Select posts Changed after this returns, so remember what we showed and ignore it.
        self._preset_shown = spec.name if spec.name in PRESETS else Select.NULL
        preset.value = self._preset_shown
        self.query_one(LayerStack).show_layers(spec.layers, highlight=0)
        self.spec_changed()

    def spec_changed(self) -> list[str]:
        """Re-validate; flag fields, update the summary, description and problem line."""
        spec = self.spec
        linear = isinstance(spec.dataset, LinearData)
        self.query_one("#linear-fields").display = linear
        self.query_one("#fashion-fields").display = not linear
        desc = describe(spec, builtin_only=self.ktui.test_mode)
        if desc != self._shown_desc:
            self._shown_desc = desc
            self.query_one("#dataset-desc", Static).update(Text(desc, style="italic"))
        errors = validate(spec)
        for row in self.query(FieldRow):
            key = row.field.key
            mine = [e for e in errors if e.startswith((key + ":", key + "["))]
            row.set_external_error(mine[0].split(": ", 1)[1] if mine else None)
        self.query_one(ModelSummary).show(spec)
        problems = [f"{r.field.label}: {r.error}" for r in self.query(FieldRow) if not r.valid]
        problems += errors
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            status = Text(f"⚠ {problems[0]}{more}", style="bold red")
        else:
            status = Text("✔ ready to train", style="green")
        if status != self._shown_status:
            self._shown_status = status
            self.query_one("#problems", Static).update(status)
        self.query_one("#btn-train", Button).disabled = bool(problems)
        return problems

    # ---- widgets -> spec ----------------------------------------------------------------
    def on_field_row_changed(self, event: FieldRow.Changed) -> None:
        row = event.row
        if row.field.key in CHOICE_HELP and row.has_focus_within:
            self.show_hint(row)
        if row.valid:
            if row.field.key == "dataset.kind":
                self._switch_dataset(event.value)
            else:
                set_path(self.spec, row.field.key, event.value)
        self.spec_changed()

    def _switch_dataset(self, kind: str) -> None:
        spec = self.spec
        if spec.dataset.kind == kind:
            return
        self._stash[spec.dataset.kind] = spec.dataset
        spec.dataset = self._stash.get(kind) or (FashionData() if kind == "fashion_mnist"
                                                 else LinearData())
        loss, metrics = TASK_DEFAULTS[spec.task]
        if spec.task not in LOSSES.get(spec.train.loss, ((),))[0]:
            spec.train.loss = loss
        if not all(spec.task in METRICS.get(m, ((),))[0] for m in spec.train.metrics):
            spec.train.metrics = list(metrics)
        for row in self.query(FieldRow):
            if row.field.key != "dataset.kind":
                row.set_value(get_path(spec, row.field.key), self._choices_for(row))

    def _choices_for(self, row: FieldRow) -> tuple[str, ...] | None:
        return metric_choices(self.spec) if row.field.type == "multi" else None

    @on(Select.Changed, "#preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self._preset_shown:
            self.load_preset(str(event.value))

    def load_preset(self, name: str) -> None:
        self.ktui.spec = get_preset(name)
        self.show_spec()
        self.notify(self.ktui.spec.description or name, title=f"Preset {name}", timeout=4)

    def show_spec(self) -> None:
        """Show a whole new ``app.spec`` (a preset, a file, a past run's)."""
        self._stash = {}
        self.refresh_all()

    # ---- save and open --------------------------------------------------------------------
    def action_save_spec(self) -> None:
        spec = self.spec.copy()
        path = self.ktui.spec_path or default_file_name(spec)

        def saved(result: tuple[Any, ExperimentSpec] | None) -> None:
            if result is not None:
                self.ktui.spec_path = str(result[0])
                self.notify(f"ktui train --spec {result[0]}", title="Saved", timeout=4)

        self.app.push_screen(SpecFileScreen("save", spec, path), saved)

    def action_open_spec(self) -> None:
        def opened(result: tuple[Any, ExperimentSpec] | None) -> None:
            if result is not None:
                path, spec = result
                self.ktui.spec_path = str(path)
                self.ktui.spec = spec
                self.show_spec()
                problems = validate(spec)
                more = f"; {len(problems)} problem{'s' * (len(problems) != 1)} flagged" \
                    if problems else ""
                self.notify(f"from {path}{more}", title=f"Opened {spec.name}", timeout=4,
                            severity="warning" if problems else "information")

        self.app.push_screen(SpecFileScreen("open", path=self.ktui.spec_path), opened)

    # ---- the hint line ----------------------------------------------------------------------
    def on_descendant_focus(self, event: Any) -> None:
        self.show_hint(event.widget)

    def on_selection_list_selection_highlighted(
            self, event: SelectionList.SelectionHighlighted) -> None:
        name = str(event.selection.value)
        help_text = METRICS.get(name, ((), "does not fit this dataset"))[1]
        self._set_hint(Text.assemble(("metrics", "bold"), f": {name}: {help_text}  ",
                                     ("(space ticks)", "dim")))

    def show_hint(self, widget: Widget | None) -> None:
        """The focused field's help, so it is readable without a mouse (tooltips need one)."""
        for node in (widget.ancestors_with_self if widget is not None else ()):
            if isinstance(node, FieldRow):
                f = node.field
                text = Text.assemble((f.label, "bold"), f": {f.help}" if f.help else "")
                value = node.value
                choice = CHOICE_HELP.get(f.key, {}).get(value) if isinstance(value, str) \
                    else None
                if choice:
                    desc = choice[1] if isinstance(choice, tuple) else choice
                    text.append(f" · {node.value}: {desc}", style="dim")
                self._set_hint(text)
                return
            if isinstance(node, LayerStack):
                self._set_hint(Text(LAYERS_HINT))
                return
            if node.id == "preset":
                self._set_hint(Text.assemble(("preset", "bold"),
                                             ": one of the seeds' experiments, ready to train"))
                return
        self._set_hint(Text(""))

    def _set_hint(self, text: Text) -> None:
        text.no_wrap, text.overflow = True, "ellipsis"
        hint = self.query_one("#hint", Static)
        hint.update(text)

    # ---- the layer stack ----------------------------------------------------------------
    @property
    def _index(self) -> int | None:
        return self.query_one(LayerStack).highlighted

    def _layers_changed(self, highlight: int | None = None) -> None:
        self.query_one(LayerStack).show_layers(self.spec.layers, highlight)
        self.spec_changed()

    def action_add_layer(self) -> None:
        index = self._index
        position = len(self.spec.layers) if index is None else index + 1

        def added(layer: LayerSpec | None) -> None:
            if layer is not None:
                self.spec.layers.insert(position, layer)
                self._layers_changed(position)
            self.query_one(LayerStack).focus()

        self.app.push_screen(LayerFormScreen(position=position), added)

    def action_edit_layer(self) -> None:
        index = self._index
        if index is None or index >= len(self.spec.layers):
            return

        def edited(layer: LayerSpec | None) -> None:
            if layer is not None:
                self.spec.layers[index] = layer
                self._layers_changed(index)
            self.query_one(LayerStack).focus()

        self.app.push_screen(LayerFormScreen(self.spec.layers[index], position=index), edited)

    def action_remove_layer(self) -> None:
        index = self._index
        if index is None or index >= len(self.spec.layers):
            return
        del self.spec.layers[index]
        self._layers_changed(min(index, len(self.spec.layers) - 1))

    def action_move_layer(self, delta: int) -> None:
        index = self._index
        layers = self.spec.layers
        if index is None or not 0 <= index + delta < len(layers):
            return
        layers[index], layers[index + delta] = layers[index + delta], layers[index]
        self._layers_changed(index + delta)

    def action_duplicate_layer(self) -> None:
        index = self._index
        if index is None or index >= len(self.spec.layers):
            return
        original = self.spec.layers[index]
        self.spec.layers.insert(index + 1, LayerSpec(original.kind, dict(original.params)))
        self._layers_changed(index + 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit_layer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "btn-add": self.action_add_layer, "btn-edit": self.action_edit_layer,
            "btn-remove": self.action_remove_layer,
            "btn-up": lambda: self.action_move_layer(-1),
            "btn-down": lambda: self.action_move_layer(1),
            "btn-duplicate": self.action_duplicate_layer, "btn-train": self.action_train,
        }
        action = actions.get(event.button.id or "")
        if action:
            event.stop()
            action()

    # ---- train ----------------------------------------------------------------------------
    def action_train(self) -> None:
        problems = self.spec_changed()
        if problems:
            shown = "\n".join(problems[:4]) + (f"\n… and {len(problems) - 4} more"
                                               if len(problems) > 4 else "")
            self.notify(shown, title="Cannot train yet", severity="error", timeout=8)
            return
        self.ktui.open_training(start=True)

    def palette_commands(self) -> list[tuple[str, str, str]]:
        cmds = [
            ("Train", "Check the experiment and start training", "train"),
            ("Save experiment", "Write the experiment as a TOML spec (ctrl+s)", "save_spec"),
            ("Open experiment", "Load a TOML spec into the form (ctrl+o)", "open_spec"),
            ("Open a past run", "The runs list: open, load or compare past runs (ctrl+l)",
             "app.open_runs"),
            ("Clear comparison", "Stop overlaying past runs on the training charts",
             "app.clear_compare"),
            ("Add layer", "Add a layer after the highlighted one", "add_layer"),
            ("Edit layer", "Edit the highlighted layer", "edit_layer"),
            ("Remove layer", "Remove the highlighted layer", "remove_layer"),
            ("Duplicate layer", "Copy the highlighted layer below it", "duplicate_layer"),
            ("Move layer up", "", "move_layer(-1)"),
            ("Move layer down", "", "move_layer(1)"),
        ]
        for name, make in PRESETS.items():
            cmds.append((f"Load preset: {name}", make().description, f"load_preset({name!r})"))
        return cmds

    def action_load_preset(self, name: str) -> None:
        self.load_preset(name)
