"""The screens' ``host``: the running app, checked against KtuiHost once per app."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.screen import Screen

from ktui.ui.host import HostGetter, KtuiHost

from .helpers import make_test_app


class Probe(Screen[None]):
    host = HostGetter()


async def test_the_host_is_the_ktui_app_and_another_app_is_refused() -> None:
    app = make_test_app()
    async with app.run_test():
        probe = Probe()
        await app.push_screen(probe)
        assert probe.host is app and isinstance(probe.host, KtuiHost)
    other: App[None] = App()
    async with other.run_test():
        probe = Probe()
        await other.push_screen(probe)
        with pytest.raises(TypeError, match="App is not a KtuiHost"):
            _ = probe.host
