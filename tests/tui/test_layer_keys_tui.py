"""Your layers' keys in the TUI (issue 22, items 5 and 10): F5 reloads the layer files from
anywhere in the setup view (``r`` typed into a focused field, and reloaded nothing), shown in
the footer at 80 and 120 columns; a layer whose check fails is not "ready to train" until
ctrl+y in its form trains it anyway."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from ktui.core import user_layers
from ktui.core.session import TRAIN_THREAD_NAME
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset
from ktui.core.user_layers import verdicts
from ktui.ui.screens.layer_form import LayerFormScreen
from ktui.ui.screens.setup import SetupScreen

from .helpers import make_test_app, settle, training, until

pytestmark = pytest.mark.slow  # TensorFlow builds the layers: seconds per test

FILE = '''
import warnings

import keras


class Unused(keras.layers.Layer):
    """A weight that call() forgets: the gradients check fails, whatever the data."""

    def build(self, input_shape):
        self.unused = self.add_weight(shape=(1,), name="unused")

    def call(self, inputs):
        return inputs


class Chatty(keras.layers.Layer):
    """Says something while it is built, as Keras does of odd layers."""

    def build(self, input_shape):
        warnings.warn("Chatty was built without weights", UserWarning, stacklevel=2)

    def call(self, inputs):
        return inputs


class Plain(keras.layers.Layer):
    """No **kwargs, as the guide's MLPBlock: model.keras saves it, cannot load it back."""

    def __init__(self, scale=2.0):
        super().__init__()
        self.scale = scale

    def call(self, inputs):
        return inputs * self.scale
'''


@pytest.fixture(autouse=True)
def layer_file(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[None]:
    path = tmp_path / "mine.py"
    # Another hash per test: shapes and checks are kept per file content, as in a fresh app.
    path.write_text(f"{FILE}\n# {request.node.name}\n", encoding="utf-8")
    user_layers.use_files([path])
    verdicts.forget()
    yield
    user_layers.register([])
    verdicts.forget()


def plain(widget: Static) -> str:
    content = widget.content
    return content if isinstance(content, str) else content.plain


def status(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one("#problems").render())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_f5_reloads_the_layer_files_from_a_field_and_the_footer_says_so(
        size: tuple[int, int]) -> None:
    app = make_test_app(get_preset("linear-gd"))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        field = next(w for w in app.screen.query(Input) if w.focusable and not w.disabled)
        field.focus()
        await pilot.pause()
        before, text = user_layers.generation(), field.value
        await pilot.press("r")  # a letter: typed, nothing reloaded
        await pilot.pause()
        assert field.value != text and "r" in field.value
        assert user_layers.generation() == before
        await pilot.press("f5")
        await until(pilot, lambda: user_layers.generation() > before, timeout=60)
        keys = [k for k in app.screen.query("FooterKey") if k.action == "reload_layer_files"]
        assert keys, "F5 is not in the footer"
        region = keys[0].region
        assert region.width and region.right <= size[0], (region, size)
        assert "Reload" in str(keys[0].render())
        assert_footer_fits(app, size)
        # On the layer list its own r (and f5) reload; the footer keeps its room for the rest.
        app.screen.query_one("LayerStack").focus()
        await pilot.pause()
        hint = str(app.screen.query_one("#hint").render())
        assert "f5 reload" in hint and "r reload" not in hint  # the hint says the key
        before = user_layers.generation()
        await pilot.press("f5")
        await until(pilot, lambda: user_layers.generation() > before, timeout=60)
        await settle(pilot)
        assert_footer_fits(app, size)


def assert_footer_fits(app: object, size: tuple[int, int]) -> None:
    """No key of the footer runs under the palette's corner or off the screen."""
    keys = list(app.screen.query("FooterKey"))  # type: ignore[attr-defined]
    palette = [k for k in keys if "palette" in str(k.render())]
    right = palette[0].region.x if palette else size[0]
    for key in keys:
        if key not in palette and key.display:
            assert key.region.right <= right, (str(key.render()), key.region, right)


async def test_without_layer_files_f5_is_not_offered() -> None:
    user_layers.register([])
    app = make_test_app(get_preset("linear-gd"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not [k for k in app.screen.query("FooterKey")
                    if k.action == "reload_layer_files"]


async def _form_with_unused(pilot: Pilot, key: str) -> LayerFormScreen:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, LayerFormScreen))
    form = pilot.app.screen
    assert isinstance(form, LayerFormScreen)
    if key == "a":
        form.query_one("#kind", Select).value = "Unused"
    checks = form.query_one("#checks", Static)
    await until(pilot, lambda: "gradient" in plain(checks), timeout=120)
    await settle(pilot)
    return form


async def test_a_failed_check_is_not_ready_to_train_until_ctrl_y_trains_it_anyway() -> None:
    app = make_test_app(get_preset("linear-gd"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("LayerStack").focus()
        await pilot.pause()
        form = await _form_with_unused(pilot, "a")
        text = plain(form.query_one("#checks", Static))
        assert "⚠ weight 'unused'" in text and "ctrl+y trains it anyway" in text, text
        assert "on 8 rows of the training data" in text, text
        assert form.check_action("train_anyway", ()) is True
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        await settle(pilot)
        assert "ready to train" not in status(pilot)
        assert "weight 'unused'" in status(pilot) and "ctrl+y" in status(pilot)
        form = await _form_with_unused(pilot, "e")
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert "trained anyway" in plain(form.query_one("#checks", Static))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        await until(pilot, lambda: "ready to train" in status(pilot))


async def test_ctrl_y_is_not_offered_while_the_checks_pass() -> None:
    app = make_test_app(get_preset("linear-gd"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("LayerStack").focus()
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, LayerFormScreen))
        form = app.screen
        assert isinstance(form, LayerFormScreen)
        assert form.check_action("train_anyway", ()) is False  # a Dense: no checks at all


async def test_a_tui_run_logs_what_model_keras_cannot_do(tmp_path: Path) -> None:
    spec = get_preset("linear-gd")
    spec.train.epochs = 1
    spec.layers = [LayerSpec("Plain", {}), *spec.layers]
    user_layers.resolve_shapes(spec)
    root = tmp_path / "runs"
    app = make_test_app(spec, start=True, runs_dir=str(root))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: training(app).view.state in ("finished", "failed"),
                    timeout=180)
        assert training(app).view.state == "finished", training(app).view.result
    for thread in threading.enumerate():
        if thread.name == TRAIN_THREAD_NAME:
            thread.join(30)
    (run,) = root.iterdir()
    first = (run / "events.jsonl").read_text(encoding="utf-8").splitlines()[0]
    started = json.loads(first)
    said = " ".join(started["warnings"])
    assert said.startswith("layer 1 (Plain): Plain.__init__ takes no **kwargs"), said
    assert "model.keras saves but cannot load it back" in said
    assert "unexpected keyword argument" in said  # Keras' own reason, whole


async def test_a_spec_whose_layer_fails_a_check_is_never_ready_to_train() -> None:
    """A stack that never went through the layer form (a spec file): its checks run too."""
    spec = get_preset("linear-gd")
    spec.layers = [LayerSpec("Unused", {}), *spec.layers]
    app = make_test_app(spec)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: "weight 'unused'" in status(pilot), timeout=120)
        await settle(pilot)
        assert "ready to train" not in status(pilot)


async def test_the_form_shows_what_keras_or_your_code_warned() -> None:
    app = make_test_app(get_preset("linear-gd"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("LayerStack").focus()
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, LayerFormScreen))
        form = app.screen
        assert isinstance(form, LayerFormScreen)
        form.query_one("#kind", Select).value = "Chatty"
        checks = form.query_one("#checks", Static)
        await until(pilot, lambda: "gradient" in plain(checks), timeout=120)
        text = plain(checks)
        assert "⚠ UserWarning: Chatty was built without weights" in text, text
        assert form.check_action("train_anyway", ()) is False  # a warning refuses nothing


async def test_the_training_view_says_what_your_layers_warned() -> None:
    """RunStarted.warnings (a UserWarning from a user layer, a class model.keras cannot load
    back) are shown when the run starts, not only kept in events.jsonl (issue 22, item 10)."""
    import dataclasses
    from itertools import islice

    from .fakes import linear_events
    from .helpers import feed

    first, *rest = list(islice(linear_events(epochs=2, steps=2), 4))
    warned = dataclasses.replace(first, warnings=("layer 1 (MyDense): careful\x1b[31m",))
    app = make_test_app(get_preset("linear-gd"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, [warned, *rest])
        said: list[tuple[str, str]] = [(n.title, n.message) for n in app._notifications]
        assert any(t == "Your layers warned (1)" and "careful" in m and "\x1b" not in m
                   for t, m in said), said
        assert screen.view.state in ("running", "finished")
