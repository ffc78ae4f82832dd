"""A sweep's study on Optuna: storage from a URL, the sampler, the pruner, and the settings
every worker needs, kept in the study itself (its user attributes) so that ``ktui sweep join
--storage URL --study NAME`` is enough on another machine.

Storage: a journal file (the default, ``RUNS/.sweeps/STUDY.journal``: many processes on one
box, no server; a plain path or ``journal:PATH``), ``sqlite:///FILE`` (heartbeats on) or any
other SQLAlchemy URL such as ``postgresql://`` for several machines (passed to Optuna as is,
heartbeats on).
"""

from __future__ import annotations

import logging
import os
import re
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import optuna

from ktui.core.spec.steering import higher_is_better
from ktui.core.sweep.space import Param, SweepError, params_from_texts
from ktui.core.text import clean

#: The user attribute holding :class:`SweepConfig`.
CONFIG_ATTR = "ktui_sweep"
CONFIG_VERSION = 1
#: The study's user attribute saying the sweep was stopped (why, in words; see .steer).
STOP_ATTR = "ktui_stop"
#: Hidden from ``ktui runs`` (it skips dot folders): the default journal files.
SWEEPS_DIR = ".sweeps"
#: RDB storages beat every few seconds; a trial silent for the grace period is failed when
#: the next trial starts (the journal has no heartbeat: see :mod:`.stale`).
HEARTBEAT_S, GRACE_S = 10, 30


@dataclass
class SweepConfig:
    """What a worker needs to run trials, stored in the study."""

    spec: dict[str, Any]
    params: list[str]
    metric: str = "val_loss"
    direction: str = "minimize"
    trials: int = 20
    sampler: str = "tpe"
    pruner: dict[str, Any] = field(default_factory=lambda: {"kind": "median"})
    seed: int = 0
    #: Your layer files the spec uses: ``{"path", "sha256"}`` each (``join`` needs the same).
    layers: list[dict[str, str]] = field(default_factory=list)
    #: Each trial a ``ktui train`` subprocess (``--isolate``) instead of in the worker.
    isolate: bool = False
    version: int = CONFIG_VERSION

    def space(self) -> list[Param]:
        return params_from_texts(self.params)

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any], study: str) -> SweepConfig:
        data = attrs.get(CONFIG_ATTR)
        if not isinstance(data, dict):
            raise SweepError([f"study {clean(study)} was not made by `ktui sweep` (it has no "
                              f"{CONFIG_ATTR} attribute)"])
        if data.get("version", 0) > CONFIG_VERSION:
            raise SweepError([f"study {clean(study)} was made by a newer ktui; upgrade"])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_attrs(self) -> dict[str, Any]:
        return asdict(self)


def default_direction(metric: str) -> str:
    return "maximize" if higher_is_better(metric) else "minimize"


def direction_of(text: str) -> str:
    """``min``/``minimize``/``max``/``maximize`` -> Optuna's word."""
    word = text.strip().lower()
    if word in ("min", "minimize", "minimise"):
        return "minimize"
    if word in ("max", "maximize", "maximise"):
        return "maximize"
    raise SweepError([f"--direction: must be min or max, got {clean(text)!r}"])


def default_study_name(spec_name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", spec_name).strip("-._")[:60] or "sweep"
    return f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a study (it names its journal file and its trials' runs)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}", name):
        return (f"--study: {clean(name)!r} must be 1 to 80 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit")
    return None


def default_storage(root: Path, study: str) -> str:
    return str(root / SWEEPS_DIR / f"{study}.journal")


def latest_journal(root: Path) -> Path | None:
    """The newest journal file under ``RUNS/.sweeps`` (``ktui sweep status`` alone)."""
    folder = root / SWEEPS_DIR
    try:
        files = [p for p in folder.glob("*.journal") if p.is_file()]
    except OSError:
        return None
    return max(files, key=lambda p: p.stat().st_mtime, default=None)


def is_journal(url: str) -> bool:
    return "://" not in url


def storage_of(url: str) -> optuna.storages.BaseStorage:
    """The Optuna storage a URL names (see the module's docstring)."""
    quiet()
    if is_journal(url):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        path = Path(url.removeprefix("journal:"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(str(path)))
        except OSError as err:
            raise SweepError([f"cannot use the journal file {clean(str(path))}: "
                              f"{err.strerror or err}"]) from None
    from optuna.storages import RDBStorage

    url = _with_driver(url)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):  # make SQLite's wait for a lock explicit (its default: 5 s)
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 30}}
    try:
        with warnings.catch_warnings():  # "heartbeat_interval is experimental", every time
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return RDBStorage(url, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S,
                              failed_trial_callback=None, **kwargs)
    except (ImportError, ModuleNotFoundError) as err:
        raise SweepError([f"--storage {clean(url.split('@')[-1])}: its database driver is not "
                          f"installed ({err})"]) from None
    except Exception as err:  # noqa: BLE001 - SQLAlchemy's many errors: one line
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SweepError([f"--storage: cannot open the study database: {clean(first)}"]) \
            from None


def _with_driver(url: str) -> str:
    """``postgresql://`` means psycopg2 to SQLAlchemy; with only psycopg 3 installed (``pip
    install 'psycopg[binary]'``), use that."""
    if not url.startswith("postgresql://"):
        return url
    import importlib.util

    if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def quiet() -> None:
    """Optuna's INFO lines (one per trial) are ktui's to print, not Optuna's."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)


def make_sampler(config: SweepConfig, worker: int | None) -> optuna.samplers.BaseSampler:
    """The configured sampler, seeded per worker (the same seed in two workers proposes the
    same points); ``worker`` None (a join from another box): seeded by its pid."""
    seed = config.seed + 1000 * (worker if worker is not None else os.getpid())
    if config.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if config.sampler == "grid":
        grid = {p.path: p.grid() for p in config.space()}
        return optuna.samplers.GridSampler(grid, seed=seed)
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def grid_problems(params: list[Param]) -> list[str]:
    return [f"{p.path}: --sampler grid needs choice:... or int:A..B (a {p.kind} range has no "
            "grid)" for p in params if p.grid() is None]


def pruner_settings(kind: str, epochs: int, warmup: int | None = None) -> dict[str, Any]:
    """The pruner's settings as stored (Optuna keeps no pruner in the storage)."""
    if kind == "median":
        return {"kind": kind, "n_startup_trials": 3,
                "n_warmup_steps": max(1, min(epochs // 5, 5)) if warmup is None else warmup}
    if kind == "hyperband":
        return {"kind": kind, "min_resource": 1, "max_resource": max(epochs, 1),
                "reduction_factor": 3}
    return {"kind": "none"}


def make_pruner(settings: dict[str, Any]) -> optuna.pruners.BasePruner:
    kind = settings.get("kind", "none")
    args = {k: v for k, v in settings.items() if k != "kind"}
    if kind == "median":
        return optuna.pruners.MedianPruner(**args)
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(**args)
    return optuna.pruners.NopPruner()


def create(url: str, name: str, config: SweepConfig) -> optuna.Study:
    """A new study holding ``config``; :class:`SweepError` when the name is taken."""
    storage = storage_of(url)
    try:
        study = optuna.create_study(study_name=name, storage=storage,
                                    direction=config.direction, load_if_exists=False)
    except optuna.exceptions.DuplicatedStudyError:
        raise SweepError([f"study {clean(name)} already exists in {clean(url)}: add workers with "
                          f"`ktui sweep join --storage {clean(url)} --study {clean(name)}`, or "
                          "name a new one with --study"]) from None
    study.set_user_attr(CONFIG_ATTR, config.to_attrs())
    return study


def load(url: str, name: str | None, sampler: optuna.samplers.BaseSampler | None = None,
         pruner: optuna.pruners.BasePruner | None = None) -> optuna.Study:
    """An existing study (``name`` None: the storage's only one)."""
    storage = storage_of(url)
    names = [s.study_name for s in optuna.get_all_study_summaries(storage,
                                                                  include_best_trial=False)]
    if name is None:
        if len(names) != 1:
            raise SweepError([f"{clean(url)} holds {len(names)} studies; name one with --study"
                              + (f" ({', '.join(clean(n) for n in names)})" if names else "")])
        name = names[0]
    elif name not in names:
        raise SweepError([f"no study {clean(name)} in {clean(url)}"
                          + (f" (it has: {', '.join(clean(n) for n in names)})" if names else "")])
    return optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)


def stopped_why(attrs: dict[str, Any]) -> str:
    """Why the sweep was stopped, from the study's user attributes ("" while it goes on)."""
    why = attrs.get(STOP_ATTR, "")
    return clean(str(why)) if why else ""


def config_of(study: optuna.Study) -> SweepConfig:
    return SweepConfig.from_attrs(study.user_attrs, study.study_name)
