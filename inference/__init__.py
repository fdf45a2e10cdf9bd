"""solewear's core library: taxonomy, safe decoding, preprocessing, the predictor.

`inference` never imports `training` or `streamlit` (docs/conventions.md section 7).
"""

from __future__ import annotations

import os

# Offline by design: libraries underneath must never try to reach a hub or
# check for updates at run time. Users can still override these explicitly.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

__version__ = "0.1.0"
