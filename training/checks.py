"""`solewear data check DIR`: what is wrong with a data set before a model learns it.

Reports unreadable files, exact duplicates (content hash) and near duplicates
(perceptual difference hash), class and side counts, missing columns, and the
same shoe_id in two splits (a `split` column, or another set via --against).
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from inference.decode import ImageError, open_image
from inference.taxonomy import load_taxonomy
from training.data import DataError, read_dataset

RECOMMENDED_COLUMNS = ("path", "label", "side", "shoe_id")


def dhash(img: Image.Image, size: int = 8) -> int:
    """Difference hash: robust to resizing and re-compression, cheap to compare."""
    g = np.asarray(img.convert("L").resize((size + 1, size), Image.Resampling.BILINEAR), dtype=np.int16)
    bits = (g[:, 1:] > g[:, :-1]).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)


def check(folder: Path, against: Path | None = None, near_bits: int = 4) -> dict:
    folder = Path(folder)
    taxonomy = load_taxonomy()
    report: dict = {"folder": str(folder), "problems": [], "notes": []}
    manifest = folder / "manifest.csv"
    split_of: dict[str, str] = {}
    if manifest.is_file():
        with open(manifest, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            rows = list(reader)
        missing = [c for c in RECOMMENDED_COLUMNS if c not in columns]
        report["missing_columns"] = missing
        if missing:
            report["problems"].append(f"missing column(s): {', '.join(missing)}")
        if "split" in columns:
            split_of = {str(folder / r["path"]): r["split"] for r in rows}
    try:
        records = read_dataset(folder)
    except DataError as exc:
        report["problems"].append(str(exc))
        return report
    report["n_images"] = len(records)
    report["class_counts"] = {c: sum(r.label == i for r in records) for i, c in enumerate(taxonomy.class_ids)}
    report["side_counts"] = dict(Counter(r.side or "unknown" for r in records))
    if report["side_counts"].get("unknown"):
        report["problems"].append(f"{report['side_counts']['unknown']} image(s) without a side: they cannot be used for training")
    empty = [c for c, n in report["class_counts"].items() if n == 0]
    if empty:
        # Not a defect: a clinic's export or a fine-tuning set often holds some classes only (the
        # sampler balances the classes present). A model trained from scratch on it cannot learn them.
        report["notes"].append(f"no images for class(es): {', '.join(empty)} - fine for fine-tuning "
                               "(model.init_from); a model trained from scratch on this set cannot learn them")

    unreadable, by_hash, hashes = [], defaultdict(list), []
    for r in records:
        try:
            data = Path(r.path).read_bytes()
            img = open_image(data, max_side=256)
        except (OSError, ImageError) as exc:
            unreadable.append(f"{r.path}: {exc}")
            continue
        by_hash[hashlib.sha256(data).hexdigest()].append(str(r.path))
        hashes.append((dhash(img), str(r.path), r.shoe_id))
    report["unreadable"] = unreadable
    report["exact_duplicates"] = [paths for paths in by_hash.values() if len(paths) > 1]
    near = []
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            if hashes[i][2] != hashes[j][2] and bin(hashes[i][0] ^ hashes[j][0]).count("1") <= near_bits:
                near.append([hashes[i][1], hashes[j][1]])
    report["near_duplicates"] = near
    for key, text in (("unreadable", "unreadable file(s)"), ("exact_duplicates", "group(s) of identical files"),
                      ("near_duplicates", "pair(s) of near-identical photos with different shoe_id")):
        if report[key]:
            report["problems"].append(f"{len(report[key])} {text}")

    leaks = set()
    if split_of:
        splits_by_shoe = defaultdict(set)
        for r in records:
            splits_by_shoe[r.shoe_id].add(split_of.get(str(r.path), ""))
        leaks = {s for s, splits in splits_by_shoe.items() if len(splits) > 1}
    if against is not None:
        leaks |= {r.shoe_id for r in records} & {r.shoe_id for r in read_dataset(Path(against))}
    report["shoe_id_in_two_splits"] = sorted(leaks)
    if leaks:
        report["problems"].append(f"{len(leaks)} shoe_id(s) appear in two splits (photos of one shoe must stay in one split)")
    return report


def format_report(report: dict) -> str:
    lines = [f"data set: {report['folder']}"]
    if "n_images" in report:
        lines.append(f"images: {report['n_images']}")
        lines.append("classes: " + ", ".join(f"{c} {n}" for c, n in report["class_counts"].items()))
        lines.append("sides: " + ", ".join(f"{s} {n}" for s, n in report["side_counts"].items()))
    for key in ("unreadable", "exact_duplicates", "near_duplicates", "shoe_id_in_two_splits"):
        for item in report.get(key, [])[:10]:
            lines.append(f"  {key}: {item}")
    lines += [f"note: {n}" for n in report.get("notes", [])]
    lines.append("problems:" if report["problems"] else "no problems found")
    lines += [f"  - {p}" for p in report["problems"]]
    return "\n".join(lines)
