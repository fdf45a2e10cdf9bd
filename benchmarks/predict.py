"""Prediction speed on this machine, beside a torchvision ResNet-18 measured in the same run.

Targets, as ratios to a torchvision ResNet-18 forward (batch 1, 224 px) measured in the
same run, since this machine's speed moves from day to day: the model's forward at
most 0.35x; `predict` on a 12-megapixel JPEG (decode, both passes, pose check, zones)
at most 5x, with the heatmap at most 6x. Also a batch of 64 one-megapixel photos.
Medians of repeated runs.
Usage: python -m benchmarks predict [--checkpoint CKPT] [--repeats 15]
(The Predictor's default backend on a CPU is onnx.)
"""

from __future__ import annotations

import argparse
import io
import numpy as np
import torch
from PIL import Image

from benchmarks.reference import median_ms, resnet18_ms
from inference.predictor import Predictor


def _jpeg(width: int, height: int, seed: int) -> bytes:
    """A photo-like JPEG: a sample sole scaled up (keep its 2:3 shape: a stretched sole looks like two), with sensor noise."""
    from pathlib import Path

    sample = Image.open(sorted((Path(__file__).parents[1] / "data" / "samples").glob("*.jpg"))[seed % 10]).convert("RGB")
    big = np.asarray(sample.resize((width, height), Image.Resampling.BILINEAR)).astype(np.int16)
    big = np.clip(big + np.random.default_rng(seed).integers(-6, 7, big.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def run(argv: list[str]) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks predict")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    rows = []
    resnet_ms = resnet18_ms(args.repeats)
    rows.append({"what": "torchvision ResNet-18 forward, 224 px, batch 1", "backend": "torch", "ms": round(resnet_ms, 2)})

    for backend in ("torch", "onnx"):
        p = Predictor(args.checkpoint, backend=backend)
        size = p.pre.input_size
        x = torch.randn(1, 3, size, size)
        with torch.inference_mode():
            fwd_ms = median_ms(lambda: p.model(x), args.repeats)
        rows.append({"what": f"solewear forward, {size} px, batch 1", "backend": backend, "ms": round(fwd_ms, 2),
                     "ratio_to_resnet18": round(fwd_ms / resnet_ms, 3), "target": "<= 0.35"})
        photo = _jpeg(2832, 4248, 1)  # 12 MP, portrait like the samples
        plain = median_ms(lambda: p.predict(photo), args.repeats)
        rows.append({"what": "predict, 12 MP JPEG", "backend": backend, "ms": round(plain, 1),
                     "ratio_to_resnet18": round(plain / resnet_ms, 2), "target": "<= 5"})
        explained = median_ms(lambda: p.predict(photo, explain=True), max(5, args.repeats // 3))
        rows.append({"what": "predict + heatmap, 12 MP JPEG", "backend": backend, "ms": round(explained, 1),
                     "ratio_to_resnet18": round(explained / resnet_ms, 2), "target": "<= 6"})
        batch = [_jpeg(816, 1224, i) for i in range(64)]  # 1 MP each
        seconds = median_ms(lambda: p.predict_batch(batch), 3) / 1000
        rows.append({"what": "batch of 64 one-megapixel photos", "backend": backend,
                     "images_per_s": round(64 / seconds, 1), "target": ">= 25"})
    return rows
