"""Checkpoints: safetensors weights plus a JSON file of metadata with the same stem.

The metadata carries everything needed to use the weights correctly -
architecture, classes, zones, preprocessing, temperature - so training,
inference and export never rely on code defaults. Nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from inference.model import SoleNet, build_model
from inference.taxonomy import Taxonomy

FORMAT = "solewear-checkpoint/1"


#: Files that unpickle when loaded: refused by name, before anything opens them.
PICKLE_SUFFIXES = {".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle"}
EXPECTED = "a solewear checkpoint is a .safetensors file with its .json metadata beside it"


class CheckpointError(ValueError):
    """A path that is not a solewear checkpoint, with what solewear expects instead."""


def locate(path: str | Path) -> tuple[Path, Path]:
    """(weights, metadata) of a checkpoint, or a CheckpointError naming the file and what was expected."""
    p = Path(path)
    if p.suffix.lower() in PICKLE_SUFFIXES:
        raise CheckpointError(f"{p} is a PyTorch pickle file. solewear reads safetensors checkpoints only "
                              f"({EXPECTED}): unpickling a file can run any code hidden in it, so solewear never opens one.")
    if p.suffix.lower() == ".onnx":
        raise CheckpointError(f"{p} is an ONNX export; give the .safetensors checkpoint it was exported from ({EXPECTED}).")
    if p.suffix not in {"", ".safetensors", ".json"} and not p.with_suffix(".safetensors").is_file():
        raise CheckpointError(f"{p} is not a solewear checkpoint: {EXPECTED}.")
    weights, meta = paths(p)
    if not weights.is_file():
        raise CheckpointError(f"no checkpoint at {weights}: {EXPECTED}.")
    if not meta.is_file():
        raise CheckpointError(f"{weights} has no metadata beside it ({meta.name}): {EXPECTED}.")
    return weights, meta


def paths(path: str | Path) -> tuple[Path, Path]:
    """(weights, metadata) for a checkpoint given by either file or their common stem."""
    p = Path(path)
    stem = p.with_suffix("") if p.suffix in {".safetensors", ".json"} else p
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def weights_digest(path: str | Path, length: int = 20) -> str:
    """The SHA-256 of a checkpoint's weights file (hex, cut to `length`): its version, wherever it lies."""
    return hashlib.sha256(paths(path)[0].read_bytes()).hexdigest()[:length]


def save_checkpoint(path: str | Path, model: SoleNet, meta: dict) -> Path:
    weights, meta_path = paths(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(weights), metadata={"format": FORMAT})
    write_meta(meta_path, dict(meta, format=FORMAT, model=model.spec.to_meta()))
    return weights


def write_meta(path: str | Path, meta: dict) -> None:
    """The checkpoint's JSON metadata (beside its weights), as the loaders read it."""
    paths(path)[1].write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")


def read_meta(path: str | Path) -> dict:
    _, meta_path = locate(path)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{meta_path} is not a solewear checkpoint's metadata (not JSON: {exc})") from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"{meta_path} is not a solewear checkpoint (format {meta.get('format')!r})")
    return meta


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu",
                    taxonomy: Taxonomy | None = None) -> tuple[SoleNet, dict]:
    """Rebuild the model from metadata and load its weights (eval mode).

    A checkpoint that disagrees with itself (weights against the heads its metadata
    describes) or, given `taxonomy`, with this version's classes, zones, sides and toe
    directions is refused naming the mismatch: read anyway, it would put the wrong
    names on its answers.
    """
    weights, _ = locate(path)
    meta = read_meta(path)
    if taxonomy is not None and (wrong := vocabulary_mismatch(meta, taxonomy)):
        raise CheckpointError(f"{weights} does not fit this version of solewear: {wrong}.")
    try:
        model = build_model(meta["model"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{weights}'s metadata does not describe a solewear model ({exc}).") from None
    try:
        state = load_file(str(weights), device=str(device))
    except SafetensorError as exc:
        raise CheckpointError(f"{weights} is not a readable safetensors file ({exc}): {EXPECTED}.") from None
    if wrong := weights_mismatch(model, state):
        raise CheckpointError(f"{weights} does not match the model its metadata describes: {wrong}.")
    model.load_state_dict(state)
    return model.to(device).eval(), meta


def vocabulary_mismatch(meta: dict, taxonomy: Taxonomy) -> str:
    """What a checkpoint's classes, zones, sides and toe directions (and its heads' sizes) disagree on, or ''."""
    spec = meta.get("model", {})
    checks = [("classes", meta.get("classes"), taxonomy.class_ids), ("zones", meta.get("zones"), taxonomy.zone_ids),
              ("sides", meta.get("sides"), list(taxonomy.sides)),
              ("toe directions", meta.get("orientations"), list(taxonomy.orientations)),
              ("class outputs", spec.get("n_classes"), len(taxonomy.class_ids)),
              ("zone outputs", spec.get("n_zones"), len(taxonomy.zone_ids))]
    return "; ".join(f"its {what} are {list(got) if isinstance(got, (list, tuple)) else got}, this version's "
                     f"{want}" for what, got, want in checks if got != want)


def weights_mismatch(model: SoleNet, state: dict[str, torch.Tensor]) -> str:
    """Tensors missing, unexpected or of the wrong shape for the model (the first three of each), or ''."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    shapes = [f"{k} {tuple(state[k].shape)} instead of {tuple(v.shape)}" for k, v in expected.items()
              if k in state and state[k].shape != v.shape]
    parts = [(missing, "missing"), (extra, "not in the model"), (shapes, "of the wrong shape")]
    return "; ".join(f"{len(items)} tensors {how} ({', '.join(items[:3])}{', ...' if len(items) > 3 else ''})"
                     for items, how in parts if items)
