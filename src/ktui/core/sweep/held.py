"""The one study a viewer holds (the sweep view): its board read again on demand, and the
viewer's requests (prune a trial, add trials, stop the sweep). The storage is opened once,
by whoever makes this; reading it again is cheap (a journal file is read from where it
stopped; a database answers one query)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import optuna

from ktui.core.sweep.board import Board, board_of
from ktui.core.sweep.space import SweepError
from ktui.core.sweep.steer import add_trials, prune_run, request_stop
from ktui.core.sweep.study import config_of
from ktui.core.sweep.worker import fail_stale
from ktui.core.text import clean


class HeldStudy:
    """``prune(run_folder) -> problem or ""`` delivers a stop to a trial's trainer (its run's
    control channel; a test passes its own)."""

    def __init__(self, study: optuna.Study, url: str,
                 prune: Callable[[Path], str] = prune_run) -> None:
        self.study, self.url = study, url
        self._prune = prune
        self.last: Board | None = None

    def board(self) -> Board:
        """The study now (a trial whose worker died is failed first, as ``status`` does)."""
        fail_stale(self.study)
        self.last = board_of(self.study, config_of(self.study))
        return self.last

    def prune(self, number: int) -> str:
        """Ask trial ``number``'s trainer to stop it (it ends pruned); "" or why not."""
        row = self.last.row(number) if self.last is not None else None
        if row is None or row.state != "running":
            return f"trial {number} is not running: only a running trial can be pruned"
        if row.run_dir is None:
            return f"trial {number} has no run yet"
        return self._prune(Path(row.run_dir))

    def add(self, n: int) -> str:
        """``n`` more trials; what happened, in words (a problem starts with "cannot")."""
        try:
            total = add_trials(self.study, n)
        except SweepError as err:
            return f"cannot add trials: {err.errors[0]}"
        return (f"{n} trial{'s' * (n != 1)} added: {total} in all. The sweep's workers take "
                f"them; if they have left, `ktui sweep join --storage {clean(self.url)} "
                f"--study {clean(self.study.study_name)}` runs them")

    def stop(self) -> list[str]:
        """Stop the sweep (no trial starts; running ones are asked to stop)."""
        return request_stop(self.study, prune=self._prune)
