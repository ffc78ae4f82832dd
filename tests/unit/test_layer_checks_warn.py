"""The author checks help and never have the last word (issue 22, item 5): a layer that is
random at inference is said to be so (not a get_config bug), and ``--no-checks`` trains a
layer whose check fails, saying it as a warning; a layer that cannot be built still refuses."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from ktui.cli import EXIT_OK, EXIT_USAGE, main
from ktui.core import spec as specmod
from ktui.core import user_layers
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset
from ktui.core.user_layers.checks import refuse_on_failed_checks, run_checks

FILE = textwrap.dedent('''
    import keras
    from keras import ops


    class Noisy(keras.layers.Layer):
        """Noise at inference too: a sampling layer, as the VAE's."""

        def __init__(self, scale=0.1, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale
            self.seed = keras.random.SeedGenerator(1)

        def call(self, inputs):
            return inputs + self.scale * keras.random.normal(ops.shape(inputs),
                                                             seed=self.seed)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}


    class Forgetful(keras.layers.Layer):
        """get_config forgets ``factor``: a round trip builds it with the default."""

        def __init__(self, factor=1.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):  # written by hand, and `factor` forgotten
            config = super().get_config()
            config.pop("factor", None)
            return config
''')


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    user_layers.register([])
    refuse_on_failed_checks(True)
    yield
    user_layers.register([])
    refuse_on_failed_checks(True)


@pytest.fixture
def layers(tmp_path: Path) -> Path:
    path = tmp_path / "mine.py"
    path.write_text(FILE, encoding="utf-8")
    return path


def _spec_file(tmp_path: Path, layers: Path, layer: LayerSpec) -> Path:
    user_layers.use_files([layers])
    spec = get_preset("linear-gd")
    spec.train.epochs = 1
    spec.layers = [layer, *spec.layers]
    path = tmp_path / "spec.toml"
    specmod.save(spec, path)
    user_layers.register([])
    return path


def test_a_layer_random_at_inference_is_said_to_be_so(layers: Path) -> None:
    user_layers.use_files([layers])
    report = run_checks(user_layers.user_kind("Noisy"), (1,), {"scale": 0.1})
    assert report.failure is None  # nothing refused
    (warning,) = report.warnings
    assert "not deterministic with training=False" in warning.text
    assert "get_config" not in warning.text


@pytest.mark.slow
def test_no_checks_trains_a_layer_whose_check_fails(
        tmp_path: Path, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec_file(tmp_path, layers, LayerSpec("Forgetful", {"factor": 2.0}))
    argv = ["train", "--spec", str(spec), "--layers", str(layers),
            "--runs-dir", str(tmp_path / "runs")]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "get_config must return every __init__ argument" in err
    assert "--no-checks" in err  # the way to train anyway is said
    runs = tmp_path / "runs"  # refused before a run folder exists, as other spec problems
    assert not runs.exists() or not any(runs.iterdir())
    code = main([*argv, "--no-checks"])
    err = capsys.readouterr().err
    assert code == EXIT_OK, err
    assert "warning" in err and "get_config must return every __init__ argument" in err
