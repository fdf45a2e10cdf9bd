"""Metrics computed, never typed in: classification, calibration, intervals.

scikit-learn does the counting, scipy the bootstrap intervals, torchvision the
box overlaps; calibration (expected calibration error, temperature scaling) is
the few lines on top.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import bootstrap
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from torchvision.ops import box_convert
from torchvision.ops import box_iou as ops_box_iou


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, class_ids: list[str]) -> dict:
    labels = list(range(len(class_ids)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, c in enumerate(class_ids)},
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def expected_calibration_error(probs: np.ndarray, y_true: np.ndarray, bins: int = 15) -> float:
    """Weighted mean gap between confidence and accuracy over equal-width confidence bins."""
    conf = probs.max(1)
    correct = probs.argmax(1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(ece)


def reliability_bins(probs: np.ndarray, y_true: np.ndarray, bins: int = 15) -> list[dict]:
    conf = probs.max(1)
    correct = probs.argmax(1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        out.append({"lo": float(lo), "hi": float(hi), "count": int(sel.sum()),
                    "confidence": float(conf[sel].mean()) if sel.any() else None,
                    "accuracy": float(correct[sel].mean()) if sel.any() else None})
    return out


def fit_temperature(logits: np.ndarray, y_true: np.ndarray) -> float:
    """The single temperature minimising validation negative log-likelihood (Guo et al., 2017)."""
    x = torch.from_numpy(np.asarray(logits, np.float32))
    y = torch.from_numpy(np.asarray(y_true, np.int64))
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(np.clip(log_t.exp().item(), 0.05, 20.0))


def temperature_record(logits: np.ndarray, y_true: np.ndarray, fitted_on: str) -> dict:
    """The fitted temperature with the calibration error before and after it: what a checkpoint's metadata records."""
    t = fit_temperature(logits, y_true)
    return {"fitted_on": fitted_on, "temperature": t,
            "val_ece_before": expected_calibration_error(softmax(logits), y_true),
            "val_ece_after": expected_calibration_error(softmax(logits, t), y_true)}


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return torch.from_numpy(np.asarray(logits, np.float32) / temperature).softmax(1).numpy()


def bootstrap_ci(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int, n_boot: int = 1000, seed: int = 0) -> dict:
    """95% percentile intervals for accuracy and macro-F1 over resampled test sets (scipy.stats.bootstrap)."""
    labels = list(range(n_classes))

    def accuracy(t, p):
        return accuracy_score(t, p)

    def macro_f1(t, p):
        return f1_score(t, p, labels=labels, average="macro", zero_division=0)

    out: dict = {"n_boot": n_boot}
    for name, statistic in (("accuracy", accuracy), ("macro_f1", macro_f1)):
        res = bootstrap((np.asarray(y_true), np.asarray(y_pred)), statistic, paired=True, vectorized=False,
                        n_resamples=n_boot, confidence_level=0.95, method="percentile", rng=np.random.default_rng(seed))
        out[name] = [float(res.confidence_interval.low), float(res.confidence_interval.high)]
    return out


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of (cx, cy, w, h) boxes, row by row (torchvision.ops.box_iou on matched pairs)."""
    ta, tb = (box_convert(torch.as_tensor(np.asarray(x, np.float64)), "cxcywh", "xyxy") for x in (a, b))
    if len(ta) == 0:
        return np.zeros(0)
    return ops_box_iou(ta, tb).diagonal().numpy()


def proportion(k: int, n: int) -> dict:
    """A proportion with its exact (Clopper-Pearson) 95% interval."""
    from scipy.stats import binomtest

    if n == 0:
        return {"k": 0, "n": 0, "rate": None, "ci95": None}
    ci = binomtest(k, n).proportion_ci(0.95)
    return {"k": k, "n": n, "rate": k / n, "ci95": [ci.low, ci.high]}
