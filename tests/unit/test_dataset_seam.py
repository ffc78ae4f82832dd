"""A dataset kind is one class registered in ``DATASETS``: the spec file, the validator, the
descriptions, a dataset switch and the exporter all work with a new one without an edit
elsewhere, and nothing outside ``core/datasets`` asks which kind it holds (issue 9)."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from ktui.core import choices
from ktui.core import spec as specmod
from ktui.core.datasets import DATASETS, DatasetSpec, ScriptConstant, Splits
from ktui.core.export import ExportError, export_script
from ktui.core.schema import spec_field
from ktui.core.spec import ExperimentSpec, LayerSpec, TrainSpec
from ktui.core.spec.defaults import metric_choices, switch_dataset
from ktui.core.spec.describe import experiment_description
from ktui.core.spec.presets import get_preset

SRC = Path(__file__).resolve().parents[2] / "src" / "ktui"

#: The fake kind's loader in the exported script: the same ramp as :meth:`RampData.load`.
_RAMP_LOADER = '''
def ramp(count, offset):
    x = (np.arange(count, dtype=np.float32) + offset).reshape(-1, 1) / np.float32(N)
    return x, (np.float32(SLOPE) * x).astype(np.float32)


def load_data():
    held_out = round(N * VALIDATION_SPLIT)
    if not held_out:
        return ramp(N, 0), None, None
    return ramp(N, 0), ramp(held_out, N), ramp(held_out, N + held_out)
'''


@dataclass
class RampData(DatasetSpec):
    """y = slope · x on an evenly spaced x: a kind no ktui module knows of."""

    kind: ClassVar[str] = "ramp"
    title: ClassVar[str] = "the ramp data"
    help: ClassVar[str] = "y = slope · x, evenly spaced"
    task: ClassVar[choices.Task] = "regression"
    target_words: ClassVar[str] = "the ramp"

    n: int = spec_field("int", 16, label="n", min=1, max=1000, help="training samples")
    slope: float = spec_field("float", 0.5, label="slope", help="the ramp's slope")

    def input_shape(self) -> tuple[int, ...]:
        return (1,)

    def output_shape(self) -> tuple[int, ...]:
        return (1,)

    def describe(self) -> str:
        return f"a ramp of {self.n} points, slope {self.slope:g}"

    def in_words(self) -> str:
        return f"a {self.n}-point ramp"

    def load(self, validation_split: float, data_dir: str | None = None) -> Splits:
        import numpy as np

        def ramp(count: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
            x = (np.arange(count, dtype=np.float32) + offset).reshape(-1, 1) / np.float32(self.n)
            return x, (np.float32(self.slope) * x).astype(np.float32)

        held_out = round(self.n * validation_split)
        return Splits(*ramp(self.n, 0), *ramp(held_out, self.n),
                      *ramp(held_out, self.n + held_out), description=self.describe())

    def script_loader(self) -> str:
        return _RAMP_LOADER

    def script_constants(self) -> tuple[ScriptConstant, ...]:
        return (ScriptConstant("N", "dataset.n", self.n, integer=True),
                ScriptConstant("SLOPE", "dataset.slope", self.slope))


@dataclass
class OpaqueData(RampData):
    """A kind that has no exported loader (yet)."""

    kind: ClassVar[str] = "opaque"
    title: ClassVar[str] = "the opaque data"

    def script_loader(self) -> str:
        return ""


@pytest.fixture
def ramp_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """RampData registered as a kind for one test, as a new module's line in DATASETS."""
    monkeypatch.setitem(DATASETS, RampData.kind, RampData)


def _ramp_spec(**train: object) -> ExperimentSpec:
    return ExperimentSpec(name="ramp-fit", dataset=RampData(n=16, slope=0.5),
                          layers=[LayerSpec("Dense", {"units": 1})],
                          train=TrainSpec(loss="mse", metrics=["mae"], optimizer="sgd",
                                          learning_rate=0.1, batch_size=4, epochs=2,
                                          validation_split=0.25, **train))


def _constants(script: str) -> dict[str, object]:
    """The script's ``NAME = constant`` settings."""
    return {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(script).body
            if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
            and isinstance(n.value, ast.Constant)}


# ---- the kind works everywhere, unedited ---------------------------------------------------

@pytest.mark.usefixtures("ramp_kind")
def test_a_registered_kind_round_trips_validates_and_is_described() -> None:
    spec = specmod.loads(specmod.dumps(_ramp_spec()))
    assert isinstance(spec.dataset, RampData)
    assert (spec.dataset.n, spec.dataset.slope) == (16, 0.5)
    assert specmod.validate(spec) == []
    assert " on a 16-point ramp, SGD lr 0.1, 2 epochs" in experiment_description(spec)
    bad = specmod.dumps(_ramp_spec()).replace("n = 16", "n = 0")
    assert any(e.startswith("dataset.n:") for e in specmod.validate(specmod.loads(bad)))


@pytest.mark.usefixtures("ramp_kind")
def test_switching_to_a_registered_kind_uses_its_title_and_task() -> None:
    spec = get_preset("fashion-mlp")
    switch = switch_dataset(spec, "ramp", {})
    assert switch is not None
    assert switch.message.startswith("Switched to the ramp data: loss, metrics")
    assert isinstance(spec.dataset, RampData) and spec.task == "regression"
    assert spec.train.loss in choices.LOSSES.names("regression")
    assert metric_choices(spec) == choices.METRICS.names("regression")


@pytest.mark.usefixtures("ramp_kind")
def test_the_exporter_writes_the_kinds_loader_and_constants() -> None:
    script = export_script(_ramp_spec(), "functional")
    assert _RAMP_LOADER in script
    constants = _constants(script)
    assert constants["N"] == 16 and constants["SLOPE"] == 0.5
    assert "import ktui" not in script and "from ktui" not in script


@pytest.mark.usefixtures("ramp_kind")
def test_a_kinds_integer_constant_is_checked_by_the_exporter() -> None:
    spec = _ramp_spec()
    spec.dataset.n = 2.5
    with pytest.raises(ExportError) as err:
        export_script(spec)
    assert str(err.value).startswith("dataset.n: must be an integer")


def test_a_kind_without_a_loader_is_refused_naming_the_dataset() -> None:
    spec = _ramp_spec()
    spec.dataset = OpaqueData()
    with pytest.raises(ExportError) as err:
        export_script(spec)
    assert str(err.value).startswith("dataset: the opaque data cannot be exported")


@pytest.mark.usefixtures("ramp_kind")
@pytest.mark.slow
def test_the_exported_script_of_a_new_kind_reproduces_its_run(tmp_path: Path) -> None:
    from ktui.core.events import RunFinished
    from ktui.core.runs import RunDir
    from ktui.core.session import start_run

    spec = _ramp_spec()
    run = RunDir.create(tmp_path / "runs", spec)
    assert isinstance(start_run(spec, [], run=run).join(), RunFinished)
    path = tmp_path / "ramp.py"
    path.write_text(export_script(run.spec(), "sequential"), encoding="utf-8")
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env={"TF_CPP_MIN_LOG_LEVEL": "3",
                                                          "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    losses = [float(m.group(1)) for m in re.finditer(r"^epoch +\d+/2  loss ([\d.]+)",
                                                     done.stdout, re.M)]
    logged = [row["loss"] for row in run.epochs_logged()]
    assert len(losses) == len(logged) == 2, done.stdout
    assert losses == pytest.approx(logged, rel=1e-3, abs=1e-4)


# ---- nothing else asks which kind it is ------------------------------------------------------

def _kind_checks(tree: ast.AST) -> list[int]:
    """Lines of ``isinstance(x, LinearData | FashionData ...)`` and ``type(x) is ...Data``."""
    kinds = {"LinearData", "FashionData"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance" \
                and len(node.args) == 2:
            names = {getattr(n, "id", getattr(n, "attr", "")) for n in ast.walk(node.args[1])}
            if names & kinds:
                found.append(node.lineno)
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Is | ast.IsNot | ast.Eq)
                                                 for op in node.ops):
            names = {getattr(n, "id", getattr(n, "attr", "")) for n in node.comparators}
            if names & kinds:
                found.append(node.lineno)
    return found


def test_the_detector_finds_a_kind_check() -> None:
    assert _kind_checks(ast.parse("if isinstance(d, LinearData | FashionData): pass")) == [1]
    assert _kind_checks(ast.parse("ok = type(d) is specmod.FashionData")) == [1]


def test_no_module_outside_the_datasets_package_checks_the_kind() -> None:
    offenders = [f"{path.relative_to(SRC)}:{line}"
                 for path in sorted(SRC.rglob("*.py")) if "datasets" not in path.parts
                 for line in _kind_checks(ast.parse(path.read_text(encoding="utf-8")))]
    assert offenders == []


def test_the_names_that_moved_to_the_registry_are_gone() -> None:
    """spec.LOSSES / METRICS / OPTIMIZERS restated the registry; ktui.core.data re-exported
    the datasets package. Both are gone, so no caller can read a second copy."""
    for name in ("LOSSES", "METRICS", "OPTIMIZERS"):
        assert not hasattr(specmod, name), name
    assert importlib.util.find_spec("ktui.core.data") is None
