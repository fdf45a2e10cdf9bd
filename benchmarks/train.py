"""Training throughput (images/s) of a run config on this machine.

Two figures: the optimisation step alone (random tensors, so the model's cost
is isolated) and the full step with decoding, cropping and augmentation from a
generated set through the DataLoader, as `solewear train` runs it.
Usage: python -m benchmarks train [--config configs/default.yaml] [--steps 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from inference.model import BACKBONES, ModelSpec, SoleNet
from inference.preprocess import Preprocessor
from inference.taxonomy import load_taxonomy
from training.config import load_config
from training.data import read_manifest
from training.generator.dataset import GenerateOptions, generate_dataset
from training.train import losses
from training.views import SoleViews


def _steps(model, optimizer, batches, cfg) -> float:
    start = time.perf_counter()
    n = 0
    for batch in batches:
        terms = losses(model(batch["image"]), batch, cfg.loss)
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
    tax = load_taxonomy()
    spec = ModelSpec(cfg.model.arch, len(tax.classes), len(tax.zones), dropout=cfg.model.dropout)
    model = SoleNet(spec, pretrained=cfg.model.pretrained)
    model.freeze_stages(cfg.model.freeze_stages)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    bs, size = cfg.optim.batch_size, cfg.preprocess.input_size
    label = f"{cfg.model.arch} {size}px batch {bs} frozen {cfg.model.freeze_stages}"

    def fake():
        return {"image": torch.randn(bs, 3, size, size), "label": torch.randint(0, len(tax.classes), (bs,)),
                "side": torch.randint(0, 2, (bs,)), "orientation": torch.randint(0, 4, (bs,)),
                "zones": torch.rand(bs, len(tax.zones) + 1)}

    _steps(model, optimizer, [fake()], cfg)  # warm-up
    rows = [{"what": "optimisation step only", "config": label, "images_per_s": round(_steps(model, optimizer, [fake() for _ in range(args.steps)], cfg), 2)}]

    with tempfile.TemporaryDirectory() as tmp:
        generate_dataset(Path(tmp), GenerateOptions(n=bs * (args.steps + 1), seed=5, workers=2), progress=False)
        b = BACKBONES[cfg.model.arch]
        views = SoleViews(read_manifest(Path(tmp)), Preprocessor(size, b.mean, b.std, cfg.preprocess.margin), cfg.augment)
        loader = torch.utils.data.DataLoader(views, batch_size=bs, num_workers=cfg.data.workers)
        batches = iter(loader)
        _steps(model, optimizer, [next(batches)], cfg)
        rows.append({"what": f"full step, {cfg.data.workers} data workers", "config": label,
                     "images_per_s": round(_steps(model, optimizer, batches, cfg), 2)})
    return rows
