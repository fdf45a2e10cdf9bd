"""Training throughput (images/s) of a run config on this machine.

Three figures: the optimisation step alone (one prepared batch again and again,
so the model's cost is isolated), with the frozen stages in PyTorch and in onnxruntime
(`optim.onnx_frozen`, training/frozen_prefix.py), and the full step with decoding, cropping
and augmentation from a generated set through the DataLoader, as `solewear train` runs it.
Usage: python -m benchmarks train [--config configs/default.yaml] [--steps 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from training.config import load_config
from training.data import read_manifest
from training.frozen_prefix import OnnxPrefix, forward, onnx_prefix
from training.generator.dataset import GenerateOptions, generate_dataset
from training.train import losses, model_for
from training.views import SoleViews


def _steps(model, optimizer, batches, cfg, prefix: OnnxPrefix | None) -> float:
    start = time.perf_counter()
    n = 0
    for batch in batches:
        terms = losses(forward(model, batch["image"], prefix), batch, cfg.loss)
        optimizer.zero_grad()
        terms["total"].backward()
        optimizer.step()
        n += len(batch["image"])
    return n / (time.perf_counter() - start)


def run(argv: list[str]) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks train")
    parser.add_argument("--config", default="configs/default.yaml")
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args(argv)
    cfg = load_config(args.config)
    model, pre = model_for(cfg)  # the run config's own network, heads and frozen stages
    model.train()
    prefix = onnx_prefix(model, torch.device("cpu"), pre.input_size, torch.channels_last) if cfg.optim.onnx_frozen else None
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    bs = cfg.optim.batch_size
    label = f"{cfg.model.arch} {pre.input_size}px batch {bs} frozen {cfg.model.freeze_stages}"
    with tempfile.TemporaryDirectory() as tmp:
        generate_dataset(Path(tmp), GenerateOptions(n=bs * (args.steps + 1), seed=5, workers=2), progress=False)
        views = SoleViews(read_manifest(Path(tmp)), pre, cfg.augment, wear_stride=model.wear_stride)
        loader = torch.utils.data.DataLoader(views, batch_size=bs, num_workers=cfg.data.workers)
        batches = iter(loader)
        first = next(batches)
        rows = []
        for name, way in [("PyTorch", None), *([("onnxruntime", prefix)] if prefix else [])]:
            _steps(model, optimizer, [first], cfg, way)  # warm-up
            rows.append({"what": f"optimisation step only (one batch, again and again), frozen stages in {name}",
                         "config": label, "images_per_s": round(_steps(model, optimizer, [first] * args.steps, cfg, way), 2)})
        rows.append({"what": f"full step, {cfg.data.workers} data workers, as configured", "config": label,
                     "images_per_s": round(_steps(model, optimizer, batches, cfg, prefix), 2)})
    return rows
