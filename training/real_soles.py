"""Real photos of brand-new sole units with their outlines: training records and the real-photo figures.

The set (CC BY 4.0, never committed: it lives outside the repository, at
`SOLEWEAR_REAL_SOLES` or the workplace's shared folder beside the checkout)
holds photos of unworn soles with a YOLO polygon per sole. What they teach
needs no clinician: where a real sole is, and that a new sole carries no
wear (every zone 0, severity 0). Their wear class is unknown (masked), and
so is each sole's side; the toe's direction is read from the outline (the
forefoot is the wider end) and trusted only where that difference is clear.

The `taban_*` photos and one capture hour of the others are held out as the
project's own real test (frames of one session look alike: split by session).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from torchvision.ops import box_iou

from inference.decode import load_photo, load_rgb
from inference.preprocess import Box
from inference.taxonomy import load_taxonomy, nearest_quarter
from training.data import Record
from training.metrics import proportion

REPO = Path(__file__).resolve().parents[1]
#: Real photos (the two worn CSAFE soles and new-soles/), when present; never part of the repository.
REAL_SOLES = Path(os.environ.get("SOLEWEAR_REAL_SOLES", REPO.parent / "shared" / "real-soles"))
NEW_SOLES = REAL_SOLES / "new-soles"
#: Capture sessions kept out of training: the separate `taban` set and the last hour of the robot cell.
HELD_OUT_SESSIONS = ("taban", "12")
#: The forefoot must be this much wider than the heel before the outline's toe end is trusted.
TOE_WIDTH_RATIO = 1.12


@dataclass(frozen=True)
class OutlinedPhoto:
    path: Path
    outlines: tuple[np.ndarray, ...]   # one (N, 2) polygon per sole, photo pixels

    @property
    def session(self) -> str:
        """'taban', or the capture hour ('10', '11', '12') of the robot-cell photos."""
        match = re.match(r"img_-_\d{8}_(\d\d)", self.path.name)
        return match.group(1) if match else self.path.name.split("_")[0]

    @property
    def held_out(self) -> bool:
        return self.session in HELD_OUT_SESSIONS

    def boxes(self) -> list[tuple[float, float, float, float]]:
        return [(float(p[:, 0].min()), float(p[:, 1].min()), float(p[:, 0].max()), float(p[:, 1].max()))
                for p in self.outlines]


def read_outlines(folder: Path) -> list[OutlinedPhoto]:
    """images/NAME.jpg with labels/NAME.txt (YOLO segmentation: class x1 y1 x2 y2 ... as fractions)."""
    from PIL import Image

    photos = []
    for image in sorted((folder / "images").glob("*.jpg")):
        label = folder / "labels" / f"{image.stem}.txt"
        if not label.is_file():
            continue
        with Image.open(image) as im:
            w, h = im.size
        outlines = []
        for line in label.read_text().splitlines():
            values = [float(v) for v in line.split()[1:]]
            if len(values) >= 6:
                outlines.append(np.asarray(values, np.float64).reshape(-1, 2) * (w, h))
        if outlines:
            photos.append(OutlinedPhoto(image, tuple(outlines)))
    return photos


def sole_free_places(records: Sequence[Record], sources: set[int]) -> list[tuple[Path, tuple[Box, ...]]]:
    """Each photo the run trains on from `sources`, once, with every sole box on it (a record's own and its others')."""
    return list({r.path: (r.box, *r.others) for r in records if r.source in sources and r.box is not None}.items())


def surroundings_view(places: Sequence[tuple[Path, Sequence[Box]]], seed: int, size: tuple[int, int],
                      margin: float = 0.05, tries: int = 20) -> np.ndarray | None:
    """A real sole-free view (width, height = size): a crop of a photo (`sole_free_places`) that touches no sole's box.

    The 19 natural photos that ship with scikit-image and matplotlib did not
    teach the finder what real surroundings look like: a model tuned on real new
    soles called a cat, a temple and a flower soles (docs/model/experiments.md).
    The outlined photos of the training hours show the robot cell's table, tools
    and fixtures around every sole, at a real camera's colours and noise (the
    held-out photos, the `taban` cloth among them, are never cut). None when no crop clear of
    the boxes (grown by `margin` of the photo) is found in `tries` draws.
    """
    if not places:
        return None
    rng = np.random.default_rng(seed)
    path, boxes = places[int(rng.integers(len(places)))]
    image, (stored_w, _) = load_photo(path, max_side=1024)   # boxes are in the stored photo's pixels
    h, w = image.shape[:2]
    grow = margin * max(h, w)
    grown = torch.as_tensor(boxes, dtype=torch.float64) * (w / stored_w) + torch.tensor([-grow, -grow, grow, grow])
    for _ in range(tries):
        ch, cw = int(h * rng.uniform(0.15, 0.5)), int(w * rng.uniform(0.15, 0.5))
        y0, x0 = int(rng.integers(h - ch + 1)), int(rng.integers(w - cw + 1))
        if box_iou(torch.tensor([[x0, y0, x0 + cw, y0 + ch]], dtype=torch.float64), grown).max() == 0:
            view = np.rot90(image[y0:y0 + ch, x0:x0 + cw], int(rng.integers(4)))
            return cv2.resize(np.ascontiguousarray(view), size, interpolation=cv2.INTER_AREA)
    return None


def outline_rotation(outline: np.ndarray) -> float | None:
    """The toe's clockwise turn from up (degrees) read from a sole's outline, or None where unclear.

    The long axis comes from the outline's principal direction; the toe end is
    the wider one (a forefoot is wider than a heel), trusted only when the
    widths differ by TOE_WIDTH_RATIO.
    """
    centred = outline - outline.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axis, across = vt[0], vt[1]
    along, width = centred @ axis, centred @ across
    span = along.max() - along.min()
    ends = [np.ptp(width[along > along.max() - 0.35 * span]), np.ptp(width[along < along.min() + 0.35 * span])]
    if max(ends) < TOE_WIDTH_RATIO * min(ends):
        return None
    toe = axis if ends[0] > ends[1] else -axis            # image coordinates: x right, y down
    return float(np.degrees(np.arctan2(toe[0], -toe[1])) % 360)


def outline_records(folder: Path, source: int = 0) -> list[Record]:
    """One record per sole of the training sessions: no wear, class and side unknown (masked)."""
    zero = (0.0,) * (len(load_taxonomy().zone_ids) + 1)
    records = []
    for photo in read_outlines(folder):
        if photo.held_out:
            continue
        boxes = photo.boxes()
        for k, (outline, box) in enumerate(zip(photo.outlines, boxes)):
            rotation = outline_rotation(outline)
            records.append(Record(label=-1, path=photo.path, side=None, zones=zero, box=box, shoe_id=f"{photo.path.stem}-{k}",
                                  orientation=nearest_quarter(rotation) if rotation is not None else 0,
                                  rotation_deg=rotation, pose_known=False, others=tuple(boxes[:k] + boxes[k + 1:]), source=source))
    return records


def new_sole_figures(predictor, photos: list[OutlinedPhoto], new_below: float = 0.15) -> dict:
    """How the Predictor reads real new soles: found, one result per sole, and read as (nearly) unworn.

    A sole counts as found when a result's box overlaps its outline's box (IoU at
    least 0.3); `new_below` is the severity under which a sole reads as new.
    """
    import torch
    from torchvision.ops import box_iou

    found_photos = matched = soles = as_new = readings = right_count = 0
    for photo in photos:
        results = [p for p in predictor.predict(photo.path) if p.box is not None and "no_sole_found" not in p.flags]
        boxes = photo.boxes()
        soles += len(boxes)
        found_photos += bool(results)
        right_count += len(results) == len(boxes)
        if results:
            iou = box_iou(torch.tensor(boxes, dtype=torch.float32), torch.tensor([p.box for p in results]))
            matched += int((iou.max(1).values >= 0.3).sum())
        read = [p for p in results if p.severity is not None]
        readings += len(read)
        as_new += sum(p.severity < new_below for p in read)
    return {"photos": len(photos), "sole_found_in_photo": proportion(found_photos, len(photos)),
            "soles_found": proportion(matched, soles), "one_result_per_sole": proportion(right_count, len(photos)),
            "read_as_new": proportion(as_new, readings), "new_below": new_below}


#: Both CSAFE photographs: left shoes, toe at the bottom (their SOURCE.md).
CSAFE_POSE = ("left", "toe_down")


def real_photo_figures(predictor) -> dict:
    """Every real-photo figure the project can compute without a wear label (None where the photos are absent).

    - held-out new soles (`taban` and the last capture hour): found, one result per
      sole, read as new (severity under 0.15), per session and in all;
    - each worn CSAFE photo in its eight symmetric views: side and toe direction
      right in every view, and the share of views giving its most common class;
    - each worn CSAFE photo beside its mirror image (`mirror_pair`), as they are and in a portrait frame:
      two results, sides, classes.
    """
    from training.pose_check import pose_consistency

    figures: dict = {"new_soles": None, "csafe": None, "csafe_pairs": None}
    if (NEW_SOLES / "images").is_dir():
        held = [p for p in read_outlines(NEW_SOLES) if p.held_out]
        figures["new_soles"] = {"all": new_sole_figures(predictor, held), **{
            session: new_sole_figures(predictor, [p for p in held if p.session == session]) for session in HELD_OUT_SESSIONS}}
    photos = {p.name: load_rgb(p) for p in sorted(REAL_SOLES.glob("*.jpg"))}
    if photos:
        figures["csafe"] = [pose_consistency(predictor, name, image, *CSAFE_POSE) for name, image in photos.items()]
        figures["csafe_pairs"] = [mirror_pair(predictor, name, image, first, upright)
                                  for name, image in photos.items() for upright in (False, True) for first in ("photo", "mirror")]
    return figures


def mirror_pair(predictor, name: str, image: np.ndarray, first: str, upright: bool = False) -> dict:
    """A real sole beside its own mirror image in one photo: a left and a right shoe with the same wear.

    The nearest the project has to a real pair photographed together: it should give two
    results, the right side for each half, and the same class and severity for both.
    `first`: which of the two is on the left of the photo ("photo" or "mirror"). `upright`:
    the pair in a portrait frame (3:4, the floor's colour above and below), as a phone held
    upright takes a pair laid side by side; otherwise the two photos side by side (landscape).
    """
    halves = [image, np.ascontiguousarray(image[:, ::-1])]
    row = np.concatenate(halves if first == "photo" else halves[::-1], axis=1)
    if upright:
        floor = np.median(np.concatenate([row[:8], row[-8:]]).reshape(-1, 3), axis=0).astype(np.uint8)
        extra = max(0, row.shape[1] * 4 // 3 - row.shape[0])
        row = cv2.copyMakeBorder(row, extra // 2, extra - extra // 2, 0, 0, cv2.BORDER_CONSTANT, value=floor.tolist())
    photo = io.BytesIO()
    Image.fromarray(row).save(photo, format="JPEG", quality=92)          # as a phone would send it
    results = predictor.predict(photo.getvalue(), name=name)
    own = CSAFE_POSE[0]
    mirrored = predictor.taxonomy.other_side(own)   # a mirrored left sole is a right one
    expected = [own, mirrored] if first == "photo" else [mirrored, own]
    labels = [r.label for r in results]
    severities = [round(float(r.severity), 3) for r in results if r.label is not None]
    return {"photo": name, "first": first, "upright": upright, "results": len(results), "sides": [r.side for r in results],
            "sides_right": [r.side for r in results] == expected, "labels": labels,
            "same_class": len(results) == 2 and None not in labels and labels[0] == labels[1],
            "severities": severities, "unsure": ["low_confidence" in r.flags for r in results]}


def pair_words(r: dict) -> str:
    """One line for a sole-and-mirror pair (the CLI and the model card say it the same way)."""
    order = "photo, then its mirror image" if r["first"] == "photo" else "mirror image, then the photo"
    frame = ", portrait frame" if r.get("upright") else ""
    return (f"{r['photo'][:13]} beside its mirror image ({order}{frame}): {r['results']} result(s), sides "
            f"{'right' if r['sides_right'] else 'wrong'} ({', '.join(map(str, r['sides']))}), classes "
            f"{' / '.join(map(str, r['labels']))} ({'the same' if r['same_class'] else 'different'}), severity "
            f"{' / '.join(f'{v:.2f}' for v in r['severities'])}, shown as unsure: "
            f"{' / '.join('yes' if u else 'no' for u in r['unsure'])}")


def format_real_figures(figures: dict) -> str:
    """The figures as a few plain lines (the CLI prints them; the model card has its own table)."""
    lines = []
    if figures["new_soles"] is None:
        lines.append(f"real new soles: not found at {NEW_SOLES}")
    else:
        for name, f in figures["new_soles"].items():
            def pct(key: str) -> str:
                s = f[key]
                return "-" if s["rate"] is None else f"{s['rate']:.1%} ({s['k']}/{s['n']}; 95% CI {s['ci95'][0]:.1%}-{s['ci95'][1]:.1%})"
            lines.append(f"new soles held out [{name}], {f['photos']} photos: sole found in {pct('sole_found_in_photo')}; "
                         f"soles found {pct('soles_found')}; one result per sole {pct('one_result_per_sole')}; "
                         f"read as new (severity < {f['new_below']}) {pct('read_as_new')}")
    for r in figures["csafe"] or []:
        agreement = "-" if r["agreement"] is None else f"{r['agreement']:.0%}"
        lines.append(f"{r['photo']}: found in {r['found']}/{r['views']} views, side right {r['side_right']}/{r['views']}, "
                     f"toe direction right {r['orientation_right']}/{r['views']}, one class in {agreement} of labelled views "
                     f"({', '.join(f'{k} {v}' for k, v in r['labels'].items())})")
    for r in figures.get("csafe_pairs") or []:
        lines.append(pair_words(r))
    if figures["csafe"] is None:
        lines.append(f"real CSAFE photos: not found at {REAL_SOLES}")
    return "\n".join(lines)
