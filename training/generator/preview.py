"""Contact sheets: one row per class, so a person can judge the generator at a glance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from inference.taxonomy import load_taxonomy
from training.generator.sample import SampleSpec, render_sample

LABEL_W = 170


def contact_sheet(out_png: Path, per_class: int = 6, seed: int = 0, tile: tuple[int, int] = (192, 288),
                  with_wear: bool = True) -> Path:
    """Render `per_class` photos for each class; beside each, its simulated wear (red).

    The wear overlay is the generator's ground truth, the thing no real photo
    knows - it shows whether what you see in the photo is what was simulated.
    """
    taxonomy = load_taxonomy()
    font = ImageFont.load_default(size=15)
    small = ImageFont.load_default(size=11)
    tw, th = tile
    cols = per_class * (2 if with_wear else 1)
    sheet = Image.new("RGB", (LABEL_W + cols * tw, len(taxonomy.classes) * th), "white")
    draw = ImageDraw.Draw(sheet)
    for r, wear_class in enumerate(taxonomy.classes):
        title = _wrap(wear_class.label, 18)
        draw.multiline_text((8, r * th + 8), title, fill="black", font=font)
        draw.multiline_text((8, r * th + 14 + 18 * title.count("\n") + 18), _wrap(wear_class.shows, 24), fill=(70, 70, 70), font=small)
        for k in range(per_class):
            spec = SampleSpec(wear_class.id, seed * 1000 + r * 100 + k, seed * 1000 + r * 100 + k + 50, size=(tw, th))
            s = render_sample(spec)
            x = LABEL_W + k * tw * (2 if with_wear else 1)
            sheet.paste(Image.fromarray(s.photo.image), (x, r * th))
            caption = f"{s.params.side} sev {s.wear.severity:.2f}" + ("" if s.partner is None else f", pair {s.partner.wear.severity:.2f}")
            if with_wear:   # every sole's simulated wear (both shoes of a pair photographed together)
                wear = np.max([sole.wear for sole in s.photo.soles], axis=0)
                on_sole = np.logical_or.reduce([sole.mask for sole in s.photo.soles])
                overlay = (s.photo.image * 0.45).astype(np.uint8)
                overlay[..., 0] = np.maximum(overlay[..., 0], (wear * 255).astype(np.uint8))
                overlay[~on_sole] = (overlay[~on_sole] * 0.5).astype(np.uint8)
                sheet.paste(Image.fromarray(overlay), (x + tw, r * th))
            draw.rectangle((x, r * th + th - 16, x + tw, r * th + th), fill=(0, 0, 0))
            draw.text((x + 4, r * th + th - 15), caption, fill="white", font=small)
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out_png)
    return out_png


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join(lines + [line])
