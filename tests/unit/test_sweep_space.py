"""The sweep's search space: the ``DOTTED=SPACE`` grammar, its checks against a spec (every
problem at once), the ``[sweep]`` table, and the command line refusing a bad space before
anything starts. Pure Python: no Optuna study, no TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ktui.core.spec.presets import get_preset
from ktui.core.sweep.space import (
    Param,
    SweepError,
    apply_values,
    build_space,
    parse_param,
)
from ktui.core.sweep.table import merge_params, read_table


@pytest.mark.parametrize("text, want", [
    ("train.learning_rate=log:1e-3..0.5",
     Param("train.learning_rate", "log", low=1e-3, high=0.5)),
    ("train.momentum=float:0..0.9", Param("train.momentum", "float", low=0.0, high=0.9)),
    ("layers.2.units=int:8..64:8", Param("layers.2.units", "int", low=8, high=64, step=8)),
    ("train.epochs=int:1..3", Param("train.epochs", "int", low=1, high=3)),
    ("train.optimizer=choice:sgd,adam", Param("train.optimizer", "choice",
                                              choices=("sgd", "adam"))),
    ("train.nesterov=choice:true,false", Param("train.nesterov", "choice",
                                               choices=(True, False))),
    ("layers.1.units=choice:16, 32 ,64", Param("layers.1.units", "choice",
                                               choices=(16, 32, 64))),
])
def test_grammar(text: str, want: Param) -> None:
    param, problems = parse_param(text)
    assert problems == []
    assert param is not None
    assert (param.path, param.kind, param.low, param.high, param.step, param.choices) == (
        want.path, want.kind, want.low, want.high, want.step, want.choices)


@pytest.mark.parametrize("text, words", [
    ("train.learning_rate", "expected DOTTED=SPACE"),
    ("=log:1..2", "expected DOTTED=SPACE"),
    ("train.learning_rate=uniform:1..2", "must start with one of log:, float:, int:, choice:"),
    ("train.learning_rate=0.1", "must start with one of"),
    ("train.learning_rate=log:1e-3", "log needs a range, log:A..B"),
    ("train.learning_rate=log:0..1", "log needs 0 < A"),
    ("train.learning_rate=log:-1..1", "log needs 0 < A"),
    ("train.learning_rate=float:2..1", "the range must go up"),
    ("train.learning_rate=float:a..1", "'a' is not a finite number"),
    ("train.learning_rate=float:nan..1", "is not a finite number"),
    ("train.epochs=int:1.5..3", "is not a whole number"),
    ("train.epochs=int:1..10:0", "the step must be a whole number >= 1"),
    ("train.epochs=int:1..10:4", "the step 4 does not divide 1..10"),
    ("train.optimizer=choice:", "choice needs at least one value"),
    ("train.optimizer=choice:sgd,sgd", "listed twice"),
])
def test_grammar_errors(text: str, words: str) -> None:
    param, problems = parse_param(text)
    assert param is None
    assert len(problems) >= 1 and words in problems[0], problems
    assert problems[0].startswith("--param ")


def test_every_problem_at_once_against_the_spec() -> None:
    spec = get_preset("linear-gd")
    with pytest.raises(SweepError) as err:
        build_space(["train.lerning_rate=log:1e-3..1", "layers.3.units=int:1..4",
                     "layers.1.units=int:1..4", "train.learning_rate=log:0..1",
                     "train.optimizer=choice:sgd,adamm", "train.momentum=float:-1..0.5",
                     "train.epochs=float:1..5", "name=choice:a,b", "train.metrics=choice:mae",
                     "nonsense", "train.learning_rate=float:0.1..0.2",
                     "train.learning_rate=float:0.2..0.3"], spec)
    errors = err.value.errors
    text = "\n".join(errors)
    assert "train.lerning_rate: train has no 'lerning_rate'; did you mean train.learning_rate?" \
        in text
    assert "layers.3.units: layers holds 1 entries, numbered from 1" in text
    assert "layers.1.units=4: layer 1 (Dense): the model outputs (None, 4)" in text
    assert "log needs 0 < A" in text
    assert "train.optimizer=adamm: train.optimizer: must be one of" in text
    assert "train.momentum=-1: train.momentum: must be in [0, 1)" in text
    assert "train.epochs: is a whole number; use int:A..B" in text
    assert "name: a sweep cannot vary name" in text
    assert "train.metrics: is a list" in text
    assert "'nonsense': expected DOTTED=SPACE" in text
    assert "train.learning_rate: given twice" in text
    assert len(errors) == 11, errors


def test_a_good_space_and_its_values_applied() -> None:
    spec = get_preset("linear-gd")
    params = build_space(["train.learning_rate=log:1e-3..0.5",
                          "train.optimizer=choice:sgd,adam", "layers.1.units=choice:1"], spec)
    assert [p.path for p in params] == ["train.learning_rate", "train.optimizer",
                                        "layers.1.units"]
    from ktui.core import spec as specmod

    data = apply_values(specmod.spec_to_dict(spec), {"train.learning_rate": 1,
                                                     "train.optimizer": "adam"})
    assert data["train"]["learning_rate"] == 1.0 and isinstance(data["train"]["learning_rate"],
                                                                 float)
    assert data["train"]["optimizer"] == "adam"
    assert specmod.spec_to_dict(spec)["train"]["optimizer"] == "sgd"  # a copy


def test_no_param_is_a_problem() -> None:
    with pytest.raises(SweepError, match="a sweep needs at least one"):
        build_space([], get_preset("linear-gd"))


def test_grid_values() -> None:
    assert parse_param("a.b=int:2..8:2")[0].grid() == [2, 4, 6, 8]
    assert parse_param("a.b=choice:x,y")[0].grid() == ["x", "y"]
    assert parse_param("a.b=log:1..2")[0].grid() is None


def test_sweep_table() -> None:
    table, errors = read_table({"trials": 8, "workers": 2, "pruner": "median",
                                "params": {"train.learning_rate": "log:1e-3..0.5"}})
    assert errors == []
    assert table == {"trials": 8, "workers": 2, "pruner": "median",
                     "params": ["train.learning_rate=log:1e-3..0.5"]}
    _, errors = read_table({"trials": 0, "pruner": "asha", "colour": 1,
                            "params": {"a": 3}})
    assert len(errors) == 4, errors
    assert read_table({"isolate": True}) == ({"isolate": True}, [])  # each trial a process
    assert read_table({"isolate": 1})[1] == ["sweep.isolate: must be true or false, got 1"]
    assert read_table({"workers": True})[1] == [
        "sweep.workers: must be a whole number >= 1, got True"]
    assert merge_params(["a=log:1..2", "b=int:1..2"], ["a=float:1..2"]) == [
        "b=int:1..2", "a=float:1..2"]


@pytest.mark.slow
def test_cli_refuses_a_bad_space_before_anything_starts(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ktui", "sweep", "--preset", "linear-gd",
         "--param", "train.lerning_rate=log:1e-3..0.5", "--param", "train.momentum=float:-1..2",
         "--runs-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "the sweep cannot start:" in proc.stderr
    assert "did you mean train.learning_rate?" in proc.stderr
    assert "train.momentum=-1" in proc.stderr and "train.momentum=2" in proc.stderr
    assert not (tmp_path / ".sweeps").exists()


@pytest.mark.slow
def test_cli_sweep_table_in_a_spec_file(tmp_path) -> None:
    """A spec file's [sweep] table is read (its problems with the spec's, at once)."""
    from ktui.core import spec as specmod

    text = specmod.dumps(get_preset("linear-gd"))
    path = tmp_path / "s.toml"
    path.write_text(text + '\n[sweep]\ntrials = "many"\n[sweep.params]\n'
                    '"train.learning_rate" = "log:0..1"\n')
    proc = subprocess.run([sys.executable, "-m", "ktui", "sweep", "--spec", str(path),
                           "--runs-dir", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "sweep.trials: must be a whole number >= 1, got 'many'" in proc.stderr


def test_study_names() -> None:
    from ktui.core.sweep.study import default_study_name, name_problem

    assert name_problem("lin-gd_2.a") is None
    assert name_problem("a/b") and name_problem("") and name_problem("-x")
    assert name_problem(default_study_name("my model: v2 / test")) is None
    assert default_study_name("my model").startswith("my-model-")
