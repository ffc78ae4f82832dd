"""One labelled form field (Input, Select or Switch) that parses and checks as the user types.

Used by the layer form (fields generated from the catalog's ``ParamSpec``) and by the setup
view's dataset and training settings, so both flag a bad value the same way: the reason under
the field and a red border, updated on every keystroke.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, SelectionList, Static, Switch

FieldType = Literal[
    "int", "float", "floats", "names", "str", "bool", "choice", "multi", "shape", "int_pair"
]

_INT = re.compile(r"[+-]?\d+")
_SPLIT = re.compile(r"[\s,x×]+")


class ParseError(ValueError):
    """The text cannot be read as the field's type; the message says what is expected."""


def parse(kind: FieldType, text: str) -> Any:
    """Text typed into an Input -> the value for the spec; raise :class:`ParseError`."""
    text = text.strip()
    if kind == "str":
        return text
    if not text:
        raise ParseError("required")
    if kind == "int":
        if not _INT.fullmatch(text):
            raise ParseError(f"must be an integer, got {text!r}")
        return int(text)
    if kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise ParseError(f"must be a number, got {text!r}") from None
        if not math.isfinite(value):
            raise ParseError(f"must be a finite number, got {text!r}")
        return value
    if kind == "names":
        return [p for p in re.split(r"[\s,]+", text) if p]
    parts = [p for p in _SPLIT.split(text) if p]
    if kind == "floats":
        try:
            return [float(p) for p in parts]
        except ValueError:
            raise ParseError(f"must be numbers separated by commas, got {text!r}") from None
    if kind in ("shape", "int_pair"):
        if not all(_INT.fullmatch(p) for p in parts):
            example = "3, 3" if kind == "int_pair" else "28, 28, 1"
            raise ParseError(f"must be integers separated by commas, e.g. {example}")
        return [int(p) for p in parts]
    raise ParseError(f"cannot type {kind} values")


def format_value(kind: FieldType, value: Any) -> str:
    """The spec's value as the Input shows it (the inverse of :func:`parse`)."""
    if kind in ("names", "multi"):
        return ", ".join(value)
    if kind in ("shape", "int_pair", "floats"):
        return ", ".join(_num(v) for v in value)
    if kind == "float":
        return _num(value)
    return str(value)


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e-3 or abs(v) >= 1e6 else repr(v)
    return str(v)


@dataclass(frozen=True)
class FieldDef:
    """What a field edits: a spec path (``train.epochs``) or a layer parameter name."""

    key: str
    label: str
    type: FieldType
    help: str = ""
    choices: tuple[str, ...] = ()


class FieldRow(Vertical):
    """Label + control + the reason it is invalid. Posts :class:`FieldRow.Changed`."""

    @dataclass
    class Changed(Message):
        row: FieldRow
        value: Any

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
        self._own_error: str | None = None
        self._external_error: str | None = None
        self._shown_error: str | None = None

    # ---- compose --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        f = self.field
        if self.inline:
            label = Label(f.label, classes="field-label")
            label.tooltip = f.help or None
            with Horizontal(classes="field-line"):
                yield label
                yield self._control()
        else:
            text = f"[b]{f.label}[/]" + (f"  [dim]{f.help}[/]" if f.help else "")
            yield Label(text, classes="field-label", markup=True)
            yield self._control()
        yield Static("", classes="field-error")

    def _control(self) -> Widget:
        f = self.field
        control: Widget
        if f.type == "bool":
            control = Switch(value=bool(self._value), classes="field-control")
        elif f.type == "choice":
            control = Select([(c, c) for c in f.choices], value=self._value, allow_blank=False,
                             compact=True, classes="field-control")
        elif f.type == "multi":
            control = SelectionList[str](*self._selections(), compact=True,
                                         classes="field-control")
        else:
            restrict = {"int": r"[-+0-9]*", "shape": r"[0-9, x]*",
                        "int_pair": r"[0-9, x]*"}.get(f.type)
            control = Input(format_value(f.type, self._value), compact=True, restrict=restrict,
                            classes="field-control", select_on_focus=False)
            control.cursor_blink = self._blink
        if self.inline and f.help:
            control.tooltip = f.help
        return control

    def _selections(self) -> list[tuple[str, str, bool]]:
        """The options, plus any chosen value that is not one of them (so it can be unticked;
        the spec's validation says why it does not fit)."""
        chosen = list(self._value or ())
        names = list(self._choices) + [v for v in chosen if v not in self._choices]
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
        self._own_error = None
        if choices is not None:
            self._choices = tuple(choices)
        control = self.query_one(".field-control")
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
            elif isinstance(control, Select):
                control.value = value
            elif isinstance(control, Input):
                control.value = format_value(self.field.type, value)
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
        self.query_one(".field-error", Static).update(f"⚠ {error}" if error else "")

    # ---- events -----------------------------------------------------------------------------
    def _accept(self, raw: Any) -> None:
        error = None
        try:
            value = parse(self.field.type, raw) if isinstance(raw, str) and \
                self.field.type not in ("choice",) else raw
        except ParseError as err:
            error, value = str(err), None
        if error is None and self._check is not None:
            error = self._check(value)
        self._own_error = error
        if error is None:
            self._value = value
            self._show_error()
            self.post_message(self.Changed(self, value))
        else:
            self._show_error()
            self.post_message(self.Changed(self, None))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._accept(event.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            self._accept(event.value)

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self._accept(event.value)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        selected = set(event.selection_list.selected)
        self._accept([n for n, _, _ in self._selections() if n in selected])
