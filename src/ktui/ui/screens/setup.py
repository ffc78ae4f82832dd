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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Label, OptionList, Select, SelectionList, Static

from ktui.core.catalog import LAYER_KINDS
from ktui.core.presets import PRESETS, get_preset
from ktui.core.spec import (
    DEVICES,
    LOSSES,
    METRICS,
    MODEL_STYLES,
    OPTIMIZERS,
    ExperimentSpec,
    FashionData,
    LayerSpec,
    LinearData,
    layer_errors,
    stack_problem,
    validate,
)
from ktui.ui.screens.confirm import ConfirmScreen
from ktui.ui.screens.layer_form import LayerFormScreen
from ktui.ui.screens.problems import ProblemsScreen
from ktui.ui.screens.spec_file import SpecFileScreen, default_file_name
from ktui.ui.widgets.fields import FieldDef, FieldRow
from ktui.ui.widgets.layer_stack import LayerStack
from ktui.ui.widgets.model_summary import ModelSummary, output_shape_before

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

NAME_FIELD = FieldDef("name", "name", "str",
                      "runs are recorded, listed, compared and exported under this name")
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
    FieldDef("train.shuffle", "shuffle", "bool",
             "reshuffle the training set every epoch (off: the same order each epoch)"),
    FieldDef("train.model_style", "model style", "choice",
             "how the Keras model is built: Sequential, functional or a Model subclass",
             MODEL_STYLES),
    FieldDef("train.log_every", "log every", "int",
             "steps between step events (the per-step loss chart)"),
    FieldDef("train.device", "device", "choice",
             "auto: the GPU when TensorFlow sees one; cpu; gpu (fails without one)", DEVICES),
    FieldDef("train.jit_compile", "jit (XLA)", "bool",
             "compile the step with XLA: faster for some models, slower for others"),
)
#: Per-choice help, shown in the hint line beside the field's own help.
CHOICE_HELP: dict[str, dict[str, Any]] = {"train.loss": LOSSES, "train.optimizer": OPTIMIZERS}
LAYERS_HINT = ("layers: a add · e/enter edit · x remove · shift+↑↓ move · d duplicate "
               "· ctrl+t back to the fields")
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}


@dataclass(frozen=True)
class TaskDefaults:
    """What a switch to a dataset of this task sets, so no setting of the old one (a single
    48 000-image batch, SGD 0.1, no shuffling) silently carries over."""

    words: str
    loss: str
    metrics: tuple[str, ...]
    optimizer: str
    learning_rate: float
    batch_size: int
    layers: tuple[tuple[str, dict[str, Any]], ...]

    def layer_specs(self) -> list[LayerSpec]:
        return [LayerSpec(kind, dict(params)) for kind, params in self.layers]


TASK_DEFAULTS = {
    "classification": TaskDefaults(
        "classification", "sparse_categorical_crossentropy", ("accuracy",), "adam", 1e-3, 128,
        (("Flatten", {}), ("Dense", {"units": 128, "activation": "relu"}),
         ("Dense", {"units": 10}))),
    "regression": TaskDefaults(
        "regression", "mse", ("mae",), "sgd", 0.05, 32, (("Dense", {"units": 1}),)),
}
DATASET_NAMES = {"linear": "the linear dataset", "fashion_mnist": "Fashion-MNIST"}


def metric_choices(spec: ExperimentSpec) -> tuple[str, ...]:
    """The metrics that fit the spec's dataset, in the catalogue's order."""
    return tuple(m for m, (tasks, _) in METRICS.items() if spec.task in tasks)


def get_path(spec: ExperimentSpec, path: str) -> Any:
    if path == "name":
        return spec.name
    head, name = path.split(".")
    if path == "dataset.kind":
        return spec.dataset.kind
    obj: Any = spec.dataset if head == "dataset" else spec.train
    if not hasattr(obj, name):  # a field of the other dataset kind: show its default
        obj = LinearData() if isinstance(spec.dataset, FashionData) else FashionData()
    return getattr(obj, name)


def set_path(spec: ExperimentSpec, path: str, value: Any) -> None:
    """Set one field; a None (a field with no valid value) is never written."""
    if value is None:
        return
    if path == "name":
        spec.name = str(value)
        return
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
    try:
        if isinstance(d, LinearData):
            if d.x:
                return (f"{len(d.x)} fixed points of {d.n_features} features "
                        "(W, b, noise, n unused)")
            w = ", ".join(f"{v:g}" for v in d.w)
            return (f"y = x·[{w}] + {d.b:g} + N(0, {d.noise:g}²); {d.n:,} samples of "
                    f"{d.n_features} feature{'s' * (d.n_features != 1)}, seed {d.seed}")
        used = f"{d.samples:,}" if d.samples else "all 60,000"
        std = "standardised" if d.standardize else "raw 0–255"
        return f"Fashion-MNIST 28×28 grey, 10 classes; {used} training images, {std}"
    except (TypeError, ValueError):  # a value the validation flags on its field
        return "(the dataset has an invalid value: see the flagged field)"


# ---- the derived description -----------------------------------------------------------------

def _count(n: Any) -> str:
    return f"{n:,}".replace(",", " ") if isinstance(n, int) else str(n)


def _lr_words(lr: Any) -> str:
    """``3e-4``, ``0.001`` -> ``1e-3``, ``0.05``: short, as people write learning rates."""
    if not isinstance(lr, (int, float)):
        return str(lr)
    if 0 < lr < 0.01:
        mantissa, exponent = f"{lr:.2e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{lr:g}"


def _model_words(layers: list[LayerSpec]) -> str:
    """``Conv2D 32-64, Dense 128-10``: the sized layers, runs of one kind joined by dashes."""
    groups: list[tuple[str, list[str]]] = []
    for layer in layers:
        params = layer.params if isinstance(layer.params, dict) else {}
        size = params.get("units", params.get("filters"))
        if layer.kind in ("Dense", "Linear") and size is None:
            size = 32
        if layer.kind == "Conv2D" and size is None:
            size = 32
        if size is None:
            continue
        shown = str(size)[:12]  # a hand-edited value can be anything, of any length
        if groups and groups[-1][0] == layer.kind:
            groups[-1][1].append(shown)
        else:
            groups.append((layer.kind, [shown]))
    if not groups:
        kinds = [str(layer.kind) for layer in layers]
        if len(kinds) > 6:
            kinds = [*kinds[:4], f"… ({len(kinds)} layers)"]
        return " → ".join(kinds) if kinds else "no layers"
    words = [f"{kind} {_sizes(sizes)}" for kind, sizes in groups]
    if len(words) > 6:  # a description, not a listing: the summary has every layer
        words = [*words[:5], f"… ({len(layers)} layers)"]
    return ", ".join(words)


def _sizes(sizes: list[str]) -> str:
    """``200-300-100-10``; a long run as ``1-1-1-…-1 (500)``."""
    if len(sizes) <= 8:
        return "-".join(sizes)
    return f"{'-'.join(sizes[:3])}-…-{sizes[-1]} ({len(sizes)})"


def _data_words(spec: ExperimentSpec) -> str:
    d = spec.dataset
    if isinstance(d, FashionData):
        used = f"{_count(d.samples)} images" if d.samples else "all 60 000 images"
        return f"Fashion-MNIST ({used})"
    if d.x:
        return f"{len(d.x)} fixed points"
    features = f", {_count(d.n_features)} features" if d.n_features != 1 else ""
    return f"linear data ({_count(d.n)} samples{features})"


def experiment_description(spec: ExperimentSpec) -> str:
    """``Dense 200-300-100-10 on Fashion-MNIST (10 000 images), Adam lr 3e-4, 10 epochs``:
    what an edited experiment is, for its run's header, the runs list and the export."""
    try:
        t = spec.train
        optimizer = OPTIMIZER_NAMES.get(t.optimizer, str(t.optimizer))
        epochs = f"{_count(t.epochs)} epoch{'s' * (t.epochs != 1)}"
        return (f"{_model_words(spec.layers)} on {_data_words(spec)}, "
                f"{optimizer} lr {_lr_words(t.learning_rate)}, {epochs}")
    except Exception:  # an odd value: the field says what is wrong; no description then
        return ""


def custom_name(name: str) -> str:
    """``fashion-mlp`` -> ``fashion-mlp-custom`` (once)."""
    if not name:
        return "custom"
    return name if name.endswith("-custom") else f"{name}-custom"


def stack_fits(spec: ExperimentSpec) -> bool:
    """Whether the layers can map the spec's input to its target."""
    if not spec.layers:
        return False
    if any(layer_errors(i, layer) for i, layer in enumerate(spec.layers)):
        return False
    try:
        stack_problem(spec)
    except Exception:  # StackError, or a value the checks above let through
        return False
    return True


def _same_experiment(a: ExperimentSpec, b: ExperimentSpec) -> bool:
    """Equal in everything but name and description."""
    return a.dataset == b.dataset and a.layers == b.layers and a.train == b.train


def safe_validate(spec: ExperimentSpec) -> list[str]:
    """``validate``, but a checker that raises is a problem shown, not a dead app."""
    try:
        return validate(spec)
    except Exception as err:
        return [f"spec: cannot check the experiment ({type(err).__name__}: {err}); "
                "fix the last value you changed"]


class SetupScreen(Screen[None]):
    """Edit ``app.spec``; ``ctrl+r`` checks it and opens the training view."""

    BINDINGS = [
        Binding("ctrl+r", "train", "Train", id="train"),
        Binding("ctrl+s", "save_spec", "Save", id="save_spec"),
        Binding("ctrl+o", "open_spec", "Open", id="open_spec"),
        Binding("ctrl+l", "app.open_runs", "Runs", id="open_runs"),
        Binding("ctrl+n", "add_layer", "Add layer", id="add_layer_global", show=False),
        Binding("ctrl+t", "toggle_focus", "Layers/fields", id="toggle_focus", show=False),
    ]

    #: Set when ``on_mount`` begins: the widgets exist from then on.
    _ready = False

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    @property
    def spec(self) -> ExperimentSpec:
        return self.ktui.spec

    def _live(self) -> bool:
        """Composed, attached, and the app not exiting: only then may a handler touch the
        screen's widgets (keys of a burst arrive after ``q`` began the exit)."""
        return self._ready and self.is_attached

    def _on_top(self) -> bool:
        """Live and the screen the user sees (not under a form or dialog)."""
        return self._live() and self.app.screen is self

    # ---- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        spec = self.spec
        blink = not self.ktui.test_mode
        self._stash: dict[str, tuple[Any, Any, list[LayerSpec]]] = {}
        self._preset_shown: object = Select.NULL
        self._shown_desc = ""
        self._shown_status: Text | None = None
        self._shown_spec_desc: str | None = None
        #: The experiment as loaded (or last saved): what "edited" is measured against.
        self._base = spec.copy()
        #: The user typed a name since then: keep it, do not derive one.
        self._user_named = False
        self._last_field: Widget | None = None

        def row(f: FieldDef) -> FieldRow:
            if f.type == "multi":
                f = FieldDef(f.key, f.label, f.type, f.help, metric_choices(spec))
            return FieldRow(f, get_path(spec, f.key), blink=blink, inline=True,
                            id="f-" + f.key.replace(".", "-"))

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
                yield Static("Layers", classes="section", id="layers-title")
                yield LayerStack(id="stack")
                with Horizontal(id="stack-buttons"):
                    for bid, label in (("add", "+ Add"), ("edit", "Edit"), ("remove", "Remove"),
                                       ("up", "↑"), ("down", "↓"), ("duplicate", "Dup")):
                        yield Button(label, id=f"btn-{bid}", compact=True)
                yield Static("Model summary", classes="section")
                with VerticalScroll(id="summary-scroll", can_focus=False):
                    yield ModelSummary(id="summary")
        with Vertical(id="setup-foot"):
            yield Static("", id="hint")
            with Horizontal(id="setup-bar"):
                yield Static("", id="problems")
                yield Static("", id="tf-status")
                yield Button("Train ▶", variant="success", id="btn-train", compact=True)
        yield Footer(compact=True)

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

    def spec_changed(self) -> list[str]:
        """Re-validate; flag fields, update the summary, description and problem line."""
        if not self._live():
            return []
        spec = self.spec
        self._follow_edits()
        linear = isinstance(spec.dataset, LinearData)
        self.query_one("#linear-fields").display = linear
        self.query_one("#fashion-fields").display = not linear
        desc = describe(spec, builtin_only=self.ktui.test_mode)
        if desc != self._shown_desc:
            self._shown_desc = desc
            self.query_one("#dataset-desc", Static).update(Text(desc, style="italic"))
        errors = safe_validate(spec)
        for row in self.query(FieldRow):
            key = row.field.key
            mine = [e for e in errors if e.startswith((key + ":", key + "["))]
            row.set_external_error(mine[0].split(": ", 1)[1] if mine else None)
        self.query_one(ModelSummary).show(spec)
        problems = [f"{r.field.label}: {r.error}" for r in self.query(FieldRow) if not r.valid]
        problems += errors
        self._show_problems(problems)
        return problems

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
        return not _same_experiment(self.spec, self._base)

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
        self.spec_changed()

    def _switch_dataset(self, kind: str) -> None:
        """Change the dataset and what must change with it: the old dataset's settings are
        kept aside (switching back restores them); a dataset never seen gets the task's
        defaults. The user is told what changed."""
        spec = self.spec
        old = spec.dataset.kind
        if old == kind or kind not in DATASET_NAMES:
            return
        self._stash[old] = (spec.dataset, spec.copy().train, [LayerSpec(lay.kind,
                            dict(lay.params)) for lay in spec.layers])
        stashed = self._stash.pop(kind, None)
        replaced = False
        if stashed is not None:
            spec.dataset, spec.train, layers = stashed
            if not stack_fits(spec):
                spec.layers, replaced = layers, True
            what = "its earlier settings" + (" and layers" if replaced else "") + " are back"
            message = f"Switched back to {DATASET_NAMES[kind]}: {what}."
        else:
            spec.dataset = FashionData() if kind == "fashion_mnist" else LinearData()
            defaults = TASK_DEFAULTS[spec.task]
            self._apply_defaults(defaults)
            if not stack_fits(spec):
                spec.layers, replaced = defaults.layer_specs(), True
            message = (f"Switched to {DATASET_NAMES[kind]}: loss, metrics, optimizer, "
                       f"learning rate, batch size and shuffle set for {defaults.words}")
            if replaced:
                stack = " → ".join(_model_words([lay]) for lay in spec.layers)
                message += f"; the layers did not fit and are now {stack}"
            message += "."
        for row in self.query(FieldRow):
            if row.field.key != "dataset.kind":
                row.set_value(get_path(spec, row.field.key), self._choices_for(row))
        self.query_one(LayerStack).show_layers(spec.layers, highlight=0 if replaced else None)
        self._set_hint(Text(message, style="bold"))
        self.notify(message, title="Dataset changed", timeout=6)

    def _apply_defaults(self, defaults: TaskDefaults) -> None:
        t = self.spec.train
        t.loss = defaults.loss
        t.metrics = list(defaults.metrics)
        t.optimizer = defaults.optimizer
        t.learning_rate = defaults.learning_rate
        t.momentum = 0.0
        t.batch_size = defaults.batch_size
        t.shuffle = True

    def _choices_for(self, row: FieldRow) -> tuple[str, ...] | None:
        return metric_choices(self.spec) if row.field.type == "multi" else None

    # ---- presets ----------------------------------------------------------------------------
    @on(Select.Changed, "#preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        if not self._live():
            return
        if event.value is not Select.NULL and event.value != self._preset_shown:
            self.request_preset(str(event.value))

    def request_preset(self, name: str) -> None:
        """Load preset ``name``, asking first when that would replace the user's edits."""
        if not self._live() or name not in PRESETS:
            return
        if not self.dirty():
            self.load_preset(name)
            return

        def answered(yes: bool | None) -> None:
            if not self._live():
                return
            if yes:
                self.load_preset(name)
            else:  # the picker goes back to what is loaded: "custom"
                self._preset_shown = Select.NULL
                self.query_one("#preset", Select).value = Select.NULL

        self.app.push_screen(ConfirmScreen(
            f"Replace your custom experiment “{self.spec.name}” with preset {name}?",
            yes="Replace", no="Keep mine"), answered)

    def load_preset(self, name: str) -> None:
        if not self._live():
            return
        self.ktui.spec = get_preset(name)
        self.show_spec()
        self.notify(self.ktui.spec.description or name, title=f"Preset {name}", timeout=4)

    def show_spec(self) -> None:
        """Show a whole new ``app.spec`` (a preset, a file, a past run's)."""
        if not self._live():
            return
        self._stash = {}
        self._reset_base()
        self.refresh_all()

    # ---- save and open --------------------------------------------------------------------
    def action_save_spec(self) -> None:
        if not self._on_top():
            return
        spec = self.spec.copy()
        path = self.ktui.spec_path or default_file_name(spec)

        def saved(result: tuple[Any, ExperimentSpec] | None) -> None:
            if result is not None and self._live():
                self.ktui.spec_path = str(result[0])
                if self.spec == result[1]:
                    self._reset_base()  # what is saved is no longer lost by a preset
                    self.spec_changed()
                self.notify(f"ktui train --spec {result[0]}", title="Saved", timeout=4)

        self.app.push_screen(SpecFileScreen("save", spec, path), saved)

    def action_open_spec(self) -> None:
        if not self._on_top():
            return

        def opened(result: tuple[Any, ExperimentSpec] | None) -> None:
            if result is None or not self._live():
                return
            path, spec = result
            self.ktui.spec_path = str(path)
            self.ktui.spec = spec
            self.show_spec()
            problems = safe_validate(spec)
            if problems:
                count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
                more = " (ctrl+r lists them all)" if len(problems) > 1 else ""
                self.notify(f"from {path}; {count} flagged{more}:\n{problems[0]}",
                            title=f"Opened {spec.name}", timeout=8, severity="warning")
            else:
                self.notify(f"from {path}", title=f"Opened {spec.name}", timeout=4)

        self.app.push_screen(SpecFileScreen("open", path=self.ktui.spec_path), opened)

    # ---- the hint line ----------------------------------------------------------------------
    def on_descendant_focus(self, event: Any) -> None:
        if not self._live():
            return
        widget = event.widget
        if any(node.id == "settings" for node in widget.ancestors):
            self._last_field = widget
        self.show_hint(widget)

    def on_selection_list_selection_highlighted(
            self, event: SelectionList.SelectionHighlighted) -> None:
        if not self._live() or not event.selection_list.has_focus:
            return  # options refilled after a dataset switch: keep what the line says
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
        for hint in self.query("#hint").results(Static):
            hint.update(text)

    def action_toggle_focus(self) -> None:
        """Jump between the layer list and the settings field last used (ctrl+t)."""
        if not self._on_top():
            return
        stack = self.query_one(LayerStack)
        if not stack.has_focus:
            stack.focus()
            return
        last = self._last_field
        if last is not None and last.is_attached and last.focusable:
            last.focus()
        else:
            self.query_one("#preset", Select).focus()

    # ---- the layer stack ----------------------------------------------------------------
    @property
    def _index(self) -> int | None:
        for stack in self.query(LayerStack).results(LayerStack):
            return stack.highlighted
        return None

    def _layers_changed(self, highlight: int | None = None) -> None:
        if not self._live():
            return
        self.query_one(LayerStack).show_layers(self.spec.layers, highlight)
        self.spec_changed()

    def _focus_stack(self) -> None:
        if self._live():
            self.query_one(LayerStack).focus()

    def action_add_layer(self) -> None:
        if not self._on_top():
            return
        index = self._index
        position = len(self.spec.layers) if index is None else index + 1
        shape, why = output_shape_before(self.spec, position)

        def added(layer: LayerSpec | None) -> None:
            if not self._live():
                return
            if layer is not None:
                position_now = min(position, len(self.spec.layers))
                self.spec.layers.insert(position_now, layer)
                self._layers_changed(position_now)
            self._focus_stack()

        self.app.push_screen(LayerFormScreen(position=position, input_shape=shape,
                                             input_problem=why), added)

    def action_edit_layer(self) -> None:
        if not self._on_top():
            return
        index = self._index
        if index is None or index >= len(self.spec.layers):
            return
        layer = self.spec.layers[index]
        if not isinstance(layer.params, dict) or layer.kind not in LAYER_KINDS:
            self.notify(f"layer {index + 1} ({layer.kind}) cannot be edited in the form; "
                        "remove it (x) and add another", severity="warning")
            return
        shape, why = output_shape_before(self.spec, index)

        def edited(new: LayerSpec | None) -> None:
            if not self._live():
                return
            if new is not None and index < len(self.spec.layers):
                self.spec.layers[index] = new
                self._layers_changed(index)
            self._focus_stack()

        self.app.push_screen(LayerFormScreen(layer, position=index, input_shape=shape,
                                             input_problem=why), edited)

    def action_remove_layer(self) -> None:
        if not self._on_top():
            return
        index = self._index
        if index is None or index >= len(self.spec.layers):
            return
        del self.spec.layers[index]
        self._layers_changed(min(index, len(self.spec.layers) - 1))

    def action_move_layer(self, delta: int) -> None:
        if not self._on_top():
            return
        index = self._index
        layers = self.spec.layers
        if index is None or not 0 <= index + delta < len(layers):
            return
        layers[index], layers[index + delta] = layers[index + delta], layers[index]
        self._layers_changed(index + delta)

    def action_duplicate_layer(self) -> None:
        if not self._on_top():
            return
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
        if not self._on_top():
            return
        problems = self.spec_changed()
        if problems:
            self.app.push_screen(ProblemsScreen(problems, title="Cannot train yet"))
            return
        self.ktui.open_training(start=True)

    def palette_commands(self) -> list[tuple[str, str, str]]:
        cmds = [
            ("Train", "Check the experiment and start training (ctrl+r)", "train"),
            ("Save experiment", "Write the experiment as a TOML spec (ctrl+s)", "save_spec"),
            ("Open experiment", "Load a TOML spec into the form (ctrl+o)", "open_spec"),
            ("Open a past run", "The runs list: open, load or compare past runs (ctrl+l)",
             "app.open_runs"),
            ("Clear comparison", "Stop overlaying past runs on the training charts",
             "app.clear_compare"),
            ("Add layer", "Add a layer after the highlighted one (a, ctrl+n)", "add_layer"),
            ("Edit layer", "Edit the highlighted layer (e, enter)", "edit_layer"),
            ("Remove layer", "Remove the highlighted layer (x)", "remove_layer"),
            ("Duplicate layer", "Copy the highlighted layer below it (d)", "duplicate_layer"),
            ("Move layer up", "(shift+↑)", "move_layer(-1)"),
            ("Move layer down", "(shift+↓)", "move_layer(1)"),
            ("Layers / fields", "Jump between the layer list and the fields (ctrl+t)",
             "toggle_focus"),
        ]
        for name, make in PRESETS.items():
            cmds.append((f"Load preset: {name}", make().description, f"load_preset({name!r})"))
        return cmds

    def action_load_preset(self, name: str) -> None:
        self.request_preset(name)
