"""Generator throughput: images/s writing a full data set (image, depth map, mask, manifest).

Each row also states the time per photo as a multiple of a ResNet-18 forward
measured in the same run, and what generating `make model`'s 10,000 photos
costs in such forwards: the default recipe's budget for generation and
training together is 150,000 of them.
Usage: python -m benchmarks generate [--n 400] [--workers 1 2] [--size 384x576]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.reference import resnet18_ms
from training.cli import _size
from training.generator.dataset import GenerateOptions, generate_dataset


#: Photos `make model` generates (train 8,000, validation 1,000, test 1,000).
MAKE_MODEL_PHOTOS = 10_000


def run(argv: list[str]) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks generate")
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--size", type=_size, default=(384, 576))
    args = parser.parse_args(argv)
    rows = []
    resnet_ms = resnet18_ms()
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            generate_dataset(Path(tmp), GenerateOptions(n=args.n, seed=123, size=args.size, workers=workers), progress=False)
            seconds = time.perf_counter() - start
        per_image_ms = seconds * 1000 / args.n
        rows.append({"workers": workers, "size": f"{args.size[0]}x{args.size[1]}", "images": args.n,
                     "seconds": round(seconds, 2), "images_per_s": round(args.n / seconds, 2),
                     "resnet18_ms": round(resnet_ms, 2), "photo_in_resnet18_forwards": round(per_image_ms / resnet_ms, 2),
                     "make_model_data_in_resnet18_forwards": round(MAKE_MODEL_PHOTOS * per_image_ms / resnet_ms)})
    return rows
