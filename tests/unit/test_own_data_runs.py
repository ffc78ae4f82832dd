"""A user's own data through everything else: ``ktui train --data``, training each kind to a
stated accuracy on a learnable generated problem, the run's record of the data (and a resume
refused when the file changed), and the exported script loading the same file the same way.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from own_files import blobs_csv, linear_csv, shapes_folder, stripes_npz

from ktui.cli import EXIT_OK, EXIT_USAGE, main
from ktui.core.datasets import CsvData
from ktui.core.events import RunFinished
from ktui.core.export import export_script
from ktui.core.runs import RunDir
from ktui.core.session import start_run
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.for_data import experiment_for
from ktui.core.training.loop import train


def _fruit(tmp_path: Path) -> ExperimentSpec:
    spec = experiment_for(str(blobs_csv(tmp_path / "fruit.csv", n=300)))
    assert isinstance(spec.dataset, CsvData)
    spec.dataset.features = ["width", "height"]
    spec.layers[-1].params["units"] = 3
    spec.train.learning_rate, spec.train.epochs, spec.train.batch_size = 0.01, 12, 32
    return spec


def _trained(spec: ExperimentSpec) -> RunFinished:
    result = train(spec, lambda event: None)
    assert isinstance(result, RunFinished), getattr(result, "message", result)
    return result


# ---- training each kind to a stated accuracy ---------------------------------------------------

@pytest.mark.slow
def test_a_csv_of_three_blobs_trains_to_95_percent(tmp_path: Path) -> None:
    assert _trained(_fruit(tmp_path)).test["accuracy"] >= 0.95


@pytest.mark.slow
def test_a_csv_regression_gets_within_0_3_mae(tmp_path: Path) -> None:
    spec = experiment_for(str(linear_csv(tmp_path / "lin.csv", n=300)))
    spec.train.learning_rate, spec.train.epochs = 0.01, 15
    assert _trained(spec).test["mae"] <= 0.3


@pytest.mark.slow
def test_an_npz_of_striped_images_trains_to_95_percent(tmp_path: Path) -> None:
    spec = experiment_for(str(stripes_npz(tmp_path / "stripes.npz")))
    spec.train.epochs = 4
    result = _trained(spec)
    assert result.test["accuracy"] >= 0.95


@pytest.mark.slow
def test_a_folder_of_dark_and_light_images_trains_to_100_percent(tmp_path: Path) -> None:
    spec = experiment_for(str(shapes_folder(tmp_path / "pics", per_class=20)))
    spec.dataset.size, spec.dataset.test_split = [8, 8], 0.2  # type: ignore[attr-defined]
    spec.train.epochs, spec.train.learning_rate = 6, 0.01
    assert _trained(spec).test["accuracy"] == 1.0


# ---- the command line -------------------------------------------------------------------------

@pytest.mark.slow
def test_train_with_data_records_the_file_and_resume_refuses_a_changed_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = blobs_csv(tmp_path / "fruit.csv", n=60)
    runs = tmp_path / "runs"
    code = main(["train", "--data", str(data), "--epochs", "1", "--runs-dir", str(runs)])
    assert code == EXIT_USAGE  # the text column: named, exit 2
    assert "fruit.csv, line 2, column 'note'" in capsys.readouterr().err
    spec_file = tmp_path / "fruit.toml"
    spec = experiment_for(str(data))
    spec.dataset.features = ["width", "height"]  # type: ignore[attr-defined]
    spec.layers[-1].params["units"] = 3
    from ktui.core.spec import save

    save(spec, spec_file)
    assert main(["train", "--spec", str(spec_file), "--epochs", "1", "--runs-dir",
                 str(runs)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "fruit.csv: 60 rows, 2 features → fruit (classification, 3 classes)" in err
    (run,) = runs.iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["data"]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert summary["data"]["size"] == data.stat().st_size
    assert summary["data"]["path"] == str(data.resolve())
    assert main(["train", "--resume", run.name, "--epochs", "2", "--runs-dir",
                 str(runs)]) == EXIT_OK
    capsys.readouterr()
    data.write_bytes(data.read_bytes().replace(b"kiwi", b"kiwa", 1))
    assert main(["train", "--resume", run.name, "--epochs", "3", "--runs-dir",
                 str(runs)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"the data {data.resolve()} has changed since the run started" in err
    assert "--restart" in err


@pytest.mark.slow
def test_train_data_alone_builds_a_model_and_target_picks_the_column(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = linear_csv(tmp_path / "lin.csv", n=50)
    runs = tmp_path / "runs"
    assert main(["train", "--data", str(data), "--target", "a", "--epochs", "1",
                 "--runs-dir", str(runs), "--jsonl"]) == EXIT_OK
    out = capsys.readouterr()
    started = json.loads(out.out.splitlines()[0])
    assert started["event"] == "run_started" and started["task"] == "regression"
    assert "lin.csv: 50 rows, 2 features → a (regression)" in out.err
    (run,) = runs.iterdir()
    assert 'target = "a"' in (run / "spec.toml").read_text()


@pytest.mark.parametrize(("argv", "words"), [
    (["--data", "photo.jpeg"], "photo.jpeg: no such file or folder"),
    (["--data", "{npz}", "--target", "y"], "--target names a CSV column"),
    (["--preset", "linear-gd", "--target", "y"], "use it with --data FILE.csv"),
    (["--data", ""], "--data: the path is empty"),
])
def test_data_arguments_that_make_no_sense_are_refused(
        argv: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    npz = stripes_npz(tmp_path / "s.npz")
    argv = [a.replace("{npz}", str(npz)) for a in argv]
    assert main(["train", *argv, "--epochs", "1"]) == EXIT_USAGE
    assert words in capsys.readouterr().err


# ---- the exported script ----------------------------------------------------------------------

def _script_data(spec: ExperimentSpec) -> tuple:
    """The exported script's ``load_data()``, run here (its data section and settings)."""
    script = export_script(spec)
    assert "import ktui" not in script and "from ktui" not in script
    settings = script.split("# ---- the custom layers")[0]
    data = script.split("# ---- data")[1].split("# ---- loss")[0].split("\n", 1)[1]
    scope: dict = {}
    constants = [line for line in settings.splitlines() if re.match(r"^[A-Z_]+ = ", line)]
    exec(compile("import os, re\nimport numpy as np\n" + "\n".join(constants), "settings",
                 "exec"), scope)
    exec(compile(data, "data", "exec"), scope)
    return scope["load_data"]()


@pytest.mark.parametrize("make", ["csv", "npz", "images"])
def test_the_exported_script_loads_the_same_arrays(make: str, tmp_path: Path) -> None:
    spec = {"csv": lambda: _fruit(tmp_path),
            "npz": lambda: experiment_for(str(stripes_npz(tmp_path / "s.npz"))),
            "images": lambda: experiment_for(str(shapes_folder(tmp_path / "pics")))}[make]()
    spec.train.validation_split = 0.25
    ours = spec.dataset.load(0.25)
    train_part, val, test = _script_data(spec)
    for (x, y), (ox, oy) in zip((train_part, val, test), ((ours.x_train, ours.y_train),
                                                          (ours.x_val, ours.y_val),
                                                          (ours.x_test, ours.y_test)),
                                strict=True):
        assert x.dtype == ox.dtype and np.array_equal(x, ox) and np.array_equal(y, oy)


@pytest.mark.slow
def test_an_exported_csv_script_reproduces_its_run(tmp_path: Path) -> None:
    spec = _fruit(tmp_path)
    spec.train.epochs = 2
    run = RunDir.create(tmp_path / "runs", spec)
    assert isinstance(start_run(spec, [], run=run).join(), RunFinished)
    path = tmp_path / "fruit.py"
    path.write_text(export_script(run.spec()), encoding="utf-8")
    ast.parse(path.read_text())
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path / "runs",
                          env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    losses = [float(m.group(1)) for m in re.finditer(r"^epoch +\d+/2  loss ([\d.]+)",
                                                     done.stdout, re.M)]
    logged = [row["loss"] for row in run.epochs_logged()]
    assert len(losses) == 2 and losses == pytest.approx(logged, rel=1e-3, abs=1e-4)
    # the file's class names reach the run's views (the confusion matrix)
    header = run.confusion_file.read_text().splitlines()[0]
    assert header.endswith(",apple,kiwi,pear")


def test_the_tui_opens_with_data(tmp_path: Path) -> None:
    """``ktui --data PATH``: the TUI's spec, made the way ``ktui train --data`` makes it."""
    from ktui.cli.common import load_spec
    from ktui.cli.parser import build_parser
    from ktui.core.spec import validate

    args = build_parser().parse_args(["--data", str(stripes_npz(tmp_path / "s.npz"))])
    spec = load_spec(args)
    assert spec.dataset.kind == "npz" and spec.name == "s" and validate(spec) == []


def test_a_hostile_path_reaches_the_script_only_as_a_literal(tmp_path: Path) -> None:
    folder = tmp_path / "q\"\"\"'''\\ #{x}\nimport os; os.system('boom')"
    folder.mkdir()
    spec = experiment_for(str(linear_csv(folder / "lin.csv", n=30)))
    script = export_script(spec)
    tree = ast.parse(script)
    constants = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body
                 if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
                 and isinstance(n.value, ast.Constant)}
    assert constants["DATA_PATH"] == str(folder / "lin.csv")
    assert "os.system('boom')" not in script.replace(repr(str(folder / "lin.csv")), "")
