"""What the setup view loads and saves: presets (asking before edits are replaced) and TOML
spec files (through the save/open dialog)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from typing import Any

from ktui.core import user_layers
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.presets import PRESETS, get_preset
from ktui.core.text import clean
from ktui.ui.screens.confirm import ConfirmScreen
from ktui.ui.screens.setup_base import SetupBase, safe_validate
from ktui.ui.screens.spec_file import SpecFileScreen, default_file_name
from ktui.ui.widgets.experiment_header import ExperimentHeader


def train_command(path: str | os.PathLike[str], spec: ExperimentSpec) -> str:
    """The command that trains the spec saved at ``path``: ``ktui train --spec PATH``, with
    ``--layers FILE`` for each of the user's layer files its layers use (without it the
    spec's own layer kinds are unknown), every path quoted for a shell."""
    words = ["ktui", "train", "--spec", str(path)]
    for f in user_layers.files_used(spec.layers):
        words += ["--layers", str(f.path)]
    return shlex.join(words)


class ExperimentFiles(SetupBase):
    """Replace ``app.spec`` by a preset or a file, or save it."""

    # ---- presets ----------------------------------------------------------------------------
    def replace_edits(self, what: str, replace: Callable[[], None],
                      keep: Callable[[], None] | None = None) -> None:
        """Call ``replace`` at once when nothing would be lost, else after the user says yes
        to the one question asked before edits are replaced (``keep`` when they say no).
        ``what`` names what comes instead: "preset fashion-cnn", "the spec of run X"."""
        if not self.dirty():
            replace()
            return

        def answered(yes: bool | None) -> None:
            if not self._live():
                return
            if yes:
                replace()
            elif keep is not None:
                keep()

        self.app.push_screen(ConfirmScreen(
            f"Replace your custom experiment “{clean(self.spec.name)}” with {what}?",
            yes="Replace", no="Keep mine"), answered)

    def request_preset(self, name: str) -> None:
        """Load preset ``name``, asking first when that would replace the user's edits."""
        if not self._live() or name not in PRESETS:
            return
        # Kept: the picker goes back to what is loaded, "custom".
        self.replace_edits(f"preset {name}", lambda: self.load_preset(name),
                           self.query_one(ExperimentHeader).show_custom)

    def load_preset(self, name: str) -> None:
        if not self._live():
            return
        self.host.spec = get_preset(name)
        self.show_spec()
        self.notify(self.host.spec.description or name, title=f"Preset {name}", timeout=4)

    def load_spec(self, spec: ExperimentSpec, source: str) -> None:
        """Show ``spec`` (a past run's, from ``source``) here and come to the top, asking
        first, as for a preset, when that would replace the user's edits (a "no" leaves
        everything as it was)."""

        def load() -> None:
            if not self._live():
                return
            self.host.spec = spec
            while self.app.screen is not self and len(self.app.screen_stack) > 2:
                self.app.pop_screen()
            self.show_spec()
            self.notify(f"from {clean(source)}", title=f"Loaded {clean(spec.name)}",
                        timeout=4, markup=False)

        self.replace_edits(f"the spec of {source}", load)

    def action_load_preset(self, name: str) -> None:
        self.request_preset(name)

    def on_experiment_header_preset_chosen(self, event: ExperimentHeader.PresetChosen) -> None:
        """A preset picked in the head's picker."""
        event.stop()
        if self._live():
            self.request_preset(event.preset)

    def preset_commands(self) -> list[tuple[str, str, str]]:
        """The palette's "Load preset: NAME" commands: (name, help, action)."""
        return [(f"Load preset: {name}", make().description, f"load_preset({name!r})")
                for name, make in PRESETS.items()]

    def file_commands(self) -> list[tuple[str, str, str]]:
        """The palette's save and open commands: (name, help, action)."""
        return [("Save experiment", "Write the experiment as a TOML spec", "save_spec"),
                ("Open experiment", "Load a TOML spec into the form", "open_spec")]

    # ---- save and open --------------------------------------------------------------------
    def action_save_spec(self) -> None:
        if not self._on_top():
            return
        spec = self.spec.copy()
        path = self.host.spec_path or default_file_name(spec)

        def saved(result: tuple[Any, ExperimentSpec] | None) -> None:
            if result is not None and self._live():
                self.host.spec_path = str(result[0])
                if self.spec == result[1]:
                    self._reset_base()  # what is saved is no longer lost by a preset
                    self.spec_changed()
                self.notify(clean(train_command(result[0], result[1])), title="Saved",
                            timeout=6, markup=False)

        self.app.push_screen(SpecFileScreen("save", spec, path), saved)

    def action_open_spec(self) -> None:
        if not self._on_top():
            return

        def opened(result: tuple[Any, ExperimentSpec] | None) -> None:
            if result is None or not self._live():
                return
            path, spec = result
            self.host.spec_path = str(path)
            self.host.spec = spec
            self.show_spec()
            problems = safe_validate(spec)
            if problems:
                count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
                more = " (ctrl+r lists them all)" if len(problems) > 1 else ""
                self.notify(f"from {path}; {count} flagged{more}:\n{problems[0]}",
                            title=f"Opened {spec.name}", timeout=8, severity="warning")
            else:
                self.notify(f"from {path}", title=f"Opened {spec.name}", timeout=4)

        self.app.push_screen(SpecFileScreen("open", path=self.host.spec_path), opened)
