"""The exported script holds only what its spec uses (issue 21, item 14: a linear-gd export was
874 lines, every built-in layer, the classification metrics and the whole steering code for a
one-unit Dense model). A linear-gd script reads like tutorial 000: under 150 lines, no unused
import, no class; a spec without a schedule, early stopping or a stop rule has none of their
code, and one with them has exactly theirs."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ktui.core.export import FEATURES, export_script
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.presets import PRESETS, get_preset
from ktui.core.spec.steering import EarlyStoppingSpec, ScheduleSpec

RUFF = Path(sys.executable).with_name("ruff")

#: Lines each preset's script may take in its own style (measured, plus a little room): the
#: issue's bound for linear-gd, the others so that they do not grow back unnoticed.
BUDGETS = {"linear-gd": 150, "linear-functional": 230, "linear-subclassed": 170,
           "fashion-mlp": 240, "fashion-cnn": 270}

#: What each optional part of the loop alone brings into the script (names its code reads or
#: defines), none of which a script without that part may hold.
STEERING_NAMES = {
    "schedule": {"base_schedule", "steps_per_epoch"},
    "plateau": {"Plateau", "make_steered_rate", "LearningRate"},
    "early_stopping": {"EarlyStopper", "EARLY_STOPPING"},
    "restore_best": {"best_weights"},
    "stop_when": {"parse_stop_when", "target_reason", "StopTarget", "STOP_WHEN"},
    "max_minutes": {"budget_reason", "MAX_MINUTES"},
    "clip": {"clip_gradients", "CLIP_NORM", "CLIP_VALUE"},
}
#: Parts one turns on with another (restore_best is early stopping's).
IMPLIED = {"restore_best": "early_stopping"}
#: Helpers several parts share: in a script only when one of them is.
SHARED = {"monitored", "_Best", "higher_is_better", "HIGHER_IS_BETTER", "SCHEDULE",
          "LEARNING_RATE", "SimpleNamespace"}
ALL_STEERING = set().union(SHARED, *STEERING_NAMES.values())


def _turn_on(feature: str) -> Callable[[ExperimentSpec], None]:
    def change(spec: ExperimentSpec) -> None:
        t = spec.train
        if feature == "schedule":
            t.schedule = ScheduleSpec(kind="cosine", warmup_steps=3)
        elif feature == "plateau":
            t.schedule = ScheduleSpec(kind="plateau", patience=1)
        elif feature in ("early_stopping", "restore_best"):
            t.early_stopping = EarlyStoppingSpec(enabled=True,
                                                 restore_best=feature == "restore_best")
        elif feature == "stop_when":
            t.stop_when = "val_loss <= 1.5"
        elif feature == "max_minutes":
            t.max_minutes = 2.0
        elif feature == "clip":
            t.clip_norm = 1.0
    return change


def _names(script: str) -> set[str]:
    """Every name the script reads or defines (functions, classes, variables)."""
    tree = ast.parse(script)
    found = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return found | {n.name for n in ast.walk(tree)
                    if isinstance(n, ast.FunctionDef | ast.ClassDef)}


def _ruff(script: str, rules: str) -> str:
    done = subprocess.run([str(RUFF), "check", "--no-cache", "--isolated", "--select", rules,
                           "--stdin-filename", "exported.py", "-"], input=script,
                          capture_output=True, text=True, timeout=60)
    return "" if done.returncode == 0 else done.stdout + done.stderr


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_presets_script_keeps_to_its_line_budget(name: str) -> None:
    assert set(BUDGETS) == set(PRESETS)
    script = export_script(get_preset(name))
    assert len(script.splitlines()) < BUDGETS[name], name
    assert "[/]" not in script and "<<" not in script  # the template's marks are gone


def test_the_linear_gd_script_reads_as_straight_line_tutorial_code() -> None:
    script = export_script(get_preset("linear-gd"), file_name="linear_gd.py")
    assert _ruff(script, "F401,F811,F841") == ""  # no unused import or variable
    tree = ast.parse(script)
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)] == [
        "draw_linear", "load_data", "mse", "loss_fn", "build_model", "fmt", "main"]
    names = _names(script)
    assert not names & ALL_STEERING
    assert "keras.layers.Dense(units=1" in script  # Keras' own Dense, tutorial style
    for gone in ("Conv2D", "BatchNormalization", "SparseCategoricalAccuracy", "OneHotSoftmax",
                 "INITIALIZER_CONFIGS", "SimpleNamespace", "shuffle", "model.losses"):
        assert gone not in script, gone


@pytest.mark.parametrize("feature", list(STEERING_NAMES))
def test_a_steering_part_is_in_the_script_exactly_when_the_spec_turns_it_on(feature: str
                                                                             ) -> None:
    spec = get_preset("linear-functional")
    _turn_on(feature)(spec)
    script = export_script(spec)
    names = _names(script)
    on = {feature, IMPLIED.get(feature, feature)}
    for part in on:
        assert STEERING_NAMES[part] <= names, STEERING_NAMES[part] - names
    others = set().union(*(v for k, v in STEERING_NAMES.items() if k not in on))
    assert not names & others, names & others
    assert _ruff(script, "F") == ""  # nothing undefined, unused or redefined


def test_every_part_at_once_is_a_clean_script() -> None:
    spec = get_preset("fashion-cnn")
    spec.train.schedule = ScheduleSpec(kind="plateau", patience=1)
    spec.train.early_stopping = EarlyStoppingSpec(enabled=True, restore_best=True)
    spec.train.stop_when, spec.train.max_minutes = "val_accuracy >= 0.9", 5.0
    spec.train.clip_value = 0.5
    spec.train.metrics = ["accuracy", "auc", "precision", "recall"]
    script = export_script(spec)
    assert _ruff(script, "F") == ""
    names = _names(script)
    assert ALL_STEERING - STEERING_NAMES["schedule"] <= names
    assert {"OneHotSoftmax", "SparseCategoricalAccuracy", "Dropout"} <= names


def test_the_features_are_the_templates_blocks() -> None:
    from ktui.core.export.script_parts import LOOP

    marked = {name for line in LOOP.splitlines() if line.startswith("[")
              and line != "[/]" for name in line.strip("[]!").split("|")}
    assert marked == set(FEATURES)


def _step_decorators(script: str) -> dict[str, dict[str, str]]:
    """Each compiled step's ``tf.function`` keywords, by the step's name."""
    steps = {}
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.FunctionDef) and node.name in ("train_step", "eval_step"):
            (call,) = [d for d in node.decorator_list if isinstance(d, ast.Call)]
            steps[node.name] = {kw.arg: ast.unparse(kw.value) for kw in call.keywords}
    return steps


@pytest.mark.parametrize(("setting", "picked", "xla"), [
    ("off", None, False), ("on", None, True),
    ("auto", None, False), ("auto", False, False), ("auto", True, True),
    ("on", False, True), ("off", True, False)])  # what the spec says outranks a summary
def test_the_script_compiles_its_steps_with_xla_exactly_when_the_run_did(
        setting: str, picked: bool | None, xla: bool) -> None:
    """A spec with ``jit_compile = true`` trained with XLA; its script compiled without it
    (different last bits, another speed) until the loop gained its ``jit`` part. Under
    ``auto`` the run's pick decides (its summary's ``xla``; not known: without)."""
    spec = get_preset("fashion-mlp")
    spec.train.jit_compile = setting
    steps = _step_decorators(export_script(spec, xla=picked))
    assert set(steps) == {"train_step", "eval_step"}
    for keywords in steps.values():
        assert keywords.get("jit_compile") == ("True" if xla else None)
        assert "input_signature" in keywords


def test_top_level_cuts_each_definition_as_ast_does() -> None:
    """The one-split segments are :func:`ast.get_source_segment`'s, byte for byte, over the
    modules the exporter copies from (multi-line, one-line, non-ASCII text)."""
    import importlib.util

    from ktui.core.export.shake import top_level

    sample = 'A = "é→"\ndef f(x):\n    return "ü" + x  # ß\nclass C:  # ∑\n    y = 1\n'
    texts = [sample] + [
        Path(importlib.util.find_spec(m).origin).read_text(encoding="utf-8")
        for m in ("ktui.core.metrics", "ktui.core.losses", "ktui.core.layers",
                  "ktui.core.training.stopping", "ktui.core.export.shake")]
    for text in texts:
        reference = {}
        for node in ast.parse(text).body:
            names = ([node.name] if isinstance(node, ast.FunctionDef | ast.ClassDef) else
                     [t.id for t in getattr(node, "targets", [getattr(node, "target", None)])
                      if isinstance(t, ast.Name)])
            if len(names) == 1 and not isinstance(node, ast.Expr):
                reference[names[0]] = ast.get_source_segment(text, node)
        assert top_level(text) == reference
