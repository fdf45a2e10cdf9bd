"""Re-make the example photos in `data/samples/` (`make samples`).

Two photos per class, a left and a right shoe, clearly worn and photographed
the way the photo guide asks (whole sole, flat, good light), plus a
`manifest.csv` so the folder is itself a tiny labelled data set. The app's
"try an example" button and the docs use them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from inference.taxonomy import load_taxonomy
from training.generator.dataset import write_manifest
from training.generator.sample import SampleSpec, render_sample

GOOD_PHOTO = dict(tilt_x_deg=4.0, tilt_y_deg=-3.0, cutoff=False, hand=False, motion_blur=False,
                  focus_sigma=0.3, exposure=1.0, fill=0.85, jpeg_quality=90)


def make_samples(out_dir: Path, seed: int = 2024) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for c, wear_class in enumerate(load_taxonomy().classes):
        for s, side in enumerate(("left", "right")):
            # Search a few seeds for a clearly worn shoe (an example should show something).
            for attempt in range(50):
                shoe_seed = seed + 1000 * c + 100 * s + attempt
                spec = SampleSpec(wear_class.id, shoe_seed, shoe_seed + 7, size=(384, 576), allow_mix=False, pair=False,
                                  photo=GOOD_PHOTO | {"side": side, "rotation_deg": 180.0 if (c + s) % 3 == 2 else 0.0})
                sample = render_sample(spec)
                if sample.wear.severity > 0.4:
                    break
            name = f"{len(rows) + 1:02d}-{side}.jpg"
            (out_dir / name).write_bytes(sample.photo.jpeg)
            row = {"path": name}
            row.update(sample.manifest_row())
            row["shoe_id"] = f"sample-{len(rows) + 1:02d}"
            rows.append(row)
    manifest = out_dir / "manifest.csv"
    write_manifest(manifest, rows)
    return manifest


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "data/samples")
    print(f"written: {make_samples(target)}")
