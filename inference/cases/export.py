"""The label loop: consented, clinician-labelled photos out of the case log as a training set.

The set is in the project's manifest format (data/README.md), so
`solewear data check` and `solewear train --data` take it as it is. Only
readings a clinician labelled with a class go out ("unsure" and unlabelled
ones stay in), `shoe_id` is case and side (one shoe never lands on both
sides of a split), and zone corrections become zone columns. The box and
the toe direction are the model's reading the clinician confirmed.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from inference.cases.store import CaseLog
from inference.taxonomy import Taxonomy

BOX_COLUMNS = ("box_x0", "box_y0", "box_x1", "box_y1")


@dataclass(frozen=True)
class ExportSummary:
    manifest: Path
    photos: int
    left_out: int         # readings without a class label from the clinician (unsure or unlabelled)


def _box(result: dict, photo: Path) -> list[float]:
    """The reading's box in the exported photo's pixels (the log keeps a reduced copy of the upload)."""
    box, size = result.get("box") or [], result.get("image_size")
    if len(box) != 4:
        return []
    if size:
        with Image.open(photo) as im:
            sx, sy = im.width / size[0], im.height / size[1]
        box = [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy]
    return [round(v, 1) for v in box]


def _row(case_id: str, visit_date, shoe, path: str, photo: Path, taxonomy: Taxonomy) -> dict:
    result = shoe.result
    row = {"path": path, "label": shoe.clinician_label, "side": shoe.side, "shoe_id": f"{case_id}-{shoe.side}",
           "case_id": case_id, "visit_date": visit_date.isoformat(),
           "mileage_km": "" if shoe.mileage_km is None else shoe.mileage_km, "model_version": shoe.model_version,
           "orientation": result.get("orientation") or ""}
    box = _box(result, photo)
    row.update({c: box[k] if len(box) == 4 else "" for k, c in enumerate(BOX_COLUMNS)})
    # Zone targets only where the clinician looked at the zones: the model's reading with the corrections on top.
    corrected = bool(shoe.zone_corrections)
    row.update({z: shoe.zones.get(z, "") if corrected else "" for z in taxonomy.zone_ids})
    row["severity"] = shoe.severity if corrected and shoe.severity is not None else ""
    return row


def exportable(log: CaseLog, taxonomy: Taxonomy) -> tuple[int, int]:
    """(readings a clinician labelled with a class, readings that stay out): what an export would hold."""
    labels = [shoe.clinician_label for _, _, shoe in log.readings()]
    labelled = sum(label in taxonomy.class_ids for label in labels)
    return labelled, len(labels) - labelled


def export_training_set(log: CaseLog, out_dir: Path, taxonomy: Taxonomy) -> ExportSummary:
    """Write OUT_DIR/manifest.csv and OUT_DIR/images/; refuses a folder that already holds files."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty; export into a new folder")
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    rows, left_out = [], 0
    for case_id, visit_date, shoe in log.readings():
        if shoe.clinician_label not in taxonomy.class_ids:
            left_out += 1
            continue
        name = f"images/{shoe.photo_sha256[:24]}.jpg"
        if not (out_dir / name).exists():
            shutil.copyfile(log.photos.path(shoe.photo_sha256), out_dir / name)
        rows.append(_row(case_id, visit_date, shoe, name, out_dir / name, taxonomy))
    columns = ["path", "label", "side", "shoe_id", "orientation", *BOX_COLUMNS, *taxonomy.zone_ids, "severity",
               "case_id", "visit_date", "mileage_km", "model_version"]
    manifest = out_dir / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return ExportSummary(manifest, len(rows), left_out)


def export_zip(log: CaseLog, taxonomy: Taxonomy) -> tuple[bytes, ExportSummary]:
    """The same export as one ZIP in memory (the app's download); the temporary folder is removed."""
    with tempfile.TemporaryDirectory(prefix="solewear-export-") as tmp:
        summary = export_training_set(log, Path(tmp) / "cases", taxonomy)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((Path(tmp) / "cases").rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(tmp))
    return buffer.getvalue(), summary
