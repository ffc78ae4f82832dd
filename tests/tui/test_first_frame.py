"""The first frame must not wait for TensorFlow: nothing in ktui.ui imports it up front,
nor numpy, nor plotext and the charts (the training view's: ~55 ms of imports)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from ktui.ui.app import make_app
    from ktui.ui.screens.setup import SetupScreen
    from ktui.ui.settings import AppSettings

    async def main():
        app = make_app(settings=AppSettings(warm_up_tf=False))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, SetupScreen)
            assert app.screen.query_one("#summary").problem is None
    asyncio.run(main())
    print("tensorflow" in sys.modules, "keras" in sys.modules, "numpy" in sys.modules,
          "plotext" in sys.modules, "ktui.ui.widgets.charts.chart" in sys.modules)
""")


@pytest.mark.slow
def test_first_frame_without_tensorflow() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"] * 5
