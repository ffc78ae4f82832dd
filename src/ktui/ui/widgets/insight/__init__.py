"""What the model learned, drawn in the terminal: the confusion matrix, the prediction
gallery (:mod:`.pictures` holds their pure parts) and the weight heat strips."""

from ktui.ui.widgets.insight.confusion import ConfusionView
from ktui.ui.widgets.insight.gallery import MODES, GalleryView

__all__ = ["MODES", "ConfusionView", "GalleryView"]
