"""``ktui serve [--host H] [--port P] [--public] [-- KTUI-ARGS]``: the app in a browser.

textual-serve (the optional extra ``ktui[serve]``) starts one app process per browser tab and
relays it over a websocket. The process is ``sys.executable -m ktui KTUI-ARGS`` (this Python,
no reliance on ``PATH``; textual-serve runs the command line through ``/bin/sh``, so every
word is quoted). It binds 127.0.0.1 unless told otherwise, and refuses another address without
``--public``: textual-serve has no login, and the app imports Python files (your layers), so
whoever reaches the port runs code as you. On loopback it also refuses requests whose
``Host`` or ``Origin`` is not a loopback name, so a web page in your browser cannot drive it
(DNS rebinding, cross-site websockets). From another machine: ``ssh -L 8000:localhost:8000
box``, then http://localhost:8000 in the local browser.

The stock page fetches its font from Google Fonts, which an offline GPU box cannot reach: the
page served here is the stock template with that link replaced by the same font
(Roboto Mono) from textual-serve's own static files.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys
import tempfile
import typing
from pathlib import Path
from urllib.parse import urlsplit

from ktui.cli.errors import EXIT_OK, UsageError, say

#: The stock template's web font, and what replaces it (served from /static/fonts).
WEB_FONT = '<link\n      rel="stylesheet"\n      href="https://fonts.googleapis.com/css?family=Roboto%20Mono"\n    />'  # noqa: E501
LOCAL_FONT = """<style>
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf")
          format("truetype");
        font-weight: 100 700;
        font-style: normal;
      }
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-Italic-VariableFont_wght.ttf")
          format("truetype");
        font-weight: 100 700;
        font-style: italic;
      }
    </style>"""
#: What the served app may be: the TUI (with its options) or ``watch``.
SERVABLE = (None, "watch")
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) stays on this machine."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def app_command(app_args: list[str]) -> str:
    """The command line textual-serve runs per tab: this Python, ``-m ktui``, quoted."""
    return shlex.join([sys.executable, "-m", "ktui", *app_args])


def check_app_args(app_args: list[str]) -> None:
    """Refuse, here and now, arguments the app would refuse in each tab."""
    from ktui.cli.parser import build_parser

    try:
        parsed = build_parser().parse_args(app_args)
    except SystemExit:
        raise UsageError(f"ktui serve -- {shlex.join(app_args)}: not arguments ktui takes "
                         "(see the message above)") from None
    if parsed.command not in SERVABLE:
        raise UsageError(f"ktui serve runs the TUI (ktui [--preset|--spec ...]) or `watch`, "
                         f"not `{parsed.command}`")


def page_templates(folder: Path) -> Path:
    """A copy of textual-serve's page template in ``folder`` with the font served locally."""
    import textual_serve

    stock = Path(textual_serve.__file__).parent / "templates" / "app_index.html"
    page = stock.read_text(encoding="utf-8")
    (folder / "app_index.html").write_text(page.replace(WEB_FONT, LOCAL_FONT),
                                           encoding="utf-8")
    return folder


def _host_name(netloc: str) -> str:
    return (urlsplit(f"//{netloc}").hostname or "") if netloc else ""


def loopback_guard() -> typing.Any:
    """An aiohttp middleware: only pages and websockets addressed to a loopback name."""
    from aiohttp import web

    @web.middleware
    async def guard(request: typing.Any, handler: typing.Any) -> typing.Any:
        origin = request.headers.get("Origin")
        if not is_loopback(_host_name(request.host)) or (
                origin and not is_loopback(urlsplit(origin).hostname or "")):
            raise web.HTTPForbidden(text="ktui serve answers only requests to localhost")
        return await handler(request)

    return guard


def make_server(command: str, host: str, port: int, templates: Path,
                loopback_only: bool) -> typing.Any:
    """A textual-serve Server for ``command`` with the local-font page; on loopback, one that
    answers only requests addressed to a loopback name."""
    import textual_serve
    from textual_serve.server import Server

    class KtuiServer(Server):  # type: ignore[misc]
        async def handle_index(self, request: typing.Any) -> typing.Any:
            # The page's links and websocket as the browser reached it (a tunnel's own
            # port, --public's real name), not the address bound (textual-serve #42).
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def _make_app(self) -> typing.Any:
            app = await super()._make_app()
            if loopback_only:
                app.middlewares.append(loopback_guard())
            return app

    statics = Path(textual_serve.__file__).parent / "static"
    return KtuiServer(command, host=host, port=port, title="ktui", statics_path=statics,
                      templates_path=templates)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        raise UsageError("ktui serve needs textual-serve: pip install 'ktui[serve]'") from None
    host, port = args.host, args.port
    if not is_loopback(host) and not args.public:
        raise UsageError(f"--host {host} would let anyone who reaches that address use ktui "
                         "as you: textual-serve has no login, and ktui imports Python files "
                         "(your layers). Keep the default 127.0.0.1 and use `ssh -L "
                         f"{port}:localhost:{port} box`, or add --public if you mean it")
    app_args = list(args.app_args)
    if app_args[:1] == ["--"]:
        app_args = app_args[1:]
    check_app_args(app_args)
    if getattr(args, "runs_dir", None):
        app_args = ["--runs-dir", args.runs_dir, *app_args]
    with tempfile.TemporaryDirectory(prefix="ktui-serve-") as folder:
        server = make_server(app_command(app_args), host, port, page_templates(Path(folder)),
                             loopback_only=is_loopback(host))
        shown = f"[{host}]" if ":" in host else host
        say(f"ktui: serving the app on http://{shown}:{port} (one ktui per browser tab; "
            "Ctrl+C stops serving). From another machine: "
            f"ssh -L {port}:localhost:{port} THIS-BOX, then http://localhost:{port}\n")
        server.serve()
    return EXIT_OK


__all__ = ["app_command", "check_app_args", "cmd_serve", "is_loopback", "make_server",
           "page_templates"]
