"""Placement settings (issue 10) on every face but the TUI: the spec's fields and their
checks, the CLI flags, TF_CONFIG roles, what :func:`place` refuses on this CPU-only machine,
``ktui devices``. The runs themselves are in test_distributed.py."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from ktui.cli import EXIT_OK, EXIT_USAGE, main
from ktui.cli.common import load_spec
from ktui.core import spec as specmod
from ktui.core.training.placement import (
    PlacementError,
    WorkerRole,
    device_list_problem,
    place,
    worker_role,
)

PLACEMENT_TOML = """
[dataset]
kind = "linear"
[[layers]]
kind = "Dense"
units = 1
[train]
strategy = "mirrored"
devices = "0, 1"
cpu_devices = 2
precision = "mixed_bfloat16"
steps_per_execution = 8
"""


def test_placement_fields_round_trip_through_toml() -> None:
    spec = specmod.loads(PLACEMENT_TOML)
    t = spec.train
    assert (t.strategy, t.devices, t.cpu_devices, t.precision, t.steps_per_execution) == (
        "mirrored", "0, 1", 2, "mixed_bfloat16", 8)
    assert specmod.validate(spec) == []
    again = specmod.loads(specmod.dumps(spec)).train
    assert (again.strategy, again.devices, again.steps_per_execution) == ("mirrored", "0, 1", 8)


@pytest.mark.parametrize(("key", "value", "words"), [
    ("strategy", '"ring"', "train.strategy"),
    ("devices", '"a,b"', "train.devices: must be GPU indices"),
    ("devices", '"0,0"', "train.devices: names a GPU twice"),
    ("cpu_devices", "0", "train.cpu_devices"),
    ("cpu_devices", "65", "train.cpu_devices"),
    ("precision", '"float8"', "train.precision"),
    ("steps_per_execution", "-1", "train.steps_per_execution"),
])
def test_bad_placement_values_name_their_field(key: str, value: str, words: str) -> None:
    text = PLACEMENT_TOML.replace(f"\n{key} = ", f"\n{key}_old = ").replace(
        "[train]\n", f"[train]\n{key} = {value}\n")
    text = "\n".join(line for line in text.splitlines() if not line.startswith(f"{key}_old"))
    try:
        errors = specmod.validate(specmod.loads(text))
    except specmod.SpecError as err:
        errors = err.errors
    assert any(e.startswith(words) for e in errors), errors


def test_device_list_problem() -> None:
    assert device_list_problem("") is None
    assert device_list_problem("0,1, 3") is None
    assert device_list_problem("0;1") is not None
    assert device_list_problem("-1") is not None
    assert device_list_problem("١") is not None  # a digit, but not an ASCII one


def test_cli_flags_reach_the_spec() -> None:
    from ktui.cli.parser import build_parser

    args = build_parser().parse_args(
        ["train", "--preset", "linear-gd", "--strategy", "mirrored", "--devices", "1",
         "--cpu-devices", "3", "--precision", "mixed_bfloat16", "--steps-per-execution", "5"])
    t = load_spec(args).train
    assert (t.strategy, t.devices, t.cpu_devices, t.precision, t.steps_per_execution) == (
        "mirrored", "1", 3, "mixed_bfloat16", 5)


@pytest.mark.parametrize("argv", [["--cpu-devices", "0"], ["--cpu-devices", "x"],
                                  ["--steps-per-execution", "-1"], ["--strategy", "ring"]])
def test_bad_flags_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--preset", "linear-gd", *argv])
    assert exit_.value.code == EXIT_USAGE
    assert argv[0] in capsys.readouterr().err


# ---- TF_CONFIG ------------------------------------------------------------------------------

def _config(task_type: str, index: int, chief: bool = False) -> dict[str, str]:
    cluster: dict = {"worker": ["h1:1", "h2:1"]}
    if chief:
        cluster["chief"] = ["h0:1"]
    return {"TF_CONFIG": json.dumps({"cluster": cluster,
                                     "task": {"type": task_type, "index": index}})}


def test_worker_roles_follow_tensorflow() -> None:
    assert worker_role(_config("worker", 0)) == WorkerRole("worker", 0, 2, has_chief=False)
    assert worker_role(_config("worker", 0)).is_chief
    assert not worker_role(_config("worker", 1)).is_chief
    assert not worker_role(_config("worker", 0, chief=True)).is_chief  # the chief task is
    assert worker_role(_config("chief", 0, chief=True)).is_chief
    assert worker_role(_config("chief", 0, chief=True)).workers == 3
    assert worker_role(_config("worker", 1)).describe() == "worker (worker 1 of 2 workers)"


@pytest.mark.parametrize(("environ", "words"), [
    ({}, "needs TF_CONFIG"),
    ({"TF_CONFIG": "{not json"}, "not valid JSON"),
    ({"TF_CONFIG": "[]"}, "needs a \"cluster\""),
    (_config("worker", 2), "not one of its cluster's members"),
    (_config("ps", 0), "not one of its cluster's members"),
])
def test_bad_tf_config_is_explained(environ: dict[str, str], words: str) -> None:
    with pytest.raises(PlacementError, match=words):
        worker_role(environ)


def test_multiworker_without_tf_config_is_refused_before_any_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    code = main(["train", "--preset", "linear-gd", "--strategy", "multiworker",
                 "--runs-dir", str(tmp_path / "runs")])
    assert code == EXIT_USAGE
    assert "needs TF_CONFIG" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


# ---- place() on this machine (no GPU; TensorFlow already running) ---------------------------

@pytest.fixture(scope="module")
def tf():
    from ktui.core.tfenv import import_tf

    return import_tf()


def test_one_device_on_a_cpu_machine(tf) -> None:
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    for strategy in ("auto", "one"):
        placement = place(strategy)
        assert (placement.kind, placement.strategy, placement.replicas) == ("one", None, 1)
        assert placement.describe() == "one device: CPU"


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"device": "gpu"}, "TensorFlow sees no GPU"),
    ({"devices": "1"}, "`ktui devices` lists them"),
    ({"precision": "mixed_float16"}, "mixed_float16 needs a GPU"),
])
def test_what_cannot_run_here_is_explained(tf, kwargs: dict, words: str) -> None:
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    with pytest.raises(PlacementError, match=words):
        place("one", **kwargs)


def test_a_cpu_split_asked_too_late_names_the_fix(tf) -> None:
    have = len(tf.config.list_logical_devices("CPU"))
    tf.constant(1.0) + 1  # the runtime runs
    with pytest.raises(PlacementError, match=f"start ktui again with --cpu-devices {have + 7}"):
        place("mirrored", cpu_devices=have + 7)


def test_devices_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "CPU:0"
    assert main(["devices", "--json"]) == EXIT_OK
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["name"] == "/device:CPU:0" and rows[0]["kind"] == "CPU"
    assert all(r["kind"] in ("CPU", "GPU") for r in rows)


def test_args_namespace_without_placement_flags_keeps_the_spec() -> None:
    args = argparse.Namespace(preset="linear-gd", spec=None)
    assert load_spec(args).train.strategy == "auto"
