"""The setup view's head: the preset picker, the experiment's name and its description.

The experiment keeps the name and description it was loaded with until the user edits
anything; then the description is derived from the spec, the name becomes
``<loaded>-custom`` (unless the user named it) and the picker says "custom". This widget
keeps what "edited" is measured against (the experiment as loaded or last saved) and whether
the user typed a name; the screen hands it the spec after every change (:meth:`follow`) and
hears of a preset picked through :class:`ExperimentHeader.PresetChosen`.

The name row is an ordinary :class:`FieldRow`: its Changed bubbles to the screen, which
writes the name like any other field.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Label, Select, Static

from ktui.core.schema import field_of
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.describe import custom_name, headline, same_experiment
from ktui.core.spec.presets import PRESETS
from ktui.ui.unbroken import unbroken
from ktui.ui.widgets.fields import FieldRow, setup_def

NAME_FIELD = setup_def("name", field_of(ExperimentSpec, "name"))


class ExperimentHeader(Vertical):
    """Preset picker, name row and description of the experiment being edited."""

    class PresetChosen(Message):
        """The user picked preset ``preset`` (not an echo of what the header showed)."""

        def __init__(self, preset: str) -> None:
            super().__init__()
            self.preset = preset

    def __init__(self, spec: ExperimentSpec, *, blink: bool = True,
                 id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id)
        self._spec_name = spec.name
        self._blink = blink
        #: The experiment as loaded (or last saved): what "edited" is measured against.
        self._base = spec.copy()
        #: The user typed a name since then: keep it, do not derive one.
        self._user_named = False
        #: The preset the picker was last set to (Select.NULL: "custom").
        self._preset_shown: object = Select.NULL
        self._shown_desc: str | None = None
        #: :meth:`follow` has run: the picker's Changed is a pick, not its first echo.
        self._following = False

    def compose(self) -> ComposeResult:
        name = self._spec_name
        with Horizontal(id="preset-line", classes="field-line"):
            yield Label("preset", classes="field-label")
            yield Select([(preset, preset) for preset in PRESETS],
                         value=name if name in PRESETS else Select.NULL,
                         prompt="custom", compact=True, id="preset")
        yield FieldRow(NAME_FIELD, name, blink=self._blink, inline=True, id="f-name")
        yield Static("", id="spec-desc")

    # ---- what the screen asks -------------------------------------------------------------
    def edited(self, spec: ExperimentSpec) -> bool:
        """Whether ``spec`` differs from the experiment loaded (name and description aside)."""
        return not same_experiment(spec, self._base)

    def dirty(self, spec: ExperimentSpec) -> bool:
        """Whether loading something else instead of ``spec`` would throw work away."""
        return self.edited(spec) or spec.name != self._base.name

    def rebase(self, spec: ExperimentSpec) -> None:
        """``spec`` (just loaded or saved) is what "edited" is measured against now."""
        self._base = spec.copy()
        self._user_named = False

    def user_named(self) -> None:
        """The user typed a name: it is kept through later edits."""
        self._user_named = True

    def follow(self, spec: ExperimentSpec) -> None:
        """Set ``spec``'s name and description from its edits, and show them and the preset
        it still is (or "custom")."""
        self._following = True
        base = self._base
        edited = self.edited(spec)
        if not self._user_named:
            spec.name = custom_name(base.name) if edited else base.name
        # A person's description is kept as written; what the edits make of the experiment
        # is shown beside it, never written into the spec (it would go stale in the file).
        spec.description = base.description
        shown_desc = headline(spec) if edited or not spec.description else spec.description
        for row in self.query("#f-name").results(FieldRow):
            if row.valid and row.value != spec.name:
                row.set_value(spec.name)
        if shown_desc != self._shown_desc:
            self._shown_desc = shown_desc
            self.query_one("#spec-desc", Static).update(Text(unbroken(shown_desc),
                                                             style="dim"))
        shown = base.name if not self.dirty(spec) and base.name in PRESETS else Select.NULL
        if shown != self._preset_shown:
            self._show_preset(shown)

    def show_custom(self) -> None:
        """The picker goes back to "custom" (a preset was picked, then not loaded)."""
        self._show_preset(Select.NULL)

    def focus_picker(self) -> None:
        self.query_one("#preset", Select).focus()

    # ---- the picker ---------------------------------------------------------------------------
    def _show_preset(self, shown: object) -> None:
        # Select posts Changed after this returns: remember what we showed, to ignore it.
        self._preset_shown = shown
        self.query_one("#preset", Select).value = shown

    @on(Select.Changed, "#preset")
    def _preset_picked(self, event: Select.Changed) -> None:
        event.stop()
        if not self._following:  # the picker's own first echo of the loaded preset
            return
        if event.value is not Select.NULL and event.value != self._preset_shown:
            self.post_message(self.PresetChosen(str(event.value)))


__all__ = ["NAME_FIELD", "ExperimentHeader"]
