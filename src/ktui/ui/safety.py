"""The app-wide safety net: a bug in one handler is logged and shown, never fatal.

Textual ends the app on any exception raised by a message handler, an action, a timer or a
callback (``App._handle_exception`` -> ``_fatal_error``), and the node whose handler raised
leaves its message loop for good (``MessagePump._process_messages_loop`` breaks). For ktui
that loses the experiment being edited, so :class:`ktui.ui.app.KtuiApp` asks two questions of
every such error, through the two hooks installed here:

* :func:`install_dispatch_guard` wraps ``MessagePump._dispatch_message`` once per process, so a
  message or key whose handling raises is given to the app's ``survive_handler_error`` *before*
  the node's loop would end; when the app says it survived, the node goes on with its next
  message. For any other app (no such method) the error is raised exactly as before.
* ``KtuiApp._handle_exception`` covers the paths that never reach a dispatch (timers,
  ``call_later``/``call_after_refresh`` callbacks, idle handlers, compose).

The app survives an error only once it is up (startup failures still end it with Textual's
report), only while it is not exiting, only while errors do not pour in (a storm ends the
app), and, outside message handlers and actions, only when the traceback passes through
ktui's own code (a terminal that cannot be written to, or a failure inside Textual's
rendering, stays fatal). What survives is appended to ``errors.log`` in ktui's cache folder,
with the traceback, and shown as an error notification.

Textual 8 has no public way to do this: ``App._handle_exception`` is documented as "Always
results in the app exiting", every path (handlers, timers, callbacks, ``work`` with
``exit_on_error=True``) ends there, and only workers have a public switch
(``work(exit_on_error=False)``, which hides the error instead). So this module is the one
shim on Textual's private names, all listed in :data:`TEXTUAL_PRIVATE_NAMES` (checked
against :data:`TEXTUAL_CHECKED`); tests/tui/test_safety_shim.py fails, naming the one that
moved, the day a Textual release renames or changes any of them.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from textual.message_pump import MessagePump

import ktui
from ktui.core.text import clean

#: The log grows at most to about this size; the older half is then dropped.
MAX_LOG_BYTES = 1_000_000
#: More internal errors than this within STORM_WINDOW_S seconds end the app.
STORM_COUNT = 30
STORM_WINDOW_S = 3.0
#: The same error (same place, same type) is notified at most once in this many seconds.
RENOTIFY_S = 10.0

#: The Textual release the private names below were last read against (message_pump.py,
#: app.py); tests/tui/test_safety_shim.py checks them on whatever release is installed.
TEXTUAL_CHECKED = "8.2.8"

#: Every private Textual name ktui uses, and how; no other module may use one
#: (tests/unit/test_architecture.py). ``App.return_code`` and ``App.is_running`` are no
#: stand-in for ``App._exit``: the first is also set by a fatal error, the second stays True
#: until the exit is processed.
TEXTUAL_PRIVATE_NAMES: dict[str, str] = {
    "MessagePump._dispatch_message": "wrapped (install_dispatch_guard): a coroutine "
        "(self, message) that runs the handlers of one message",
    "MessagePump._process_messages_loop": "read only: calls _dispatch_message for each "
        "message, and on an error calls App._handle_exception and leaves the loop",
    "App._handle_exception": "overridden (SurvivingApp): (self, error), every error that "
        "no dispatch saw ends there; Textual's version ends the app",
    "App._exit": "read (SurvivingApp.exit_requested): set True by App.exit()",
    "App._exception": "read and cleared (SurvivingApp._pending_error): the error "
        "App.run_test re-raises when the app ends",
}


_PACKAGE_DIR = str(Path(ktui.__file__).resolve().parent) + os.sep
_THIS_FILE = str(Path(__file__).resolve())


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/ktui``, else ``~/.cache/ktui`` (also home of native-stderr.log)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ktui"


def errors_log_path() -> Path:
    return cache_dir() / "errors.log"


def display_path(path: Path) -> str:
    """``path`` as the user would type it: relative to the current folder when inside it
    (``./ktui-runs/...``), with ``~`` for the home folder, else absolute."""
    path = Path(os.path.abspath(path))
    try:
        return "./" + str(path.relative_to(Path.cwd()))
    except ValueError:
        pass
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except (ValueError, RuntimeError):
        return str(path)


def _frames(tb: TracebackType | None) -> list[tuple[str, str]]:
    """(file, qualified function name) of each frame from the catcher to the raiser."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append((code.co_filename, getattr(code, "co_qualname", code.co_name)))
        tb = tb.tb_next
    return frames


#: ktui frames every event passes through on its way to a handler: not the place of a bug,
#: and not proof that ktui's code raised (a Textual failure goes through them too).
_PLUMBING = frozenset({"KtuiApp.on_event"})


def _ktui_frames(error: BaseException) -> list[str]:
    """Qualified names of ktui's own frames in ``error``'s traceback (this module aside)."""
    names = []
    for filename, name in _frames(error.__traceback__):
        resolved = os.path.abspath(filename)
        if (resolved.startswith(_PACKAGE_DIR) and resolved != _THIS_FILE
                and name not in _PLUMBING):
            names.append(name)
    return names


def raised_in_ktui(error: BaseException) -> bool:
    """Whether ktui's own code is on the way from the handler to the raise: a bug of ours,
    not a dead terminal or a Textual internal failure (those stay fatal)."""
    return bool(_ktui_frames(error))


def handler_name(error: BaseException) -> str:
    """The innermost ktui function the error went through (``SetupScreen.on_field_changed``):
    the place a bug report should name."""
    names = _ktui_frames(error) or [name for _, name in _frames(error.__traceback__)]
    return names[-1] if names else type(error).__name__


@dataclass(frozen=True)
class InternalError:
    """One survived error, as logged and notified."""

    where: str
    error: BaseException
    message: str
    log: str


def write_error_log(error: BaseException, where: str, path: Path | None = None) -> str:
    """Append ``error`` with its traceback to the errors log; the log's path as shown to the
    user, or why it could not be written (the notification says so instead)."""
    path = path or errors_log_path()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    entry = f"--- {stamp} pid {os.getpid()}: internal error in {where}\n{text}\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > MAX_LOG_BYTES:
            old = path.read_bytes()
            path.write_bytes(old[len(old) // 2:])
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as log:
            log.write(entry)
    except OSError as err:
        return f"(the log {display_path(path)} could not be written: {err.strerror or err})"
    return display_path(path)


class ErrorNet:
    """Decides whether an error is survived, and reports it: logged, then notified once in a
    while (a repeating error does not bury the screen in toasts)."""

    def __init__(self, notify: Callable[..., None]) -> None:
        self._notify = notify
        self.armed = False
        self.errors: list[InternalError] = []
        self._recent: list[float] = []
        self._notified: dict[tuple[str, str], float] = {}

    def survives(self, error: BaseException, *, in_handler: bool) -> bool:
        """Whether ``error`` is survived: once the app is up, any error of a message handler
        or an action (``in_handler``), and from the other paths (timers, callbacks, rendering)
        only errors that went through ktui's code; never a storm of them."""
        if not (self.armed and isinstance(error, Exception)):
            return False
        if not (in_handler or raised_in_ktui(error)):
            return False
        now = time.monotonic()
        self._recent = [t for t in self._recent if now - t < STORM_WINDOW_S] + [now]
        return len(self._recent) <= STORM_COUNT

    def report(self, error: BaseException) -> InternalError:
        where = handler_name(error)
        log = write_error_log(error, where)
        detail = clean((str(error).splitlines() or [""])[0])
        if len(detail) > 200:
            detail = detail[:199] + "…"
        text = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        message = (f"Internal error in {where}: {text} — details in {log}; "
                   "your experiment is kept.")
        record = InternalError(where, error, message, log)
        self.errors.append(record)
        key = (where, type(error).__name__)
        now = time.monotonic()
        if now - self._notified.get(key, -RENOTIFY_S) >= RENOTIFY_S:
            self._notified[key] = now
            self._notify(message, title="ktui hit a bug (it keeps running)", severity="error",
                         timeout=12, markup=False)
        return record


class SurvivingApp:
    """The app's side of the net, mixed into an ``App`` (before it, so its
    ``_handle_exception`` comes first). The app sets :attr:`error_net` and arms it once its
    first frame is up."""

    error_net: ErrorNet
    #: Re-raise a survived error when the app ends (what a Pilot test wants).
    reraise_internal_errors = False
    _exit: bool
    _exception: BaseException | None

    # ---- App's private state, read and written here only (TEXTUAL_PRIVATE_NAMES) ----------
    @property
    def exit_requested(self) -> bool:
        """``exit()`` was called (``App._exit``): no error is survived any more."""
        return self._exit

    @property
    def _pending_error(self) -> BaseException | None:
        """The error ``run_test`` re-raises when the app ends (``App._exception``)."""
        return self._exception

    @_pending_error.setter
    def _pending_error(self, error: BaseException | None) -> None:
        self._exception = error

    # ---- the net --------------------------------------------------------------------------
    def survive_handler_error(self, error: Exception) -> bool:
        """Asked by the dispatch guard for an error a handler raised: True when it was logged
        and shown and the app goes on (the node keeps processing its messages)."""
        if self.exit_requested or not self.error_net.survives(error, in_handler=True):
            return False
        self._report_internal_error(error)
        return True

    def _handle_exception(self, error: Exception) -> None:
        """Textual's last stop for errors in timers, callbacks and compose (every other path
        meets :meth:`survive_handler_error` first). Startup failures, errors outside ktui's
        code and error storms still end the app, with Textual's report and the log."""
        if not self.exit_requested and self.error_net.survives(error, in_handler=False):
            self._report_internal_error(error)
            return
        if isinstance(error, Exception) and not self.exit_requested:
            write_error_log(error, "ktui (fatal)")
        if any(self._pending_error is e.error for e in self.error_net.errors):
            self._pending_error = None  # the fatal one is what Pilot must wake up to and raise
        super()._handle_exception(error)

    def _report_internal_error(self, error: Exception) -> None:
        self.error_net.report(error)
        if self.reraise_internal_errors and self._pending_error is None:
            # A Pilot test still fails on it at the end (run_test re-raises this) unless it
            # took the errors it expected with take_internal_errors().
            self._pending_error = error

    @property
    def internal_errors(self) -> list[InternalError]:
        """The errors survived so far (logged and notified)."""
        return list(self.error_net.errors)

    def take_internal_errors(self) -> list[InternalError]:
        """The survived errors, forgotten: for tests that provoke them on purpose."""
        taken = list(self.error_net.errors)
        self.error_net.errors.clear()
        if any(self._pending_error is e.error for e in taken):
            self._pending_error = None
        return taken


def install_dispatch_guard() -> bool:
    """Wrap ``MessagePump._dispatch_message`` (once per process) so an app with a
    ``survive_handler_error(error) -> bool`` method can keep a node's message loop alive;
    whether the guard is in place.

    Textual 8 (TEXTUAL_CHECKED): ``_process_messages_loop`` awaits
    ``_dispatch_message(message)`` for each message and leaves the loop when it raises. Apps
    without the method see no change. Should a Textual release drop the method, nothing is
    wrapped (handler errors end the app again, as Textual does) and test_safety_shim fails.
    """
    current = getattr(MessagePump, "_dispatch_message", None)
    if getattr(current, "ktui_dispatch_guard", False):
        return True
    if not inspect.iscoroutinefunction(current):
        return False
    original = current

    @functools.wraps(original)
    async def _dispatch_message(self: MessagePump, message: Any) -> None:
        _rich_traceback_omit = True  # noqa: F841 (read by Rich's traceback renderer)
        try:
            await original(self, message)
        except Exception as error:
            try:
                survive = getattr(self.app, "survive_handler_error", None)
            except Exception:  # no active app: nothing to ask
                survive = None
            if survive is None or not survive(error):
                raise

    _dispatch_message.ktui_dispatch_guard = True  # type: ignore[attr-defined]
    MessagePump._dispatch_message = _dispatch_message  # type: ignore[method-assign]
    return True


def print_safely(text: str) -> None:
    """A line on stderr that never raises (the terminal may be gone after a SIGHUP)."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


__all__ = [
    "TEXTUAL_CHECKED", "TEXTUAL_PRIVATE_NAMES", "ErrorNet", "InternalError", "SurvivingApp",
    "cache_dir", "display_path", "errors_log_path", "handler_name", "install_dispatch_guard",
    "print_safely", "raised_in_ktui", "write_error_log",
]
