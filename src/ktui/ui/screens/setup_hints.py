"""The setup view's hint line: the focused field's help, readable without a mouse (tooltips
need one), and ctrl+t between the layer list and the fields."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import SelectionList

from ktui.core import user_layers
from ktui.core.choices import METRICS
from ktui.ui.screens.setup_base import SetupBase
from ktui.ui.screens.setup_sections import SECTIONS, SettingsSection
from ktui.ui.widgets.experiment_header import ExperimentHeader
from ktui.ui.widgets.fields import FieldRow
from ktui.ui.widgets.layer_stack import LayerStack

LAYERS_HINT = ("layers: a add · e/enter edit · x remove · shift+↑↓ move · d duplicate "
               "· ctrl+t back to the fields")
#: Per-choice help of the training settings, shown in the hint line beside the field's own.
CHOICE_HELP = {d.key: d.schema.registry for section in SECTIONS for d in section.fields
               if d.type == "choice" and d.schema is not None and d.schema.registry is not None}


class FieldHints(SetupBase):
    """Says what the focused field (or the layer list, or the preset picker) is for."""

    #: The settings field focused last (ctrl+t goes back to it).
    _last_field: Widget | None = None

    def choice_help(self, key: str, value: str) -> str | None:
        """What the choice ``value`` of field ``key`` does (None: nothing to add)."""
        registry = CHOICE_HELP.get(key)
        entry = registry.get(value) if registry is not None else None
        return entry.help if entry is not None else None

    def start_hints(self) -> None:
        """Called once the view is mounted: show the focused widget's hint, and follow each
        section's opening and closing (its title's hint says which it is)."""
        for section in self.query(SettingsSection).results(SettingsSection):
            self.watch(section, "collapsed", self._section_toggled, init=False)
        self.show_hint(self.focused)

    def watch_focused(self, widget: Widget | None) -> None:
        """The focus moved: the hint follows in the same call, before the next key is read
        (a ``DescendantFocus`` handler ran a message later: the line lagged behind fast
        tabbing)."""
        if not self._live():
            return
        if widget is not None and any(node.id == "settings" for node in widget.ancestors):
            self._last_field = widget
        self.show_hint(widget)

    def _section_toggled(self) -> None:
        """A section opened or closed: its title, when focused, says which now."""
        if self._live() and self.focused is not None and isinstance(
                self.focused.parent, SettingsSection):
            self.show_hint(self.focused)

    def on_selection_list_selection_highlighted(
            self, event: SelectionList.SelectionHighlighted) -> None:
        if not self._live() or not event.selection_list.has_focus:
            return  # options refilled after a dataset switch: keep what the line says
        name = str(event.selection.value)
        entry = METRICS.get(name)
        help_text = entry.help if entry is not None else "does not fit this dataset"
        self._set_hint(Text.assemble(("metrics", "bold"), f": {name}: {help_text}  ",
                                     ("(space ticks)", "dim")))

    def show_hint(self, widget: Widget | None) -> None:
        """The focused field's help, so it is readable without a mouse (tooltips need one)."""
        for node in (widget.ancestors_with_self if widget is not None else ()):
            if isinstance(node, FieldRow):
                f = node.field
                text = Text.assemble((f.label, "bold"), f": {f.help}" if f.help else "")
                value = node.value
                desc = self.choice_help(f.key, value) if isinstance(value, str) else None
                if desc:
                    text.append(f" · {node.value}: {desc}", style="dim")
                self._set_hint(text)
                return
            if isinstance(node, LayerStack):
                key = "r" if self.app.is_web else "f5"  # a browser's F5 reloads the page
                mine = f" · {key} reload" if user_layers.registered() else ""
                self._set_hint(Text(LAYERS_HINT + mine))
                return
            if isinstance(node, SettingsSection):  # its title (a row inside is a FieldRow)
                self._set_hint(node.hint())
                return
            if node.id == "btn-train":  # first in the tab order: the line was blank
                self._set_hint(Text.assemble(("Train", "bold"), ": check the experiment and "
                                             "start training (ctrl+r, from anywhere)"))
                return
            if node.id == "preset":
                self._set_hint(Text.assemble(("preset", "bold"),
                                             ": one of the seeds' experiments, ready to train"))
                return
        self._set_hint(Text(""))

    def action_toggle_focus(self) -> None:
        """Jump between the layer list and the settings field last used (ctrl+t)."""
        if not self._on_top():
            return
        stack = self.query_one(LayerStack)
        if not stack.has_focus:
            stack.focus()
            return
        last = self._last_field
        if last is not None and last.is_attached and last.focusable:
            last.focus()
        else:
            self.query_one(ExperimentHeader).focus_picker()
