"""Run configuration: YAML defaults, command-line overrides, a validated result.

In the manner of timm's train.py: a YAML file gives the defaults, `--set
key.sub=value` overrides any of them (values parsed as YAML), and the resolved
config is saved beside the run so a result can always be traced to its recipe.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from inference.config import ConfigError, load_yaml, validated


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelCfg(_Strict):
    arch: Literal["efficientnet_lite0", "mobilenet_v3_small", "resnet18"] = "efficientnet_lite0"
    pretrained: bool = True
    dropout: float = Field(0.2, ge=0, lt=1)
    freeze_stages: int = Field(0, ge=0, le=6)
    wear_map: bool = False        # dense wear head supervised by generated depth maps (lite0)
    class_pool: Literal["avg", "evidence"] = "avg"   # "evidence": class = mean of a stride-16 class map (lite0)
    evidence_dim: int = Field(128, ge=8, le=1024)     # channels of that map
    # Start from a trained solewear checkpoint instead of ImageNet: "bundled" (the shipped default model)
    # or the path of a .safetensors checkpoint. Its architecture and heads must match this section.
    init_from: str | None = None


class PreprocessCfg(_Strict):
    input_size: int = Field(160, ge=32, le=512)
    margin: float = Field(0.08, ge=0, le=0.5)
    stretch: bool = False         # the sole's padded box stretched to the square input (inference.preprocess.Preprocessor)
    # Progressive resizing: [[until_epoch, size], ...] trains the epochs before `until_epoch` at `size`
    # (smaller, so cheaper), the rest at input_size. Validation and the checkpoint always use input_size.
    train_sizes: list[tuple[int, int]] = []

    @model_validator(mode="after")
    def _sizes_grow_to_input(self) -> "PreprocessCfg":
        epochs = [e for e, _ in self.train_sizes]
        sizes = [s for _, s in self.train_sizes] + [self.input_size]
        if epochs != sorted(set(epochs)) or any(e < 1 for e in epochs):
            raise ValueError("preprocess.train_sizes: the epochs must be increasing and at least 1")
        if any(s < 32 or s >= t for s, t in zip(sizes, sizes[1:])):
            raise ValueError("preprocess.train_sizes: each size at least 32 and below the next, the last below input_size")
        return self

    def size_at(self, epoch: int) -> int:
        """The training input size of `epoch` (0-based)."""
        return next((size for until, size in self.train_sizes if epoch < until), self.input_size)


class SourceCfg(_Strict):
    """One data source. `synthetic` renders on the fly: fresh soles every epoch, seeded. `outlines`: real
    photos of new soles with YOLO outlines (training.real_soles; path None = where the project looks for them)."""

    kind: Literal["auto", "manifest", "folder", "synthetic", "outlines"] = "auto"
    path: str | None = None
    required: bool = True                      # False: a missing folder is skipped with a note (outlines only)
    weight: float = Field(1.0, gt=0)
    n: int = Field(1000, ge=1)                 # synthetic: samples per epoch
    size: tuple[int, int] = (384, 576)         # synthetic: photo size
    seed: int = 0                              # synthetic: base seed
    photo: dict[str, float | bool | str] = {}  # synthetic: photo conditions pinned (training.generator.scene.PhotoParams fields)

    @model_validator(mode="after")
    def _known_photo_conditions(self) -> "SourceCfg":
        from training.generator.scene import PhotoParams

        known = {field.name for field in dataclasses.fields(PhotoParams)}
        if unknown := sorted(set(self.photo) - known):
            raise ValueError(f"unknown photo condition(s) {unknown}; known: {sorted(known)}")
        return self


class DataCfg(_Strict):
    sources: list[SourceCfg]
    val: SourceCfg | None = None
    val_fraction: float = Field(0.15, gt=0, lt=1)
    default_orientation: str = "toe_up"
    workers: int = Field(2, ge=0)
    # Photos without a sole box or toe direction (a researcher's path,label,side) get those read by this model:
    # "bundled", a checkpoint path, or null to train them as whole-photo crops with no box or toe target.
    autolabel: str | None = "bundled"


class AugmentCfg(_Strict):
    scene_p: float = Field(0.35, ge=0, le=1)      # share of whole-photo views (presence, box, pose)
    negative_p: float = Field(0.08, ge=0, le=1)   # share of sole-free photos
    natural_p: float = Field(0.0, ge=0, le=1)     # of those, share cut from real photos (training.natural_photos)
    surroundings_p: float = Field(0.0, ge=0, le=1)  # of the natural ones, share cut beside the soles of the real outlined photos
    negative_kinds: list[str] | None = None       # which generated sole-free kinds (negatives.KINDS); None: all
    pose_p: float = Field(0.5, ge=0, le=1)
    box_jitter: float = Field(0.06, ge=0, le=0.5)
    photometric: bool = True

    @property
    def sole_free_kinds(self) -> tuple[str, ...]:
        """The generated sole-free kinds this run draws: the configured ones, or every kind."""
        from training.generator.negatives import KINDS

        return tuple(self.negative_kinds) if self.negative_kinds else KINDS

    @model_validator(mode="after")
    def _known_negative_kinds(self) -> "AugmentCfg":
        """A typo in a kind would only surface inside a data-loading worker mid-run: say so when the config loads."""
        from training.generator.negatives import KINDS

        if self.negative_kinds is not None and (not self.negative_kinds or set(self.negative_kinds) - set(KINDS)):
            raise ValueError(f"augment.negative_kinds must be some of {list(KINDS)}; got {self.negative_kinds}")
        return self


class LossCfg(_Strict):
    wear_class: float = Field(1.0, ge=0)
    zones: float = Field(4.0, ge=0)
    side: float = Field(0.5, ge=0)
    orientation: float = Field(0.5, ge=0)
    sole: float = Field(0.5, ge=0)
    box: float = Field(2.0, ge=0)
    wear_map: float = Field(0.0, ge=0)            # used when model.wear_map is on
    explain: float = Field(0.0, ge=0)             # class evidence on the most-worn cells (class_pool "evidence"; generated depth maps)
    label_smoothing: float = Field(0.05, ge=0, lt=1)


class OptimCfg(_Strict):
    batch_size: int = Field(32, ge=1)
    epochs: int = Field(8, ge=1)
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(0.02, ge=0)
    warmup_epochs: float = Field(0.5, ge=0)
    grad_clip: float = Field(2.0, ge=0)
    class_balanced: bool = True
    ema: bool = False
    ema_decay: float = Field(0.998, gt=0, lt=1)
    early_stop_patience: int | None = Field(3, ge=1)  # None: always run the whole schedule
    # First epoch (1-based) that ends with a validation pass, or a share of the epochs (0 < x < 1: the epoch
    # that share of the way through, rounded up, so `--set optim.epochs=6` needs no second change). Earlier
    # epochs only train: with a cosine schedule the best epoch comes late, and each pass over the validation
    # set costs as much as ~1/8 of an epoch.
    validate_from: float = Field(1, gt=0)
    amp: bool = True
    onnx_frozen: bool = True  # on a CPU, the frozen stem and stages run in onnxruntime (training/frozen_prefix.py)


class TrainConfig(_Strict):
    seed: int = 0
    out: str = "runs/default"
    model: ModelCfg = ModelCfg()
    preprocess: PreprocessCfg = PreprocessCfg()
    data: DataCfg
    augment: AugmentCfg = AugmentCfg()
    loss: LossCfg = LossCfg()
    optim: OptimCfg = OptimCfg()

    @model_validator(mode="after")
    def _explain_needs_evidence(self) -> "TrainConfig":
        if self.loss.explain > 0 and self.model.class_pool != "evidence":
            raise ValueError("loss.explain trains the class evidence map: it needs model.class_pool: evidence")
        if self.optim.validate_from > self.optim.epochs or (self.optim.validate_from > 1 and self.optim.validate_from % 1):
            raise ValueError(f"optim.validate_from ({self.optim.validate_from}) must be an epoch up to the last "
                             f"({self.optim.epochs}) or a share of the epochs between 0 and 1: otherwise no epoch would be "
                             "validated, and there would be no best checkpoint")
        return self

    @property
    def first_validated_epoch(self) -> int:
        """`optim.validate_from` as a 1-based epoch number."""
        v = self.optim.validate_from
        return max(1, math.ceil(v * self.optim.epochs)) if v < 1 else int(v)


def _check_key(key: str) -> None:
    """An override's key must name a setting; a typo gets the closest known name."""
    model: type[BaseModel] | None = TrainConfig
    done: list[str] = []
    for part in key.split("."):
        if model is None:          # inside a list or a plain mapping: nothing more to check
            return
        fields = model.model_fields
        if part not in fields:
            close = difflib.get_close_matches(part, fields, n=1)
            where = ".".join(done) or "the top level"
            hint = f"; did you mean {'.'.join([*done, close[0]])!r}?" if close else f"; known there: {sorted(fields)}"
            raise ConfigError(f"unknown setting {key!r}: no {part!r} in {where}{hint}")
        annotation = fields[part].annotation
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
        done.append(part)


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    """`a.b.c=value` pairs into a nested dict; values are parsed as YAML (`4`, `true`, `[1, 2]`)."""
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like key.sub=value")
        _check_key(key)
        node = raw
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
        node[parts[-1]] = yaml.safe_load(value)
    return raw


def load_config(path: str, overrides: list[str] | None = None, data_dir: str | None = None, out: str | None = None) -> TrainConfig:
    """Read, override and validate a run config. `--data DIR` replaces the sources with DIR."""
    raw = load_yaml(path)
    apply_overrides(raw, list(overrides or []))
    if data_dir is not None:
        raw.setdefault("data", {})["sources"] = [{"kind": "auto", "path": data_dir}]
        raw["data"]["val"] = None
    if out is not None:
        raw["out"] = out
    return validated(raw, TrainConfig, f"the run config {path}")


def save_config(cfg: TrainConfig, path: Path) -> None:
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
