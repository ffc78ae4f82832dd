"""One labelled form field (Input, Select or Switch) that parses and checks as the user types.

Used by the layer form (rows made from the catalog's parameters) and by the setup view's
dataset and training settings (rows made from the spec's fields), so both flag a bad value the
same way: the reason under the field and a red border, updated on every keystroke. Parsing,
display and the help's range text come from the one schema (:mod:`ktui.core.schema`).

Each :class:`FieldRow.Changed` carries the value (or the error) of the keystroke that made it:
keys typed in a burst are parsed one by one, and a message read later must not be judged by
the field's state at that later time (an empty field's ``None`` once reached the spec that
way). Whatever a spec file holds (a choice that is not offered, a list where a number goes) is
shown and explained, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, Label, Select, SelectionList, Static, Switch
from textual.widgets.option_list import OptionDoesNotExist

from ktui.core.form_text import FieldError, FieldType, format_value, parse_text
from ktui.core.schema import Field
from ktui.ui.widgets.path_suggester import PathSuggester


@dataclass(frozen=True)
class FieldDef:
    """A form row: what it edits (a spec path, ``train.epochs``, or a layer parameter's name)
    and how the form shows it; made from the schema's Field by :func:`setup_def` or
    :func:`param_def` (parsing, display and checks all follow ``type``)."""

    key: str
    label: str
    type: FieldType
    help: str = ""
    choices: tuple[str, ...] = ()
    #: The schema field it shows, when there is one (its registry says what a choice does).
    schema: Field | None = None


def setup_def(key: str, field: Field) -> FieldDef:
    """A setup-view row for ``field`` at spec path ``key``: its label, and its help with the
    range where the range is what to know (a number between two bounds, ``in [0, 1)``)."""
    help_text = field.help
    if field.type == "float" and field.min is not None and field.max is not None:
        help_text += f", {field.range_text()}"
    return FieldDef(key, field.label or field.name, field.type, help_text, field.options, field)


def param_def(field: Field) -> FieldDef:
    """A layer-form row for parameter ``field``: named as in the spec, its range in the help."""
    help_text = field.help
    if field.type in ("int", "float") and (field.min is not None or field.max is not None):
        help_text += f" ({field.range_text()})"
    return FieldDef(field.name, field.name, field.type, help_text, field.options, field)


class CheckList(SelectionList[str]):
    """A SelectionList whose unticked boxes are empty (``▐ ▌``), not a dim ``X``.

    Textual draws every box with an ``X`` and tells ticked from unticked by colour only, which
    reads as all ticked without colour (``NO_COLOR``, a screen reader, a copied screen).
    """

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if selection.value in self.selected:
            return strip
        segments = list(strip)
        if len(segments) > 1 and segments[1].text == "X":
            segments[1] = Segment(" ", segments[1].style)
            return Strip(segments, strip.cell_length)
        return strip


def choice_options(choices: tuple[str, ...], value: Any) -> list[tuple[str, Any]]:
    """A Select's options: the choices, plus the current value when it is not one of them
    (a spec file may hold anything; the validation says why it does not fit)."""
    options: list[tuple[str, Any]] = [(c, c) for c in choices]
    if value not in choices and value is not None:
        try:
            hash(value)
        except TypeError:
            return options
        options.append((f"{value!s} (not valid)", value))
    return options


def switch_word(value: Any) -> str:
    """What a switch beside it says: ``on`` or ``off``."""
    return "on" if value else "off"


class FieldRow(Vertical):
    """Label + control + the reason it is invalid. Posts :class:`FieldRow.Changed`."""

    @dataclass
    class Changed(Message):
        """One edit of the field: ``value`` when it parsed and passed the field's check,
        else ``value`` is None and ``error`` says why. Act on these, not on the row's state
        when the message arrives (later keys may have changed it since)."""

        row: FieldRow
        value: Any
        error: str | None = None

        @property
        def valid(self) -> bool:
            return self.error is None

        @property
        def control(self) -> FieldRow:
            return self.row

    def __init__(self, field: FieldDef, value: Any,
                 check: Callable[[Any], str | None] | None = None, *, blink: bool = True,
                 inline: bool = False,
                 id: str | None = None) -> None:  # noqa: A002 - Textual's own name
        super().__init__(id=id, classes="field -inline" if inline else "field")
        self.inline = inline
        self.field = field
        self._check = check
        self._value = value
        self._blink = blink
        #: A multi-choice field's options (the setup view changes them with the dataset).
        self._choices: tuple[str, ...] = field.choices
        self._own_error: str | None = self._run_check(value)
        self._external_error: str | None = None
        self._shown_error: str | None = None

    def _run_check(self, value: Any) -> str | None:
        """The field's own check; a check that fails on an odd value reports, never raises."""
        if self._check is None:
            return None
        try:
            return self._check(value)
        except Exception as err:  # a value of a type the check did not expect
            return f"cannot use {value!r} ({type(err).__name__})"

    # ---- compose --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        f = self.field
        if self.inline:
            label = Label(f.label, classes="field-label")
            label.tooltip = f.help or None
            with Horizontal(classes="field-line"):
                yield label
                yield from self._controls()
        else:
            # Text, not markup: help like "in [0, 1)" would be read as a markup tag.
            text = Text.assemble((f.label, "bold"), ("  " + f.help if f.help else "", "dim"))
            yield Label(text, classes="field-label")
            if f.type == "bool":
                with Horizontal(classes="switch-line"):
                    yield from self._controls()
            else:
                yield self._control()
        yield Static("", classes="field-error")

    def _controls(self) -> ComposeResult:
        """The control, and beside a switch its state in words: a switch shows on or off
        by colour only, which a copied screen, NO_COLOR or a screen reader cannot tell."""
        yield self._control()
        if self.field.type == "bool":
            yield Static(switch_word(self._value), classes="switch-state")

    def on_mount(self) -> None:
        self._show_error()  # a value loaded from a file may already be wrong
        if self.field.type == "path":
            self.call_after_refresh(self._show_path_end)

    def _show_path_end(self) -> None:
        """A path longer than its field shows its end, the file's name, while the field is
        not being edited (an Input shows a value's start: ``/home/me/projects/…`` hid
        which file it was)."""
        for control in self.query(".field-control").results(Input):
            if not control.has_focus:
                control.cursor_position = len(control.value)
                control.scroll_to(x=control.max_scroll_x, animate=False, immediate=True)

    def on_input_blurred(self, event: Input.Blurred) -> None:
        if self.field.type == "path":
            self._show_path_end()

    def _control(self) -> Widget:
        f = self.field
        control: Widget
        if f.type == "bool":
            control = Switch(value=bool(self._value), classes="field-control")
        elif f.type == "choice":
            options = choice_options(f.choices, self._value)
            value = self._value if any(v == self._value for _, v in options) else f.choices[0]
            control = Select(options, value=value, allow_blank=False, compact=True,
                             classes="field-control")
        elif f.type == "multi":
            control = CheckList(*self._selections(), compact=True, classes="field-control")
        else:
            # No ``restrict``: a key it swallowed would do nothing without a word; a bad
            # character is shown and explained under the field instead.
            control = Input(format_value(f.type, self._value), compact=True,
                            classes="field-control", select_on_focus=False,
                            suggester=PathSuggester() if f.type == "path" else None)
            control.cursor_blink = self._blink
        if self.inline and f.help:
            control.tooltip = f.help
        return control

    def _selections(self) -> list[tuple[str, str, bool]]:
        """The options, plus any chosen value that is not one of them (so it can be unticked;
        the spec's validation says why it does not fit)."""
        value = self._value if isinstance(self._value, (list, tuple)) else ()
        chosen = [v for v in value if isinstance(v, str)]
        names = list(self._choices) + [v for v in dict.fromkeys(chosen) if v not in self._choices]
        return [(n, n, n in chosen) for n in names]

    # ---- reading and writing ----------------------------------------------------------------
    @property
    def value(self) -> Any:
        return self._value

    @property
    def valid(self) -> bool:
        return self._own_error is None

    @property
    def error(self) -> str | None:
        return self._own_error or self._external_error

    def set_value(self, value: Any, choices: tuple[str, ...] | None = None) -> None:
        """Show ``value`` without posting :class:`Changed` (used when a preset loads);
        ``choices`` replaces a multi-choice field's options."""
        self._value = value
        self._own_error = self._run_check(value)
        if choices is not None:
            self._choices = tuple(choices)
        control = next(iter(self.query(".field-control")), None)
        if control is None:
            return  # not composed yet: compose shows the new value
        with self.prevent(Input.Changed, Select.Changed, Switch.Changed,
                          SelectionList.SelectedChanged):
            if isinstance(control, SelectionList):
                highlighted = control.highlighted
                control.clear_options()
                control.add_options(self._selections())
                if highlighted is not None and control.option_count:
                    control.highlighted = min(highlighted, control.option_count - 1)
            elif isinstance(control, Switch):
                control.value = bool(value)
                self._show_switch_state(bool(value))
            elif isinstance(control, Select):
                options = choice_options(self.field.choices, value)
                control.set_options(options)
                if any(v == value for _, v in options):
                    control.value = value
            elif isinstance(control, Input):
                control.value = format_value(self.field.type, value)
                if self.field.type == "path":
                    self.call_after_refresh(self._show_path_end)
        self._show_error()

    def set_external_error(self, error: str | None) -> None:
        """A problem found by validating the whole spec (e.g. a loss that does not fit)."""
        self._external_error = error
        self._show_error()

    def _show_error(self) -> None:
        error = self.error
        if error == self._shown_error:
            return  # re-styling ~20 rows on every keystroke is what makes a form feel slow
        self._shown_error = error
        # One class on the row; the stylesheet shows the reason and reddens the control.
        self.set_class(error is not None, "-invalid")
        for line in self.query(".field-error").results(Static):
            line.update(Text(f"⚠ {error}") if error else "")

    # ---- events -----------------------------------------------------------------------------
    def _accept(self, raw: Any) -> None:
        error = None
        try:
            value = parse_text(self.field.type, raw) if isinstance(raw, str) and \
                self.field.type not in ("choice",) else raw
        except FieldError as err:
            error, value = str(err), None
        if error is None:
            error = self._run_check(value)
        self._own_error = error
        if error is None:
            self._value = value
        self._show_error()
        self.post_message(self.Changed(self, value if error is None else None, error))

    # A change message that no longer matches its control is stale: a later key (or a value
    # set by the app, e.g. a preset) has replaced it since, and its own message follows or
    # was deliberately not sent. Accepting it would undo that newer value.
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value == event.input.value:
            self._accept(event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL and event.value == event.select.value:
            self._accept(event.value)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        if event.value == event.switch.value:
            self._show_switch_state(event.value)
            self._accept(event.value)

    def _show_switch_state(self, on: bool) -> None:
        for state in self.query(".switch-state").results(Static):
            state.update(switch_word(on))

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        selected = set(event.selection_list.selected)
        self._accept([n for n, _, _ in self._selections() if n in selected])


#: ``format_value`` is the schema's; the layer list imports it from here.
__all__ = ["CheckList", "FieldDef", "FieldRow", "choice_options", "format_value", "param_def",
           "setup_def", "switch_word"]
