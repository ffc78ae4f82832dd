"""A battery of bad inputs: flags, spec files, data files, run directories, the TUI's --fps.

Each case asserts the exit code, a message that names the problem, and no traceback. The
command line runs in-process (``ktui.cli.main``) for speed; a few cases run as real
subprocesses to prove the exit codes end to end. Only one test trains (two tiny linear
epochs), to check that terminal escapes in a spec's name never reach the terminal.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from idx_files import idx_bytes, make_fashion

from ktui.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from ktui.cli.run_report import epoch_table, number
from ktui.core import spec as S
from ktui.core.datasets.fashion import FASHION_FILES
from ktui.core.runs import find_run
from ktui.core.spec.presets import get_preset
from ktui.core.text import brief, clean, identifier, metric_text

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m"


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``ktui argv`` in-process: (exit code, stdout, stderr); argparse exits count."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def refused_before_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused input never reaches the trainer: starting a run fails the test at once
    (a check that let a bad value through trained for real before the exit code told)."""
    import ktui.core.session as session

    def start_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("a refused input reached training")

    monkeypatch.setattr(session, "start_run", start_run)


def assert_refused(result: tuple[int, str, str], code: int, needle: str) -> None:
    rc, out, err = result
    assert rc == code, (rc, err)
    assert needle in err, err
    assert "Traceback" not in out + err
    assert "\x1b" not in out + err


# ---- flags -------------------------------------------------------------------------------------

FLAG_CASES = {
    "epochs-not-a-number": (["train", "--epochs", "many"], "--epochs"),
    "epochs-float": (["train", "--epochs", "1.5"], "--epochs"),
    "epochs-negative": (["train", "--epochs", "-1"], "train.epochs"),
    "epochs-zero": (["train", "--epochs", "0"], "train.epochs"),
    "epochs-too-many": (["train", "--epochs", "100001"], "train.epochs"),
    "batch-negative": (["train", "--batch-size", "-5"], "train.batch_size"),
    "batch-word": (["train", "--batch-size", "big"], "--batch-size"),
    "lr-zero": (["train", "--lr", "0"], "train.learning_rate"),
    "lr-nan": (["train", "--lr", "nan"], "train.learning_rate: must be in (0, 10], got nan"),
    "lr-inf": (["train", "--lr", "inf"], "train.learning_rate"),
    "lr-negative": (["train", "--lr", "-1"], "train.learning_rate"),
    "lr-word": (["train", "--lr", "fast"], "--lr"),
    "seed-negative": (["train", "--seed", "-3"], "train.seed"),
    "seed-2**32": (["train", "--seed", str(2**32)], "train.seed: must be a non-negative"),
    "seed-huge": (["train", "--seed", "9" * 30], "largest seed Keras takes"),
    "fps-nan": (["--fps", "nan"], "--fps: must be a number"),
    "fps-inf": (["--fps", "inf"], "--fps"),
    "fps-zero": (["--fps", "0"], "from 0.5 to 60"),
    "fps-negative": (["--fps", "-2"], "--fps"),
    "fps-too-high": (["--fps", "1000"], "--fps"),
    "fps-word": (["--fps", "fast"], "--fps"),
    "device-tpu": (["train", "--device", "tpu"], "--device"),
    "tui-unknown-preset": (["--preset", "nope"], "unknown preset 'nope'"),
    "train-unknown-preset": (["train", "--preset", "nope"], "unknown preset 'nope'"),
    "unknown-flag": (["train", "--bogus"], "unrecognized arguments: --bogus"),
    "unknown-flag-with-escapes": (["train", f"--x{ESCAPES}"], "unrecognized arguments"),
    "unknown-command": (["trian"], "invalid choice: 'trian'"),
    "preset-and-spec": (["train", "--preset", "linear-gd", "--spec", "x.toml"],
                        "not allowed with"),
    "resume-and-preset": (["train", "--resume", "x", "--preset", "linear-gd"], "--resume"),
    "presets-show-unknown": (["presets", "show", "nope"], "unknown preset 'nope'"),
    "spec-empty-name": (["train", "--spec", ""], "--spec: the file name is empty"),
    "preset-empty-name": (["train", "--preset", ""], "unknown preset ''"),
    "spec-nul-in-name": (["train", "--spec", "a\x00b.toml"], "not a valid file name"),
    "runs-show-two-names": (["runs", "show", "a", "b"], "unrecognized arguments: b"),
    "export-without-python": (["export", "x"], "--python"),
    "export-bad-style": (["export", "x", "--python", "x.py", "--style", "magic"], "--style"),
}


@pytest.mark.parametrize(("argv", "needle"), FLAG_CASES.values(), ids=FLAG_CASES.keys())
@pytest.mark.usefixtures("refused_before_training")
def test_bad_flags(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    if argv[0] == "train" and not {"--preset", "--spec", "--resume"} & set(argv):
        argv = [*argv, "--preset", "linear-gd"]
    assert_refused(cli(argv, capsys), EXIT_USAGE, needle)


# ---- spec files --------------------------------------------------------------------------------

LINEAR = '[dataset]\nkind = "linear"\n\n[[layers]]\nkind = "Dense"\nunits = 1\n'
FASHION = ('[dataset]\nkind = "fashion_mnist"\n\n[[layers]]\nkind = "Flatten"\n\n[[layers]]\n'
           'kind = "Dense"\nunits = 10\n\n[train]\nloss = "sparse_categorical_crossentropy"\n'
           'metrics = ["accuracy"]\n')


def _layer(kind: str, **params: object) -> str:
    """One ``[[layers]]`` table, to append to a spec's text (or to stand alone)."""
    return "\n[[layers]]\n" + tomli_w.dumps({"kind": kind, **params})


def _train(**values: object) -> str:
    return tomli_w.dumps({"train": values})


def _with_dataset(**values: object) -> str:
    return tomli_w.dumps({"dataset": {"kind": "linear", **values}}) + \
        '[[layers]]\nkind = "Dense"\nunits = 1\n'


SPEC_CASES: dict[str, tuple[str | bytes, str]] = {
    # files that are not specs
    "latin-1": (b'name = "caf\xe9"\n', "not UTF-8 text: byte 0xe9 at position 11 (line 1)"),
    "binary": (bytes(range(256)) * 4, "not UTF-8 text: byte 0x80 at position 128"),
    "nul-bytes": (b'name = "x"\n\x00\n', "contains NUL bytes"),
    "empty-file": (b"", "layers: the model needs at least one layer"),
    "only-comments": (b"# nothing here\n\n", "layers: the model needs at least one layer"),
    "bom-then-unknown-key": (b"\xef\xbb\xbfbogus = 1\n", "bogus: unknown key"),
    "toml-unclosed-table": ("[train\n", "not valid TOML"),
    "toml-unclosed-string": ('name = "x\n', "not valid TOML"),
    "toml-duplicate-key": ('name = "a"\nname = "b"\n', "not valid TOML"),
    "toml-deep-nesting": ("x = " + "[" * 5000 + "]" * 5000 + "\n", "not valid TOML"),
    # wrong types and shapes
    "metrics-nested-list": (FASHION.replace('["accuracy"]', '[["accuracy"]]'),
                            "train.metrics[0]: must be a string (a metric name), got ['accuracy']"),
    "kind-list": (LINEAR.replace('kind = "Dense"', 'kind = ["Reshape"]'),
                  "layer 1: kind must be a layer name"),
    "kind-bool": (LINEAR.replace('kind = "Dense"', "kind = true"), "layer 1: kind must be"),
    "kind-missing": ('[[layers]]\nunits = 1\n', "layer 1: needs a kind"),
    "kind-unknown": (LINEAR.replace('"Dense"', '"Dense3"'), "layer 1: unknown kind 'Dense3'"),
    "loss-number": (LINEAR + _train(loss=3), "train.loss: must be a string, got 3"),
    "dataset-number": ("dataset = 5\n", "dataset: must be a table"),
    "dataset-kind-list": ('[dataset]\nkind = ["linear"]\n', "dataset.kind: must be 'linear'"),
    "dataset-kind-unknown": ('[dataset]\nkind = "mnist"\n', "dataset.kind: must be 'linear'"),
    "layers-not-tables": ("layers = [1, 2]\n", "layer 2: must be a table"),
    "layers-a-string": ('layers = "Dense"\n', "layers: must be a list of tables"),
    "train-a-number": ("train = 3\n" + LINEAR, "train: must be a table"),
    "w-string": (_with_dataset(w="x"), "dataset.w: must be a number or a list of numbers"),
    "w-mixed": (_with_dataset(w=[1, "a"]), "dataset.w: must be a number or a list"),
    "target-shape-string": (_layer("Reshape", target_shape="a"),
                            "layer 1 (Reshape): target_shape must be a list of positive"),
    "x-nested": (_with_dataset(x=[[1, [2]]], y=[1]), "dataset.x[0]: must be a list of numbers"),
    "y-nested": (_with_dataset(x=[[1]], y=[[1]]), "dataset.y[0]: must be a number"),
    "epochs-string": (LINEAR + _train(epochs="ten"), "train.epochs: must be an integer, got 'ten'"),
    "shuffle-string": (LINEAR + _train(shuffle="yes"), "train.shuffle: must be true or false"),
    "name-number": ("name = 5\n" + LINEAR, "name: must be a string, got 5"),
    "description-list": ("description = []\n" + LINEAR, "description: must be a string"),
    "units-float": (_layer("Dense", units=3.5), "layer 1 (Dense): units must be an integer"),
    "units-inf": (_layer("Dense", units=math.inf), "units must be an integer, got inf"),
    "use-bias-string": (_layer("Dense", units=1, use_bias="yes"), "use_bias must be true or"),
    # versions and unknown keys
    "version-string": ('ktui_spec = "1"\n', "ktui_spec: must be the format version"),
    "version-future": ("ktui_spec = 99\n", "spec version 99"),
    "unknown-top-key": ("bogus = 1\n" + LINEAR, "bogus: unknown key"),
    "unknown-train-key": (LINEAR + _train(epochz=3), "train.epochz: unknown key"),
    "unknown-dataset-key": (_with_dataset(colour=1), "dataset.colour: unknown key"),
    "unknown-layer-param": (LINEAR + "unitz = 3\n",
                            "layer 1 (Dense): unknown parameter 'unitz' (expected"),
    # values that Keras or TensorFlow would refuse later
    "seed-2**32": (LINEAR + _train(seed=2**32), "train.seed: must be a non-negative integer"),
    "seed-negative": (LINEAR + _train(seed=-1), "train.seed"),
    "dataset-seed-2**32": (_with_dataset(seed=2**32), "dataset.seed"),
    "dropout-seed-2**32": (LINEAR + _layer("Dropout", seed=2**32),
                           "layer 2 (Dropout): seed must be in [0, 4294967295]"),
    "name-empty": ('name = ""\n' + LINEAR, "name: must not be empty"),
    "name-101-chars": (f'name = "{"n" * 101}"\n' + LINEAR,
                       "name: must be at most 100 characters, got 101"),
    "name-million-chars": (f'name = "{"n" * 1_000_000}"\n' + LINEAR, "got 1000000"),
    "10000-layers": ('[[layers]]\nkind = "Dense"\nunits = 1\n' * 10_000,
                     "layers: at most 500 layers, got 10000"),
    "model-too-big": (_with_dataset(n_features=10_000).replace("units = 1", "units = 100000") +
                      '[[layers]]\nkind = "Dense"\nunits = 100000\n'
                      '[[layers]]\nkind = "Dense"\nunits = 1\n',
                      "the model has 11,000,300,001 parameters (44.0 GB"),
    "linear-data-too-big": (_with_dataset(n=10_000_000, n_features=10_000, w=1.0),
                            "n × n_features = 100,000,000,000 values is too many"),
    # values out of range
    "lr-inf": (LINEAR + "[train]\nlearning_rate = inf\n", "must be in (0, 10], got inf"),
    "lr-nan": (LINEAR + "[train]\nlearning_rate = nan\n", "must be in (0, 10], got nan"),
    "lr-huge-int": (LINEAR + "[train]\nlearning_rate = " + "9" * 40 + "\n",
                    "train.learning_rate: must be in (0, 10]"),
    "momentum-1": (LINEAR + _train(momentum=1.0), "train.momentum: must be in [0, 1)"),
    "validation-split-negative": (LINEAR + _train(validation_split=-0.1),
                                  "train.validation_split"),
    "batch-size-huge": (LINEAR + _train(batch_size=2_000_000), "train.batch_size"),
    "log-every-zero": (LINEAR + _train(log_every=0), "train.log_every"),
    "model-style-magic": (LINEAR + _train(model_style="magic"), "train.model_style"),
    "device-tpu": (LINEAR + _train(device="tpu"), "train.device"),
    "optimizer-adagrad": (LINEAR + _train(optimizer="adagrad"), "train.optimizer"),
    "samples-70000": (FASHION.replace('"fashion_mnist"', '"fashion_mnist"\nsamples = 70000'),
                      "dataset.samples"),
    "data-dir-nul": (FASHION.replace('"fashion_mnist"', '"fashion_mnist"\ndata_dir = "a\\u0000b"'),
                     "dataset.data_dir: must not contain NUL"),
    "noise-negative": (_with_dataset(noise=-1.0), "dataset.noise: must be >= 0"),
    "n-features-zero": (_with_dataset(n_features=0), "dataset.n_features"),
    "units-zero": (_layer("Dense", units=0), "layer 1 (Dense): units must be a positive integer"),
    "units-million": (_layer("Dense", units=10**6), "<= 100000, got 1000000"),
    "activation-unknown": (_layer("Dense", units=1, activation="swoosh"),
                           "layer 1 (Dense): activation must be one of"),
    "dropout-rate-1": (_layer("Dropout", rate=1.0), "layer 1 (Dropout): rate must be in [0, 1)"),
    "kernel-size-one-number": (_layer("Conv2D", kernel_size=[3]), "kernel_size must be two"),
    "strides-zero": (_layer("Conv2D", strides=[0, 1]), "strides must be a list of positive"),
    "padding-full": (_layer("Conv2D", padding="full"), "padding must be one of valid, same"),
    # stacks that cannot work
    "conv-on-vectors": (_layer("Conv2D", filters=1), "layer 1 (Conv2D): needs input of shape"),
    "reshape-count": (LINEAR + _layer("Reshape", target_shape=[2]),
                      "layer 2 (Reshape): Reshape to [2] needs 2 values"),
    "wrong-output": (LINEAR.replace("units = 1", "units = 3"),
                     "layer 1 (Dense): the model outputs (None, 3)"),
    "loss-does-not-fit": (LINEAR + _train(loss="sparse_categorical_crossentropy"),
                          "does not fit regression"),
    "metric-twice": (FASHION.replace('["accuracy"]', '["accuracy", "accuracy"]'),
                     "lists a metric twice"),
}


@pytest.mark.parametrize(("content", "needle"), SPEC_CASES.values(), ids=SPEC_CASES.keys())
@pytest.mark.usefixtures("refused_before_training")
def test_bad_spec_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        content: str | bytes, needle: str) -> None:
    path = tmp_path / "bad.toml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    assert_refused(cli(["train", "--spec", str(path)], capsys), EXIT_USAGE, needle)


@pytest.mark.parametrize("kind", ["missing", "directory", "too-large", "fifo", "unreadable"])
def test_spec_paths_that_are_not_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       kind: str) -> None:
    path = tmp_path / "spec.toml"
    needle = {"missing": "cannot read (No such file", "directory": "is a directory",
              "too-large": "too large for a spec file", "fifo": "not a regular file",
              "unreadable": "cannot read (Permission denied)"}[kind]
    if kind == "directory":
        path.mkdir()
    elif kind == "too-large":
        path.write_bytes(b"# padding\n" * (S.MAX_SPEC_BYTES // 10 + 1))
    elif kind == "fifo":
        os.mkfifo(path)  # reading it would block forever: refused from its type
    elif kind == "unreadable":
        path.write_text(LINEAR)
        path.chmod(0)
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions do not stop reads")
    result = cli(["train", "--spec", str(path)], capsys)
    assert_refused(result, EXIT_USAGE, needle)
    assert result[2].startswith(f"ktui: {path}: ")


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Structural problems (types, unknown keys) and values out of range come together."""
    path = tmp_path / "many.toml"
    path.write_text(FASHION.replace('["accuracy"]', '[["accuracy"]]').replace(
        "[train]", _layer("Dense", units=-3, unitz=1) + "\n[train]\nepochs = -1\nepochz = 2"),
        encoding="utf-8")
    rc, out, err = cli(["train", "--spec", str(path)], capsys)
    assert rc == EXIT_USAGE and "Traceback" not in err
    for needle in ("train.metrics[0]: must be a string", "train.epochs: must be a positive",
                   "train.epochz: unknown key", "layer 3 (Dense): unknown parameter 'unitz'",
                   "layer 3 (Dense): units must be a positive integer"):
        assert needle in err, err
    assert f"{path}: the experiment is not valid" in err
    # In file order: layers before [train].
    assert err.index("layer 3") < err.index("train.metrics")


@pytest.mark.slow
def test_wrong_types_anywhere_raise_only_spec_errors() -> None:
    """Every field of a linear and an image spec, given every wrong kind of value: the answer
    is always SpecError or a list of problems, never another exception."""
    wrong = [[], [[1]], [["accuracy"]], {}, {"kind": "Dense"}, True, 0, -1, 1.5, math.nan,
             math.inf, "x", "", 2**63 - 1, [1, "a"], [0], [-1, 2], ESCAPES]
    checked = 0
    for preset in ("linear-gd", "fashion-cnn"):
        base = S.spec_to_dict(get_preset(preset))
        targets = [(section, key) for section in ("dataset", "train")
                   for key in [*base[section], "kind"]]
        targets += [(i, key) for i in range(len(base["layers"]))
                    for key in [*base["layers"][i], "kind"]]
        targets += [(None, key) for key in ("name", "description", "ktui_spec", "dataset",
                                            "train", "layers")]
        for where, key in targets:
            for value in wrong:
                data = copy.deepcopy(base)
                table = data if where is None else (
                    data["layers"][where] if isinstance(where, int) else data[where])
                table[key] = value
                try:
                    spec = S.loads(tomli_w.dumps(data))
                except S.SpecError as err:
                    assert err.errors and all(isinstance(e, str) for e in err.errors)
                else:
                    assert isinstance(S.validate(spec), list)
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize("value", [None, object(), [["x"]], {"a": 1}, math.nan, "x", -1, 2**70])
def test_validate_survives_anything_in_any_field(value: object) -> None:
    """What the TUI's form may hold mid-edit (None for an emptied field) is a problem, never a
    TypeError."""
    for preset in ("linear-gd", "fashion-mlp"):
        spec = get_preset(preset)
        for obj in (spec, spec.dataset, spec.train):
            for key in list(vars(obj)):
                broken = copy.deepcopy(spec)
                target = broken if obj is spec else getattr(broken, "dataset" if obj is
                                                             spec.dataset else "train")
                setattr(target, key, value)
                assert isinstance(S.validate(broken), list)
        for i in range(len(spec.layers)):
            for key in [*spec.layers[i].resolved(), "kind", "params"]:
                broken = copy.deepcopy(spec)
                if key == "kind":
                    broken.layers[i].kind = value
                elif key == "params":
                    broken.layers[i].params = value
                else:
                    broken.layers[i].params[key] = value
                problems = S.validate(broken)
                assert all(isinstance(p, str) for p in problems), (key, value)
                assert problems or value == -1, (key, value)  # -1 suits some float params


# ---- data files (exit 1: the spec is fine, the data is not) -----------------------------------

def _corrupt(directory: Path, how: str) -> str:
    """Damage ``directory``'s Fashion-MNIST copy; return the word the message must hold."""
    images = directory / FASHION_FILES["train_images"]
    labels = directory / FASHION_FILES["train_labels"]
    raw = idx_bytes(np.zeros((100, 28, 28), np.uint8))
    if how == "garbage-gz":
        images.write_bytes(b"\x1f\x8b" + bytes(range(200)))
        return "not valid gzip data"
    if how == "truncated-gz":
        packed = gzip.compress(raw)
        images.write_bytes(packed[: len(packed) // 2])
        return "not valid gzip data"
    if how == "truncated-idx":
        images.write_bytes(gzip.compress(raw[:-100]))
        return "truncated: expected"
    if how == "extra-bytes":
        images.write_bytes(gzip.compress(raw + b"\0" * 7))
        return "7 unexpected bytes"
    if how == "bad-magic":
        images.write_bytes(gzip.compress(b"\x01\x02" + raw[2:]))
        return "bad magic number"
    if how == "bad-type-code":
        images.write_bytes(gzip.compress(raw[:2] + b"\x42" + raw[3:]))
        return "unknown IDX type code 0x42"
    if how == "text-named-gz":
        labels.write_text("hello, not data\n")
        return "neither gzip nor IDX"
    if how == "empty-file":
        labels.write_bytes(b"")
        return "neither gzip nor IDX"
    if how == "missing-one-file":
        labels.unlink()
        return f"lacks {FASHION_FILES['train_labels']}"
    if how == "label-count":
        labels.write_bytes(gzip.compress(idx_bytes(np.zeros(90, np.uint8))))
        return "labels"
    raise AssertionError(how)


DATA_CASES = ["garbage-gz", "truncated-gz", "truncated-idx", "extra-bytes", "bad-magic",
              "bad-type-code", "text-named-gz", "empty-file", "missing-one-file", "label-count"]


@pytest.mark.parametrize("how", DATA_CASES)
def test_damaged_fashion_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               how: str) -> None:
    data = tmp_path / "fashion"
    make_fashion(data, n_train=100, n_test=20)
    needle = _corrupt(data, how)
    result = cli(["train", "--preset", "fashion-mlp", "--data-dir", str(data), "--epochs", "1",
                  "--runs-dir", str(tmp_path / "runs")], capsys)
    assert_refused(result, EXIT_FAILED, needle)
    assert str(data) in result[2]


@pytest.mark.parametrize(("make", "needle"), [
    (lambda p: None, "does not exist"),
    (lambda p: p.write_text("not a folder"), "is not a folder"),
    (lambda p: p.mkdir(), "holds none of the files"),
], ids=["missing-dir", "a-file", "empty-dir"])
def test_data_dir_that_holds_no_data(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     make, needle: str) -> None:
    data = tmp_path / "data"
    make(data)
    result = cli(["train", "--preset", "fashion-mlp", "--data-dir", str(data),
                  "--runs-dir", str(tmp_path / "runs")], capsys)
    assert_refused(result, EXIT_FAILED, needle)
    assert str(data) in result[2]


# ---- run directories ---------------------------------------------------------------------------

def _fake_run(root: Path, name: str, spec_text: str | bytes | None = None,
              summary: object = None) -> Path:
    """A run directory as ``ktui train`` leaves it (spec and summary only)."""
    path = root / name
    path.mkdir(parents=True)
    spec_text = S.dumps(get_preset("linear-gd")) if spec_text is None else spec_text
    if isinstance(spec_text, bytes):
        (path / "spec.toml").write_bytes(spec_text)
    else:
        (path / "spec.toml").write_text(spec_text, encoding="utf-8")
    summary = {"status": "finished", "epochs_done": 2, "updated": 1.7e9} if summary is None \
        else summary
    text = summary if isinstance(summary, str) else json.dumps(summary)
    (path / "summary.json").write_text(text, encoding="utf-8")
    (path / "metrics.csv").write_text("epoch,loss,val_loss\n1,12.5,0.0001234\n2,1.25,3e-6\n")
    return path


def test_runs_show_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "runs"
    assert_refused(cli(["runs", "show", "--runs-dir", str(root)], capsys), EXIT_USAGE,
                   "no runs under")
    _fake_run(root, "20260101-100000-linear-gd")
    _fake_run(root, "20260102-100000-linear-gd")
    _fake_run(root, "20260103-100000-broken", summary="{not json")
    base = ["--runs-dir", str(root)]
    assert_refused(cli(["runs", "show", "nope", *base], capsys), EXIT_USAGE, "no run 'nope'")
    assert_refused(cli(["runs", "show", "2026010", *base], capsys), EXIT_USAGE,
                   "'2026010' matches 3 runs: 20260103-100000-broken, 20260102")
    assert_refused(cli(["runs", "show", "20260103", *base], capsys), EXIT_USAGE,
                   "20260103-100000-broken/summary.json")
    rc, out, err = cli(["runs", "show", "20260101", *base], capsys)
    assert rc == EXIT_OK and "run      20260101-100000-linear-gd" in out, err


@pytest.mark.parametrize("argv", [["runs"], ["runs", "show"], ["export", "x", "--python", "x.py"]],
                         ids=["runs", "runs-show", "export"])
def test_runs_root_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  argv: list[str]) -> None:
    root = tmp_path / "runs"
    root.write_text("a file")
    assert_refused(cli([*argv, "--runs-dir", str(root)], capsys), EXIT_USAGE, "not a directory")


def test_export_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "runs"
    _fake_run(root, "20260101-100000-ok")
    _fake_run(root, "20260102-100000-latin", spec_text=b'name = "caf\xe9"\n')
    _fake_run(root, "20260103-100000-invalid",
              spec_text=S.dumps(get_preset("linear-gd")).replace("epochs = 10", "epochs = -1"))
    base = ["--runs-dir", str(root)]
    assert_refused(cli(["export", "nope", "--python", str(tmp_path / "x.py"), *base], capsys),
                   EXIT_USAGE, "no run 'nope'")
    assert_refused(cli(["export", "20260102", "--python", str(tmp_path / "x.py"), *base],
                       capsys), EXIT_USAGE, "not UTF-8 text: byte 0xe9")
    assert_refused(cli(["export", "20260103", "--python", str(tmp_path / "x.py"), *base],
                       capsys), EXIT_USAGE, "train.epochs: must be a positive integer")
    for target in (tmp_path / "no" / "such" / "dir" / "x.py", tmp_path):
        assert_refused(cli(["export", "20260101", "--python", str(target), *base], capsys),
                       EXIT_USAGE, f"cannot write {target}")


def test_runs_list_skips_a_non_utf8_spec_and_cleans_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "runs"
    _fake_run(root, "20260101-100000-latin", spec_text=b'name = "caf\xe9"\n')
    _fake_run(root, f"20260102-100000-evil{ESCAPES}")
    rc, out, err = cli(["runs", "--runs-dir", str(root)], capsys)
    assert rc == EXIT_OK, err
    assert "20260101-100000-latin: skipped" in err and "not UTF-8" in err
    assert "evil\\x1b]0;pwned\\x07" in out
    for stream in (out, err):
        assert not any(c in stream for c in "\x1b\x07\x9b")
    rc, out, err = cli(["runs", "show", "--runs-dir", str(root)], capsys)  # the latest
    assert rc == EXIT_OK and "evil\\x1b" in out and "\x1b" not in out + err


# ---- the TUI's --fps, clamped even when the CLI is bypassed ---------------------------------

@pytest.mark.parametrize(("fps", "expected"), [(math.nan, 4.0), (math.inf, 60.0),
                                               (-math.inf, 0.5), (0.0, 0.5), (1e9, 60.0)])
def test_app_clamps_fps(fps: float, expected: float) -> None:
    from ktui.ui.app import make_app

    assert make_app(get_preset("linear-gd"), fps=fps).fps == expected


# ---- end to end: real processes ----------------------------------------------------------------

def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KTUI_RUNS_DIR": str(cwd / "runs")}
    return subprocess.run([sys.executable, "-m", "ktui", *args], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL, cwd=cwd)


@pytest.mark.parametrize(("args", "needle"), [
    (["train", "--spec", "latin.toml"], "latin.toml: not UTF-8 text: byte 0xe9"),
    (["train", "--spec", "types.toml"], "train.metrics[0]: must be a string"),
    (["--fps", "nan"], "--fps"),
    (["runs", "show"], "no runs under"),
], ids=["latin-1", "wrong-type", "fps-nan", "no-runs"])
@pytest.mark.slow
def test_exit_code_2_in_a_real_process(tmp_path: Path, args: list[str], needle: str) -> None:
    (tmp_path / "latin.toml").write_bytes(b'name = "caf\xe9"\n')
    (tmp_path / "types.toml").write_text(FASHION.replace('["accuracy"]', '[["accuracy"]]'))
    proc = _run(*args, cwd=tmp_path)
    assert proc.returncode == EXIT_USAGE
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.slow
def test_escapes_in_a_spec_name_never_reach_the_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A name holding ESC/BEL sequences (retitle, clear screen) and a C1 CSI: trained plain and
    as JSON lines, no control byte is printed; the plain output shows the escapes."""
    path = tmp_path / "evil.toml"
    path.write_text(tomli_w.dumps({"name": ESCAPES, "dataset": {"kind": "linear", "n": 64},
                                   "layers": [{"kind": "Dense", "units": 1}],
                                   "train": {"epochs": 1, "batch_size": 0}}), encoding="utf-8")
    runs = tmp_path / "runs"
    for extra in ([], ["--jsonl"]):
        rc, out, err = cli(["train", "--spec", str(path), "--runs-dir", str(runs), *extra],
                           capsys)
        assert rc == EXIT_OK, err
        for stream in (out, err):
            assert not any(c in stream for c in "\x1b\x07\x9b"), stream
        if extra:
            assert json.loads(out.splitlines()[0])["name"] == ESCAPES  # data kept, escaped
        else:
            assert out.startswith("\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m: ")
    rc, out, err = cli(["runs", "show", "--runs-dir", str(runs)], capsys)
    assert rc == EXIT_OK and not any(c in out + err for c in "\x1b\x07\x9b")


def test_a_name_keras_refuses_is_made_safe() -> None:
    """``/`` (Keras refuses it), spaces, escapes, nothing at all: a model builds in every style."""
    from ktui.core.build import build_model

    for name in ("a/b", "x y/z", ESCAPES, "///"):
        spec = get_preset("linear-gd")
        spec.name = name
        assert S.validate(spec) == []
        for style in S.MODEL_STYLES:
            spec.train.model_style = style
            spec.train.seed = 2**32 - 1  # the largest seed Keras takes
            model = build_model(spec)
            assert model.name == identifier(name) and "/" not in model.name
            assert [lay.name for lay in model.layers if "input" not in lay.name] == ["dense_1"]


# ---- the helpers behind the messages -----------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("plain", "plain"),
    ("\x1b[2J", "\\x1b[2J"),
    ("bell\x07", "bell\\x07"),
    ("c1\x9bm", "c1\\x9bm"),
    ("del\x7f", "del\\x7f"),
    ("a\nb\tc\r", "a\\nb\\tc\\r"),
    ("bidi\u202egnp.exe", "bidi\\u202egnp.exe"),
    ("lone\udc80", "lone\\udc80"),
    ("café ✓", "café ✓"),
])
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_clean_keeps_newlines_when_asked() -> None:
    assert clean("a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"


def test_brief_bounds_any_value() -> None:
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    assert len(brief(deep)) < 80 and len(brief(list(range(10**6)))) < 80
    assert brief("ten") == "'ten'" and brief(-3) == "-3"


def test_find_run_by_prefix_and_latest(tmp_path: Path) -> None:
    from ktui.core.runs import RunError

    root = tmp_path / "runs"
    _fake_run(root, "20260101-100000-a")
    _fake_run(root, "20260102-100000-b")
    (root / "20260103-100000-not-a-run").mkdir()
    assert find_run(root).name == "20260102-100000-b"
    assert find_run(root, "20260101").name == "20260101-100000-a"
    assert find_run(root, str(root / "20260101-100000-a")).name == "20260101-100000-a"
    with pytest.raises(RunError, match="matches 2 runs"):
        find_run(root, "2026")


def test_epoch_table_is_aligned() -> None:
    rows = [{"epoch": 1.0, "loss": 12.5, "val_loss": 0.0001234, "acc": math.nan},
            {"epoch": 10.0, "loss": 1.25, "val_loss": 3e-6, "acc": 0.5}]
    lines = epoch_table(rows)
    assert len({len(line) for line in lines}) == 1, lines
    assert lines[1].split()[:2] == ["1", "12.5000"] and lines[2].split()[0] == "10"
    assert lines[1].split()[2] == "1.234e-04"  # one notation for the whole column
    assert number(0.87191) == "0.8719" and number(123456.0) == "1.235e+05"
    # One format per quantity: `runs show` writes a value as the progress line does.
    for value in (2500.0, 12345.0, 1.5e-05, 0.00042, 0.5):
        assert number(value) == metric_text(value)
    assert number(2500.0) == "2500" and number(1.5e-05) == "1.5e-05"
