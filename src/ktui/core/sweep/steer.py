"""Steering a sweep from outside its workers (the sweep view's keys): add trials, stop the
sweep, prune one trial by hand.

The study is the one place every worker reads, so the first two are study attributes: the
total of trials lives in the stored :class:`~ktui.core.sweep.study.SweepConfig` (workers and
the supervisor read it again after every trial), and a stop is :data:`STOP_ATTR` (no trial
starts after it; each running trial is stopped through its run's control channel). A trial
pruned by hand is a stop request over its run's control channel: the trial's objective sees
its run end ``stopped`` without its pruner having said so and records the trial pruned
(:mod:`ktui.core.sweep.trial`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import optuna

from ktui.core.runs.control_channel import ChannelError, send
from ktui.core.sweep.space import SweepError
from ktui.core.sweep.study import CONFIG_ATTR, STOP_ATTR, config_of, stopped_why
from ktui.core.sweep.trial import RUN_ATTR
from ktui.core.text import clean

#: At most this many trials added at once (a typo of 1000000 would run for weeks).
MAX_ADDED = 10_000


def total_trials(study: optuna.Study) -> int:
    """The trials the study is to have now (as started, plus those added since)."""
    return config_of(study).trials


def stop_requested(study: optuna.Study) -> str:
    """Why the sweep was stopped ("" while it goes on)."""
    return stopped_why(study.user_attrs)


def add_trials(study: optuna.Study, n: int) -> int:
    """``n`` more trials for the study; the new total. Refused when the sweep was stopped."""
    if not 1 <= n <= MAX_ADDED:
        raise SweepError([f"add from 1 to {MAX_ADDED} trials, not {n}"])
    if stop_requested(study):
        raise SweepError([f"sweep {clean(study.study_name)} was stopped; start a new one"])
    data = dict(study.user_attrs[CONFIG_ATTR])
    data["trials"] = int(data.get("trials", 0)) + n
    study.set_user_attr(CONFIG_ATTR, data)
    return data["trials"]


def request_stop(study: optuna.Study, why: str = "stopped from the sweep view",
                 prune: Callable[[Path], str] | None = None) -> list[str]:
    """No trial starts from now on; each running trial is asked to stop (its run ends
    ``stopped``). The problems of the requests that did not reach a trainer, one line each."""
    study.set_user_attr(STOP_ATTR, why)
    problems = []
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        run = t.user_attrs.get(RUN_ATTR)
        if isinstance(run, str):
            problem = (prune or prune_run)(Path(run))
            if problem:
                problems.append(f"trial {t.number}: {problem}")
    return problems


def prune_run(run: Path) -> str:
    """Ask the process training ``run`` (a trial's) to stop it; "" when delivered, else why
    not in one line."""
    try:
        send(run, {"op": "stop"}, run.name)
    except ChannelError as err:
        return str(err)
    except OSError as err:
        return f"{clean(run.name)}: {err.strerror or err}"
    return ""
