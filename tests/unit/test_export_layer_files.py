"""An exported script carries your layer file (``--layers``) as text and checks it against
the sha256 the run recorded before running it (issue 22, the leftover): an edited copy says
so in one warning line and still runs; an untouched one says nothing."""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.core import user_layers
from ktui.core.export import export_script
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset

SCALE = (
    "import keras\r\n"
    "\r\n"
    "\r\n"
    "class Scale(keras.layers.Layer):\r\n"
    "    def __init__(self, factor, **kwargs):\r\n"
    "        super().__init__(**kwargs)\r\n"
    "        self.factor = factor\r\n"
    "\r\n"
    "    def call(self, x):\r\n"
    "        return x * self.factor  # ünïcode, and no newline at the end"
)


@pytest.fixture(autouse=True)
def no_user_layers() -> Iterator[None]:
    user_layers.register([])
    yield
    user_layers.register([])


def _script(tmp_path: Path) -> str:
    path = tmp_path / "scale_layers.py"
    path.write_bytes(SCALE.encode("utf-8"))
    user_layers.use_files([path])
    spec = get_preset("linear-gd")
    spec.train.epochs = 1
    spec.layers = [LayerSpec("Scale", {"factor": 2.0}), LayerSpec("Dense", {"units": 1})]
    return export_script(spec, file_name="scaled.py")


def _inlined(script: str) -> tuple[str, str]:
    """(the text the script runs as the layer file, the sha256 it checks it against)."""
    tree = ast.parse(script)
    table = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 and getattr(n.targets[0], "id", "") == "LAYER_FILES")
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, "id", "") == "load_layer_file")
    return "\n".join(ast.literal_eval(call.args[-1])), table[0][1]


def test_the_inlined_text_is_the_file_byte_for_byte(tmp_path: Path) -> None:
    text, recorded = _inlined(_script(tmp_path))
    assert text == SCALE  # CRLF, non-ASCII and a missing last newline survive
    assert recorded == hashlib.sha256(SCALE.encode("utf-8")).hexdigest()


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          cwd=path.parent, env=env, timeout=240)


@pytest.mark.slow
def test_an_edited_layer_file_in_the_script_is_said_in_one_warning_line(tmp_path: Path
                                                                        ) -> None:
    script = _script(tmp_path)
    (tmp_path / "scale_layers.py").unlink()  # the script needs no file beside it
    untouched = tmp_path / "scaled.py"
    untouched.write_text(script, encoding="utf-8")
    done = _run(untouched)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == "" and "done: 1 epochs" in done.stdout

    original = "'        return x * self.factor  # ünïcode, and no newline at the end'"
    assert original in script
    edited = tmp_path / "edited.py"
    edited.write_text(script.replace(original, original.replace("self.factor", "3.0")),
                      encoding="utf-8")
    done = _run(edited)
    assert done.returncode == 0, done.stderr[-2000:]  # a warning, not a crash
    recorded = hashlib.sha256(SCALE.encode("utf-8")).hexdigest()
    assert done.stderr.splitlines() == [
        f"warning: scale_layers.py in this script is not the file the run used (sha256 "
        f"{recorded[:12]}...): it was edited since the export"]
    assert "done: 1 epochs" in done.stdout


#: keras-io's subclassing guide's layer that adds a loss (tests/unit/test_added_losses.py).
ACTIVITY = '''import keras
from keras import ops


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs
'''


@pytest.mark.slow
def test_a_script_with_a_layer_that_adds_a_loss_reports_the_runs_loss(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The loop adds ``model.losses`` only for your layers (ktui's never add any): with one
    that does, the script's loss and val_loss are the run's, added loss included."""
    import csv

    from ktui.cli import main
    from ktui.core import spec as specmod

    layers = tmp_path / "activity.py"
    layers.write_text(ACTIVITY, encoding="utf-8")
    spec = get_preset("linear-gd")
    spec.train.epochs = 3
    spec.layers = [*spec.layers, LayerSpec("ActivityRegularizationLayer", {"rate": 10.0})]
    user_layers.use_files([layers])
    spec_file = tmp_path / "spec.toml"
    specmod.save(spec, spec_file)
    user_layers.register([])
    runs = tmp_path / "runs"
    assert main(["train", "--spec", str(spec_file), "--layers", str(layers),
                 "--runs-dir", str(runs)]) == 0, capsys.readouterr().err
    (run,) = runs.iterdir()
    script = tmp_path / "activity_run.py"
    assert main(["export", str(run), "--python", str(script), "--layers", str(layers),
                 "--runs-dir", str(runs)]) == 0, capsys.readouterr().err
    assert "model.losses" in script.read_text(encoding="utf-8")
    done = _run(script)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    printed = [dict(zip(*[iter(line.split()[2:-1])] * 2, strict=True))
               for line in done.stdout.splitlines() if line.startswith("epoch ")]
    with (run / "metrics.csv").open() as f:
        logged = list(csv.DictReader(f))
    assert len(printed) == len(logged) == 3
    for shown, row in zip(printed, logged, strict=True):
        assert float(row["reg_loss"]) != 0  # the layer's loss is in the run's
        for key in ("loss", "val_loss"):
            assert float(shown[key]) == pytest.approx(float(row[key]), rel=1e-3, abs=1e-4)
