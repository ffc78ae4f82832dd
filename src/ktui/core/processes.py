"""Whether a process is alive, asked the way every part of ktui asks it (a run's recorded pid,
a sweep worker's): signal 0, which only checks; and a child that ends with its parent."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from typing import Any

#: Set by a parent (a sweep worker running ``--isolate`` trials) to its pid: the ``ktui
#: train`` it starts gets SIGTERM (a clean stop, its last epoch kept) when that parent dies,
#: instead of training on for nobody.
PARENT_ENV = "KTUI_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def pid_alive(pid: Any) -> bool:
    """Whether ``pid`` (a positive int) names a live process on this machine: one we may not
    signal is alive; a value that is no pid is not."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, OSError):
        return False
    return True


def die_with_parent(env: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Ask the kernel for SIGTERM when the parent named by ``$KTUI_PARENT_PID`` dies (Linux
    ``prctl(PR_SET_PDEATHSIG)``); if it already died, SIGTERM now. False when not asked or
    not possible (another system: the child then outlives its parent, as before)."""
    try:
        parent = int(env.get(PARENT_ENV, ""))
    except ValueError:
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # it died before the request: nobody will signal
        os.kill(os.getpid(), signal.SIGTERM)
    return True

