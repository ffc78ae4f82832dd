"""Synthetic linear data, y = x·W + b + noise (seed 000), or explicit points (seed 003)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ktui.core.choices import Task
from ktui.core.datasets.base import (
    DataError,
    DatasetSpec,
    ScriptConstant,
    Splits,
    count_words,
)
from ktui.core.schema import MAX_SEED, SEED_NOTE, is_finite, spec_field
from ktui.core.text import brief

if TYPE_CHECKING:
    import numpy as np

#: The generator's x is n × n_features float64 values (plus validation and test sets).
MAX_LINEAR_VALUES = 100_000_000


@dataclass
class LinearData(DatasetSpec):
    """y = x·W + b + noise, with x ~ N(0, 1); the seed's defaults (W=3, b=2, n=1000, noise 1)."""

    kind: ClassVar[str] = "linear"
    title: ClassVar[str] = "the linear dataset"
    help: ClassVar[str] = "y = x·W + b + noise"
    task: ClassVar[Task] = "regression"
    target_words: ClassVar[str] = "the linear dataset"
    shape_fields: ClassVar[tuple[str, ...]] = ("n_features",)

    w: list[float] = spec_field("floats", [3.0], label="W", scalar_ok=True, required=True,
                                help="true weight(s): one, or one per feature")
    b: float = spec_field("float", 2.0, label="b", help="true bias")
    noise: float = spec_field("float", 1.0, label="noise", min=0,
                              help="std of the Gaussian noise added to y")
    n: int = spec_field("int", 1000, label="n", min=1, max=10_000_000,
                        help="training samples to generate")
    n_features: int = spec_field("int", 1, label="features", min=1, max=10_000,
                                 help="features per sample")
    seed: int = spec_field("int", 0, label="data seed", min=0, max=MAX_SEED, note=SEED_NOTE,
                           help="seed of the generated data")
    #: Explicit training points (rows of ``n_features`` values) and targets, as in seed 003's
    #: ``X``/``y``; when given, they replace the generated training set (W, b, noise, n unused)
    #: and there is no validation or test set. File-only: the form has no field for them.
    x: list[list[float]] = spec_field("points", [], help="explicit training points")
    y: list[float] = spec_field("floats", [], help="targets of the explicit points")

    def weights(self) -> list[float]:
        """W with one entry per feature (a single W is repeated)."""
        return self.w * self.n_features if len(self.w) == 1 else list(self.w)

    # ---- checks ---------------------------------------------------------------------------------
    def cross_problems(self, bad: set[str], path: str) -> list[str]:
        problems = []
        sizes_ok = not bad & {"n", "n_features"}
        if sizes_ok and self.n * self.n_features > MAX_LINEAR_VALUES:
            problems.append(f"{path}.n: n × n_features = {self.n * self.n_features:,} values is "
                            f"too many (at most {MAX_LINEAR_VALUES:,}); lower n or n_features")
        if not bad & {"w", "n_features"} and len(self.w) not in (1, self.n_features):
            problems.append(f"{path}.w: has {len(self.w)} values but n_features is "
                            f"{self.n_features}; give one W or one per feature")
        if not bad & {"x", "y"} and (self.x or self.y):
            problems += self._point_problems(path, "n_features" not in bad)
        return problems

    def _point_problems(self, path: str, width_known: bool) -> list[str]:
        problems = []
        if len(self.x) != len(self.y):
            problems.append(f"{path}.y: has {len(self.y)} targets for {len(self.x)} rows of x")
        for i, row in enumerate(self.x):
            if (width_known and len(row) != self.n_features) or not all(map(is_finite, row)):
                problems.append(f"{path}.x[{i}]: must be a list of {self.n_features} finite "
                                f"numbers (n_features), got {brief(row)}")
                break
        return problems

    # ---- what the model sees ----------------------------------------------------------------
    def input_shape(self) -> tuple[int, ...]:
        return (self.n_features,)

    def output_shape(self) -> tuple[int, ...]:
        return (1,)

    def true_params(self) -> tuple[tuple[float, ...], float] | None:
        if self.x or self.y:
            return None
        return tuple(float(v) for v in self.weights()), float(self.b)

    # ---- words ------------------------------------------------------------------------------
    def formula(self) -> str:
        """'y = 3·x + 2 + N(0, 1²) noise', or with a W vector for several features."""
        w = self.weights()
        slope = f"{_num(w[0])}·x" if self.n_features == 1 and len(w) == 1 else "x·W"
        sign = "-" if self.b < 0 else "+"
        formula = f"y = {slope} {sign} {_num(abs(self.b))}"
        formula += f" + N(0, {_num(self.noise)}²) noise" if self.noise > 0 else " (no noise)"
        if slope == "x·W":
            formula += ", W = (" + ", ".join(_num(v) for v in w) + ")"
        return formula

    def describe(self) -> str:
        if self.x or self.y:
            return f"{len(self.y)} explicit points (x, y), {_features(self.n_features)}"
        return (f"{self.formula()}, {count_words(self.n)} samples, "
                f"{_features(self.n_features)}")

    def in_words(self) -> str:
        if self.x:
            return f"{len(self.x)} fixed points"
        features = f", {count_words(self.n_features)} features" if self.n_features != 1 else ""
        return f"linear data ({count_words(self.n)} samples{features})"

    # ---- the exported script ----------------------------------------------------------------
    def script_loader(self) -> str:
        return _SCRIPT_LOADER

    def script_constants(self) -> tuple[ScriptConstant, ...]:
        return (ScriptConstant("TRUE_W", "dataset.w", self.weights()),
                ScriptConstant("TRUE_B", "dataset.b", self.b),
                ScriptConstant("NOISE", "dataset.noise", self.noise),
                ScriptConstant("N", "dataset.n", self.n, integer=True),
                ScriptConstant("N_FEATURES", "dataset.n_features", self.n_features, integer=True),
                ScriptConstant("DATA_SEED", "dataset.seed", self.seed, integer=True),
                ScriptConstant("EXPLICIT_X", "dataset.x", self.x),
                ScriptConstant("EXPLICIT_Y", "dataset.y", self.y))

    # ---- loading ----------------------------------------------------------------------------
    def load(self, validation_split: float, data_dir: str | None = None) -> Splits:
        return load_linear(self, validation_split)


def _num(value: float) -> str:
    """A number as people write it: 3 rather than 3.0, 0.5 rather than 5e-01."""
    return f"{value:g}"


def _features(n: int) -> str:
    return f"{n} feature" if n == 1 else f"{n} features"


def _draw(rng: np.random.Generator, count: int, w: np.ndarray, b: float,
          noise: float) -> tuple[np.ndarray, np.ndarray]:
    """``count`` samples of y = x·W + b + noise·N(0, 1), x ~ N(0, 1), drawn in float64."""
    import numpy as np

    x = rng.standard_normal((count, w.shape[0]))
    eps = rng.standard_normal(count)
    y = x @ w + b + noise * eps
    return x.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def load_linear(d: LinearData, validation_split: float) -> Splits:
    """Synthetic linear data, or the explicit points of ``d.x`` / ``d.y``.

    Validation and test sets are drawn *separately* from the same distribution, after the
    training set, from one generator seeded with ``d.seed``: the training set is always exactly
    ``n`` samples (as in seed 000) and does not change when ``validation_split`` does. Each of
    the other two sets has ``max(1, round(n * validation_split))`` samples, or none when the
    split is 0.

    Args:
        d: The dataset spec.
        validation_split: Size of the validation and test sets relative to ``d.n``.

    Raises:
        DataError: Explicit points whose ``x`` and ``y`` do not line up.
    """
    import numpy as np  # the spec and the forms describe data without numpy

    nf = d.n_features
    if d.x or d.y:
        x = np.array(d.x, dtype=np.float32).reshape(-1, nf) if d.x else np.zeros((0, nf),
                                                                                  np.float32)
        y = np.array(d.y, dtype=np.float32).reshape(-1, 1)
        if x.shape[0] != y.shape[0]:
            raise DataError(f"dataset.y: has {y.shape[0]} targets for {x.shape[0]} rows of x; "
                            "give one target per row")
        empty_x, empty_y = np.zeros((0, nf), np.float32), np.zeros((0, 1), np.float32)
        return Splits(
            x, y, empty_x, empty_y, empty_x.copy(), empty_y.copy(),
            description=f"{x.shape[0]} explicit points, {_features(nf)}",
        )

    w = np.asarray(d.weights(), dtype=np.float64)
    if w.shape != (nf,):
        raise DataError(f"dataset.w: has {w.shape[0]} values but n_features is {nf}; give one "
                        "W or one per feature")
    rng = np.random.default_rng(d.seed)
    x_train, y_train = _draw(rng, d.n, w, d.b, d.noise)
    held_out = max(1, round(d.n * validation_split)) if validation_split > 0 else 0
    x_val, y_val = _draw(rng, held_out, w, d.b, d.noise)
    x_test, y_test = _draw(rng, held_out, w, d.b, d.noise)
    return Splits(
        x_train, y_train, x_val, y_val, x_test, y_test,
        true_w=tuple(float(v) for v in w), true_b=float(d.b),
        description=(f"{d.formula()}: {d.n} train, {held_out} validation, {held_out} "
                     f"test samples, {_features(nf)} (seed {d.seed})"),
    )


#: The exported script's loader: :func:`load_linear` in numpy alone, same generator, same order.
_SCRIPT_LOADER = '''
def draw_linear(rng, count, w, b, noise):
    x = rng.standard_normal((count, w.shape[0]))
    eps = rng.standard_normal(count)
    y = x @ w + b + noise * eps
    return x.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def load_data():
    """(x, y) for training, validation and test (None where there is none): y = x.W + b +
    noise; validation, then test, drawn after the training set from the same generator."""
    if EXPLICIT_X or EXPLICIT_Y:
        x = np.array(EXPLICIT_X, np.float32).reshape(-1, N_FEATURES)
        return (x, np.array(EXPLICIT_Y, np.float32).reshape(-1, 1)), None, None
    w = np.asarray(TRUE_W, dtype=np.float64)
    rng = np.random.default_rng(DATA_SEED)
    train = draw_linear(rng, N, w, TRUE_B, NOISE)
    held_out = max(1, round(N * VALIDATION_SPLIT)) if VALIDATION_SPLIT > 0 else 0
    if not held_out:
        return train, None, None
    val = draw_linear(rng, held_out, w, TRUE_B, NOISE)
    test = draw_linear(rng, held_out, w, TRUE_B, NOISE)
    return train, val, test
'''
