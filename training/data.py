"""Data sources as records: generated sets, real photos (manifest or folder per class), on-the-fly synthetic.

A `Record` is one photo and what is known about it. Unknown targets (zones of
a real photo, say) are None and their losses are masked, so real photos with
nothing but a class label still train the classifier.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from sklearn.model_selection import GroupShuffleSplit

from inference.decode import IMAGE_SUFFIXES, ImageError, open_image
from inference.preprocess import Box
from inference.taxonomy import Taxonomy, load_taxonomy, nearest_quarter
from training.config import DataCfg, SourceCfg
from training.generator.sample import BOX_COLUMNS, PARTNER_BOX_COLUMNS, SampleSpec


class DataError(ValueError):
    """A data set that cannot be used as it is, with what to fix."""


@dataclass(frozen=True)
class Record:
    label: int                         # class index (taxonomy order)
    path: Path | None = None           # photo on disk...
    spec: SampleSpec | None = None     # ...or a synthetic sample rendered on the fly
    side: str | None = None            # left | right (None: unknown)
    orientation: int = 0               # quarter turns of the toe, clockwise from up
    orientation_known: bool = True     # False: `orientation` is the data set's default, not read from the photo
    rotation_deg: float | None = None  # the toe's exact clockwise turn from up, when known (generated photos)
    zones: tuple[float, ...] | None = None  # zone scores + severity, when known
    shoe_id: str = ""
    box: Box | None = None             # the sole's box in the photo, when known
    mask_path: Path | None = None      # a sole mask to take the box from
    wear_path: Path | None = None      # generated: wear fraction per pixel (depth/*.png), photo frame
    mixed: bool | None = None          # generated: a second tendency blended in (mix_label); None: unknown
    source: int = 0                    # which configured source it came from
    pose_known: bool = True            # False: side and toe direction are guesses, their losses masked (real outlines)
    others: tuple[Box, ...] = ()       # boxes of the photo's other soles (a pair's partner; several outlined soles)


def _float(row: dict, key: str) -> float | None:
    value = row.get(key, "")
    try:
        return float(value) if value not in ("", None) else None
    except ValueError:
        return None


def _orientation(row: dict, taxonomy: Taxonomy, default: int) -> tuple[int, bool]:
    """The toe's quarter turn from the orientation or rotation_deg column, else `default`; and whether it was given."""
    if row.get("orientation") in taxonomy.orientations:
        return taxonomy.orientations.index(row["orientation"]), True
    rotation = _float(row, "rotation_deg")
    return (nearest_quarter(rotation), True) if rotation is not None else (default, False)


def read_manifest(folder: Path, default_orientation: int = 0, source: int = 0) -> list[Record]:
    """A folder with manifest.csv (docs/conventions.md section 4)."""
    taxonomy = load_taxonomy()
    manifest = folder / "manifest.csv"
    with open(manifest, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"path", "label", "side"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"{manifest} lacks the column(s) {sorted(missing)}; it needs at least path,label,side")
        rows = list(reader)
    records = []
    for n, row in enumerate(rows, start=2):
        if row["label"] not in taxonomy.class_ids:
            raise DataError(f"{manifest}:{n}: unknown label {row['label']!r}; known: {taxonomy.class_ids}")
        zone_values = [_float(row, z) for z in (*taxonomy.zone_ids, "severity")]
        box = tuple(_float(row, c) for c in BOX_COLUMNS)
        partner = tuple(_float(row, c) for c in PARTNER_BOX_COLUMNS)
        orientation, orientation_known = _orientation(row, taxonomy, default_orientation)
        records.append(Record(
            label=taxonomy.class_ids.index(row["label"]),
            path=folder / row["path"],
            side=row["side"] if row["side"] in taxonomy.sides else None,
            orientation=orientation,
            orientation_known=orientation_known,
            rotation_deg=_float(row, "rotation_deg"),
            zones=tuple(zone_values) if all(v is not None for v in zone_values) else None,
            shoe_id=row.get("shoe_id") or row["path"],
            box=box if all(v is not None for v in box) else None,
            mask_path=folder / row["mask_path"] if row.get("mask_path") else None,
            wear_path=folder / row["depth_path"] if row.get("depth_path") else None,
            mixed=bool(row["mix_label"]) if "mix_label" in row else None,
            source=source,
            others=(partner,) if all(v is not None for v in partner) else (),
        ))
    return records


def read_folder(folder: Path, default_orientation: int = 0, source: int = 0) -> list[Record]:
    """ImageFolder layout: CLASS/[left|right/]IMAGE. Folder names are class ids."""
    taxonomy = load_taxonomy()
    class_dirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = [p.name for p in class_dirs if p.name not in taxonomy.class_ids]
    if unknown:
        raise DataError(f"{folder}: folder names must be class ids {taxonomy.class_ids}; unknown: {unknown}")
    records = []
    for class_dir in class_dirs:
        for path in sorted(class_dir.rglob("*")):
            if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
                continue
            side = path.parent.name if path.parent.name in taxonomy.sides else None
            records.append(Record(label=taxonomy.class_ids.index(class_dir.name), path=path, side=side,
                                  orientation=default_orientation, orientation_known=False,
                                  shoe_id=str(path.relative_to(folder)), source=source))
    if not records:
        raise DataError(f"{folder}: no images found in class folders")
    return records


def synthetic_records(cfg: SourceCfg, source: int = 0) -> list[Record]:
    """Placeholders for on-the-fly samples; the dataset re-seeds them every epoch."""
    from training.generator.dataset import derive_seed

    classes = load_taxonomy().class_ids
    return [Record(label=i % len(classes),
                   spec=SampleSpec(classes[i % len(classes)], derive_seed(cfg.seed, i, 0), derive_seed(cfg.seed, i, 1), size=tuple(cfg.size),
                                   photo=dict(cfg.photo)),
                   shoe_id=f"synthetic-{cfg.seed}-{i}", source=source) for i in range(cfg.n)]


def source_folder(cfg: SourceCfg) -> Path | None:
    """Where a source's files are: its path, or for real outlined photos the folder this machine keeps them in."""
    if cfg.path:
        return Path(cfg.path)
    if cfg.kind == "outlines":
        from training import real_soles

        return real_soles.NEW_SOLES
    return None


def read_source(cfg: SourceCfg, default_orientation: int = 0, source: int = 0) -> list[Record]:
    if cfg.kind == "synthetic":
        return synthetic_records(cfg, source)
    folder = source_folder(cfg)
    if cfg.kind == "outlines":
        from training.real_soles import outline_records

        if not (folder / "images").is_dir():
            if cfg.required:
                raise DataError(f"no outlined real photos at {folder} (images/ and labels/ expected)")
            print(f"note: no real photos of new soles at {folder}; training without them", flush=True)
            return []
        return outline_records(folder, source)
    if folder is None:
        raise DataError(f"a {cfg.kind} source needs a path")
    if not folder.is_dir():
        raise DataError(f"data folder not found: {folder} (generate one with `solewear generate {folder} --n 2000`)")
    if cfg.kind == "auto":
        return read_dataset(folder, default_orientation, source)
    reader = read_manifest if cfg.kind == "manifest" else read_folder
    return reader(folder, default_orientation, source)


def dataset_folder(path: Path) -> Path:
    """The folder of a data set given as the folder or as its manifest.csv (manifest paths are relative to it)."""
    path = Path(path)
    return path.parent if path.name == "manifest.csv" else path


def read_dataset(path: Path, default_orientation: int = 0, source: int = 0) -> list[Record]:
    """A data set in either layout: a folder with manifest.csv (or that file itself), else a folder per class."""
    folder = dataset_folder(path)
    reader = read_manifest if (folder / "manifest.csv").is_file() else read_folder
    return reader(folder, default_orientation, source)


def mask_box(path: Path) -> Box | None:
    """The bounding box of a sole mask PNG (255 = sole)."""
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        return None
    ys, xs = np.nonzero(mask > 127)
    return (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)) if len(xs) else None


def read_wear_map(record: Record) -> np.ndarray | None:
    """A generated record's wear map (uint8, photo frame); None when it has none or the file cannot be read."""
    return cv2.imread(str(record.wear_path), cv2.IMREAD_GRAYSCALE) if record.wear_path is not None else None


def record_box(record: Record) -> Box | None:
    """Where the sole is in a record's photo, when the data set knows it (box columns, else its mask)."""
    if record.box is not None:
        return record.box
    return mask_box(record.mask_path) if record.mask_path else None


def usable_for_training(records: list[Record]) -> tuple[list[Record], int]:
    """Records whose side is known (needed to put them in the canonical frame), or that need none (no wear to orient)."""
    kept = [r for r in records if r.side is not None or r.spec is not None or not r.pose_known]
    return kept, len(records) - len(kept)


def readable_only(records: list[Record]) -> tuple[list[Record], list[str]]:
    """Records whose photo decodes, and "path: reason" for each that does not.

    One damaged file in a researcher's thousands must cost that photo, not the run: it is found
    here, once, before training (a small decode reads the whole file, so a truncated JPEG shows),
    rather than in a data-loader worker mid-epoch. Generated-on-the-fly records have no file.
    """
    kept, unreadable = [], []
    for r in records:
        if r.spec is None:
            try:
                open_image(r.path, max_side=64)
            except ImageError as exc:
                unreadable.append(f"{r.path}: {exc}")
                continue
        kept.append(r)
    return kept, unreadable


def grouped_split(records: list[Record], val_fraction: float, seed: int) -> tuple[list[Record], list[Record]]:
    """Train/val split grouped by shoe_id, so no shoe is on both sides; seeded."""
    groups = [r.shoe_id for r in records]
    if len(set(groups)) < 2:
        raise DataError("need photos of at least two different shoes to split off a validation set")
    splitter = GroupShuffleSplit(n_splits=1, test_size=val_fraction, random_state=seed)
    train_idx, val_idx = next(splitter.split(np.zeros(len(records)), groups=groups))
    return [records[i] for i in train_idx], [records[i] for i in val_idx]


def load_train_val(cfg: DataCfg, seed: int) -> tuple[list[Record], list[Record]]:
    """All configured sources (train) and the validation set (given, or split off by shoe)."""
    default = load_taxonomy().orientations.index(cfg.default_orientation)
    train: list[Record] = []
    for i, source in enumerate(cfg.sources):
        train += read_source(source, default, i)
    if cfg.val is not None:
        val = read_source(cfg.val, default, 0)
    else:
        real = [r for r in train if r.spec is None]
        synthetic = [r for r in train if r.spec is not None]
        if not real:
            raise DataError("only on-the-fly synthetic sources: give data.val (for example a synthetic source with its own seed)")
        real_train, val = grouped_split(real, cfg.val_fraction, seed)
        train = real_train + synthetic
    return train, val


def sampling_weights(records: list[Record], source_weights: list[float], class_balanced: bool) -> np.ndarray:
    """Per-record draw weights: each source gets its configured share; classes balanced within it."""
    per_source = Counter(r.source for r in records)
    per_class = Counter((r.source, r.label) for r in records)
    n_classes = {s: len({lab for (src, lab) in per_class if src == s}) for s in per_source}
    w = np.empty(len(records))
    for i, r in enumerate(records):
        share = source_weights[r.source] / per_source[r.source]
        if class_balanced:
            share *= per_source[r.source] / (n_classes[r.source] * per_class[(r.source, r.label)])
        w[i] = share
    return w / w.sum()


def epoch_indices(weights: np.ndarray, seed: int, epoch: int, rank: int = 0, world: int = 1) -> list[int]:
    """Weighted draw for one epoch, identical on every rank, then this rank's shard."""
    n = len(weights)
    per_rank = math.ceil(n / world)
    rng = np.random.default_rng(np.random.SeedSequence([seed, epoch, 7]))
    draw = rng.choice(n, size=per_rank * world, replace=True, p=weights)
    return draw[rank::world].tolist()
