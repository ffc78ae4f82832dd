"""Your own layers in the TUI (issue 15): the layer form built from the class, its checks
shown, and a real run of the example layers from the training view."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Select, Static

from ktui.core import user_layers
from ktui.core.session import TRAIN_THREAD_NAME
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset
from ktui.ui.screens.layer_form import LayerFormScreen

from .helpers import make_test_app, settle, training, until

pytestmark = pytest.mark.slow  # seconds per test: not in `make test-fast`

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my_layers.py"


@pytest.fixture(autouse=True)
def example_layers() -> Iterator[None]:
    user_layers.use_files([EXAMPLE])  # what `ktui --layers examples/my_layers.py` does
    yield
    user_layers.register([])


def plain(widget: Static) -> str:
    content = widget.content
    return content if isinstance(content, str) else content.plain


def checks_text(form: LayerFormScreen) -> str:
    return plain(form.query_one("#checks", Static))


async def open_mydense_form(pilot: Pilot) -> LayerFormScreen:
    await pilot.press("a")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, LayerFormScreen)
    form.query_one("#kind", Select).value = "MyDense"
    # The checks run the user's code in a worker: wait for their verdict, then settle.
    await until(pilot, lambda: "gradient" in checks_text(form), timeout=120)
    await settle(pilot)
    return form


async def test_the_form_is_made_from_the_class_and_shows_its_checks() -> None:
    app = make_test_app(get_preset("linear-gd"))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_mydense_form(pilot)
        assert {"#param-units", "#param-activation"} <= {f"#{w.id}" for w in form.query("*")
                                                         if w.id}
        text = checks_text(form)
        assert "from_config(get_config()) builds an equal layer" in text, text
        assert "model.keras" in text and "2 trainable weights (64 values)" in text, text
        assert "\n   output float32 (None, 32)" in text, text  # on a line of its own
        # The reload key is said beside the buttons, on their one line.
        keys = form.query_one("#form-keys", Static)
        assert plain(keys).endswith("f5 reload") and keys.size.width >= len(plain(keys))
        assert "fully connected" in plain(form.query_one("#kind-help", Static))
        # Issue 22: ctrl+r (and f5) reloads even from a field; r is typed into it.
        units = form.query_one("#param-units")
        field = units.query_one("Input")
        field.focus()
        await pilot.pause()
        before = user_layers.generation()
        await pilot.press("r")
        assert user_layers.generation() == before and "r" in field.value
        await pilot.press("ctrl+r")
        await until(pilot, lambda: user_layers.generation() > before, timeout=60)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_layer_form_from_your_class(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_mydense_form(pilot)

    assert snap_compare(make_test_app(get_preset("linear-gd")), terminal_size=size,
                        run_before=run_before)


async def test_a_real_run_of_your_layers_from_the_tui(tmp_path: Path) -> None:
    spec = get_preset("linear-gd")
    spec.train.epochs = 2
    spec.layers = [LayerSpec("Centered", {}), LayerSpec("MyDense", {"units": 1})]
    user_layers.resolve_shapes(spec)  # as `ktui --layers F --spec S --start` does first
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
    assert (run / "layers" / "my_layers.py").read_text() == EXAMPLE.read_text()
    assert "[[layer_files]]" in (run / "spec.toml").read_text()


async def test_a_required_parameter_must_be_given_before_the_layer_saves() -> None:
    """Issue 22: CustomDropout(rate) from keras-io's guide: rate is required in the form."""
    from textual.widgets import Button, Input

    guide = ROOT / "tests" / "unit" / "layer_files" / "subclassing_guide.py"
    user_layers.use_files([guide])
    app = make_test_app(get_preset("linear-gd"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, LayerFormScreen)
        options = [str(label) for label, _ in form.query_one("#kind", Select)._options]
        assert "Linear  · subclassing_guide.py" in options
        form.query_one("#kind", Select).value = "CustomDropout"
        await until(pilot, lambda: bool(form.query("#param-rate")), timeout=30)
        await settle(pilot)
        assert form.query_one("#save", Button).disabled
        assert any("rate" in e for e in form.errors)
        field = form.query_one("#param-rate").query_one(Input)
        field.focus()
        await pilot.press("0", ".", "2")
        await settle(pilot)
        assert not form.errors and not form.query_one("#save", Button).disabled
        assert form.result_layer().params == {"rate": "0.2"}
