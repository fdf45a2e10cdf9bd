"""Retraining on photos without boxes: the default recipe against a plain fine-tune, on the same photos.

A researcher's labelled photos come as path,label,side. This takes a generated
set, strips it to those three columns, and trains three ways on it for the same
number of epochs:

- `recipe`: `solewear train --config configs/default.yaml --data DIR` (the boxes
  and toe directions read by the bundled model, training.autolabel);
- `recipe, no autolabel`: the same with `data.autolabel=null` - the whole photo
  as the crop and no box or toe target, as solewear trained such photos before;
- `plain fine-tune`: timm's EfficientNet-Lite0 (the same offline ImageNet
  weights), the whole photo resized to the input, cross-entropy on the class.

Each is then read on a held-out generated set: the recipes through
`solewear evaluate` (the app's two passes), the plain model on the whole photo.
Writes benchmarks/results/retraining.json and prints a table.

    python -m benchmarks.retraining --train data/generated/train --test data/generated/test --n 2000 --epochs 5
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
from inference.settings import load_inference_settings
from inference.taxonomy import load_taxonomy
from training.data import read_dataset
from training.evaluate import collect
from training.metrics import bootstrap_ci, classification_report

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "retraining.json"


def boxless_copy(source: Path, out: Path, n: int) -> Path:
    """A manifest of the first n photos of `source` with path (absolute), label and side only."""
    out.mkdir(parents=True, exist_ok=True)
    with open(source / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))[:n]
    with open(out / "manifest.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["path", "label", "side"])
        writer.writeheader()
        writer.writerows({"path": str((source / r["path"]).resolve()), "label": r["label"], "side": r["side"]} for r in rows)
    return out


def train_recipe(data: Path, out: Path, epochs: int, extra: list[str]) -> Path:
    sets = ["--set", f"optim.epochs={epochs}", "--set", f"optim.validate_from={max(1, epochs // 2)}"]
    for e in extra:
        sets += ["--set", e]
    subprocess.run([sys.executable, "-m", "training.cli", "train", "--config", "configs/default.yaml", "--data", str(data),
                    "--out", str(out), "--exist-ok", "--quiet", *sets], check=True, cwd=REPO)
    return out / "best.safetensors"


def recipe_figures(checkpoint: Path, test: Path) -> dict:
    c = collect(checkpoint, test, load_inference_settings(), progress=False, pose_check=False)
    labels, pred = np.array(c.labels), np.concatenate(c.logits).argmax(1)
    return {**_class_figures(labels, pred), "sole_found": float(np.mean(c.sole_found)),
            "box_iou": float(np.mean(c.ious)), "orientation": float(np.mean(np.array(c.orient_pred) == np.array(c.orient_true)))}


def _class_figures(labels: np.ndarray, pred: np.ndarray) -> dict:
    ids = load_taxonomy().class_ids
    return {"macro_f1": classification_report(labels, pred, ids)["macro_f1"],
            "macro_f1_ci": bootstrap_ci(labels, pred, len(ids))["macro_f1"]}


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
    return _class_figures(np.concatenate(labels), np.concatenate(preds))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=Path, default=REPO / "data/generated/train")
    ap.add_argument("--test", type=Path, default=REPO / "data/generated/test")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--work", type=Path, default=REPO / "runs/retraining")
    ap.add_argument("--only", nargs="*", default=["recipe", "no_autolabel", "plain"])
    args = ap.parse_args()
    data = boxless_copy(args.train, args.work / "data", args.n)
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    for name in args.only:
        started = time.time()
        if name == "plain":
            figures = plain_finetune(data, args.test, args.epochs, 192)
        else:
            extra = ["data.autolabel=null"] if name == "no_autolabel" else []
            figures = recipe_figures(train_recipe(data, args.work / name, args.epochs, extra), args.test)
        results[name] = dict(figures, minutes=round((time.time() - started) / 60, 1), n_train=args.n, epochs=args.epochs,
                             date=time.strftime("%Y-%m-%d"))
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(name, json.dumps(results[name]), flush=True)


if __name__ == "__main__":
    main()
