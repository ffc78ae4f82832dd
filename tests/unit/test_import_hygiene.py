"""The core never imports Textual; cheap modules never import TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # trains or starts processes: not in `make test-fast`


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_core_never_imports_textual() -> None:
    mods = _modules_after(
        "import ktui.core.spec, ktui.core.catalog, ktui.core.spec.presets, ktui.core.datasets, "
        "ktui.core.events, ktui.core.history, ktui.core.session, ktui.core.runs.replay, "
        "ktui.core.training.loop, ktui.core.runs.keras_sink, ktui.core.layers, "
        "ktui.core.build, ktui.core.losses, ktui.core.metrics, ktui.cli.summary"
    )
    assert "tensorflow" in mods  # the imports above really ran
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)


@pytest.mark.parametrize("module", [
    "ktui.cli", "ktui.core.spec", "ktui.core.catalog", "ktui.core.spec.presets",
    "ktui.core.datasets",
    "ktui.core.training.loop", "ktui.core.session", "ktui.core.history",
    "ktui.core.runs.listing", "ktui.core.runs.replay", "ktui.cli.reporters",
])
def test_light_modules_do_not_import_tensorflow(module: str) -> None:
    assert "tensorflow" not in _modules_after(f"import {module}")


#: What the first frame (the setup view) does not need: the training views, their charts'
#: insight pages, help, numpy and TensorFlow. Importing them with the app cost ~0.8 s before
#: the first frame (``python -X importtime -c "import ktui.ui.app"``: 1.34 s -> 0.52 s).
FIRST_FRAME_NEEDS_NONE_OF = (
    "numpy", "tensorflow", "keras", "ktui.ui.screens.training", "ktui.ui.screens.training_pages",
    "ktui.ui.screens.recorded_run", "ktui.ui.screens.watch_run", "ktui.ui.screens.help",
    "ktui.ui.widgets.insight",
)


def test_the_app_module_imports_no_training_view_and_no_numpy() -> None:
    mods = _modules_after("import ktui.ui.app")
    assert "ktui.ui.screens.setup" in mods  # the import really ran
    assert sorted(set(FIRST_FRAME_NEEDS_NONE_OF) & mods) == []
