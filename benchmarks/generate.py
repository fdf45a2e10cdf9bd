"""Generator throughput: images/s writing a full data set (image, depth map, mask, manifest).

Target (issue 3): at least 20 images/s at 384x576 with `--workers 2` on a 2-core machine.
Usage: python -m benchmarks generate [--n 400] [--workers 2] [--size 384x576]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from training.cli import _size
from training.generator.dataset import GenerateOptions, generate_dataset


def run(argv: list[str]) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks generate")
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--size", type=_size, default=(384, 576))
    args = parser.parse_args(argv)
    rows = []
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            generate_dataset(Path(tmp), GenerateOptions(n=args.n, seed=123, size=args.size, workers=workers), progress=False)
            seconds = time.perf_counter() - start
        rows.append({"workers": workers, "size": f"{args.size[0]}x{args.size[1]}", "images": args.n,
                     "seconds": round(seconds, 2), "images_per_s": round(args.n / seconds, 2)})
    return rows
