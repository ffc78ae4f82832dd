"""Whether a process is alive, asked the way every part of ktui asks it (a run's recorded pid,
a sweep worker's): signal 0, which only checks."""

from __future__ import annotations

import os
from typing import Any


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
