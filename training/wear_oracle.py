"""How well the class can be read from the simulated wear itself, without the photo.

A generated label follows from the gait the generator simulated, and the
wear it leaves is all that any photo can show of it. A classifier that sees
each shoe's true wear map (the tread depth the simulation took off, in the
canonical frame) instead of its photo therefore tells two error sources
apart: where this "wear oracle" is right and the network wrong, the wear
was there and the photo did not show it clearly enough (or the network
missed it); where the oracle is wrong too, the wear itself is ambiguous.
The model card puts the two side by side per wear-severity band.

Run alone: python -m training.wear_oracle --train data/generated/train --test data/generated/test
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import f1_score

from inference.preprocess import Preprocessor
from inference.settings import load_inference_settings
from training.data import DataError, Record, read_manifest, read_wear_map, record_box
from training.evaluate import accuracy_by_severity

GRID = 24  # cells across the canonical crop: enough for the zones' shapes, small enough to fit in seconds


def wear_features(records: list[Record], pre: Preprocessor, grid: int = GRID) -> np.ndarray:
    """Each record's wear map in the canonical frame, averaged to grid x grid, plus its zone scores and severity."""
    rows = []
    for record in records:
        wear = read_wear_map(record)
        if wear is None or record.zones is None:
            raise DataError(f"{record.path}: the wear oracle needs generated photos with a readable depth map and zone scores")
        canonical = pre.canonical_crop(wear, record_box(record), record.orientation, record.side, fill=0)
        cells = cv2.resize(canonical, (grid, grid), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        rows.append(np.concatenate([cells.ravel(), np.asarray(record.zones, np.float32)]))
    return np.stack(rows)


def wear_oracle(train_dir: Path, test_dir: Path, pre: Preprocessor, seed: int = 0) -> dict:
    """Fit on the training set's wear maps, score the test set's, overall and per band of true severity (the app's bands)."""
    train, test = read_manifest(train_dir), read_manifest(test_dir)
    clf = HistGradientBoostingClassifier(max_iter=300, random_state=seed)
    clf.fit(wear_features(train, pre), np.array([r.label for r in train]))
    y_true = np.array([r.label for r in test])
    y_pred = clf.predict(wear_features(test, pre))
    severity = np.array([r.zones[-1] for r in test])
    return {"n_train": len(train), "n_test": len(test), "grid": GRID,
            "accuracy": float((y_pred == y_true).mean()), "macro_f1": float(f1_score(y_true, y_pred, average="macro")),
            "by_severity": accuracy_by_severity(severity, y_pred == y_true, load_inference_settings())}


def main(argv: list[str] | None = None) -> int:
    from inference.checkpoint import read_meta
    from inference.model_store import bundled_checkpoint

    parser = argparse.ArgumentParser(prog="python -m training.wear_oracle", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", required=True, type=Path, help="a generated training set (manifest with depth maps)")
    parser.add_argument("--test", required=True, type=Path, help="a generated test set")
    parser.add_argument("--checkpoint", type=Path, default=None, help="whose crop to use (default: the bundled model)")
    args = parser.parse_args(argv)
    pre = Preprocessor.from_meta(read_meta(args.checkpoint or bundled_checkpoint()))
    result = wear_oracle(args.train, args.test, pre)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
