"""Command-palette commands: the current screen's actions, each with the key that runs it.

Each screen lists its own commands (``palette_commands``), so the palette offers what the
footer offers, and nothing that does not apply where the user is. App-wide entries (Quit,
Help, Screenshot, Theme, Keys) come from ``KtuiApp.get_system_commands``, once each.

Keys are never written by hand, here or in a screen's commands: :func:`keys_for` reads them
from the ``BINDINGS`` of the screen, of its widgets and of the app, so a changed binding shows
up in the palette (and in the help screen, which uses :func:`key_label` too) without another
edit.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.actions import ActionError, parse
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.keys import format_key

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen

#: How a few keys read best in ktui's help and palette (Textual shows enter as ⏎).
_KEY_NAMES = {"enter": "enter", "escape": "esc", "space": "space", "delete": "del"}


def key_label(key: str) -> str:
    """``ctrl+r``, ``shift+↑``, ``?``, ``esc``: one key as the help and the palette show it."""
    *modifiers, last = key.split("+") if key != "+" else ["+"]
    name = _KEY_NAMES.get(last) or format_key(last)
    return "+".join([*modifiers, name])


def class_bindings(node: DOMNode) -> Iterator[Binding]:
    """The bindings ``node``'s class declares, inherited ones included (a subclass's binding
    of a key hides its parent's), one per key, in declaration order."""
    seen: set[str] = set()
    for cls in type(node).__mro__:
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", ())):
            if binding.key not in seen:
                seen.add(binding.key)
                yield binding


def _resolve(action: str, node: DOMNode,
             app: App[object]) -> tuple[object, str, tuple[object, ...]]:
    """(target, action name, parameters) of ``action`` written on ``node``."""
    namespace, name, params = parse(action)
    if namespace == "app":
        return app, name, params
    if namespace == "screen":
        return node.screen if node is not app else app.screen, name, params
    return node, name, params


def keys_for(screen: Screen[object], app: App[object], target: DOMNode, action: str) -> list[str]:
    """The keys that run ``action`` on ``target`` from ``screen``: read from the bindings of
    the screen, its widgets and the app (whatever is focused, unlike ``active_bindings``)."""
    try:
        wanted = _resolve(action, target, app)
    except ActionError:
        return []
    keys: list[str] = []
    for node in (screen, *screen.walk_children(with_self=False), app):
        for binding in class_bindings(node):
            if binding.system:
                continue
            try:
                found = _resolve(binding.action, node, app)
            except ActionError:
                continue
            if found == wanted:
                label = binding.key_display or key_label(binding.key)
                if label not in keys:
                    keys.append(label)
    return keys


def with_keys(help_text: str, screen: Screen[object], app: App[object], action: str,
              target: DOMNode | None = None) -> str:
    """``help_text`` followed by the action's keys, e.g. ``Show the keys (? / f1)``."""
    keys = keys_for(screen, app, target if target is not None else app, action)
    if not keys:
        return help_text
    joined = " / ".join(keys)
    return f"{help_text} ({joined})" if help_text else joined


class KtuiCommands(Provider):
    _cached: list[tuple[str, str, str]] | None = None

    def _commands(self) -> list[tuple[str, str, str]]:
        """(name, help with keys, action) for the screen the palette was opened on (read
        once per palette: the screen does not change while the palette is open)."""
        if self._cached is None:
            screen = self.screen
            own = getattr(screen, "palette_commands", None)
            self._cached = [] if not own else [
                (name, with_keys(help_text, screen, self.app, action, screen), action)
                for name, help_text, action in own()]
        return self._cached

    async def _run(self, action: str) -> None:
        await self.app.run_action(action, self.screen)

    async def discover(self) -> Hits:
        for name, help_text, action in self._commands():
            yield DiscoveryHit(name, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, action),
                          help=help_text)
