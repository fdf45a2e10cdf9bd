"""Where the bundled default model lives and whether one is installed.

The app and the CLI ask this module instead of guessing paths, so that the
"no model installed yet" state is reported the same way everywhere.
"""

from __future__ import annotations

from pathlib import Path

#: The bundled default checkpoint ships inside the package (safetensors weights
#: plus JSON metadata with the same stem).
BUNDLED_DIR = Path(__file__).resolve().parent / "assets"
BUNDLED_STEM = "default_model"


def bundled_checkpoint() -> Path | None:
    """The bundled checkpoint's weights file, or None when no model is installed."""
    weights = BUNDLED_DIR / f"{BUNDLED_STEM}.safetensors"
    meta = BUNDLED_DIR / f"{BUNDLED_STEM}.json"
    return weights if weights.is_file() and meta.is_file() else None


NO_MODEL_MESSAGE = (
    "No model is installed: the bundled default model (inference/assets/default_model.safetensors "
    "and its .json) is missing, so photos cannot be analysed. `make model` trains it and puts it "
    "there; `solewear train` trains one of your own."
)
