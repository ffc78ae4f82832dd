"""``ktui export``: the script reproduces the run (losses, metrics, test score) and user text
can never become code in it (issue 8, items 9 and 27)."""

from __future__ import annotations

import ast
import datetime
import functools
import io
import json
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from ktui.core import spec as specmod
from ktui.core.events import RunFinished
from ktui.core.export import ExportError, export_script
from ktui.core.runs import RunDir
from ktui.core.session import start_run
from ktui.core.spec import ExperimentSpec, FashionData, LayerSpec, TrainSpec
from ktui.core.spec.presets import get_preset

#: What an injection would run: it leaves a file behind.
PAYLOAD = "__import__('os').system('touch PWNED')"
MARK = "PWNED"
#: Ways out of a string literal, a docstring, a comment or an f-string, each with the payload.
HOSTILE = [
    f'"""\n{PAYLOAD}\n"""',
    f"'''\n{PAYLOAD}\n'''",
    f'"; {PAYLOAD}; "',
    f"'; {PAYLOAD}; '",
    f"\\\n{PAYLOAD}\n\\",
    f"\\'); {PAYLOAD}; x=('\\",
    f"x\x00\n{PAYLOAD}",
    f"\u2028{PAYLOAD}\u2029\u0085",
    f"# \n{PAYLOAD} #",
    f"{{{PAYLOAD}}} {{0}} f'{{{PAYLOAD}}}'",
    f"\r{PAYLOAD}\x1b[2J\x07",
    f'\\N{{LATIN SMALL LETTER A}}""" + {PAYLOAD} + """',
]
#: The string parameters of the catalog's layers that reach the script as text, by kind (an
#: initializer's name picks a Keras class: it must be the registry's, like a loss name).
STRING_PARAMS = {"Dense": ("activation",),
                 "Conv2D": ("padding", "activation"), "MaxPooling2D": ("padding",),
                 "Activation": ("activation",), "Lambda": ("op",)}


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KTUI_DATA_DIR"}
    return {**env, "KTUI_RUNS_DIR": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"}


def _spec_with_text(text: str | None, fashion: bool, style: str = "functional"
                    ) -> ExperimentSpec:
    """A spec carrying ``text`` in every string that reaches the script (None: benign
    strings), with one layer of each kind that has string parameters."""
    def s(benign: str) -> str:
        return benign if text is None else text

    layers = [
        LayerSpec("Reshape", {"target_shape": [28, 28, 1] if fashion else [1, 1, 1]}),
        LayerSpec("Conv2D", {"filters": 2, "kernel_size": [1, 1], "padding": s("same"),
                             "activation": s("relu")}),
        LayerSpec("MaxPooling2D", {"pool_size": [1, 1], "strides": [1, 1],
                                   "padding": s("valid")}),
        LayerSpec("Flatten"),
        LayerSpec("Dense", {"units": 4, "activation": s("tanh"),
                            "kernel_initializer": "uniform", "bias_initializer": "ones"}),
        LayerSpec("Activation", {"activation": s("relu")}),
        LayerSpec("Lambda", {"op": s("square")}),
        LayerSpec("Dense", {"units": 10 if fashion else 1}),
    ]
    dataset = FashionData(samples=100, data_dir=s("/data/fashion")) if fashion \
        else specmod.LinearData()
    loss = "sparse_categorical_crossentropy" if fashion else "mse"
    metrics = ["accuracy", "auc"] if fashion else ["mae", "rmse"]
    return ExperimentSpec(name=s("benign-name"), description=s("A benign description."),
                          dataset=dataset, layers=layers,
                          train=TrainSpec(loss=loss, metrics=metrics, model_style=style))


@functools.cache
def _export(text: str | None, fashion: bool, style: str) -> str:
    return export_script(_spec_with_text(text, fashion, style), style,
                         run_name=text if text is not None else "20260101-000000-run",
                         file_name=text if text is not None else "train_it.py")


def _calls(script: str) -> set[str]:
    """What every call in the script calls (``Dense(...)`` in ``Dense(...)(x)`` shown with
    its strings blanked, so a layer's parameters do not make a new callee)."""
    tree = _blanked(script)
    return {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}


def _names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _blanked(script: str) -> ast.AST:
    """The script's AST with every string constant blanked: what the code does."""
    class Blank(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.Constant:
            return ast.Constant("") if isinstance(node.value, str) else node

    return Blank().visit(ast.parse(script))


def _skeleton(script: str) -> str:
    return ast.dump(_blanked(script))


def _outside_string_literals(script: str) -> str:
    """Every token of the script that is not a string literal: code and comments."""
    tokens = tokenize.generate_tokens(io.StringIO(script).readline)
    return " ".join(t.string for t in tokens if t.type != tokenize.STRING)


@pytest.mark.parametrize("fashion", [False, True], ids=["linear", "fashion"])
@pytest.mark.parametrize("style", specmod.MODEL_STYLES)
@pytest.mark.parametrize("text", HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
@pytest.mark.slow
def test_user_text_in_every_field_stays_a_string_literal(text: str, style: str,
                                                         fashion: bool) -> None:
    benign_script = _export(None, fashion, style)
    benign = ast.parse(benign_script)
    script = _export(text, fashion, style)
    compile(script, "exported.py", "exec")  # (a) it compiles
    tree = ast.parse(script)
    assert _calls(script) <= _calls(benign_script)  # (b) no call the exporter did not generate
    assert _names(tree) <= _names(benign)
    assert _skeleton(script) == _skeleton(benign_script)  # only string constants differ
    # (c) the text is in string constants, whole, and nowhere else (code, comments, f-strings)
    constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    assert text in constants
    assert MARK not in _outside_string_literals(script)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            assert MARK not in ast.unparse(node)
    assert MARK not in (ast.get_docstring(tree) or "")


def test_the_constants_hold_the_text_exactly() -> None:
    text = HOSTILE[0] + HOSTILE[6] + HOSTILE[7]
    tree = ast.parse(_export(text, True, "sequential"))
    constants = {t.id: ast.literal_eval(n.value) for n in tree.body
                 if isinstance(n, ast.Assign) and isinstance(t := n.targets[0], ast.Name)
                 and t.id.isupper() and isinstance(n.value, ast.Constant)}
    for key in ("NAME", "DESCRIPTION", "RUN", "DATA_DIR"):
        assert constants[key] == text, key


@pytest.mark.slow
def test_importing_a_hostile_script_runs_nothing_of_the_text(tmp_path: Path) -> None:
    text = " ".join(HOSTILE)
    path = tmp_path / "hostile.py"
    path.write_text(_export(text, True, "subclassed"), encoding="utf-8")
    code = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='imported')"
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=tmp_path, timeout=180,
                          capture_output=True, text=True, env=_env(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (tmp_path / MARK).exists()


@pytest.mark.slow
def test_the_docstring_names_the_file_written() -> None:
    spec = get_preset("linear-gd")
    doc = ast.get_docstring(ast.parse(export_script(spec, file_name="my-fit_2.py")))
    assert "python3 my-fit_2.py" in doc and "linear-gd.py" not in doc
    for odd in ('a"""b.py', "a\nb.py", "é.py", "x" * 200 + ".py", ""):
        doc = ast.get_docstring(ast.parse(export_script(spec, file_name=odd)))
        assert "python3 <this file>" in doc, odd
    assert "python3 <this file>" in ast.get_docstring(ast.parse(export_script(spec)))


@pytest.mark.parametrize(("change", "field"), [
    (lambda s: setattr(s.train, "loss", "mse\nimport os"), "train.loss"),
    (lambda s: setattr(s.train, "loss", "huber_fn"), "train.loss"),
    (lambda s: setattr(s.train, "optimizer", ["adam"]), "train.optimizer"),
    (lambda s: setattr(s.train, "metrics", ["mae", "x); import os; ("]), "train.metrics[1]"),
    (lambda s: setattr(s.train, "learning_rate", float("nan")), "train.learning_rate"),
    (lambda s: setattr(s.train, "epochs", 2.5), "train.epochs"),
    (lambda s: setattr(s.train, "seed", 10 ** 5000), "train.seed"),
    (lambda s: setattr(s, "description", datetime.date(2020, 1, 1)), "description"),
    (lambda s: setattr(s.layers[0], "kind", "Dense(1)); import os; (Dense"), "layer 1"),
    (lambda s: s.layers[0].params.update({"units=1, x": 1}), "layer 1 (Dense)"),
    (lambda s: s.layers[0].params.update({"activation": datetime.date(2020, 1, 1)}),
     "layer 1 (Dense).activation"),
    (lambda s: s.layers[0].params.update({"kernel_value": float("inf")}),
     "layer 1 (Dense).kernel_value"),
    (lambda s: s.layers[0].params.update({"kernel_initializer": HOSTILE[2]}),
     "layer 1 (Dense).kernel_initializer"),
    (lambda s: s.layers[0].params.update({"bias_initializer": ["zeros"]}),
     "layer 1 (Dense).bias_initializer"),
    (lambda s: s.train.schedule.__setattr__("kind", "cosine\nimport os"),
     "train.schedule.kind"),
    (lambda s: setattr(s.train, "shuffle", "yes"), "train.shuffle"),
])
def test_values_that_cannot_be_literals_are_refused_naming_the_field(change, field: str
                                                                     ) -> None:
    spec = get_preset("linear-gd")
    change(spec)
    with pytest.raises(ExportError) as err:
        export_script(spec)
    assert str(err.value).startswith(field)


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(ExportError, match="style"):
        export_script(get_preset("linear-gd"), "sequential'; import os")


def test_layer_names_match_the_built_model() -> None:
    from ktui.core.build import build_model, model_layers

    spec = _spec_with_text(None, False, "sequential")
    tree = ast.parse(export_script(spec))
    exported = [kw.value.value for n in ast.walk(tree) if isinstance(n, ast.Call)
                for kw in n.keywords if kw.arg == "name"
                and ast.unparse(n.func).removeprefix("keras.layers.") in
                {"Dense", "Conv2D", "MaxPooling2D", "Flatten", "Reshape", "Activation",
                 "MenuLambda"}]
    built = [layer.name for layer in model_layers(build_model(spec))]
    assert exported == built
    assert built[0] == "reshape_1"


# ---- the script reproduces the run -----------------------------------------------------------

_EPOCH_LINE = re.compile(r"^epoch +(\d+)/(\d+)  loss ")


def _printed(out: str) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Epoch lines and the final line of the script's output, as ``key value`` numbers."""
    def numbers(line: str) -> dict[str, float]:
        values = {}
        for part in line.split("  ")[1:]:
            key, _, value = part.partition(" ")
            if value:
                values[key] = float(value)
        return values

    epochs = [{"epoch": float(m.group(1)), **numbers(line)} for line in out.splitlines()
              if (m := _EPOCH_LINE.match(line))]
    done = [line for line in out.splitlines() if line.startswith("done: ")]
    assert len(done) == 1, out
    return epochs, numbers(done[0])


def _assert_reproduced(run: RunDir, out: str) -> None:
    """Every metrics.csv value and the summary's test score, as printed (4 decimals, so an
    absolute 1e-4 for rounding on top of the relative 1e-3)."""
    epochs, final = _printed(out)
    rows = run.epochs_logged()
    assert len(epochs) == len(rows) > 0, out
    for printed, row in zip(epochs, rows, strict=True):
        assert set(printed) == set(row), (printed, row)
        for key, value in row.items():
            assert printed[key] == pytest.approx(value, rel=1e-3, abs=1e-4), (key, printed, row)
    test = run.summary()["test"]
    assert test, "the run has no test score to compare"
    assert set(final) == {f"test_{k}" for k in test}, (final, test)
    for key, value in test.items():
        assert final[f"test_{key}"] == pytest.approx(value, rel=1e-3, abs=1e-4), key


def _run_script(path: Path, cwd: Path) -> str:
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=_env(cwd))
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("style", specmod.MODEL_STYLES)
@pytest.mark.slow
def test_exported_script_reproduces_losses_metrics_and_test_score(tmp_path: Path, style: str
                                                                  ) -> None:
    spec = get_preset("linear-functional")
    spec.train.epochs = 4
    spec.train.metrics = ["mae", "mse", "rmse"]
    run = RunDir.create(tmp_path / "runs", spec)
    assert isinstance(start_run(spec, [], run=run).join(), RunFinished)
    script = export_script(run.spec(), style, run_name=run.name, file_name="exported.py")
    assert "import ktui" not in script and "from ktui" not in script
    path = tmp_path / "exported.py"
    path.write_text(script, encoding="utf-8")
    out = _run_script(path, tmp_path)
    assert re.search(r"^epoch 4/4  loss [\d.]+  val_loss [\d.]+  mae [\d.]+  mse [\d.]+  "
                     r"rmse [\d.]+  val_mae [\d.]+  val_mse [\d.]+  val_rmse [\d.]+  "
                     r"lr [\d.e-]+  [\d.]+s$",
                     out, re.M), out
    _assert_reproduced(run, out)


@pytest.mark.slow
def test_cli_export_of_a_hostile_run_reproduces_a_classifier(tmp_path: Path) -> None:
    """Through ``ktui export``: a run whose name, description, folder and data folder hold
    quotes, backslashes, newlines and code; the script must read that data folder, run none
    of the text and print the run's accuracy/AUC/precision/recall and test score."""
    from idx_files import make_fashion

    from ktui.cli import main

    weird = "q\"\"\"'''\\ #{x}\u2028\n" + MARK
    data = tmp_path / f"fashion {weird}"
    make_fashion(data, n_train=120, n_test=40)
    spec = ExperimentSpec(
        name=f"n{weird}"[:100], description=" ".join(HOSTILE),
        dataset=FashionData(samples=0, data_dir=str(data)),
        layers=[LayerSpec("Reshape", {"target_shape": [784]}),
                LayerSpec("Dense", {"units": 16, "activation": "relu"}),
                LayerSpec("Dropout", {"rate": 0.2}),
                LayerSpec("Dense", {"units": 10})],
        train=TrainSpec(loss="sparse_categorical_crossentropy", optimizer="adam",
                        learning_rate=1e-3, metrics=["accuracy", "auc", "precision", "recall"],
                        epochs=3, batch_size=32, validation_split=0.2, seed=7),
    )
    assert specmod.validate(spec) == []
    created = RunDir.create(tmp_path / "runs", spec)
    assert isinstance(start_run(spec, [], run=created).join(), RunFinished)
    run = RunDir(created.path.rename(created.path.with_name(f"20260101-000000-{weird}")))
    target = tmp_path / "out" / "classifier.py"
    target.parent.mkdir()
    assert main(["export", str(run.path), "--python", str(target)]) == 0
    script = target.read_text(encoding="utf-8")
    tree = ast.parse(script)
    assert "python3 classifier.py" in ast.get_docstring(tree)
    values = {n.targets[0].id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
              and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Constant)}
    assert values["RUN"] == run.name and values["DATA_DIR"] == str(data)
    assert values["NAME"] == spec.name and values["DESCRIPTION"] == spec.description
    out = _run_script(target, tmp_path)
    assert not (tmp_path / MARK).exists() and not (tmp_path / "out" / MARK).exists()
    _assert_reproduced(run, out)
    assert "val_accuracy" in out and "test_auc" in out
    summary = json.loads(run.summary_file.read_text())
    assert summary["status"] == "finished"


def test_cli_export_refuses_a_hand_edited_hostile_layer_parameter(tmp_path: Path, capsys
                                                                  ) -> None:
    from ktui.cli import main

    spec = get_preset("linear-gd")
    spec.train.epochs = 1
    run = RunDir.create(tmp_path / "runs", spec)
    text = run.spec_file.read_text(encoding="utf-8")
    edited = text.replace('activation = "linear"', f"activation = {json.dumps(HOSTILE[0])}")
    assert edited != text
    run.spec_file.write_text(edited, encoding="utf-8")
    target = tmp_path / "x.py"
    assert main(["export", str(run.path), "--python", str(target)]) == 2
    err = capsys.readouterr().err
    assert "activation" in err and "Traceback" not in err
    assert not target.exists()


def test_export_does_not_import_tensorflow() -> None:
    code = ("import sys; from ktui.core.export import export_script; "
            "from ktui.core.spec.presets import get_preset; "
            "export_script(get_preset('fashion-cnn')); "
            "sys.exit('tensorflow' in sys.modules or 'keras' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


@pytest.mark.slow
def test_every_preset_and_style_compiles() -> None:
    from ktui.core.spec.presets import PRESETS

    for name in PRESETS:
        for style in specmod.MODEL_STYLES:
            script = export_script(get_preset(name), style, file_name=f"{name}.py")
            compile(script, f"{name}.py", "exec")
            assert f"NAME = {name!r}" in script and f"python3 {name}.py" in script
