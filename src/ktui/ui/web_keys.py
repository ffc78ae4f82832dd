"""The app in a browser (``ktui serve``): its keys, and what closing the tab means.

Browsers keep ctrl+r (reload, which ends the session), ctrl+t, ctrl+n, ctrl+w and ctrl+l for
themselves, and F5 reloads too. Every action bound to one of them gets a key the browser
passes on, first so that the footer shows it; the ctrl key stays for a terminal. Applied by
binding id (Textual's keymap) only when the app runs in a browser, so a terminal's footer is
unchanged. Closing the tab ends the app (textual-serve asks it to exit): a run this app trains
stops after its batch and is recorded ``stopped: browser tab closed``; a run it only watches
goes on.
"""

from __future__ import annotations

from typing import Any

from textual import messages

#: Keys a browser takes before the page sees them.
BROWSER_KEYS = ("ctrl+r", "ctrl+t", "ctrl+n", "ctrl+w", "ctrl+l", "f5")

#: Binding id -> the keys in a browser (the first one shown in the footer).
WEB_KEYMAP = {
    "train": "f9,ctrl+r",  # setup: train (letters type into the fields)
    "train_background": "f7,ctrl+b",  # setup: train in a background process
    "open_runs": "f8,ctrl+l",  # setup and training view: the runs list
    "add_layer_global": "f4,ctrl+n",  # setup: add a layer
    "toggle_focus": "f2,ctrl+t",  # setup: layers / fields
    "reload_layer_files": "f4,ctrl+r",  # the layer form: import your layer files again
    "reload_layers_global": "r",  # setup: your layer files again (F5 reloads the page)
    "reload_layers": "r",  # the same on the layer list
    "refresh_runs": "r,f5,ctrl+r",  # the runs list: read the folder again
}



class InBrowser:
    """Mixed into the app: the browser's keys at mount, the tab's closing at exit."""

    def on_mount(self) -> None:
        app: Any = self
        if app.is_web:
            app.set_keymap(WEB_KEYMAP)

    def on_exit_app(self, event: messages.ExitApp) -> None:
        # Before the app's own exit handling (earlier in the MRO), while the screens are up.
        # A quit that already stopped the runs said why first; the first reason is kept.
        app: Any = self
        if app.is_web:
            app.stop_runs("browser tab closed")


__all__ = ["BROWSER_KEYS", "WEB_KEYMAP", "InBrowser"]
