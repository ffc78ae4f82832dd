"""The one shim on Textual's private names (ktui.ui.safety), checked against the installed
Textual: each test names what moved, so a Textual upgrade that breaks the safety net fails
here, loudly, instead of silently turning every handler bug back into a crash.

Textual 8 has no public hook for this (``App._handle_exception`` "always results in the app
exiting"; only workers have ``exit_on_error``). When a test here fails: read the new
message_pump.py / app.py, adapt the shim and TEXTUAL_PRIVATE_NAMES, bump TEXTUAL_CHECKED
(or drop the shim if Textual grew a public way).

The end-to-end behaviour in ktui itself is in test_app_hardening.py (item 1); the Pilot tests
here use a bare app, so they fail on the shim only.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import textual
from textual.app import App, ComposeResult
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widget import Widget

from ktui.ui import safety
from ktui.ui.safety import (
    TEXTUAL_CHECKED,
    TEXTUAL_PRIVATE_NAMES,
    ErrorNet,
    SurvivingApp,
    install_dispatch_guard,
)

UPGRADE = (f"(the safety shim was checked against Textual {TEXTUAL_CHECKED}, this is "
           f"Textual {textual.__version__}: see ktui/ui/safety.py)")


def _original_dispatch() -> object:
    """Textual's own ``_dispatch_message``, whether or not the guard wraps it already."""
    return inspect.unwrap(MessagePump.__dict__["_dispatch_message"])


def _source(function: object) -> str:
    return inspect.getsource(inspect.unwrap(function))  # type: ignore[arg-type]


# ---- the private names, one by one ---------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TEXTUAL_PRIVATE_NAMES))
def test_each_private_textual_name_still_exists(name: str) -> None:
    owner, _, attribute = name.partition(".")
    cls = {"App": App, "MessagePump": MessagePump}[owner]
    found = hasattr(cls, attribute) or attribute in vars(App())  # instance attributes too
    assert found, f"Textual has no {name} any more {UPGRADE}"


def test_the_shim_uses_no_undeclared_private_textual_name() -> None:
    text = Path(safety.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r"\b(?:MessagePump|App)\._[a-z]\w*", text))
    used |= {f"App.{name}" for name in SurvivingApp.__annotations__ if name.startswith("_")}
    assert used <= set(TEXTUAL_PRIVATE_NAMES), "declare it in TEXTUAL_PRIVATE_NAMES"


def test_dispatch_message_is_a_coroutine_of_self_and_message() -> None:
    original = _original_dispatch()
    assert inspect.iscoroutinefunction(original), (
        f"MessagePump._dispatch_message is no longer a coroutine function {UPGRADE}")
    params = list(inspect.signature(original).parameters)  # type: ignore[arg-type]
    assert params == ["self", "message"], (
        f"MessagePump._dispatch_message{params} changed its signature {UPGRADE}")


def test_the_message_loop_dispatches_through_it_and_gives_up_on_an_error() -> None:
    # Why the shim exists: a handler's error ends the node's loop (then Textual ends the app).
    loop = _source(MessagePump._process_messages_loop)
    assert "await self._dispatch_message(message)" in loop, (
        f"_process_messages_loop no longer calls _dispatch_message: the guard would never "
        f"run {UPGRADE}")
    gives_up = re.search(r"self\.app\._handle_exception\(error\)\s*\n\s*break\b", loop)
    assert gives_up, (f"_process_messages_loop no longer leaves the loop after a handler "
                      f"error: is the shim still needed? {UPGRADE}")


def test_handle_exception_is_still_the_apps_last_stop() -> None:
    handle = App.__dict__.get("_handle_exception")
    assert handle is not None and not inspect.iscoroutinefunction(handle), (
        f"App._handle_exception is gone or became a coroutine {UPGRADE}")
    assert list(inspect.signature(handle).parameters) == ["self", "error"], UPGRADE
    assert "self._exception = error" in _source(handle), (
        f"App._handle_exception no longer records the error in App._exception {UPGRADE}")
    assert "self._exit = True" in _source(App.exit), f"App.exit no longer sets _exit {UPGRADE}"
    assert "raise self._exception" in _source(App.run_test), (
        f"App.run_test no longer re-raises App._exception {UPGRADE}")
    fresh = vars(App())
    assert fresh.get("_exit") is False and fresh.get("_exception", 0) is None, UPGRADE


def test_the_guard_is_installed_once_and_wraps_textuals_method() -> None:
    assert install_dispatch_guard() and install_dispatch_guard()
    guard = MessagePump.__dict__["_dispatch_message"]
    assert getattr(guard, "ktui_dispatch_guard", False)
    assert guard.__wrapped__ is _original_dispatch()  # one layer, not one per app
    assert _original_dispatch().__module__ == "textual.message_pump"  # type: ignore[attr-defined]


# ---- the behaviour, on a bare app -------------------------------------------------------------

class Ping(Message):
    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number


class Target(Widget):
    def __init__(self) -> None:
        super().__init__(id="target")
        self.handled: list[int] = []

    def on_ping(self, message: Ping) -> None:
        if message.number == 1:
            raise RuntimeError("a bug in one handler")
        self.handled.append(message.number)


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Target()


class BareSurvivingApp(SurvivingApp, BareApp):
    def __init__(self) -> None:
        super().__init__()
        self.error_net = ErrorNet(self.notify)
        install_dispatch_guard()

    def on_ready(self) -> None:
        self.error_net.armed = True


async def _until(pilot, condition) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not met in time")


async def test_a_raising_handler_leaves_the_app_up_and_its_node_handling_messages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    app = BareSurvivingApp()
    async with app.run_test() as pilot:
        await _until(pilot, lambda: app.error_net.armed)
        target = app.query_one(Target)
        for number in (1, 2, 3):
            target.post_message(Ping(number))
        await _until(pilot, lambda: target.handled == [2, 3])
        assert app.is_running and not app.exit_requested
        errors = app.take_internal_errors()
        assert [e.where for e in errors] == ["Target.on_ping"]
        assert "a bug in one handler" in (tmp_path / "ktui" / "errors.log").read_text()
    assert app.return_code in (0, None)  # never 1, the code of a fatal error


async def test_an_app_without_the_net_still_ends_on_a_handler_error() -> None:
    # The guard is process-wide: any other Textual app must see Textual's behaviour.
    install_dispatch_guard()
    app = BareApp()
    with pytest.raises(RuntimeError, match="a bug in one handler"):
        async with app.run_test() as pilot:
            app.query_one(Target).post_message(Ping(1))
            await pilot.pause(0.2)
    assert app.return_code == 1
