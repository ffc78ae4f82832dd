"""Keys for the app in a browser (``ktui serve``): browsers keep ctrl+r (reload, which ends
the session), ctrl+t, ctrl+n, ctrl+w and ctrl+l for themselves, and F5 reloads too. Every
action bound to one of them gets a key the browser passes on, first so that the footer shows
it; the ctrl key stays for a terminal. Applied by binding id (Textual's keymap) only when the
app runs in a browser, so a terminal's footer is unchanged.
"""

from __future__ import annotations

#: Keys a browser takes before the page sees them.
BROWSER_KEYS = ("ctrl+r", "ctrl+t", "ctrl+n", "ctrl+w", "ctrl+l", "f5")

#: Binding id -> the keys in a browser (the first one shown in the footer).
WEB_KEYMAP = {
    "train": "f9,ctrl+r",  # setup: train (letters type into the fields)
    "open_runs": "f8,ctrl+l",  # setup and training view: the runs list
    "add_layer_global": "f4,ctrl+n",  # setup: add a layer
    "toggle_focus": "f2,ctrl+t",  # setup: layers / fields
    "reload_layer_files": "f4,ctrl+r",  # the layer form: import your layer files again
    "refresh_runs": "r,f5,ctrl+r",  # the runs list: read the folder again
}

__all__ = ["BROWSER_KEYS", "WEB_KEYMAP"]
