"""Writing a generated data set to disk: images, depth maps, masks, manifest.

Layout (see data/README.md):

    OUT_DIR/manifest.csv
    OUT_DIR/images/000123.jpg   the photo
    OUT_DIR/depth/000123.png    wear fraction in the photo frame (0..255 = 0..1 of tread depth)
    OUT_DIR/masks/000123.png    sole mask (255 = sole)

Seeds of every row derive from (--seed, row index) alone, and the work is
split over processes without changing any byte, so the same command writes
the same files whatever `--workers` is.
"""

from __future__ import annotations

import csv
import multiprocessing as mp
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from training.generator.sample import Sample, SampleSpec, render_sample
from training.generator.settings import load_settings

PATH_COLUMNS = ("path", "depth_path", "mask_path")


@dataclass(frozen=True)
class GenerateOptions:
    n: int
    seed: int = 0
    size: tuple[int, int] | None = None
    classes: tuple[str, ...] | None = None     # None = every taxonomy class
    class_weights: tuple[float, ...] | None = None  # None = exactly balanced
    photos_per_shoe: int = 1
    workers: int = 1
    style: str | None = None                   # leave-style-out: "seen" | "held_out" (training.generator.style)


def derive_seed(*parts: int) -> int:
    """A 32-bit seed that depends on every part (base seed, index, stream)."""
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1, np.uint32)[0])


def sample_specs(opts: GenerateOptions) -> list[SampleSpec]:
    """Every row's spec, decided before any rendering (so workers cannot change it)."""
    classes = list(opts.classes or load_settings().gait)
    unknown = sorted(set(classes) - set(load_settings().gait))
    if unknown:
        raise ValueError(f"unknown classes {unknown}; known: {sorted(load_settings().gait)}")
    specs = []
    for i in range(opts.n):
        shoe = i // opts.photos_per_shoe
        if opts.class_weights is None:
            label = classes[shoe % len(classes)]
        else:
            w = np.asarray(opts.class_weights, np.float64)
            label = classes[int(np.random.default_rng(derive_seed(opts.seed, shoe, 2)).choice(len(classes), p=w / w.sum()))]
        specs.append(SampleSpec(label, derive_seed(opts.seed, shoe, 0), derive_seed(opts.seed, i, 1), opts.size, style=opts.style))
    return specs


def encode_png(a: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", a)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def write_sample(sample: Sample, out_dir: Path, index: int, shoe_index: int) -> dict[str, object]:
    """Write one sample's three files; return its manifest row."""
    stem = f"{index:06d}"
    paths = {"path": f"images/{stem}.jpg", "depth_path": f"depth/{stem}.png", "mask_path": f"masks/{stem}.png"}
    (out_dir / paths["path"]).write_bytes(sample.photo.jpeg)
    depth = np.clip(sample.photo.wear * 255 + 0.5, 0, 255).astype(np.uint8)
    (out_dir / paths["depth_path"]).write_bytes(encode_png(depth))
    (out_dir / paths["mask_path"]).write_bytes(encode_png(sample.photo.mask.astype(np.uint8) * 255))
    row = {"path": paths["path"]}
    row.update(sample.manifest_row())
    row["shoe_id"] = f"syn-{shoe_index:06d}-{sample.spec.shoe_seed}"
    row["depth_path"], row["mask_path"] = paths["depth_path"], paths["mask_path"]
    return row


def _work(job: tuple[int, int, SampleSpec, str]) -> dict[str, object]:
    index, shoe_index, spec, out_dir = job
    return write_sample(render_sample(spec), Path(out_dir), index, shoe_index)


def _init_worker() -> None:
    cv2.setNumThreads(1)


def generate_dataset(out_dir: Path, opts: GenerateOptions, progress: bool = True) -> Path:
    """Render and write a whole set; returns the manifest path."""
    return write_specs(out_dir, sample_specs(opts), opts.photos_per_shoe, opts.workers, progress)


def write_specs(out_dir: Path, specs: Sequence[SampleSpec], photos_per_shoe: int = 1, workers: int = 1,
                progress: bool = True) -> Path:
    """Render the given specs into a data set (images, depth maps, masks, manifest); returns the manifest path."""
    out_dir = Path(out_dir)
    for sub in ("images", "depth", "masks"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    jobs = [(i, i // photos_per_shoe, spec, str(out_dir)) for i, spec in enumerate(specs)]
    rows = list(tqdm(_run(jobs, workers), total=len(jobs), desc="generating", unit="img", disable=None if progress else True))
    manifest = out_dir / "manifest.csv"
    write_manifest(manifest, rows)
    return manifest


def spec_of_row(row: dict[str, str], size: tuple[int, int]) -> SampleSpec:
    """The spec that renders a row `sample_specs` made (or one with a forced worn look) again, at its photo's size.

    Label, shoe seed, photo seed, worn look, style and whether the pair is in the
    photo are all a row needs: every other spec field keeps the default `generate`
    used. A row of a set drawn before pairs existed (no `pair` column) is one sole.
    """
    return SampleSpec(row["label"], int(row["shoe_seed"]), int(row["seed"]), size, worn_look=row.get("worn_look") or None,
                      style=row.get("style") or None, pair=bool(int(row.get("pair") or 0)))


def _run(jobs: Sequence[tuple], workers: int) -> Iterator[dict[str, object]]:
    if workers <= 1:
        _init_worker()
        yield from map(_work, jobs)
        return
    # spawn, not fork: a forked child inherits OpenCV's thread pool mid-use and can hang.
    with mp.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
        yield from pool.imap(_work, jobs, chunksize=4)


def write_manifest(path: Path, rows: Sequence[dict[str, object]]) -> None:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
