"""``ktui sweep status --watch`` in a pipe, and ``--jsonl``: the study as lines that only
grow. The first board is printed whole; after it, once a second, a line for each trial that
is new or changed (its state, its epoch, its value) and the counts when they change, until
nothing runs and nothing is left to start (or the sweep was stopped). One study is held and
read again each time (:func:`ktui.core.sweep.board.board_of`), never reopened.
"""

from __future__ import annotations

import json
import time

import optuna

from ktui.cli.errors import EXIT_OK
from ktui.core.sweep.board import Board, TrialRow, board_of, changes, row_line
from ktui.core.sweep.steer import stop_requested
from ktui.core.sweep.study import config_of
from ktui.core.sweep.worker import fail_stale, remaining
from ktui.core.text import clean


def finished(study: optuna.Study) -> bool:
    """Nothing runs, and nothing is left to start (or the sweep was stopped)."""
    running = any(t.state.name == "RUNNING" for t in study.get_trials(deepcopy=False))
    config = config_of(study)
    return not running and (bool(stop_requested(study)) or not remaining(study,
                                                                        config.trials))


def read_board(study: optuna.Study) -> Board:
    fail_stale(study)
    return board_of(study, config_of(study))


def _json_row(row: TrialRow) -> str:
    return json.dumps({"event": "trial", **row.to_dict()})


def _json_counts(board: Board) -> str:
    best = board.best
    return json.dumps({"event": "counts", "study": board.study, "total": board.total,
                       "counts": board.counts, "best": best.number if best else None})


def print_board(study: optuna.Study) -> int:
    """``status --jsonl`` without ``--watch``: the counts, then every trial."""
    board = read_board(study)
    print(_json_counts(board))
    for row in sorted(board.rows, key=lambda r: r.number):
        print(_json_row(row))
    return EXIT_OK


def watch_lines(study: optuna.Study, url: str, jsonl: bool, every: float) -> int:
    old: Board | None = None
    while True:
        done = finished(study)  # before reading: a trial ending meanwhile is printed
        board = read_board(study)
        counts = old is None or (board.counts, board.total) != (old.counts, old.total)
        if jsonl:
            out = ([_json_counts(board)] if counts else []) + [
                _json_row(r) for r in changes(old, board)]
        else:
            out = [f"study {clean(board.study)} ({clean(url)}): {board.counts_text()}",
                   board.best_text()] if counts else []
            out += [row_line(r, board) for r in changes(old, board)]
        if out:
            print("\n".join(out), flush=True)
        old = board
        if done:
            return EXIT_OK
        time.sleep(max(0.2, every))
