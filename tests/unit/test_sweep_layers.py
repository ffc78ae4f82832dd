"""Your layer files in a sweep: ``ktui sweep --layers FILE --spec S`` (S names
``my_layers.MyDense``) trains its trials with the file; the study keeps the file's path and
sha256, and ``join`` from another process needs the same file (the same bytes, at any path),
refused in one line otherwise, before any code of a wrong file runs; ``--isolate`` passes
``--layers`` on to each trial's ``ktui train``."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from ktui.core.sweep import study as studymod  # noqa: E402
from ktui.core.sweep.layers import NamedFile, layer_problem  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my_layers.py"
SHA = "a" * 64


def _config(path: str = "/box1/my_layers.py") -> studymod.SweepConfig:
    return studymod.SweepConfig(spec={}, params=[], layers=[{"path": path, "sha256": SHA}])


def test_the_layer_file_a_join_needs() -> None:
    config = _config()
    assert layer_problem(config, "s", [NamedFile(Path("/box2/x.py"), SHA)]) is None
    assert layer_problem(studymod.SweepConfig(spec={}, params=[]), "s", []) is None
    assert layer_problem(config, "s", []) == (
        "study s trains your layers from /box1/my_layers.py: pass --layers "
        "/box1/my_layers.py (the file as it was, sha256 aaaaaaaaaaaa…)")
    changed = layer_problem(config, "s", [NamedFile(Path("/box1/my_layers.py"), "b" * 64)])
    assert changed.startswith("--layers /box1/my_layers.py: it has changed since study s "
                              "started (sha256 aaaaaaaaaaaa… then, bbbbbbbbbbbb… now)")
    other = layer_problem(config, "s", [NamedFile(Path("/box1/other.py"), "b" * 64)])
    assert other == ("--layers /box1/other.py: not the layer file study s started with "
                     "(/box1/my_layers.py, sha256 aaaaaaaaaaaa…); pass that file")


def _ktui(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ktui", *map(str, args)], capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_a_sweep_of_a_spec_with_your_layers_joined_and_isolated(tmp_path: Path, capsys) -> None:
    from ktui.cli import main
    from ktui.core.sweep.steer import add_trials

    layers = tmp_path / "my_layers.py"
    shutil.copy(EXAMPLE, layers)
    sha = hashlib.sha256(layers.read_bytes()).hexdigest()
    spec = tmp_path / "mine.toml"
    spec.write_text('ktui_spec = 1\nname = "mine"\n[dataset]\nkind = "linear"\n'
                    '[[layers]]\nkind = "my_layers.MyDense"\nunits = 1\n'
                    '[train]\nloss = "mse"\noptimizer = "sgd"\nlearning_rate = 0.1\n'
                    'batch_size = 0\nvalidation_split = 0.2\n')
    lr = "train.learning_rate=log:1e-3..0.5"
    done = _ktui("sweep", "--layers", layers, "--spec", spec, "--param", lr, "--trials", "1",
                 "--epochs", "2", "--pruner", "none", "--study", "mine", "--runs-dir",
                 tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"--study mine --layers {layers}`" in done.stderr  # how to join, said whole
    url = studymod.default_storage(tmp_path, "mine")
    study = studymod.load(url, "mine")
    assert studymod.config_of(study).layers == [{"path": str(layers), "sha256": sha}]
    (first,) = study.get_trials()
    assert first.state.name == "COMPLETE"
    run = Path(first.user_attrs["run_dir"])
    assert (run / "layers" / "my_layers.py").read_bytes() == layers.read_bytes()
    assert not (run / "train.log").exists()  # trained in the worker

    # join refused in one line, without importing anything: no file, another file
    other = tmp_path / "other" / "my_layers.py"
    other.parent.mkdir()
    other.write_text(layers.read_text() + "\n# another\n")
    for extra, words in (([], f"pass --layers {layers} (the file as it was"),
                         (["--layers", str(other)], "not the layer file study mine started")):
        assert main(["sweep", "join", "--storage", url, "--study", "mine", "--runs-dir",
                     str(tmp_path), *extra]) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1, err

    # the same bytes elsewhere (another box) join, each trial its own ktui train
    elsewhere = tmp_path / "elsewhere" / "my_layers.py"
    elsewhere.parent.mkdir()
    shutil.copy(layers, elsewhere)
    add_trials(study, 1)
    done = _ktui("sweep", "join", "--storage", url, "--study", "mine", "--layers", elsewhere,
                 "--isolate", "--runs-dir", tmp_path)
    assert done.returncode == 0, done.stderr
    second = studymod.load(url, "mine").get_trials()[1]
    assert second.state.name == "COMPLETE"
    run = Path(second.user_attrs["run_dir"])
    assert json.loads((run / "summary.json").read_text())["status"] == "finished"
    # trained by a ktui train of its own, which said so in its log
    assert "mydense_1 (MyDense)" in (run / "train.log").read_text()
    assert (run / "layers" / "my_layers.py").read_bytes() == layers.read_bytes()

    layers.write_text(layers.read_text() + "\n# edited\n")
    assert main(["sweep", "join", "--storage", url, "--study", "mine", "--layers",
                 str(layers), "--runs-dir", str(tmp_path)]) == 2
    assert "it has changed since study mine started" in capsys.readouterr().err
