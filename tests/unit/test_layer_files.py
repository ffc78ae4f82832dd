"""Your own layer classes (issue 15): loading good and bad files, the form made from a class,
the checks an author needs, the spec's record of the file, training, the run's copy and the
exported script."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.core import spec as specmod
from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset
from ktui.core.user_layers.checks import before_training, run_checks

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my_layers.py"

HEADER = "import keras\nfrom keras import ops\n\n"


@pytest.fixture(autouse=True)
def no_user_layers() -> Iterator[None]:
    """Every test starts and ends with no user file registered (the catalog is global)."""
    user_layers.register([])
    yield
    user_layers.register([])


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def problems(path: Path) -> str:
    with pytest.raises(user_layers.LayerFileError) as caught:
        user_layers.use_files([path])
    return "\n".join(caught.value.problems)


# ---- loading --------------------------------------------------------------------------------

def test_the_example_file_gives_two_kinds_with_forms_from_their_init() -> None:
    (loaded,) = user_layers.use_files([EXAMPLE])
    assert [k.name for k in loaded.kinds] == ["MyDense", "Centered"]
    dense = LAYER_KINDS["MyDense"]
    fields = {f.name: f for f in dense.params}
    assert fields["units"].type == "int" and fields["units"].default == 32
    assert fields["activation"].type == "choice"
    assert set(fields["activation"].choices) == {"linear", "relu", "tanh", "sigmoid"}
    assert "fully connected" in dense.help
    assert LAYER_KINDS["Centered"].params[0].type == "float"
    assert user_layers.user_kind("MyDense") is dense and user_layers.user_kind("Dense") is None
    user_layers.register([])
    assert "MyDense" not in LAYER_KINDS  # withdrawn with its file


def test_bad_files_name_the_file_the_class_and_the_line(tmp_path: Path) -> None:
    syntax = tmp_path / "broken.py"
    syntax.write_text("import keras\n\nclass A(keras.layers.Layer)\n    pass\n")
    text = problems(syntax)
    assert "broken.py, line 3" in text and "syntax error" in text

    missing = write(tmp_path, "missing.py", "import not_a_module_here\n")
    text = problems(missing)
    assert "missing.py, line 4" in text and "not_a_module_here" in text

    plain = write(tmp_path, "plain.py", "class Helper:\n    pass\n")
    text = problems(plain)
    assert "plain.py" in text and "no keras.layers.Layer subclass" in text
    assert "Helper (line 4) is not one" in text

    # Issue 22: no default, no **kwargs, a name of ktui's own: all offered as written.
    no_default = write(tmp_path, "nodefault.py", """\
        class Scale(keras.layers.Layer):
            def __init__(self, factor, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor
        """)
    (loaded,) = user_layers.use_files([no_default])
    assert loaded.kinds[0].params[0].required
    clash = write(tmp_path, "clash.py", """\
        class Dense(keras.layers.Layer):
            def __init__(self, factor: float = 2.0):
                super().__init__()
        """)
    (loaded,) = user_layers.use_files([clash])
    assert [k.name for k in loaded.kinds] == ["clash.Dense"]
    assert not loaded.kinds[0].takes_name
    user_layers.register([])
    assert not user_layers.registered()  # nothing of a bad file is offered


def test_a_build_that_raises_is_the_users_error_with_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "raises.py", """\
        class Picky(keras.layers.Layer):
            def __init__(self, units: int = 4, **kwargs):
                super().__init__(**kwargs)
                self.units = units

            def build(self, input_shape):
                if input_shape[-1] != 7:
                    raise ValueError("Picky wants 7 features")
                self.w = self.add_weight(shape=(7, self.units))

            def call(self, x):
                return ops.matmul(x, self.w)

            def get_config(self):
                return {**super().get_config(), "units": self.units}
        """)
    user_layers.use_files([path])
    kind = LAYER_KINDS["Picky"]
    report = run_checks(kind, (3,), {})
    failure = report.failure
    assert failure is not None and failure.name == "build"
    assert "Picky wants 7 features" in failure.text and "line 11" in failure.text
    assert "raises.py" in failure.traceback
    spec = get_preset("linear-gd")
    spec.layers = [LayerSpec("Picky", {"units": 1})]
    problem = before_training(spec, specmod.validate)
    assert problem is not None and problem.message.startswith("layer 1 (Picky)")


def test_the_checks_find_an_unused_weight_and_a_config_that_forgets(tmp_path: Path) -> None:
    path = write(tmp_path, "checks.py", """\
        class Lazy(keras.layers.Layer):
            def __init__(self, units: int = 3, **kwargs):
                super().__init__(**kwargs)
                self.units = units

            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1], self.units))
                self.unused = self.add_weight(shape=(self.units,))

            def call(self, x):
                return ops.matmul(x, self.w)

            def get_config(self):
                return {**super().get_config(), "units": self.units}


        class Forgetful(keras.layers.Layer):
            def __init__(self, units: int = 3, **kwargs):
                super().__init__(**kwargs)
                self.units = units

            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1], self.units))

            def call(self, x):
                return ops.matmul(x, self.w)

            def get_config(self):  # forgets units
                return super().get_config()
        """)
    user_layers.use_files([path])
    lazy = run_checks(LAYER_KINDS["Lazy"], (4,), {"units": 3})
    assert len(lazy.checks) == 3  # round trip, model.keras, gradients
    failing = [c for c in lazy.checks if not c.ok]
    assert [c.name for c in failing] == ["gradients"]
    assert "self.unused" in failing[0].text and "checks.py, line 11" in failing[0].text
    assert lazy.trainable == (2, 15)
    forgetful = run_checks(LAYER_KINDS["Forgetful"], (4,), {"units": 5})
    failed = [c for c in forgetful.checks if not c.ok]
    assert failed and "units" in failed[0].text  # get_config does not give units back


def test_the_example_passes_every_check_with_its_weight_counts() -> None:
    user_layers.use_files([EXAMPLE])
    dense = run_checks(LAYER_KINDS["MyDense"], (5,), {"units": 3})
    assert dense.failure is None, dense.failure
    assert dense.trainable == (2, 18) and dense.non_trainable == (0, 0)
    assert dense.output_shape == (None, 3) and dense.dtype == "float32"
    centered = run_checks(LAYER_KINDS["Centered"], (4,), {})
    assert centered.failure is None, centered.failure
    assert centered.trainable == (1, 4) and centered.non_trainable == (1, 4)
    one = run_checks(LAYER_KINDS["Centered"], (1,), {})
    assert one.weights_text() == "1 trainable weight (1 value) · 1 non-trainable (1 value)"
    assert one.output_text() == "output float32 (None, 1)"


# ---- the spec's record ------------------------------------------------------------------------

def example_spec() -> specmod.ExperimentSpec:
    spec = get_preset("linear-gd")
    spec.name = "mine"
    spec.train.epochs = 2
    spec.layers = [LayerSpec("Centered", {}), LayerSpec("MyDense", {"units": 1})]
    return spec


def test_a_spec_records_the_file_and_never_imports_it_by_itself(tmp_path: Path) -> None:
    layers = tmp_path / "my_layers.py"
    shutil.copy(EXAMPLE, layers)
    user_layers.use_files([layers])
    spec_file = tmp_path / "spec.toml"
    specmod.save(example_spec(), spec_file)
    text = spec_file.read_text()
    assert "[[layer_files]]" in text and str(layers) in text
    assert specmod.load(spec_file).layers[1].kind == "MyDense"

    user_layers.register([])  # a new process: no --layers
    imported = {name for name in sys.modules if name.startswith("ktui_user_")}
    with pytest.raises(specmod.SpecError) as caught:
        specmod.load(spec_file)
    message = "\n".join(caught.value.errors)
    assert f"pass --layers {layers}" in message and "Centered, MyDense" in message
    # Reading the spec imported nothing: no new module of the user's.
    assert {name for name in sys.modules if name.startswith("ktui_user_")} == imported
    lenient = specmod.load(spec_file, lenient_layers=True)  # listing past runs
    assert [layer.kind for layer in lenient.layers] == ["Centered", "MyDense"]

    layers.write_text(layers.read_text() + "\n# edited\n")
    user_layers.use_files([layers])  # the file changed since the spec was saved
    with pytest.raises(specmod.SpecError) as caught:
        specmod.load(spec_file)
    assert "has changed since this spec was saved" in "\n".join(caught.value.errors)


# ---- training, the run's copy, the exported script --------------------------------------------

@pytest.mark.slow
def test_training_through_the_cli_keeps_a_copy_and_the_export_reproduces_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ktui.cli import main

    layers = tmp_path / "my_layers.py"
    shutil.copy(EXAMPLE, layers)
    user_layers.use_files([layers])
    spec_file = tmp_path / "spec.toml"
    specmod.save(example_spec(), spec_file)
    user_layers.register([])
    runs = tmp_path / "runs"
    code = main(["train", "--spec", str(spec_file), "--layers", str(layers),
                 "--runs-dir", str(runs)])
    out = capsys.readouterr()
    assert code == 0, out.err
    (run,) = runs.iterdir()
    assert (run / "layers" / "my_layers.py").read_text() == layers.read_text()
    assert "centered_1 (Centered)" in out.out and "Non-trainable: 1" in out.out
    with (run / "metrics.csv").open() as f:
        logged = [float(row["loss"]) for row in csv.DictReader(f)]
    assert len(logged) == 2

    script = tmp_path / "exported.py"
    code = main(["export", str(run), "--python", str(script), "--layers", str(layers),
                 "--runs-dir", str(runs)])
    assert code == 0, capsys.readouterr().err
    source = script.read_text()
    assert "class MyDense(keras.layers.Layer)" in source  # the user's class, inlined
    layers.unlink()  # the script runs anywhere: the file is not needed any more
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = [float(line.split("loss ", 1)[1].split()[0])
               for line in done.stdout.splitlines() if line.startswith("epoch ")]
    assert printed == pytest.approx(logged, rel=1e-5)


def test_an_error_in_call_is_refused_before_training_with_the_users_lines(
        tmp_path: Path) -> None:
    from ktui.core.events import RunFailed
    from ktui.core.training.loop import train

    path = write(tmp_path, "later.py", """\
        class Breaks(keras.layers.Layer):
            def __init__(self, units: int = 1, **kwargs):
                super().__init__(**kwargs)
                self.units = units

            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1], self.units))

            def call(self, x, training=None):
                if training:
                    raise RuntimeError("only in training")
                return ops.matmul(x, self.w)

            def get_config(self):
                return {**super().get_config(), "units": self.units}
        """)
    user_layers.use_files([path])
    spec = get_preset("linear-gd")
    spec.train.epochs = 1
    spec.layers = [LayerSpec("Breaks", {"units": 1})]
    final = train(spec, lambda e: None)
    assert isinstance(final, RunFailed)
    assert "only in training" in final.message
    assert "later.py" in final.details.get("user_traceback", "")


def test_ktui_layers_names_files_as_a_path_list(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = tmp_path / "a.py", tmp_path / "b.py"
    shutil.copy(EXAMPLE, one)
    two.write_text(HEADER + "class Other(keras.layers.Layer):\n"
                   "    def __init__(self, **kwargs):\n"
                   "        super().__init__(**kwargs)\n"
                   "    def call(self, x):\n"
                   "        return x\n")
    monkeypatch.setenv("KTUI_LAYERS", f"{one}:{two}")
    assert user_layers.env_paths() == [str(one), str(two)]
    files = user_layers.use_files(user_layers.env_paths())
    assert [f.name for f in files] == ["a.py", "b.py"] and "Other" in LAYER_KINDS


def test_an_edited_file_is_imported_again_only_when_it_changed(tmp_path: Path) -> None:
    layers = tmp_path / "my_layers.py"
    shutil.copy(EXAMPLE, layers)
    user_layers.use_files([layers])
    first = LAYER_KINDS["MyDense"].cls
    assert not user_layers.reload_changed()  # unchanged: nothing imported
    assert LAYER_KINDS["MyDense"].cls is first
    layers.write_text(layers.read_text().replace('"""A fully connected layer',
                                                 '"""An edited fully connected layer'))
    assert user_layers.reload_changed()
    assert LAYER_KINDS["MyDense"].cls is not first
    assert LAYER_KINDS["MyDense"].help.startswith("An edited")
    layers.write_text("class Broken(:\n")
    with pytest.raises(user_layers.LayerFileError) as caught:
        user_layers.reload_changed()
    assert "my_layers.py, line 1" in caught.value.problems[0]
    assert LAYER_KINDS["MyDense"].help.startswith("An edited")  # the last good classes stay
