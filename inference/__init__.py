"""solewear's core library: taxonomy, safe decoding, preprocessing, the predictor.

`inference` never imports `training` or `streamlit` (docs/conventions.md section 7).
"""

from __future__ import annotations

import os
from pathlib import Path

# Offline by design: libraries underneath must never try to reach a hub or
# check for updates at run time. Users can still override these explicitly.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

#: solewear's own cache (ONNX exports of checkpoints, matplotlib's font list): besides the system's
#: temp space, the only place reading a photo writes to. Never holds anything a user uploaded.
CACHE_DIR = Path(os.environ.get("SOLEWEAR_CACHE", Path.home() / ".cache" / "solewear"))
# Libraries' own habits, set before any of them is imported: onnxruntime (1.32 on Linux) writes a telemetry
# device id and event store under ~/.cache/Microsoft and a session file in /tmp; matplotlib its font list
# under ~/.cache/matplotlib.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("MPLCONFIGDIR", str(CACHE_DIR / "matplotlib"))

__version__ = "0.1.0"
