"""The events.jsonl follower: whole lines only, a replaced file read again, a file that does
not exist yet is no lines."""

from __future__ import annotations

import os
from pathlib import Path

from ktui.core.events import Paused, to_json
from ktui.core.runs import RunDir
from ktui.core.runs.follow import EventFollower


def test_lines_come_whole_and_a_replaced_log_is_read_again(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    follower = EventFollower(run)
    assert follower.poll() == []  # no log yet
    line = to_json(Paused(1, 2))
    with open(run.events_file, "w") as f:
        f.write(line + "\n" + line[:10])
    first = follower.poll()
    assert [x.event for x in first] == [Paused(1, 2)] and follower.behind == 0
    with open(run.events_file, "a") as f:
        f.write(line[10:] + "\nnot json\n")
    second = follower.poll()
    assert [x.event for x in second] == [Paused(1, 2), None] and second[1].text == "not json"
    replacement = tmp_path / "new"
    replacement.write_text(to_json(Paused(3, 4)) + "\n")
    os.replace(replacement, run.events_file)  # a resume rewinds the log: a new file
    assert [x.event for x in follower.poll()] == [Paused(3, 4)] and follower.restarts == 1
    late = EventFollower(run, from_end=True)
    assert late.poll() == []
    follower.close()
    late.close()
