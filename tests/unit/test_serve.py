"""``ktui serve``: the app in a browser through textual-serve. A real server on a free
loopback port, spoken to as a browser does: the page (its font served locally), then the
websocket, until the app's first frame arrives and a key reaches it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from ktui.cli.serve import app_command, is_loopback
from ktui.ui.web_keys import BROWSER_KEYS, WEB_KEYMAP

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")

ANSI = re.compile(rb"\x1b\[[0-9;?<>]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def _ktui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ktui", *args], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server() -> Iterator[int]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ktui", "serve", "--port", str(port)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the server did not listen"
            time.sleep(0.1)
    try:
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and the app process of each tab
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


async def _screen_until(ws: object, text: bytes, timeout: float) -> bytes:
    """The app's output (escapes stripped) until ``text`` shows in it."""
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in ANSI.sub(b"", seen):
        left = deadline - time.monotonic()
        assert left > 0, f"no {text!r} in {ANSI.sub(b'', seen)[-400:]!r}"
        msg = await ws.receive(timeout=left)  # type: ignore[attr-defined]
        if msg.type == aiohttp.WSMsgType.BINARY:
            seen += msg.data
        elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            raise AssertionError("the app's session ended")
    return ANSI.sub(b"", seen)


@pytest.mark.slow
def test_the_app_in_a_browser(server: int) -> None:
    base = f"http://localhost:{server}"

    async def browse() -> None:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/") as page:
                html = await page.text()
            assert page.status == 200
            assert "fonts.googleapis.com" not in html  # an offline box serves its own font
            assert f"ws://localhost:{server}/ws" in html  # as the browser reached it
            font = re.search(r'url\("([^"]+RobotoMono-VariableFont_wght\.ttf)"\)', html)
            assert font is not None
            async with http.get(font.group(1)) as got:
                assert got.status == 200 and len(await got.read()) > 10_000
            # A page on another site cannot drive it (cross-site websocket, DNS rebinding).
            async with http.get(base + "/", headers={"Host": "evil.example"}) as other:
                assert other.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(base + "/ws", headers={"Origin": "http://evil.example"})
            assert refused.value.status == 403

            async with http.ws_connect(base + "/ws?width=100&height=30",
                                       headers={"Origin": base}) as ws:
                await _screen_until(ws, b"Dataset", 30)  # the setup view's first frame
                await ws.send_json(["stdin", "\x1bOP"])  # F1 reaches the app: the help opens
                await _screen_until(ws, b"Anywhere", 15)

    asyncio.run(browse())


def test_loopback_only_without_public() -> None:
    out = _ktui("serve", "--host", "0.0.0.0")
    assert out.returncode == 2
    assert "no login" in out.stderr and "ssh -L 8000:localhost:8000" in out.stderr
    out = _ktui("serve", "--", "export", "x", "--python", "y.py")
    assert out.returncode == 2 and "not `export`" in out.stderr


def test_command_and_hosts() -> None:
    assert app_command(["--preset", "a b"]).startswith(f"{sys.executable} -m ktui ")
    assert app_command(["--preset", "a b"]).endswith("--preset 'a b'")
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "192.168.1.2", "evil.example", "::"):
        assert not is_loopback(host), host


def test_every_browser_key_has_another_in_a_browser() -> None:
    from ktui.ui.app import KtuiApp
    from ktui.ui.screens.layer_form import LayerFormScreen
    from ktui.ui.screens.runs import RunsScreen
    from ktui.ui.screens.setup import SetupScreen
    from ktui.ui.screens.training import TrainingScreen
    from ktui.ui.screens.watch_run import WatchScreen

    for cls in (KtuiApp, SetupScreen, TrainingScreen, RunsScreen, LayerFormScreen,
                WatchScreen):
        for binding in cls.BINDINGS:
            keys = [k.strip() for k in binding.key.split(",")]  # type: ignore[union-attr]
            if any(k in BROWSER_KEYS for k in keys):
                web = WEB_KEYMAP.get(binding.id or "", "")
                first = web.split(",")[0]
                assert first and first not in BROWSER_KEYS, (cls.__name__, binding.action)
