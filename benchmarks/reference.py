"""The yardstick every speed is stated against: a torchvision ResNet-18 forward measured in the same run.

This machine's speed moves up to four times from day to day, so a time in
milliseconds says little on its own; a ratio to this forward (batch 1, 224 px,
two threads, median of repeats) carries across days.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
import torchvision


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of `fn` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def resnet18_ms(repeats: int = 15, threads: int = 2) -> float:
    """Median ResNet-18 forward time (batch 1, 224 px) with `threads` intra-op threads, restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            model = torchvision.models.resnet18(weights=None).eval()
            x = torch.randn(1, 3, 224, 224)
            return median_ms(lambda: model(x), repeats)
    finally:
        torch.set_num_threads(before)
