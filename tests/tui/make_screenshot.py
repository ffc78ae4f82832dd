"""Write ``docs/assets/training-view.svg``, the README's picture of the training view.

``python -m tests.tui.make_screenshot`` (from the repository root) replays the scripted
linear-gd run to the end with the test settings at 120×40, so the file is the same on every machine;
``test_readme_screenshot_is_current`` checks that it is.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from .fakes import linear_events, scripted
from .helpers import make_test_app, settle

ASSET = Path(__file__).resolve().parents[2] / "docs" / "assets" / "training-view.svg"
SIZE = (120, 40)


async def render() -> str:
    """The finished linear-gd training view as SVG text."""
    app = make_test_app(start=True,
                   train_fn=scripted(linear_events, test={"loss": 1.021, "mae": 0.807}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        return app.export_screenshot(title="ktui")


def main() -> int:
    ASSET.parent.mkdir(parents=True, exist_ok=True)
    ASSET.write_text(asyncio.run(render()), encoding="utf-8")
    print(f"wrote {ASSET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
