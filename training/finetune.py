"""Fine-tuning: a run that starts from a trained solewear checkpoint instead of ImageNet.

A researcher with a few hundred labelled real photos gets further by starting
from the bundled model, which already finds soles, reads their pose and knows
what wear looks like on generated rubber, than by training from ImageNet
weights on so few photos. The starting checkpoint must have the run's
architecture and heads (its classes and zones are the taxonomy's), so every
weight is taken over and nothing is silently re-initialised.
"""

from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file

from inference.checkpoint import paths, read_meta
from inference.config import ConfigError
from inference.model import SoleNet
from inference.model_store import bundled_checkpoint
from inference.taxonomy import load_taxonomy

BUNDLED = "bundled"


def resolve(init_from: str) -> Path:
    """The weights file `model.init_from` names: "bundled" is the shipped default model."""
    if init_from == BUNDLED:
        found = bundled_checkpoint()
        if found is None:
            raise ConfigError("model.init_from=bundled, but no bundled model is installed (make model trains one)")
        return found
    weights, meta = paths(init_from)
    if not weights.is_file() or not meta.is_file():
        raise ConfigError(f"model.init_from: no checkpoint at {init_from} (a .safetensors file with its .json beside it)")
    return weights


def start_from(model: SoleNet, init_from: str) -> None:
    """Load every weight of the checkpoint `init_from` into `model`, refusing one that does not fit."""
    weights = resolve(init_from)
    meta = read_meta(weights)
    ours, theirs = model.spec.to_meta(), meta["model"]
    differ = [k for k in ours if k != "dropout" and ours[k] != theirs.get(k)]
    if differ:
        raise ConfigError(f"model.init_from: {weights.name} does not match this run's model section in "
                          + ", ".join(f"{k} ({theirs.get(k)!r} there, {ours[k]!r} here)" for k in differ))
    taxonomy = load_taxonomy()
    if meta["classes"] != taxonomy.class_ids or meta["zones"] != taxonomy.zone_ids:
        raise ConfigError(f"model.init_from: {weights.name} was trained on other classes or zones than configs/taxonomy.yaml names")
    model.load_state_dict(load_file(str(weights)))


def parent_record(init_from: str) -> dict:
    """What the run started from, for its checkpoint's metadata: the file, its data and its epoch."""
    weights = resolve(init_from)
    meta = read_meta(weights)
    return {"checkpoint": str(weights), "data_fingerprint": meta.get("data_fingerprint"), "epoch": meta.get("epoch"),
            "n_real_new_soles": meta.get("n_real_new_soles", 0)}
