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
    "No model is installed yet. The bundled default model has not been trained and "
    "shipped with this version, so photos cannot be analysed. Researchers can train "
    "one with `solewear train` once the training pipeline lands."
)
