"""Retraining on photos without boxes: the default recipe against a plain fine-tune, on the same photos.

A researcher's labelled photos come as path,label,side. This generates such a
set - soles across 30-65% of the frame, turned any quarter, nothing but those
three columns - and trains three ways on it for the same number of epochs:

- `recipe`: `solewear train --config configs/default.yaml --data DIR` (the boxes
  and toe directions read by the bundled model, training.autolabel);
- `no_autolabel`: the same with `data.autolabel=null` - the whole photo
  as the crop and no box or toe target, as solewear trained such photos before;
- `from_bundled`: the recipe started from the bundled model (`model.init_from=bundled`)
  instead of ImageNet, so its sole finder and pose heads start trained;
- `plain fine-tune`: timm's EfficientNet-Lite0 (the same offline ImageNet
  weights), the whole photo resized to the input, cross-entropy on the class.

Each is then read on held-out photos of the same kind: the recipes through
`solewear evaluate` (the app's two passes), the plain model on the whole photo.
Writes docs/model/retraining.json and prints each result as it comes.

    python -m training.retraining_check --n 2000 --epochs 6
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import timm
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from inference.decode import load_rgb
from inference.model import load_lite0_imagenet
from inference.preprocess import Preprocessor
from inference.taxonomy import load_taxonomy, nearest_quarter
from training.data import BOX_COLUMNS, read_dataset
from training.evaluate import evaluate, macro_f1_figures
from training.generator.sample import SampleSpec, render_sample

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "docs" / "model" / "retraining.json"


def researcher_set(folder: Path, n: int, seed: int, fill: tuple[float, float] = (0.3, 0.65), size: tuple[int, int] = (384, 576),
                   truth_columns: bool = False) -> dict[str, dict]:
    """n generated photos written as a researcher's labelled set arrives (one shoe each): the sole across `fill` of the frame and
    turned any quarter, the manifest path,label,side only (`truth_columns`: also its box and orientation, for a
    test set). Returns each photo's true box (x0, y0, x1, y1), toe quarter turn and class."""
    folder.mkdir(parents=True, exist_ok=True)
    taxonomy = load_taxonomy()
    rng = np.random.default_rng(seed)
    truth, rows = {}, []
    for i in range(n):
        label = taxonomy.class_ids[i % len(taxonomy.class_ids)]
        photo = {"fill": float(rng.uniform(*fill)), "rotation_deg": float((90 * rng.integers(4) + rng.uniform(-10, 10)) % 360),
                 "side": str(rng.choice(taxonomy.sides)), "cutoff": False}
        sample = render_sample(SampleSpec(label, seed * 100_000 + i, seed * 100_000 + 50_000 + i, size=size, photo=photo, pair=False))
        name = f"{i:05d}.jpg"
        (folder / name).write_bytes(sample.photo.jpeg)
        turns = nearest_quarter(photo["rotation_deg"])
        row = {"path": name, "label": label, "side": photo["side"]}
        if truth_columns:
            row |= dict(zip(BOX_COLUMNS, sample.photo.box)) | {"orientation": taxonomy.orientations[turns]}
        rows.append(row)
        truth[name] = {"box": sample.photo.box, "orientation": turns, "label": label}
    with open(folder / "manifest.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return truth


def train_recipe(data: Path, out: Path, epochs: int, extra: list[str]) -> Path:
    sets = ["--set", f"optim.epochs={epochs}", "--set", f"optim.validate_from={max(1, epochs // 2)}"]
    for e in extra:
        sets += ["--set", e]
    subprocess.run([sys.executable, "-m", "training.cli", "train", "--config", "configs/default.yaml", "--data", str(data),
                    "--out", str(out), "--exist-ok", "--quiet", *sets], check=True, cwd=REPO)
    return out / "best.safetensors"


def recipe_figures(checkpoint: Path, test: Path) -> dict:
    """What `solewear evaluate` reports, less the pose check (which changes no figure kept here)."""
    r = evaluate(checkpoint, test, progress=False, pose_check=False)
    return {"macro_f1": r["macro_f1"], "macro_f1_ci": r["ci95"]["macro_f1"], "sole_found": r["sole_found_rate"],
            "box_iou": r["box_iou"], "orientation": r["orientation_accuracy"]}


class WholePhotos(Dataset):
    """Whole photos resized to the square input, as a plain image classifier sees them."""

    def __init__(self, records: list, pre: Preprocessor, train: bool) -> None:
        self.records, self.pre, self.train = records, pre, train

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int):
        image = load_rgb(self.records[i].path)
        if self.train and np.random.default_rng(i).random() < 0.5:
            image = image[:, ::-1]
        return self.pre.to_tensor(self.pre.crop(image, None)), self.records[i].label


def plain_finetune(data: Path, test: Path, epochs: int, size: int, seed: int = 0) -> dict:
    """timm EfficientNet-Lite0 from the offline ImageNet weights, fine-tuned whole on the class."""
    torch.manual_seed(seed)
    n_classes = len(load_taxonomy().class_ids)
    net = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0)
    load_lite0_imagenet(net)
    net.reset_classifier(n_classes)
    pre = Preprocessor(size, (0.5,) * 3, (0.5,) * 3, 0.0, stretch=True)
    train = DataLoader(WholePhotos(read_dataset(data), pre, True), batch_size=32, shuffle=True, num_workers=2)
    steps = epochs * len(train)
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.02)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=steps, pct_start=0.1)
    net.train()
    for _ in range(epochs):
        for x, y in train:
            loss = F.cross_entropy(net(x), y, label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    net.eval()
    labels, preds = [], []
    with torch.no_grad():
        for x, y in DataLoader(WholePhotos(read_dataset(test), pre, False), batch_size=64, num_workers=2):
            preds.append(net(x).argmax(1).numpy())
            labels.append(y.numpy())
    figures = macro_f1_figures(np.concatenate(labels), np.concatenate(preds), load_taxonomy().class_ids)
    return {"macro_f1": figures["macro_f1"], "macro_f1_ci": figures["ci95"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="training photos (and a quarter as many test photos)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--work", type=Path, default=REPO / "runs/retraining")
    ap.add_argument("--only", nargs="*", default=["recipe", "from_bundled", "no_autolabel", "plain"])
    args = ap.parse_args()
    data, test = args.work / "train", args.work / "test"
    if not (data / "manifest.csv").is_file():
        researcher_set(data, args.n, seed=41)
    if not (test / "manifest.csv").is_file():
        researcher_set(test, args.n // 4, seed=42, truth_columns=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    for name in args.only:
        started = time.time()
        if name == "plain":
            figures = plain_finetune(data, test, args.epochs, 192)
        else:
            extra = {"no_autolabel": ["data.autolabel=null"], "from_bundled": ["model.init_from=bundled"]}.get(name, [])
            figures = recipe_figures(train_recipe(data, args.work / name, args.epochs, extra), test)
        results[name] = dict(figures, minutes=round((time.time() - started) / 60, 1), n_train=args.n, epochs=args.epochs,
                             date=time.strftime("%Y-%m-%d"))
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(name, json.dumps(results[name]), flush=True)


if __name__ == "__main__":
    main()
