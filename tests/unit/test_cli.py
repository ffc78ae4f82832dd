"""The ``ktui`` command line: output formats, exit codes and Ctrl+C.

Cheap commands (presets, --version, validation errors) run in-process; anything that trains
runs as a real subprocess, since exit codes, piped stdout and signals are what matter there.
Each training subprocess pays TensorFlow's import, so there are few of them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from ktui import __version__
from ktui.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, main
from ktui.core.spec.presets import PRESETS

TIMEOUT = 120

NAN_SPEC = """\
name = "overflow"

[dataset]
kind = "linear"

[[layers]]
kind = "Dense"
units = 1
kernel_initializer = "constant"
kernel_value = 1e6

[train]
optimizer = "sgd"
learning_rate = 10.0
epochs = 60
batch_size = 0
"""


def _env() -> dict[str, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("KTUI_ALLOW_DOWNLOAD", None)
    return env


def run_ktui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ktui", *args], capture_output=True, text=True,
                          env=_env(), timeout=TIMEOUT, stdin=subprocess.DEVNULL)


def json_lines(stdout: str) -> list[dict]:
    lines = stdout.splitlines()
    assert lines, "no output"
    events = [json.loads(line) for line in lines]  # fails on any non-JSON line
    assert all(isinstance(e, dict) and "event" in e for e in events)
    return events


# ---- cheap commands, in-process --------------------------------------------------------------

def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"ktui {__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["presets", "--help"]])
def test_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ktui")
    if argv == ["train", "--help"]:
        for option in ("--preset", "--spec", "--epochs", "--jsonl", "--data-dir"):
            assert option in out


def test_presets_lists_all_five(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == EXIT_OK
    out = capsys.readouterr().out
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert names == ["linear-gd", "linear-functional", "linear-subclassed", "fashion-mlp",
                     "fashion-cnn"]
    assert names == list(PRESETS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_show_prints_valid_toml(capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert main(["presets", "show", name]) == EXIT_OK
    data = tomllib.loads(capsys.readouterr().out)
    assert data["name"] == name
    assert data["layers"] and data["train"]["epochs"] > 0


def test_presets_show_unknown_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "show", "nope"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown preset 'nope'" in captured.err
    assert "linear-gd" in captured.err  # says which exist
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(("argv", "path"), [
    (["--epochs", "-1"], "train.epochs"),
    (["--epochs", "0"], "train.epochs"),
    (["--batch-size", "-5"], "train.batch_size"),
    (["--lr", "0"], "train.learning_rate"),
    (["--seed", "-3"], "train.seed"),
])
def test_invalid_override_is_usage_error(capsys: pytest.CaptureFixture[str], argv: list[str],
                                         path: str) -> None:
    assert main(["train", "--preset", "linear-gd", *argv]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert path in captured.err
    assert captured.out == ""


def test_unknown_preset_for_train(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--preset", "nope", "--epochs", "1"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown preset 'nope'" in err and "fashion-cnn" in err


def test_spec_with_unknown_keys_names_them(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text('[dataset]\nkind = "linear"\n\n[[layers]]\nkind = "Dense"\nunits = 1\n'
                    'unitz = 3\n\n[train]\nepochz = 3\n', encoding="utf-8")
    assert main(["train", "--spec", str(spec)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "train.epochz" in err
    assert "layer 1 (Dense): unknown parameter 'unitz'" in err
    assert "Traceback" not in err


def test_spec_file_missing_is_usage_error(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.toml"
    assert main(["train", "--spec", str(missing)]) == EXIT_USAGE
    assert str(missing) in capsys.readouterr().err


@pytest.mark.parametrize(("layers", "needle"), [
    ('[[layers]]\nkind = "Conv2D"\nfilters = 1\n', "layer 1 (Conv2D)"),
    ('[[layers]]\nkind = "Dense"\nunits = 1\n\n[[layers]]\nkind = "Reshape"\n'
     "target_shape = [2]\n", "layer 2 (Reshape)"),
    ('[[layers]]\nkind = "Dense"\nunits = 3\n', "layer 1 (Dense)"),
], ids=["conv-on-vectors", "reshape-count", "wrong-output"])
def test_impossible_stack_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         layers: str, needle: str) -> None:
    spec = tmp_path / "stack.toml"
    spec.write_text(f'[dataset]\nkind = "linear"\n\n{layers}', encoding="utf-8")
    assert main(["train", "--spec", str(spec), "--epochs", "1"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "not valid" in err and needle in err


# ---- cheap subprocesses: real exit codes and stderr (no TensorFlow import) -------------------

def test_invalid_override_exit_code_in_a_real_process() -> None:
    proc = run_ktui("train", "--preset", "linear-gd", "--epochs", "-1")
    assert proc.returncode == EXIT_USAGE
    assert "train.epochs" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_unknown_preset_exit_code_in_a_real_process() -> None:
    proc = run_ktui("presets", "show", "nope")
    assert proc.returncode == EXIT_USAGE
    assert "nope" in proc.stderr and "Traceback" not in proc.stderr


def test_argparse_errors_exit_2() -> None:
    proc = run_ktui("train", "--epochs", "many")
    assert proc.returncode == 2
    assert "--epochs" in proc.stderr and "Traceback" not in proc.stderr


# ---- training subprocesses -------------------------------------------------------------------

@pytest.mark.slow
def test_presets_show_output_trains_with_spec(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "show", "linear-gd"]) == EXIT_OK
    spec = tmp_path / "linear-gd.toml"
    spec.write_text(capsys.readouterr().out, encoding="utf-8")
    proc = run_ktui("train", "--spec", str(spec), "--epochs", "1", "--jsonl")
    assert proc.returncode == EXIT_OK, proc.stderr
    events = json_lines(proc.stdout)
    assert events[0]["event"] == "run_started" and events[0]["name"] == "linear-gd"
    assert events[0]["epochs"] == 1
    assert [e["epoch"] for e in events if e["event"] == "epoch_done"] == [1]
    assert events[-1]["event"] == "run_finished"


@pytest.mark.slow
def test_train_jsonl_schema() -> None:
    proc = run_ktui("train", "--preset", "linear-gd", "--epochs", "2", "--jsonl")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stdout.endswith("\n")
    events = json_lines(proc.stdout)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("run_started") == 1 and kinds.count("run_finished") == 1
    assert set(kinds) <= {"run_started", "sample_set", "step_done", "epoch_done",
                          "predictions", "evaluating", "run_finished"}
    assert kinds[1] == "sample_set" and kinds.count("predictions") == 2  # one per epoch
    # The final test-set pass is announced once, right before the run ends.
    assert kinds[-2] == "evaluating" and kinds.count("evaluating") == 1
    assert events[-2]["split"] == "test"

    started = events[0]
    assert started["name"] == "linear-gd" and started["epochs"] == 2
    assert started["task"] == "regression" and started["metric_names"] == ["mae"]

    epochs = [e for e in events if e["event"] == "epoch_done"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    for e in epochs:
        assert e["epochs"] == 2
        for key in ("loss", "val_loss", "seconds"):
            assert isinstance(e[key], float) and e[key] >= 0, key
        assert set(e["metrics"]) == {"mae"} and set(e["val_metrics"]) == {"mae"}
        assert isinstance(e["metrics"]["mae"], float)
        assert isinstance(e["val_metrics"]["mae"], float)
        assert isinstance(e["weights"], list) and len(e["weights"]) == 1
        layer = e["weights"][0]
        assert isinstance(layer["layer"], str) and layer["layer"]
        for part in ("kernel", "bias"):
            stats = layer[part]
            assert len(stats["values"]) == stats["size"] == 1
            for key in ("mean", "std", "norm", "min", "max"):
                assert isinstance(stats[key], float), (part, key)
    # Gradient descent from W=5, b=0 towards W=3, b=2: the loss falls and b rises.
    assert epochs[1]["loss"] < epochs[0]["loss"]
    assert epochs[1]["weights"][0]["bias"]["values"][0] > \
        epochs[0]["weights"][0]["bias"]["values"][0]

    finished = events[-1]
    assert finished["status"] == "finished" and finished["epochs_done"] == 2
    assert set(finished["test"]) >= {"loss", "mae"}
    assert all(isinstance(v, float) for v in finished["test"].values())


@pytest.mark.slow
def test_plain_output_when_not_a_terminal() -> None:
    proc = run_ktui("train", "--preset", "linear-gd", "--epochs", "2")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "\x1b" not in proc.stdout
    assert "\r" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert not any(line.lstrip().startswith("{") for line in lines)
    assert any(re.match(r"epoch 1/2\s+loss ", line) for line in lines)
    assert any(re.match(r"epoch 2/2\s+loss ", line) for line in lines)
    assert lines[-1].startswith("done: 2 epochs") and "test_loss" in lines[-1]


@pytest.mark.slow
def test_missing_fashion_data_fails_with_a_fix(tmp_path: Path) -> None:
    empty = tmp_path / "no-data-here"
    empty.mkdir()
    proc = run_ktui("train", "--preset", "fashion-mlp", "--data-dir", str(empty),
                    "--epochs", "1")
    assert proc.returncode == EXIT_FAILED
    assert str(empty) in proc.stderr
    assert re.search(r"\bput\b|\bfix\b|install|download", proc.stderr, re.IGNORECASE)
    assert "Traceback" not in proc.stderr
    assert "epoch" not in proc.stdout


@pytest.mark.slow
def test_nan_run_fails_plain(tmp_path: Path) -> None:
    spec = tmp_path / "nan.toml"
    spec.write_text(NAN_SPEC, encoding="utf-8")
    proc = run_ktui("train", "--spec", str(spec))
    assert proc.returncode == EXIT_FAILED
    assert "NaN" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not proc.stdout.splitlines()[-1].startswith("done")


@pytest.mark.slow
def test_nan_run_fails_jsonl(tmp_path: Path) -> None:
    spec = tmp_path / "nan.toml"
    spec.write_text(NAN_SPEC, encoding="utf-8")
    proc = run_ktui("train", "--spec", str(spec), "--jsonl")
    assert proc.returncode == EXIT_FAILED
    events = json_lines(proc.stdout)  # also proves NaN/inf never break the JSON
    last = events[-1]
    assert last["event"] == "run_failed" and last["kind"] == "nan"
    assert "NaN" in last["message"]
    assert last["epoch"] >= 1
    assert "run_finished" not in [e["event"] for e in events]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_ctrl_c_exits_130_quickly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui", "train", "--preset", "linear-subclassed",
         "--epochs", "100000", "--jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=_env(), start_new_session=True,
    )
    lines: list[str] = []
    saw_epoch = threading.Event()

    def drain() -> None:  # keep reading so a full pipe can never block the trainer
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if '"event":"epoch_done"' in line:
                saw_epoch.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert saw_epoch.wait(TIMEOUT), "no epoch_done before the timeout"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("ktui did not exit within 10 s of SIGINT")
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    assert code == EXIT_INTERRUPTED, stderr
    assert elapsed < 2.0, f"took {elapsed:.2f} s to exit after SIGINT"
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    # Whatever was written before the stop is still whole JSON lines.
    events = [json.loads(line) for line in lines]
    assert events[0]["event"] == "run_started"
    assert any(e["event"] == "epoch_done" for e in events)


@pytest.mark.parametrize("output", ["plain", "jsonl"])
@pytest.mark.slow
def test_ctrl_c_after_the_run_ended_exits_at_once_with_its_own_code(
        tmp_path: Path, output: str) -> None:
    # The run is over (its last line printed, its files written): nothing is left to stop,
    # so no "training stopped ... --resume" and no 130 (it used to say both, and wait).
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktui", "train", "--preset", "linear-gd", "--epochs", "30",
         "--runs-dir", str(tmp_path), *(["--jsonl"] if output == "jsonl" else [])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=_env(), start_new_session=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    last = '"event":"run_finished"' if output == "jsonl" else "done: 30 epochs"
    try:
        for line in proc.stdout:
            if last in line:
                sent = time.monotonic()
                proc.send_signal(signal.SIGINT)
                break
        else:
            pytest.fail("the run never printed its last line")
        code = proc.wait(timeout=10)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read()
    assert code == EXIT_OK, stderr
    assert elapsed < 2.0
    assert "stopped" not in stderr and "--resume" not in stderr and "Traceback" not in stderr
    (run,) = tmp_path.iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["epochs_done"] == 30


@pytest.mark.slow
def test_jsonl_run_started_says_where_the_run_is_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--preset", "linear-gd", "--epochs", "1", "--jsonl",
                 "--runs-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    started = json.loads(out.splitlines()[0])
    (run,) = tmp_path.iterdir()
    assert started["event"] == "run_started"
    assert Path(started["run_dir"]) == run and (run / "events.jsonl").is_file()
    logged = json.loads((run / "events.jsonl").read_text().splitlines()[0])
    assert logged["run_dir"] == started["run_dir"]  # the log says it too
