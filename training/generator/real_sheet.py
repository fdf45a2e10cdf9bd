"""Real beside generated: the project's real sole photos, each next to the generated sole most like it.

The judge of the generator is a person's eye: if the generated soles stand
out from real ones at a glance, a model trained on them learns our renderer.
Each real photo (new soles from `new-soles/` cropped to the sole, the worn
CSAFE soles whole) is shown followed by the generated sole of the closest rubber colour
out of a pool drawn alike (new soles beside barely worn generated ones, worn
beside clearly worn), each tile captioned. The real photos stay where they are
(`training.real_soles.REAL_SOLES`); only the sheet is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from inference.decode import load_rgb
from inference.taxonomy import load_taxonomy
from training.generator.sample import SampleSpec, render_sample
from training.real_soles import NEW_SOLES, REAL_SOLES, read_outlines

TILE = (150, 225)
MARGIN = 0.12         # room around a sole's box, relative to its long side
POOL = 24             # generated candidates per row, the closest in colour is shown


def crop_to(image: np.ndarray, box: tuple[float, float, float, float], margin: float = MARGIN) -> np.ndarray:
    """The sole's box with some room round it, clipped to the photo."""
    x0, y0, x1, y1 = box
    pad = margin * max(x1 - x0, y1 - y0)
    h, w = image.shape[:2]
    return image[max(0, int(y0 - pad)):min(h, int(y1 + pad)), max(0, int(x0 - pad)):min(w, int(x1 + pad))]


def tile(crop: np.ndarray, caption: str, size: tuple[int, int] = TILE) -> Image.Image:
    """The crop turned upright if it lies sideways, fitted into a tile on grey, with its caption."""
    if crop.shape[1] > crop.shape[0]:
        crop = np.rot90(crop).copy()
    im = Image.fromarray(crop)
    im.thumbnail((size[0], size[1] - 16))
    out = Image.new("RGB", size, (235, 235, 235))
    out.paste(im, ((size[0] - im.width) // 2, (size[1] - 16 - im.height) // 2))
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, size[1] - 16, size[0], size[1]), fill=(0, 0, 0))
    draw.text((4, size[1] - 15), caption, fill="white", font=ImageFont.load_default(size=11))
    return out


def _colour(crop: np.ndarray) -> np.ndarray:
    """The crop's median colour around its centre, where the sole is."""
    h, w = crop.shape[:2]
    return np.median(crop[h // 4:3 * h // 4, w // 4:3 * w // 4].reshape(-1, 3), axis=0)


def _generated_pool(worn: bool, seed: int) -> list[tuple[np.ndarray, str]]:
    """Generated soles drawn alike: barely worn ones cropped to the sole (as the real new ones are), or clearly worn
    ones as whole photos (as the CSAFE photos come, ruler and card included), any class."""
    classes = load_taxonomy().class_ids
    pool = []
    for k in range(POOL):
        label = classes[k % len(classes)]
        spec = SampleSpec(label, seed * 10_000 + k, seed * 10_000 + 5_000 + k, size=(384, 576),
                          wear_scale=1.0 if worn else 0.01, photo={"cutoff": False, "hand": False}, pair=False)
        s = render_sample(spec)
        pool.append((s.photo.image if worn else crop_to(s.photo.image, s.photo.box), f"generated, sev {s.wear.severity:.2f}"))
    return pool


def _row(reals: list[tuple[np.ndarray, str]], pool: list[tuple[np.ndarray, str]]) -> list[Image.Image]:
    """Each real tile followed by the unused generated one closest to it in colour."""
    colours = np.array([_colour(crop) for crop, _ in pool])
    used = np.zeros(len(pool), bool)
    tiles = []
    for crop, caption in reals:
        distances = np.where(used, np.inf, np.abs(colours - _colour(crop)).sum(1))
        best = int(np.argmin(distances))
        used[best] = True
        tiles += [tile(crop, caption), tile(*pool[best])]
    return tiles


def real_beside_generated(out_png: Path, seed: int = 0, n_new: int = 4, real_dir: Path = REAL_SOLES) -> Path | None:
    """Write the sheet; None (and nothing written) when the real photos are not here."""
    csafe = sorted(real_dir.glob("csafe-*.jpg"))
    new_dir = real_dir / NEW_SOLES.name
    photos = [p for p in read_outlines(new_dir) if len(p.outlines) == 1] if (new_dir / "images").is_dir() else []
    if not csafe and not photos:
        return None
    rng = np.random.default_rng(seed)
    picked = [photos[i] for i in rng.choice(len(photos), size=min(n_new, len(photos)), replace=False)] if photos else []
    new = [(crop_to(load_rgb(p.path), p.boxes()[0]), f"real new, {p.session}") for p in picked]
    worn = [(load_rgb(p, max_side=1200), f"real worn, {p.name[6:13]}") for p in csafe]
    rows = [r for r in (_row(new, _generated_pool(False, seed)) if new else [],
                        _row(worn, _generated_pool(True, seed + 1)) if worn else []) if r]
    width = max(len(r) for r in rows) * TILE[0]
    sheet = Image.new("RGB", (width, len(rows) * TILE[1]), "white")
    for r, tiles in enumerate(rows):
        for c, t in enumerate(tiles):
            sheet.paste(t, (c * TILE[0], r * TILE[1]))
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out_png)
    return out_png
