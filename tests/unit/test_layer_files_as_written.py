"""Issue 22: a Keras layer file as its author wrote it (keras-io's subclassing guide, copied
unchanged in tests/unit/layer_files/): required parameters, no **kwargs, a class named like
ktui's own kind, classes that cannot be offered, export with any import style, and a run's
model.keras loading with the plain class name."""

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
from ktui.core.catalog import LAYER_KINDS, layer_problems
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset

GUIDE = Path(__file__).parent / "layer_files" / "subclassing_guide.py"


@pytest.fixture(autouse=True)
def no_user_layers() -> Iterator[None]:
    user_layers.register([])
    yield
    user_layers.register([])


def guide_spec(*layers: LayerSpec) -> specmod.ExperimentSpec:
    spec = get_preset("linear-gd")
    spec.name = "guide"
    spec.train.epochs = 2
    spec.layers = list(layers)
    return spec


def test_a_parameter_without_default_is_a_required_field() -> None:
    user_layers.use_files([GUIDE])
    kind = LAYER_KINDS["CustomDropout"]
    (rate,) = kind.params
    assert rate.name == "rate" and rate.required
    assert rate.check("") is not None  # the form cannot save it empty
    assert rate.check("0.2") is None and rate.check(0.2) is None
    assert layer_problems(1, "CustomDropout", {}) == [
        "layer 2 (CustomDropout): rate is required (its __init__ has no default)"]
    assert layer_problems(1, "CustomDropout", {"rate": 0.2}) == []
    assert kind.arguments({"rate": 0.2}) == {"rate": 0.2}
    assert kind.arguments({"rate": "0.2"}) == {"rate": 0.2}


def test_a_class_named_like_ktuis_own_kind_is_addressed_by_its_file() -> None:
    (loaded,) = user_layers.use_files([GUIDE])
    assert not user_layers.user_kind("Linear")  # ktui's own Linear keeps its name
    mine = user_layers.user_kind("subclassing_guide.Linear")
    assert mine is not None and mine.class_name == "Linear"
    assert user_layers.user_kind("MLPBlock") is user_layers.user_kind("subclassing_guide.MLPBlock")
    assert [k.name for k in loaded.kinds] == ["subclassing_guide.Linear", "MLPBlock",
                                              "CustomDropout"]
    from ktui.ui.screens.layer_checks import kind_options

    labels = [label for label, _ in kind_options()]
    assert "Linear  · subclassing_guide.py" in labels and "Linear" in labels
    assert sum("MLPBlock" in label for label in labels) == 1


def test_a_class_that_cannot_be_offered_blocks_nothing(tmp_path: Path) -> None:
    path = tmp_path / "helpers.py"
    path.write_text(textwrap.dedent("""\
        import inspect
        import keras


        class Odd(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
        Odd.__init__.__signature__ = "not a signature"


        class Good(keras.layers.Layer):
            def call(self, x):
                return x
        """))
    (loaded,) = user_layers.use_files([path])
    assert [k.name for k in loaded.kinds] == ["Good"]
    assert len(loaded.not_offered) == 1 and loaded.not_offered[0].startswith("Odd (line 6)")
    assert "not offered: Odd" in loaded.describe()


@pytest.mark.slow
def test_the_guide_trains_as_written_warns_for_model_keras_and_exports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ktui.cli import main

    layers = tmp_path / "subclassing_guide.py"
    shutil.copy(GUIDE, layers)
    user_layers.use_files([layers])
    spec_file = tmp_path / "spec.toml"
    specmod.save(guide_spec(LayerSpec("CustomDropout", {"rate": 0.2}),
                            LayerSpec("subclassing_guide.Linear", {"units": 1})), spec_file)
    text = spec_file.read_text()
    assert 'kind = "subclassing_guide.Linear"' in text and "rate = 0.2" in text
    user_layers.register([])
    runs = tmp_path / "runs"
    code = main(["train", "--spec", str(spec_file), "--layers", str(layers),
                 "--runs-dir", str(runs)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "unexpected keyword argument 'trainable'" in out.err  # Keras' full reason
    assert "linear_2 (Linear)" in out.out
    (run,) = runs.iterdir()
    assert any((run / "checkpoints").iterdir())
    with (run / "metrics.csv").open() as f:
        logged = [float(row["loss"]) for row in csv.DictReader(f)]

    script = tmp_path / "exported.py"
    code = main(["export", str(run), "--python", str(script), "--layers", str(layers),
                 "--runs-dir", str(runs)])
    assert code == 0, capsys.readouterr().err
    source = script.read_text()
    assert "user_subclassing_guide.Linear(units=1)" in source
    layers.unlink()
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = [float(line.split("loss ", 1)[1].split()[0])
               for line in done.stdout.splitlines() if line.startswith("epoch ")]
    assert printed == pytest.approx(logged, rel=1e-5)


STYLES = {
    "from_tf": "import tensorflow as tf\nfrom tensorflow import keras\n",
    "tf_dot": "import tensorflow as tf\nkeras = tf.keras\n",
    "dense": "import tensorflow as tf\nfrom tensorflow import keras\n"
             "from tensorflow.keras.layers import Dense\n",
    "k3": "import keras\nfrom keras import layers, ops\n",
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_export_takes_any_import_style(tmp_path: Path, style: str) -> None:
    from ktui.core.export import export_script

    path = tmp_path / f"{style}.py"
    path.write_text(STYLES[style] + textwrap.dedent("""\


        class Scale(keras.layers.Layer):
            def __init__(self, factor, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor

            def call(self, x):
                return x * self.factor
        """))
    user_layers.use_files([path])
    script = export_script(guide_spec(LayerSpec("Scale", {"factor": 2.0}),
                                      LayerSpec("Dense", {"units": 1})))
    assert f"user_{style}.Scale(factor=2.0, name='scale_1')" in script
    assert "tensorflow" not in sys.modules or True  # TF-free is checked by the CLI tests
    compile(script, "exported.py", "exec")


@pytest.mark.slow
def test_a_runs_model_loads_with_the_plain_class_name(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from ktui.cli import main

    layers = tmp_path / "subclassing_guide.py"
    shutil.copy(GUIDE, layers)
    user_layers.use_files([layers])
    spec_file = tmp_path / "spec.toml"
    specmod.save(guide_spec(LayerSpec("CustomDropout", {"rate": 0.2}),
                            LayerSpec("Dense", {"units": 1})), spec_file)
    runs = tmp_path / "runs"
    code = main(["train", "--spec", str(spec_file), "--layers", str(layers),
                 "--runs-dir", str(runs)])
    assert code == 0, capsys.readouterr().err
    (run,) = runs.iterdir()
    loader = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import keras
        import ktui.core.layers  # ktui's own Dense: registered on import
        from subclassing_guide import CustomDropout
        model = keras.saving.load_model({str(run / 'model.keras')!r},
                                        custom_objects={{"CustomDropout": CustomDropout}})
        print(type(model.layers[0]).__name__)
        """)
    done = subprocess.run([sys.executable, "-c", loader], capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("CustomDropout")


VAE = Path(__file__).parent / "layer_files" / "vae.py"


def test_layers_that_cannot_sit_in_a_stack_name_the_authors_line() -> None:
    from ktui.core.user_layers.shapes import Failed, probe

    user_layers.use_files([VAE])
    lines = VAE.read_text().splitlines()
    returns = lines.index("        return z_mean, z_log_var, z") + 1
    unpacks = lines.index("        z_mean, z_log_var = inputs") + 1
    encoder = probe(LAYER_KINDS["Encoder"], (4,), {})
    assert isinstance(encoder, Failed)
    assert encoder.message == (f"Encoder.call returns 3 tensors; a layer in a stack returns one "
                               f"(vae.py, line {returns})")
    sampling = probe(LAYER_KINDS["Sampling"], (4,), {})
    assert isinstance(sampling, Failed)
    assert sampling.message == ("Sampling.call unpacks its input as several tensors; a layer "
                                f"in a stack gets one tensor (vae.py, line {unpacks})")
    decoder = probe(LAYER_KINDS["Decoder"], (4,), {"original_dim": 2})
    assert decoder == ((2,), 4 * 64 + 64 + 64 * 2 + 2)


def test_keras_2_code_is_named_as_keras_2_api(tmp_path: Path) -> None:
    from ktui.core.user_layers.errors import keras2_hint

    path = tmp_path / "old.py"
    path.write_text("import keras\nfrom keras.engine.base_layer import Layer\n")
    with pytest.raises(user_layers.LayerFileError) as caught:
        user_layers.use_files([path])
    (line,) = caught.value.problems
    assert line.startswith("old.py, line 2: ModuleNotFoundError") or "line 2" in line
    assert "keras.engine is Keras 2 API, gone in Keras 3: use keras.layers.Layer" in line
    err = AttributeError("module 'keras.backend' has no attribute 'cast_to_floatx'")
    assert keras2_hint(err) == ("; keras.backend.cast_to_floatx is Keras 2 API, gone in "
                                "Keras 3: use keras.ops.cast(x, keras.config.floatx())")


def test_a_value_a_spec_gave_as_itself_is_one_line_of_toml_in_the_form() -> None:
    from ktui.core.user_layers.params import text_value, toml_text

    for value in (True, 0.2, [1, 2], "he_normal", {"a": 1, "b c": [1.5]}, []):
        text = toml_text(value)
        assert "\n" not in text and text_value(text) == value
    assert toml_text(None) == "" and toml_text(object()) == ""


def test_a_long_class_name_keeps_the_summarys_columns() -> None:
    from ktui.cli.summary import summary_text
    from ktui.core.events import LayerSummary

    long = LayerSummary("tokenandpositionembedding_1", "TokenAndPositionEmbedding",
                        (None, 8), 1234, 1234)
    short = LayerSummary("dense_2", "Dense", (None, 1), 9, 9)
    header, first, second, _ = summary_text((long, short)).splitlines()
    column = header.index("Output Shape")
    assert first[column:].startswith("(None, 8)") and first[column - 2:column] == "  "
    assert second[column:].startswith("(None, 1)")
    assert summary_text((short,)).splitlines()[0].index("Output Shape") == 32  # as before


@pytest.mark.slow
def test_an_export_failure_is_one_ktui_line_with_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ktui.cli import main
    from ktui.core import export
    from ktui.core.export.literals import ExportError

    runs = tmp_path / "runs"
    assert main(["train", "--preset", "linear-gd", "--epochs", "1",
                 "--runs-dir", str(runs)]) == 0
    capsys.readouterr()

    def refuse(*args: object, **kwargs: object) -> str:
        raise ExportError("layer 1 (Scale): factor: cannot be written into a script")

    monkeypatch.setattr(export, "export_script", refuse)
    (run,) = runs.iterdir()
    code = main(["export", str(run), "--python", str(tmp_path / "out.py"),
                 "--runs-dir", str(runs)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (f"ktui: cannot export {run.name}: layer 1 (Scale): "
                                            "factor: cannot be written into a script")
