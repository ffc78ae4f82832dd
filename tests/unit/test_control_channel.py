"""The control channel of a run being trained (RUN/control.sock): requests reach the trainer,
the trainer's events answer, strangers and stale sockets are refused clearly, and every stop
says why (summary.json, events.jsonl)."""

from __future__ import annotations

import json
import os
import socket
import stat
import struct
import time
from pathlib import Path

import pytest
from test_session import scripted, spec_of

from ktui.core.events import Event, Paused, Resumed, RunFinished
from ktui.core.runs import RunDir
from ktui.core.runs.control_channel import (
    SOCKET_NAME,
    ChannelError,
    ControlChannel,
    send,
)
from ktui.core.session import start_run
from ktui.core.training.control import TrainerControl


def _until(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_run_listens_and_its_events_answer_each_request(tmp_path: Path) -> None:
    events: list[Event] = []
    handle = start_run(spec_of(epochs=10_000), [events.append], runs_root=tmp_path,
                       trainer=scripted(epochs=10_000))
    run = handle.run_dir
    assert run is not None
    sock = run.path / SOCKET_NAME
    assert sock.is_socket() and stat.S_IMODE(sock.stat().st_mode) == 0o600
    send(run.path, {"op": "pause"})
    _until(lambda: any(isinstance(e, Paused) for e in events))
    send(run.path, {"op": "lr", "value": 0.25})
    assert handle.control.take_lr_request() == ("set", 0.25)
    send(run.path, {"op": "lr", "factor": 0.5})
    assert handle.control.take_lr_request() == ("multiply", 0.5)
    send(run.path, {"op": "resume"})
    _until(lambda: any(isinstance(e, Resumed) for e in events))
    send(run.path, {"op": "stop"})
    final = handle.join(10)
    assert isinstance(final, RunFinished) and final.status == "stopped"
    assert final.reason == f"stopped: from a viewer (pid {os.getpid()})"
    assert run.read_summary().reason == final.reason
    last = json.loads(run.events_file.read_text().splitlines()[-1])
    assert last["reason"] == final.reason
    assert not sock.exists()  # gone with the run
    with pytest.raises(ChannelError, match="not being trained"):
        send(run.path, {"op": "pause"})


def test_bad_requests_are_refused_and_change_nothing(tmp_path: Path) -> None:
    control = TrainerControl()
    channel = ControlChannel(tmp_path, control)
    channel.start()
    try:
        from ktui.core.runs.lock import RunLock

        with RunLock(tmp_path, "r"):
            for request, words in (({"op": "fly"}, "unknown request"),
                                   ({"op": "lr", "value": -1}, "positive"),
                                   ({"op": "lr", "value": float("nan")}, "positive"),
                                   ({"op": "step", "n": 0}, "whole number"), ([], "unknown")):
                with pytest.raises(ChannelError, match=words):
                    send(tmp_path, request)
        assert not control.paused and not control.stop_requested
        assert control.take_lr_request() is None
    finally:
        channel.close()


def test_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The socket is 0600 (the kernel refuses other users); the peer's uid is checked too
    (a stranger is simulated: the channel sees a uid that is not its own)."""
    control = TrainerControl()
    channel = ControlChannel(tmp_path, control)
    real = socket.socket.getsockopt

    def stranger(self, level, name, *rest):
        value = real(self, level, name, *rest)
        if name == socket.SO_PEERCRED:
            pid, uid, gid = struct.unpack("3i", value)
            return struct.pack("3i", pid, uid + 1, gid)
        return value

    monkeypatch.setattr(socket.socket, "getsockopt", stranger)
    channel.start()
    try:
        from ktui.core.runs.lock import RunLock

        with RunLock(tmp_path, "r"), pytest.raises(ChannelError, match="only the user"):
            send(tmp_path, {"op": "stop"})
        assert not control.stop_requested
    finally:
        channel.close()


def test_a_stale_socket_is_said_removed_and_replaced(tmp_path: Path) -> None:
    """A trainer killed with -9 leaves control.sock behind: nobody holds the lock."""
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(tmp_path / SOCKET_NAME))
    stale.close()  # bound, nobody listening: what a dead trainer leaves
    (tmp_path / ".lock").write_text("{}")
    with pytest.raises(ChannelError, match="stale control.sock, removed"):
        send(tmp_path, {"op": "pause"})
    assert not (tmp_path / SOCKET_NAME).exists()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(tmp_path / SOCKET_NAME))
    stale.close()
    control = TrainerControl()
    channel = ControlChannel(tmp_path, control)  # a new trainer (holding the lock) replaces it
    channel.start()
    try:
        from ktui.core.runs.lock import RunLock

        with RunLock(tmp_path, "r"):
            send(tmp_path, {"op": "pause"})
        assert control.paused
    finally:
        channel.close()


def test_a_held_run_without_a_socket_says_who_trains_it(tmp_path: Path) -> None:
    from ktui.core.runs.lock import RunLock

    with RunLock(tmp_path, "r", by="ktui train --preset x"), \
            pytest.raises(ChannelError, match=r"pid \d+ .*no control channel"):
        send(tmp_path, {"op": "pause"})


def test_a_deep_run_folder_still_gets_a_socket(tmp_path: Path) -> None:
    """Unix socket paths stop at 107 bytes; deeper folders go through /proc/self/fd."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    control = TrainerControl()
    channel = ControlChannel(deep, control)
    channel.start()
    try:
        from ktui.core.runs.lock import RunLock

        with RunLock(deep, "r"):
            send(deep, {"op": "step", "n": 3})
        assert control.paused
    finally:
        channel.close()
    assert not (deep / SOCKET_NAME).exists()


def test_stop_reasons_reach_the_summary(tmp_path: Path) -> None:
    control = TrainerControl()
    control.pause()
    handle = start_run(spec_of(epochs=100), [], runs_root=tmp_path,
                       trainer=scripted(epochs=100), control=control)
    control.stop("Ctrl+C")
    control.stop("SIGTERM")  # the first reason stays
    final = handle.join(10)
    assert isinstance(final, RunFinished) and final.reason == "stopped: Ctrl+C"
    run = handle.run_dir
    assert isinstance(run, RunDir) and run.read_summary().reason == "stopped: Ctrl+C"


@pytest.mark.skipif(os.getuid() != 0 or not os.access("/usr/bin/python3", os.X_OK),
                    reason="needs root (to act as another user) and /usr/bin/python3")
def test_a_real_other_user_cannot_connect(tmp_path: Path) -> None:
    """As user nobody, connecting to the 0600 socket is refused by the kernel (and were the
    folder open to all, the socket's mode still is)."""
    import subprocess

    tmp_path.chmod(0o755)
    control = TrainerControl()
    channel = ControlChannel(tmp_path, control)
    channel.start()
    code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
            "try:\n s.connect(sys.argv[1]); s.sendall(b'{\"op\":\"stop\"}\\n'); print('in')\n"
            "except PermissionError: print('refused')\n")
    try:
        parents = [p for p in tmp_path.parents if p != Path("/")]
        modes = {p: p.stat().st_mode for p in parents}
        for p in parents:  # let nobody reach the folder: only the socket's mode stops it
            p.chmod(stat.S_IMODE(modes[p]) | 0o011)
        try:
            out = subprocess.run(["/usr/bin/python3", "-I", "-c", code,
                                  str(tmp_path / SOCKET_NAME)], user=65534, group=65534,
                                 capture_output=True, text=True, timeout=20)
        finally:
            for p in parents:
                p.chmod(stat.S_IMODE(modes[p]))
        assert out.stdout.strip() == "refused", out.stderr
        assert not control.stop_requested
    finally:
        channel.close()
