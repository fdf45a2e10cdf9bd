"""`solewear evaluate`: the numbers a researcher can trust, and the pictures behind them.

Every image goes through the same two-pass forward as the Predictor (pose read
from the photo, then wear read in the canonical frame). Reported: accuracy,
macro-F1, per-class precision/recall/F1 with support, the confusion matrix,
zone MAE, side and orientation accuracy, expected calibration error before and
after the checkpoint's temperature, and bootstrap 95% intervals; with an
output folder also the figures and every photo's prediction (predictions.csv).
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from inference.checkpoint import load_checkpoint, read_meta
from inference.decode import ImageError, load_rgb
from inference.export import serving_model
from inference.pipeline import ReadingPipeline
from inference.preprocess import Box, Preprocessor, image_box_to_scene
from inference.settings import InferenceSettings, load_inference_settings
from inference.taxonomy import load_taxonomy, off_quarter_deg
from training.data import dataset_folder, read_dataset, record_box
from training.metrics import (
    bootstrap_ci,
    box_iou,
    classification_report,
    proportion,
    expected_calibration_error,
    reliability_bins,
    softmax,
)


@dataclass
class Collected:
    """Everything the two-pass forward said about a data set, beside the truth.

    Filled batch by batch (`add`) by `solewear evaluate` and by validation during training, so both score a
    reading the same way: side and toe direction only where the data set knows them, box IoU where it gives a box.
    """

    meta: dict = field(default_factory=dict)
    backend: str = "torch"                             # what ran the model: "onnx" (the app on a CPU) or "torch"
    paths: list = field(default_factory=list)          # each photo's path relative to the data set
    logits: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    zone_pred: list = field(default_factory=list)
    zone_true: list = field(default_factory=list)
    severity_pred: list = field(default_factory=list)  # every photo's read severity (the low-confidence rule needs it)
    orient_pred: list = field(default_factory=list)
    orient_true: list = field(default_factory=list)    # None where the data set does not know the toe direction
    rotation_deg: list = field(default_factory=list)   # the toe's exact turn, NaN where unknown
    mixed: list = field(default_factory=list)          # a second tendency blended in; None where unknown
    side_pred: list = field(default_factory=list)
    side_true: list = field(default_factory=list)      # None where unknown
    sole_found: list = field(default_factory=list)
    pose_agrees: list = field(default_factory=list)    # the class held in every other pose read (all True unread)
    ious: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)
    pairs_cut: list = field(default_factory=list)      # per shoe of a pair photographed together: read as a sole of its own


    def add(self, records: list, images: list[np.ndarray], boxes: list, fwd, found: np.ndarray, margin: float) -> None:
        """One batch: the reading `fwd` of `images`, beside their records and true boxes (None: not known)."""
        self.logits.append(fwd.logits)
        self.labels += [r.label for r in records]
        self.orient_pred += fwd.scene.orientation.tolist()
        self.orient_true += [r.orientation if r.pose_known and r.orientation_known else None for r in records]
        self.rotation_deg += [np.nan if r.rotation_deg is None else r.rotation_deg for r in records]
        self.mixed += [r.mixed for r in records]
        self.side_pred += fwd.scene.side
        self.side_true += [r.side if r.pose_known else None for r in records]
        self.sole_found += found.tolist()
        self.severity_pred += fwd.zones[:, -1].tolist()
        for img, true_box, pred_box in zip(images, boxes, fwd.scene.boxes):
            if true_box is not None:
                size = img.shape[:2]
                self.ious.append(float(box_iou(np.array([image_box_to_scene(pred_box, size, margin)]),
                                               np.array([image_box_to_scene(true_box, size, margin)]))[0]))
        for r, z in zip(records, fwd.zones):
            if r.zones is not None:
                self.zone_pred.append(z)
                self.zone_true.append(r.zones)

    @staticmethod
    def merged(parts: list["Collected"]) -> "Collected":
        """Several ranks' collections as one (validation under torchrun)."""
        out = Collected(parts[0].meta, parts[0].backend)
        for f in fields(Collected):
            if f.name not in ("meta", "backend"):
                setattr(out, f.name, [x for p in parts for x in getattr(p, f.name)])
        return out

    def known_orientations(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(read, true, exact turn) toe directions of the photos whose toe direction the data set gives."""
        known = [k for k, t in enumerate(self.orient_true) if t is not None]
        return (np.array([self.orient_pred[k] for k in known], int), np.array([self.orient_true[k] for k in known], int),
                np.array([self.rotation_deg[k] for k in known], float))

    def orientation_accuracy(self) -> float | None:
        pred, true, _ = self.known_orientations()
        return float(np.mean(pred == true)) if len(true) else None

    def side_accuracy(self) -> float | None:
        known = [(p, t) for p, t in zip(self.side_pred, self.side_true) if t is not None]
        return float(np.mean([p == t for p, t in known])) if known else None

    def zone_errors(self) -> np.ndarray | None:
        """|read - true| per photo with known zones: the seven zones, then severity."""
        return np.abs(np.array(self.zone_pred) - np.array(self.zone_true)) if self.zone_true else None


def as_read(pipeline: ReadingPipeline, image: np.ndarray, record, box: Box | None,
            side_given: bool = False) -> tuple[np.ndarray, Box | None, bool | None]:
    """The pixels the app reads for a record's sole, the box to score its reading against (None: none), and - a
    pair's shoe - whether the reading cut the photo in two (None: not a pair).

    A photo of a pair is cut in two by the reading (`ReadingPipeline.read`; never
    when the user gave a side): the record's sole is then read in the half that
    holds its box's centre. Where the photo is read whole, as the app would, its
    one box stands for every sole in it, so there is no one sole's box to score.
    """
    if not record.others:
        return image, box, None
    pair = len(record.others) == 1
    halves = pipeline.pair_halves(image) if pair and box is not None and not side_given else None
    for _, piece, (ox, oy) in halves or []:
        cx, cy = (box[0] + box[2]) / 2 - ox, (box[1] + box[3]) / 2 - oy
        if 0 <= cx < piece.shape[1] and 0 <= cy < piece.shape[0]:
            return piece, (box[0] - ox, box[1] - oy, box[2] - ox, box[3] - oy), True
    return image, None, False if pair else None


def collect(checkpoint: Path, data: Path, settings: InferenceSettings, given_side: bool = False, batch_size: int = 32,
            progress: bool = True, transform=None, pose_check: bool = True) -> Collected:
    """Run every photo through the Predictor's reading pipeline and backend (raw logits, temperature 1).

    `transform(image, box, record, index)` may degrade each decoded photo first (robustness).
    `pose_check`: each photo is read again in the configured other poses, as the Predictor does.
    """
    device = "cuda" if torch.cuda.is_available() else "cpu"
    taxonomy = load_taxonomy()
    model, meta = load_checkpoint(checkpoint, device, taxonomy)
    model, backend = serving_model(model, meta, Path(checkpoint), device)
    pre = Preprocessor.from_meta(meta)
    pipeline = ReadingPipeline(model, pre, settings if pose_check else settings.model_copy(
        update={"quality": settings.quality.model_copy(update={"pose_check_views": ()})}), taxonomy, device)
    records, folder = read_dataset(data), dataset_folder(data)
    c = Collected(meta, backend)
    for start in tqdm(range(0, len(records), batch_size), desc="evaluating", unit="batch", disable=None if progress else True):
        chunk = records[start:start + batch_size]
        images, boxes, kept = [], [], []
        for r in chunk:
            try:
                image = load_rgb(r.path)
            except ImageError as exc:
                c.unreadable.append(f"{r.path}: {exc}")
                continue
            box = record_box(r)
            if transform is not None:
                image, box = transform(image, box, r, start + len(kept))
            image, box, cut = as_read(pipeline, image, r, box, given_side)
            if cut is not None:
                c.pairs_cut.append(cut)
            images.append(image)
            boxes.append(box)
            kept.append(r)
        if not kept:
            continue
        sides = [r.side for r in kept] if given_side else None
        fwd = pipeline.two_pass(images, sides)
        found = pipeline.found(fwd)  # as in the app: no sole, no class to check
        c.add(kept, images, boxes, fwd, found, pre.margin)
        c.pose_agrees += pipeline.pose_agrees(images, fwd.logits.argmax(1), sides, where=found).tolist()
        c.paths += [_relative(r.path, folder) for r in kept]
    if not c.labels:
        raise ImageError("no readable image in the evaluation set")
    return c


def _relative(path: Path, folder: Path) -> str:
    """A photo's path as its manifest gives it: relative to the data-set folder."""
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def manifest_digest(folder: Path) -> str | None:
    """SHA-256 of a data set's manifest.csv (None without one): the set's identity wherever it is copied."""
    manifest = Path(folder) / "manifest.csv"
    return hashlib.sha256(manifest.read_bytes()).hexdigest()[:16] if manifest.is_file() else None


def training_overlap(checkpoint: Path, data_dir: Path) -> list[str]:
    """Warnings when the set to evaluate is one the checkpoint was trained or validated on.

    Compared by the manifests' hashes the checkpoint records (`manifests`), and for
    older checkpoints by the folders its config names.
    """
    meta = read_meta(checkpoint)
    data = meta.get("config", {}).get("data", {})
    roles = {"trained": [s.get("path") for s in data.get("sources", [])], "validated": [(data.get("val") or {}).get("path")]}
    digest = manifest_digest(data_dir)
    recorded = meta.get("manifests", {})
    warnings = []
    for role, folders in roles.items():
        same_folder = any(f and Path(f).resolve() == Path(data_dir).resolve() for f in folders)
        same_set = digest is not None and digest in recorded.get(role, [])
        if same_folder or same_set:
            warnings.append(f"{data_dir} is a set this model was {role} on: its figures say nothing about new photos")
    return warnings


def evaluate(checkpoint: Path, data: Path, out_dir: Path | None = None, given_side: bool = False,
             batch_size: int = 32, progress: bool = True, transform=None, pose_check: bool = True,
             settings: InferenceSettings | None = None, held_out: Path | None = None) -> dict:
    """Evaluate; `transform(image, box, record, index)` may degrade each decoded photo first (robustness).

    `held_out`: a set of held-out-style soles, reported beside this (in-style) set (`held_out_style`).

    `pose_check` reads every photo again in the poses the app checks (configs/inference.yaml
    `pose_check_views`), so the low-confidence figures are the app's; it costs one more two-pass
    forward per view, and reports that only need the answers themselves switch it off.
    """
    settings = settings or load_inference_settings()   # an entry point: the CLI and the card call it
    c = collect(checkpoint, data, settings, given_side, batch_size, progress, transform, pose_check)
    temperature = float(c.meta.get("temperature", 1.0))
    classes = c.meta["classes"]
    logits, y = np.concatenate(c.logits), np.array(c.labels)
    probs_raw, probs = softmax(logits), softmax(logits, temperature)
    y_pred = probs.argmax(1)
    report = classification_report(y, y_pred, classes)
    report.update({
        "checkpoint": str(checkpoint), "data": str(data), "backend": c.backend, "n_images": int(len(y)), "unreadable": c.unreadable,
        "side_mode": "given" if given_side else "detected",
        "ci95": bootstrap_ci(y, y_pred, len(classes)),
        "temperature": temperature,
        "ece_before_temperature": expected_calibration_error(probs_raw, y),
        "ece_after_temperature": expected_calibration_error(probs, y),
        "reliability": reliability_bins(probs, y),
        "orientation_accuracy": c.orientation_accuracy(),
        "sole_found_rate": float(np.mean(c.sole_found)),
        "box_iou": float(np.mean(c.ious)) if c.ious else None,
        "pairs_cut": proportion(int(sum(c.pairs_cut)), len(c.pairs_cut)) if c.pairs_cut else None,
    })
    report["orientation_near_diagonals"] = orientation_near_diagonals(*c.known_orientations())
    report["side_accuracy"] = c.side_accuracy()
    report["zone_mae"] = None
    err = c.zone_errors()
    if err is not None:
        report["zone_mae"] = float(err[:, :-1].mean())
        report["zone_mae_per_zone"] = {z: float(err[:, i].mean()) for i, z in enumerate(c.meta["zones"])}
        report["severity_mae"] = float(err[:, -1].mean())
    agrees = np.array(c.pose_agrees, bool)
    unsure = settings.low_confidence(probs.max(1), np.array(c.severity_pred), agrees)
    views = settings.quality.pose_check_views if pose_check else ()
    if views:
        correct = y_pred == y
        added = unsure & ~settings.low_confidence(probs.max(1), np.array(c.severity_pred))  # flagged by the check alone

        def share_right(mask: np.ndarray) -> float | None:
            return float(correct[mask].mean()) if mask.any() else None

        report["pose_check"] = {"views": [list(v) for v in views], "changed": float(np.mean(~agrees)),
                                "accuracy_changed": share_right(~agrees), "accuracy_held": share_right(agrees),
                                "added": float(np.mean(added)), "accuracy_added": share_right(added)}
    if c.zone_true and len(c.zone_true) == len(y):
        report["by_severity"] = accuracy_by_severity(np.array(c.zone_true)[:, -1], y_pred == y, settings, unsure)
    tendency = accuracy_by_tendency(c.mixed, y_pred == y)
    if tendency:
        report["by_tendency"] = tendency
    report["confident"] = confident_answers(y, probs, unsure, classes)
    if held_out is not None:
        report["held_out_style"] = held_out_style(checkpoint, held_out, report, settings, progress)
    if out_dir is not None:
        write_report(report, probs_raw, probs, y, classes, Path(out_dir))
        write_predictions(Path(out_dir) / "predictions.csv", c.paths, y, probs, unsure, classes)
    return report


def write_predictions(path: Path, paths: list[str], y: np.ndarray, probs: np.ndarray, unsure: np.ndarray,
                      classes: list[str]) -> None:
    """One row per photo (true, said, confidence, flagged), for error analysis against the manifest's own columns."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["path", "label", "predicted", "confidence", "low_confidence"])
        for p, t, pr, u in zip(paths, y, probs, unsure):
            writer.writerow([p, classes[int(t)], classes[int(pr.argmax())], f"{float(pr.max()):.4f}", int(bool(u))])


def accuracy_by_tendency(mixed: list[bool | None], correct: np.ndarray) -> list[dict] | None:
    """Accuracy on generated runners of one tendency and on those with a second one blended in.

    `mixed` comes from a generator column (`mix_label`), so this is None for data sets
    without it, such as real photos.
    """
    out = []
    for name, flag in (("one tendency", False), ("a second tendency blended in", True)):
        hits = [bool(ok) for m, ok in zip(mixed, correct) if m is flag]
        if hits:
            out.append({"runners": name, "photos": len(hits), "accuracy": float(np.mean(hits))})
    return out or None


def confident_answers(y: np.ndarray, probs: np.ndarray, unsure: np.ndarray, classes: list[str]) -> dict:
    """The figures for the answers the app gives *without* the low-confidence flag, and how many those are.

    The headline macro-F1 counts every photo, also the ones where the app
    already tells the user it is unsure; this is what a user who only trusts
    unflagged answers gets (selective accuracy under the app's own rule, `unsure`).
    """
    keep = ~unsure
    if not keep.any():
        return {"coverage": 0.0, "images": 0, "accuracy": None, "macro_f1": None}
    sub = classification_report(y[keep], probs[keep].argmax(1), classes)
    return {"coverage": float(keep.mean()), "images": int(keep.sum()), "accuracy": sub["accuracy"], "macro_f1": sub["macro_f1"]}


def orientation_near_diagonals(pred: np.ndarray, true: np.ndarray, rotation_deg: np.ndarray, within: float = 6.0) -> dict | None:
    """How many orientation misses are soles turned close to 45 degrees, and the accuracy everywhere else.

    A sole turned 44 degrees is "toe up", at 46 degrees "toe right": near a
    diagonal the target flips over a few degrees, so misses there mean
    something else than misses on a sole that plainly points one way. None
    when no photo's exact rotation is known (real photos).
    """
    known = ~np.isnan(rotation_deg)
    if not known.any():
        return None
    near = known & (45 - off_quarter_deg(rotation_deg) < within)
    wrong = pred != true
    return {"within_deg": within, "photos_near": int(near.sum()), "misses_near": int((wrong & near).sum()),
            "misses": int(wrong.sum()), "accuracy_elsewhere": float(1 - wrong[~near].mean()) if (~near).any() else None}


def accuracy_by_severity(severity: np.ndarray, correct: np.ndarray, settings: InferenceSettings,
                         unsure: np.ndarray | None = None) -> list[dict]:
    """Accuracy per band of the *true* wear severity - the bands the app puts in words.

    A nearly new sole shows little of its runner's pattern; this says how much
    that costs, and how often the app would then say "low confidence" (None
    for a reader that has no such flag, as the wear oracle).
    """
    in_band = settings.band_index(severity)
    rows = []
    for i, band in enumerate(settings.severity):
        pick = in_band == i
        n = int(pick.sum())
        rows.append({"from": settings.severity[i - 1].below if i else 0.0, "below": min(band.below, 1.0),
                     "words": band.words.split(" - ")[0], "images": n,
                     "accuracy": float(correct[pick].mean()) if n else None,
                     "low_confidence": float(unsure[pick].mean()) if n and unsure is not None else None})
    return rows


def write_report(report: dict, probs_raw: np.ndarray, probs: np.ndarray, y: np.ndarray, classes: list[str], out_dir: Path) -> None:
    """report.json, confusion_matrix.png, reliability.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    fig, ax = plt.subplots(figsize=(7, 6))
    ConfusionMatrixDisplay(np.array(report["confusion_matrix"]), display_labels=classes).plot(ax=ax, colorbar=False, cmap="Blues", xticks_rotation=35)
    ax.set_title(f"Confusion matrix (n={report['n_images']}, macro-F1 {report['macro_f1']:.3f})")
    fig.tight_layout()
    fig.savefig(out_dir / "confusion_matrix.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 6))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    for p, name in ((probs_raw, f"before temperature (ECE {report['ece_before_temperature']:.3f})"),
                    (probs, f"after T={report['temperature']:.2f} (ECE {report['ece_after_temperature']:.3f})")):
        bins = [b for b in reliability_bins(p, y) if b["count"]]
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o-", label=name)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability diagram")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(out_dir / "reliability.png", dpi=110)
    plt.close(fig)


def held_out_style(checkpoint: Path, data: Path, in_style: dict, settings: InferenceSettings | None = None,
                   progress: bool = True) -> dict:
    """The leave-style-out figure: macro-F1 on soles drawn only from held-out appearance values, beside the
    in-style report's, with both bootstrap intervals and the gap in points (training.generator.style)."""
    settings = settings or load_inference_settings()
    c = collect(checkpoint, data, settings, progress=progress, pose_check=False)
    y = np.array(c.labels)
    figures = macro_f1_figures(y, np.concatenate(c.logits).argmax(1), c.meta["classes"])
    return {"data": str(data), "n_images": int(len(y)), **figures,
            "in_style_macro_f1": in_style["macro_f1"], "in_style_ci95": in_style["ci95"]["macro_f1"],
            "gap_points": round(100 * (in_style["macro_f1"] - figures["macro_f1"]), 1)}


def macro_f1_figures(y: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict:
    """Macro-F1 with its bootstrap 95% interval."""
    return {"macro_f1": classification_report(y, y_pred, classes)["macro_f1"], "ci95": bootstrap_ci(y, y_pred, len(classes))["macro_f1"]}


def summary_table(report: dict) -> str:
    ci = report["ci95"]
    lines = [
        f"images            {report['n_images']}" + (f"  ({len(report['unreadable'])} unreadable)" if report["unreadable"] else ""),
        f"accuracy          {report['accuracy']:.3f}  (95% CI {ci['accuracy'][0]:.3f}-{ci['accuracy'][1]:.3f})",
        f"macro-F1          {report['macro_f1']:.3f}  (95% CI {ci['macro_f1'][0]:.3f}-{ci['macro_f1'][1]:.3f})",
        f"zone MAE          {report['zone_mae']:.3f}" if report.get("zone_mae") is not None else "zone MAE          n/a (no zone labels)",
        f"side accuracy     {report['side_accuracy']:.3f}" if report.get("side_accuracy") is not None else "side accuracy     n/a",
        f"orientation acc.  {report['orientation_accuracy']:.3f}" if report.get("orientation_accuracy") is not None
        else "orientation acc.  n/a (no toe directions given)",
        f"sole found        {report['sole_found_rate']:.3f}" + (f"  (box IoU {report['box_iou']:.3f})" if report.get("box_iou") is not None else ""),
        f"ECE               {report['ece_before_temperature']:.3f} -> {report['ece_after_temperature']:.3f} (T={report['temperature']:.2f})",
        *([f"pairs cut in two  {report['pairs_cut']['k']} of {report['pairs_cut']['n']} shoes photographed beside their partner "
           "(the others read with both soles in the photo)"] if report.get("pairs_cut") else []),
        "",
        f"{'class':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
    ]
    for c, m in report["per_class"].items():
        lines.append(f"{c:<22}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>10d}")
    style = report.get("held_out_style")
    if style:
        lo, hi = style["ci95"]
        lines += ["", f"held-out style    macro-F1 {style['macro_f1']:.3f} (95% CI {lo:.3f}-{hi:.3f}) on {style['n_images']} soles "
                  f"drawn only from held-out appearance values: {abs(style['gap_points']):.1f} points "
                  + ("below" if style["gap_points"] >= 0 else "above") + " in-style"]
    return "\n".join(lines)
