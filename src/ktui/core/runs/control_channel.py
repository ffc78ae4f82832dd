"""The control channel of a run being trained: ``RUN/control.sock``, a Unix socket.

Whatever trains a run (``ktui train``, ``--detach``ed or not, and the TUI, all through
:func:`ktui.core.session.start_run`) listens on it for the duration of the run; any viewer
sends one request per connection, one JSON line::

    {"op": "pause"} | {"op": "resume"} | {"op": "step", "n": 1} | {"op": "stop"}
    {"op": "lr", "value": 0.01} | {"op": "lr", "factor": 0.5}

and reads one JSON line back: ``{"ok": true}`` (the request was handed to the trainer) or
``{"ok": false, "error": "..."}``. The trainer's events are the only acknowledgement of what
it did (``paused``, ``resumed``, ``lr_changed``, ``run_finished``), so every viewer stays
consistent. A stop request is recorded as ``stopped: from a viewer (pid N)``.

Why a socket rather than a command file: nothing is polled (the listening thread sleeps in
``accept``), a request reaches the trainer within a batch, and the kernel says who sent it.
Only the user who trains the run can steer it: the socket is made 0600 before it gets its
name (so there is no window), and the peer's uid (``SO_PEERCRED``) must be the trainer's.
A socket left by a trainer that died (``kill -9``) is stale: the run's lock is free, and a
client says so (and removes it); a new trainer replaces it, since it holds the lock.

Unix socket paths are limited to 107 bytes; a deeper run folder is reached through
``/proc/self/fd/N/control.sock`` (Linux). Pure Python: no TensorFlow.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ktui.core.runs.lock import holder_text, lock_held, read_holder
from ktui.core.text import clean
from ktui.core.training.control import TrainerControl

SOCKET_NAME = "control.sock"
#: The requests a trainer takes (``ktui control RUN ...``).
OPS = ("pause", "resume", "step", "stop", "lr")
#: A request is one short line; anything longer is refused unread.
MAX_REQUEST = 4096
#: How long a client waits for the trainer's answer (it answers at once: a thread waits).
REPLY_TIMEOUT_S = 5.0
#: Longest socket path bound directly (sun_path is 108 bytes with its NUL).
_MAX_PATH = 100


class ChannelError(Exception):
    """A request that could not be delivered, in one line for the user."""


@contextlib.contextmanager
def _address(folder: Path) -> Iterator[str]:
    """The socket's path as bind/connect take it: short enough for ``sun_path``."""
    path = str(folder / SOCKET_NAME)
    if len(path.encode()) <= _MAX_PATH or not hasattr(os, "O_PATH"):
        yield path
        return
    fd = os.open(folder, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{SOCKET_NAME}"
    finally:
        os.close(fd)


def _peer(conn: socket.socket) -> tuple[int, int]:
    """The connecting process's pid and uid (Linux ``SO_PEERCRED``)."""
    raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _ = struct.unpack("3i", raw)
    return pid, uid


class ControlChannel:
    """Listens on ``RUN/control.sock`` and hands each request to ``control``; :meth:`close`
    (the run ended) stops listening and removes the socket. Start it holding the run's lock."""

    def __init__(self, folder: Path, control: TrainerControl) -> None:
        self.folder, self.control = folder, control
        self.path = folder / SOCKET_NAME
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()

    def start(self) -> None:
        """Bind (replacing a stale socket) and listen in a daemon thread; raises OSError."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        temp = f".{SOCKET_NAME}.{os.getpid()}"
        try:
            with _address(self.folder) as address:
                partial = address.rsplit("/", 1)[0] + "/" + temp
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.folder / temp)
                sock.bind(partial)
            os.chmod(self.folder / temp, 0o600)  # before it has the name clients use
            os.replace(self.folder / temp, self.path)  # a stale socket goes here
            sock.listen(8)
            sock.settimeout(0.5)
        except BaseException:
            sock.close()
            with contextlib.suppress(OSError):
                os.unlink(self.folder / temp)
            raise
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="ktui-control", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def _serve(self) -> None:
        while not self._closed.is_set():
            sock = self._sock
            if sock is None:
                return
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                with contextlib.suppress(OSError, ValueError):
                    self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(2.0)
        pid, uid = _peer(conn)
        data = b""  # read whole first: a client refused mid-send would only see EPIPE
        while b"\n" not in data and len(data) < MAX_REQUEST:
            chunk = conn.recv(MAX_REQUEST)
            if not chunk:
                break
            data += chunk
        if uid != os.getuid():
            problem: str | None = "only the user who trains this run can steer it"
        else:
            try:
                problem = self.apply(json.loads(data.split(b"\n", 1)[0] or b"null"), pid)
            except ValueError:
                problem = "not a JSON request"
        reply = {"ok": True} if problem is None else {"ok": False, "error": problem}
        conn.sendall((json.dumps(reply) + "\n").encode())

    def apply(self, request: Any, pid: int) -> str | None:
        """Hand one request to the trainer; what is wrong with it, or None."""
        if not isinstance(request, dict) or request.get("op") not in OPS:
            return f"unknown request (one of: {', '.join(OPS)})"
        op = request["op"]
        c = self.control
        if op == "pause":
            c.pause()
        elif op == "resume":
            c.resume()
        elif op == "step":
            n = request.get("n", 1)
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 100_000:
                return "step takes a whole number of batches from 1 to 100000"
            c.step(n)
        elif op == "stop":
            c.stop(f"from a viewer (pid {pid})")
        else:
            return self._lr(request)
        return None

    def _lr(self, request: dict[str, Any]) -> str | None:
        for key, use in (("value", self.control.set_lr), ("factor", self.control.multiply_lr)):
            value = request.get(key)
            if value is None:
                continue
            if (not isinstance(value, (int, float)) or isinstance(value, bool)
                    or not math.isfinite(value) or value <= 0):
                return f"lr {key} must be a positive number, got {value!r}"
            use(float(value))
            return None
        return "lr takes a value or a factor"


def open_channel(folder: Path, control: TrainerControl) -> ControlChannel | None:
    """Start listening for ``folder``'s run; None when the folder's file system cannot hold a
    socket (the run trains all the same, unsteerable from elsewhere)."""
    channel = ControlChannel(folder, control)
    try:
        channel.start()
    except OSError:
        return None
    return channel


def send(folder: Path, request: dict[str, Any], name: str | None = None) -> None:
    """Deliver ``request`` to the process training the run in ``folder``; raises
    :class:`ChannelError` saying why not (not running, stale, another user, another box)."""
    name = clean(name or folder.name)
    path = folder / SOCKET_NAME
    held = lock_held(folder)
    if not held:
        stale = path.is_socket() if path.exists() else False
        if stale:
            with contextlib.suppress(OSError):
                path.unlink()
        raise ChannelError(f"{name} is not being trained (nothing holds its lock)"
                           + ("; its trainer died and left a stale control.sock, removed"
                              if stale else "") + ": nothing to steer")
    who = read_holder(folder)
    if not path.exists():
        raise ChannelError(f"{name} is trained by {holder_text(who)}, which has no control "
                           "channel yet (still starting: try again in a moment; or an older "
                           "ktui, or a folder that cannot hold a socket)")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(REPLY_TIMEOUT_S)
    try:
        with _address(folder) as address:
            sock.connect(address)
        sock.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while b"\n" not in data:
            chunk = sock.recv(MAX_REQUEST)
            if not chunk:
                break
            data += chunk
    except PermissionError:
        raise ChannelError(f"permission denied: only the user who trains {name} can steer "
                           "it") from None
    except OSError as err:
        host = who.get("host")
        if err.errno in (errno.ECONNREFUSED, errno.ENOENT) and host not in (
                None, socket.gethostname()):
            raise ChannelError(f"{name} is trained on {clean(str(host))}: steer it from "
                               "there") from None
        raise ChannelError(f"cannot reach the trainer of {name} ({holder_text(who)}): "
                           f"{err.strerror or err}") from None
    finally:
        sock.close()
    try:
        reply = json.loads(data or b"null")
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        raise ChannelError(f"the trainer of {name} gave no answer")
    if not reply.get("ok"):
        raise ChannelError(f"the trainer of {name} refused: {clean(str(reply.get('error')))}")
