"""Write ``docs/assets/browser-watch.png``, the README's picture of ``ktui serve`` in a browser.

``python -m tests.tui.make_browser_screenshot`` (from the repository root, in an empty folder
of runs: ``KTUI_RUNS_DIR``) starts a detached linear run, serves ``ktui watch RUN``, opens it
in Debian's headless Chromium (``chromium-headless-shell``) driven through the DevTools
protocol, waits in real time (virtual time does not wait for the app's websocket), saves a
screenshot, then stops the run. Not a test: the picture has clocks and a pid in it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ASSET = Path(__file__).resolve().parents[2] / "docs" / "assets" / "browser-watch.png"
KTUI = [sys.executable, "-m", "ktui"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _shoot(url: str, wait: float, out: Path) -> None:
    debug = _free_port()
    chrome = subprocess.Popen(["chromium-headless-shell", "--no-sandbox",
                               f"--remote-debugging-port={debug}", "--window-size=1280,800",
                               "--hide-scrollbars", "about:blank"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # a wrapper script: end its group
    try:
        async with aiohttp.ClientSession() as http:
            pages: list[dict[str, str]] = []
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{debug}/json") as got:
                        pages = [p for p in await got.json() if p["type"] == "page"]
                except aiohttp.ClientError:
                    pass
                if pages:
                    break
                await asyncio.sleep(0.2)
            async with http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                await ws.send_json({"id": 1, "method": "Page.navigate", "params": {"url": url}})
                await asyncio.sleep(wait)
                await ws.send_json({"id": 2, "method": "Page.captureScreenshot",
                                    "params": {"format": "png"}})
                while True:
                    msg = json.loads((await ws.receive()).data)
                    if msg.get("id") == 2:
                        break
        out.write_bytes(base64.b64decode(msg["result"]["data"]))
    finally:
        os.killpg(chrome.pid, signal.SIGKILL)


def main() -> None:
    out = subprocess.run([*KTUI, "train", "--preset", "linear-gd", "--epochs", "100000",
                          "--detach"], capture_output=True, text=True, check=True)
    name = out.stdout.split(":", 1)[0]
    time.sleep(6)
    port = _free_port()
    server = subprocess.Popen([*KTUI, "serve", "--port", str(port), "--", "watch", name],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        asyncio.run(_shoot(f"http://localhost:{port}/", 10.0, ASSET))
    finally:
        server.terminate()
        subprocess.run([*KTUI, "control", name, "stop"], check=False)
    print(f"wrote {ASSET}")


if __name__ == "__main__":
    main()
