"""Command-palette commands: the current screen's actions, plus help and quit.

Each screen lists its own commands (``palette_commands``), so the palette offers what the
footer offers, and nothing that does not apply where the user is.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class KtuiCommands(Provider):
    def _commands(self) -> list[tuple[str, str, str, bool]]:
        """(name, help, action, on the screen?) for the screen the palette was opened on."""
        screen = self.screen
        own = getattr(screen, "palette_commands", None)
        cmds = [(n, h, a, True) for n, h, a in own()] if own else []
        cmds.append(("Help", "Show the keys (?)", "help", False))
        cmds.append(("Quit", "Stop any training and leave ktui", "quit", False))
        return cmds

    async def _run(self, action: str, on_screen: bool) -> None:
        target = self.screen if on_screen else self.app
        await self.app.run_action(action, target)

    async def discover(self) -> Hits:
        for name, help_text, action, on_screen in self._commands():
            yield DiscoveryHit(name, partial(self._run, action, on_screen), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action, on_screen in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, action, on_screen),
                          help=help_text)
