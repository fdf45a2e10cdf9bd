"""Real photographs without a sole, for the presence head's negatives.

The generator's sole-free photos teach "no tread, no sole"; they do not teach
what the rest of the world looks like, so a model trained on them alone calls a
temple or a flower a sole. Real photos must come from somewhere lawful and
offline: the sample images that scikit-image and matplotlib ship inside their
wheels (faces, a cat, coffee, coins, a rocket, a motorcycle, gravel, grass,
brick, text, telescope images...). scikit-learn's two sample photos are left
out on purpose: they are the held-out check in the tests and the model card.

Each negative is a random crop of one of them, turned, mirrored, re-coloured
and resized, so the few dozen pictures become many different views.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# File names inside the packages' data folders; chosen to be photographs or
# photo-like scenes (not charts, masks or tiny icons).
SKIMAGE_FILES = ("astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "clock_motion.png",
                 "coffee.png", "coins.png", "color.png", "grass.png", "gravel.png", "hubble_deep_field.jpg",
                 "ihc.png", "logo.png", "moon.png", "motorcycle_left.png", "motorcycle_right.png", "page.png",
                 "retina.jpg", "rocket.jpg", "text.png")
MATPLOTLIB_FILES = ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png")


def _package_dir(module: str, *parts: str) -> Path | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return Path(mod.__file__).resolve().parent.joinpath(*parts)


@lru_cache(maxsize=1)
def natural_photos() -> tuple[np.ndarray, ...]:
    """The available photos as RGB uint8 arrays (empty when neither package is installed)."""
    candidates = []
    skimage_dir = _package_dir("skimage", "data")
    if skimage_dir is not None:
        candidates += [skimage_dir / name for name in SKIMAGE_FILES]
    mpl_dir = _package_dir("matplotlib", "mpl-data", "sample_data")
    if mpl_dir is not None:
        candidates += [mpl_dir / name for name in MATPLOTLIB_FILES]
    photos = []
    for path in candidates:
        if path.is_file():
            with Image.open(path) as im:
                photos.append(np.asarray(im.convert("RGB")))
    return tuple(photos)


def natural_negative(seed: int, size: tuple[int, int]) -> np.ndarray | None:
    """One sole-free view (width, height = size) cut from a real photo; None when no photo is available."""
    photos = natural_photos()
    if not photos:
        return None
    rng = np.random.default_rng(seed)
    photo = photos[int(rng.integers(len(photos)))]
    h, w = photo.shape[:2]
    frac = rng.uniform(0.35, 1.0)
    ch, cw = max(16, int(h * frac)), max(16, int(w * frac * rng.uniform(0.7, 1.3)))
    ch, cw = min(ch, h), min(cw, w)
    y0, x0 = int(rng.integers(h - ch + 1)), int(rng.integers(w - cw + 1))
    view = np.ascontiguousarray(np.rot90(photo[y0:y0 + ch, x0:x0 + cw], int(rng.integers(4))))
    if rng.random() < 0.5:
        view = view[:, ::-1]
    if rng.random() < 0.5:  # colour cast and exposure, as the camera simulation does for soles
        gains = rng.uniform(0.7, 1.3, 3) * rng.uniform(0.6, 1.3)
        view = np.clip(view.astype(np.float32) * gains, 0, 255).astype(np.uint8)
    return cv2.resize(np.ascontiguousarray(view), size, interpolation=cv2.INTER_AREA)
