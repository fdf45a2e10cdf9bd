"""Real photographs without a sole, for the presence head's negatives.

The generator's sole-free photos teach "no tread, no sole"; they do not teach
what the rest of the world looks like, so a model trained on them alone calls a
temple or a flower a sole. Real photos must come from somewhere lawful and
offline: the sample images that scikit-image and matplotlib ship inside their
wheels (faces, a cat, coffee, coins, a rocket, a motorcycle, gravel, grass,
brick, text, telescope images...). Some are kept out of training on purpose
(`HELD_OUT`: a face, a cat, a cup of coffee, a rocket, and scikit-learn's two
sample photos): they are the check in the tests and the model card that the
refusal generalises to photos the model never saw.

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
SKIMAGE_FILES = ("brick.png", "camera.png", "cell.png", "clock_motion.png", "coins.png", "color.png", "grass.png",
                 "gravel.png", "hubble_deep_field.jpg", "ihc.png", "logo.png", "moon.png", "motorcycle_left.png",
                 "motorcycle_right.png", "page.png", "retina.jpg", "text.png")
MATPLOTLIB_FILES = ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png")
HELD_OUT_SKIMAGE = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")
HELD_OUT_SKLEARN = ("china.jpg", "flower.jpg")
RECOLOUR_P = 0.6         # views re-coloured (`recolour`)
ON_FLOOR_P = 0.3         # views laid on a plain floor (`on_plain_floor`)
GREY_SATURATION = 40     # mean HSV saturation under which a photo counts as grey


def _package_dir(module: str, *parts: str) -> Path | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return Path(mod.__file__).resolve().parent.joinpath(*parts)


def _training_files() -> list[Path]:
    candidates = []
    skimage_dir = _package_dir("skimage", "data")
    if skimage_dir is not None:
        candidates += [skimage_dir / name for name in SKIMAGE_FILES]
    mpl_dir = _package_dir("matplotlib", "mpl-data", "sample_data")
    if mpl_dir is not None:
        candidates += [mpl_dir / name for name in MATPLOTLIB_FILES]
    return [path for path in candidates if path.is_file()]


def _load(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def natural_photo_names() -> list[str]:
    """Names of the photos training draws from on this machine (recorded in the checkpoint)."""
    return [path.name for path in _training_files()]


@lru_cache(maxsize=1)
def natural_photos() -> tuple[np.ndarray, ...]:
    """The available photos as RGB uint8 arrays (empty when neither package is installed)."""
    return tuple(_load(path) for path in _training_files())


def held_out_photos() -> dict[str, np.ndarray]:
    """Natural photos never used in training, by name, for testing that they are refused."""
    photos = {}
    skimage_dir = _package_dir("skimage", "data")
    for name in HELD_OUT_SKIMAGE if skimage_dir is not None else ():
        if (skimage_dir / name).is_file():
            photos[name] = _load(skimage_dir / name)
    from sklearn.datasets import load_sample_image

    photos.update({name: load_sample_image(name) for name in HELD_OUT_SKLEARN})
    return photos


def natural_negative(seed: int, size: tuple[int, int]) -> np.ndarray | None:
    """One sole-free view (width, height = size) cut from a training photo; None when no photo is available."""
    photos = natural_photos()
    if not photos:
        return None
    rng = np.random.default_rng(seed)
    return natural_view(photos[int(rng.integers(len(photos)))], rng, size)


def natural_view(photo: np.ndarray, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A random view of one photo: a crop, turned, mirrored, re-coloured, sometimes laid on a plain floor.

    Colour and framing are varied so that neither tells a sole from the rest
    of the world: most training photos are grey, and a model of 2026-12-05 gave
    the held-out cat a sole probability of 0.99 in colour and 0.23 in grey
    (docs/model/experiments.md); and a sole is photographed as an object on a
    floor, which a full-frame crop of a photo never is.
    """
    h, w = photo.shape[:2]
    frac = rng.uniform(0.2, 1.0)
    ch, cw = max(16, int(h * frac)), max(16, int(w * frac * rng.uniform(0.7, 1.3)))
    ch, cw = min(ch, h), min(cw, w)
    y0, x0 = int(rng.integers(h - ch + 1)), int(rng.integers(w - cw + 1))
    view = np.ascontiguousarray(np.rot90(photo[y0:y0 + ch, x0:x0 + cw], int(rng.integers(4))))
    if rng.random() < 0.5:
        view = view[:, ::-1]
    if rng.random() < RECOLOUR_P:
        view = recolour(view, rng)
    if rng.random() < 0.5:  # colour cast and exposure, as the camera simulation does for soles
        gains = rng.uniform(0.7, 1.3, 3) * rng.uniform(0.6, 1.3)
        view = np.clip(view.astype(np.float32) * gains, 0, 255).astype(np.uint8)
    if rng.random() < ON_FLOOR_P:
        return on_plain_floor(view, rng, size)
    return cv2.resize(np.ascontiguousarray(view), size, interpolation=cv2.INTER_AREA)


def recolour(view: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A grey photo mapped through a random two-colour ramp; a colour one turned round the hue circle and re-saturated."""
    hsv = cv2.cvtColor(np.ascontiguousarray(view), cv2.COLOR_RGB2HSV)
    if hsv[..., 1].mean() < GREY_SATURATION:
        light = hsv[..., 2:3].astype(np.float32) / 255
        dark, bright = rng.uniform(0, 120, 3), rng.uniform(120, 255, 3)
        return (dark + (bright - dark) * light).astype(np.uint8)
    hsv = hsv.astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(0, 180)) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.5, 1.6), 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)


def on_plain_floor(view: np.ndarray, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """The view as an object (a card, or a round thing) on a shaded plain floor, filling 35-85% of the photo."""
    width, height = size
    floor = rng.uniform(30, 230, 3) * np.linspace(rng.uniform(0.7, 1.0), rng.uniform(1.0, 1.2), height)[:, None, None]
    floor = floor + rng.normal(0, rng.uniform(1, 8), (height, width, 1))
    scale = rng.uniform(0.35, 0.85) * min(width / view.shape[1], height / view.shape[0])
    ow, oh = max(8, int(view.shape[1] * scale)), max(8, int(view.shape[0] * scale))
    thing = cv2.resize(np.ascontiguousarray(view), (ow, oh), interpolation=cv2.INTER_AREA).astype(np.float32)
    mask = np.ones((oh, ow), np.float32)
    if rng.random() < 0.5:
        mask = cv2.ellipse(np.zeros((oh, ow), np.float32), (ow // 2, oh // 2), (ow // 2, oh // 2), 0, 0, 360, 1.0, -1)
    y0, x0 = int(rng.integers(height - oh + 1)), int(rng.integers(width - ow + 1))
    patch = floor[y0:y0 + oh, x0:x0 + ow]
    floor[y0:y0 + oh, x0:x0 + ow] = patch + (thing - patch) * mask[..., None]
    return np.clip(floor, 0, 255).astype(np.uint8)


def held_out_views(photos: dict[str, np.ndarray], per_photo: int = 16, seed: int = 0,
                   size: tuple[int, int] = (512, 384)) -> dict[str, list[np.ndarray]]:
    """Views of the held-out photos (`held_out_photos`, read once by the caller) made as training makes its
    negatives: a larger, steadier check than six photos."""
    return {name: [natural_view(photo, np.random.default_rng([seed, k, i]), size) for i in range(per_photo)]
            for k, (name, photo) in enumerate(photos.items())}
