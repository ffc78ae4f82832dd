"""The benchmark's reading of the TUI harness's event tap (``benchmarks.apps.read_tap``): the
trainer's thread appends while the benchmark reads, so a half-written last line must wait for
the next read instead of failing the run (it failed a learned-page A/B in session 10)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.apps import read_tap


def test_a_half_written_last_line_waits_for_the_next_read(tmp_path: Path) -> None:
    tap = tmp_path / "events.jsonl"
    assert read_tap(tap) == []  # not written yet
    first, second = {"event": "run_started", "t": 1.0}, {"event": "epoch_done", "t": 2.5}
    whole = json.dumps(second)
    tap.write_text(json.dumps(first) + "\n" + whole[:12])
    assert read_tap(tap) == [first]
    tap.write_text(json.dumps(first) + "\n" + whole + "\n")
    assert read_tap(tap) == [first, second]
