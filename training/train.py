"""The training loop: one command from a config to a calibrated checkpoint.

AdamW with warm-up and cosine decay, label smoothing, class-balanced sampling,
validation from a chosen epoch on, early stopping on validation macro-F1, optional EMA, AMP on CUDA, gradient
clipping, deterministic seeding; progress bars, `metrics.csv` and TensorBoard;
`last` and `best` checkpoints (safetensors + JSON) and resume from `last`.
Runs unchanged under `torchrun` with DistributedDataParallel.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Subset
from tqdm import tqdm

from inference.checkpoint import paths, save_checkpoint
from inference.model import BACKBONES, ModelSpec, SoleNet
from inference.pipeline import ReadingPipeline
from inference.preprocess import Box, Preprocessor
from inference.settings import InferenceSettings, load_inference_settings
from inference.taxonomy import load_taxonomy
from training import distributed
from training.autolabel import autolabel, summary, write_report
from training.config import LossCfg, TrainConfig, save_config
from training.data import (
    DataError,
    Record,
    epoch_indices,
    load_train_val,
    readable_only,
    sampling_weights,
    source_folder,
    usable_for_training,
)
from training.finetune import parent_record, start_from
from training.frozen_prefix import OnnxPrefix, forward, onnx_prefix
from training.evaluate import Collected, as_read, manifest_digest
from training.metrics import classification_report, temperature_record
from training.natural_photos import natural_photo_names
from training.real_soles import sole_free_places
from training.views import SoleViews, ValidationPhotos, as_list

METRIC_COLUMNS = ("epoch", "train_size", "lr", "train_loss", "val_loss", "val_accuracy", "val_macro_f1", "val_zone_mae",
                  "val_side_accuracy", "val_orientation_accuracy", "val_box_iou", "val_sole_found", "seconds")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def losses(out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], w: LossCfg) -> dict[str, torch.Tensor]:
    """Per-head losses; unknown targets (label -1, NaN zones) are masked out."""
    terms = {"wear_class": F.cross_entropy(out["wear_class"], batch["label"], ignore_index=-1, label_smoothing=w.label_smoothing),
             "side": F.cross_entropy(out["side"], batch["side"], ignore_index=-1),
             "orientation": F.cross_entropy(out["orientation"], batch["orientation"], ignore_index=-1)}
    zones = batch["zones"]
    known = ~torch.isnan(zones)
    # all-unknown batches still give a (zero) loss, so every rank's graph has the same parameters
    terms["zones"] = F.binary_cross_entropy_with_logits(out["zones"][known], zones[known]) if known.any() else out["zones"].sum() * 0.0
    terms["sole"] = F.binary_cross_entropy_with_logits(out["sole"].squeeze(1), batch["sole"])
    boxed = ~torch.isnan(batch["box"]).any(1)
    terms["box"] = F.smooth_l1_loss(out["box"][boxed].sigmoid(), batch["box"][boxed], beta=0.05) if boxed.any() else out["box"].sum() * 0.0
    if "wear_map" in out:  # dense wear: known on canonical views of generated photos, NaN elsewhere
        target = batch["wear_map"]
        known = ~torch.isnan(target)
        terms["wear_map"] = (F.binary_cross_entropy_with_logits(out["wear_map"][known], target[known]) if known.any()
                             else out["wear_map"].sum() * 0.0)
    if "class_map" in out and "wear_map" in batch:
        terms["explain"] = evidence_loss(out["class_map"], batch["label"], batch["wear_map"])
    terms = {k: torch.nan_to_num(v) for k, v in terms.items()}  # a batch with no labelled class gives NaN cross-entropy
    terms["total"] = sum(getattr(w, k) * v for k, v in terms.items())
    return terms


def evidence_loss(class_map: torch.Tensor, label: torch.Tensor, wear: torch.Tensor, min_wear: float = 0.1) -> torch.Tensor:
    """KL divergence from the most-worn cells to the true class's evidence, as a distribution over cells.

    The pattern *is* where the sole wore, so the class should be read there: the
    target spreads over the cells worn to at least half the view's deepest wear.
    Views with no visible wear (nearly new shoes, no sole) or unknown wear add nothing.
    """
    flat = wear.flatten(1)
    top = flat.max(1).values
    use = (label >= 0) & ~torch.isnan(flat).any(1) & (torch.nan_to_num(top) >= min_wear)
    if not use.any():
        return class_map.sum() * 0.0
    target = (flat[use] - 0.5 * top[use, None]).clamp(min=0)
    target = target / target.sum(1, keepdim=True)
    evidence = class_map[use, label[use]].flatten(1)
    return F.kl_div(evidence.log_softmax(1), target, reduction="batchmean")


def data_fingerprint(cfg: TrainConfig) -> str:
    """Hash of what the model was trained on: source configs plus their manifests / file lists.

    The real outlined photos are found where the machine keeps them (no path in the
    config): their file list counts too, or a run with them and one without would
    share a fingerprint.
    """
    h = hashlib.sha256(json.dumps(cfg.data.model_dump(mode="json"), sort_keys=True).encode())
    for source in [*cfg.data.sources, *([cfg.data.val] if cfg.data.val else [])]:
        folder = source_folder(source)
        if folder is None:
            continue
        manifest = folder / "manifest.csv"
        if manifest.is_file():
            h.update(manifest.read_bytes())
        elif folder.is_dir():
            h.update("\n".join(sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())).encode())
    return h.hexdigest()[:16]


def _digests(sources: list) -> list[str]:
    """The manifest hashes of the sources that are data sets on disk."""
    found = (manifest_digest(Path(s.path)) for s in sources if s.path)
    return [digest for digest in found if digest]


def library_versions() -> dict[str, str]:
    import albumentations
    import timm
    import torchvision

    import inference

    return {"solewear": inference.__version__, "torch": torch.__version__, "torchvision": torchvision.__version__,
            "timm": timm.__version__, "albumentations": albumentations.__version__, "numpy": np.__version__}


def _lr_lambda(warmup_steps: int, total_steps: int):
    def f(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return f


@torch.no_grad()
def validate(model: SoleNet, loader: DataLoader, pre: Preprocessor, settings: InferenceSettings, d: distributed.Dist,
             prefix: OnnxPrefix | None = None) -> dict:
    """Each validation photo read as the saved model will read it in the app; gathered over ranks.

    Pass 1 finds the sole and its pose, pass 2 reads the crop it found (the
    Predictor's pipeline, less the slower pose check), scored as `solewear
    evaluate` scores it (`Collected`): class, zones, side and toe direction on
    what a user would get, never on a crop at a box the data set gave; box IoU
    and the pose where the data set knows them.
    """
    model.eval()
    taxonomy = load_taxonomy()
    pipeline = ReadingPipeline(lambda x: forward(model, x, prefix), pre, settings, taxonomy, d.device)
    c = Collected()
    for batch in loader:
        read = [as_read(pipeline, image, r, r.box) for image, r in batch]
        images, records = [x[0] for x in read], [b[1] for b in batch]
        fwd = pipeline.two_pass(images)
        c.add(records, images, [x[1] for x in read], fwd, pipeline.found(fwd), pre.margin)
    c = Collected.merged(distributed.gather(c, d))
    labels = np.array(c.labels, int)
    known = labels >= 0
    logits, labels = np.concatenate(c.logits)[known], labels[known]
    report = classification_report(labels, logits.argmax(1), taxonomy.class_ids)
    loss = F.cross_entropy(torch.from_numpy(logits).float(), torch.from_numpy(labels)) if known.any() else torch.tensor(float("nan"))
    err = c.zone_errors()

    def nan_if_none(x: float | None) -> float:
        return float("nan") if x is None else x

    return {
        "logits": logits, "labels": labels, "val_loss": float(loss),
        "val_accuracy": report["accuracy"], "val_macro_f1": report["macro_f1"],
        "val_zone_mae": float("nan") if err is None else float(err[:, :-1].mean()),
        "val_side_accuracy": nan_if_none(c.side_accuracy()), "val_orientation_accuracy": nan_if_none(c.orientation_accuracy()),
        "val_box_iou": float(np.mean(c.ious)) if c.ious else float("nan"), "val_sole_found": float(np.mean(c.sole_found)),
    }


def _state_checksum(model: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> Path:
    """Train and calibrate; returns the best checkpoint's weights path (on rank 0)."""
    d = distributed.setup()
    try:
        return _train(cfg, d, resume, progress)
    finally:
        distributed.teardown(d)


def model_for(cfg: TrainConfig) -> tuple[SoleNet, Preprocessor]:
    """The network a run config describes (ImageNet weights, frozen stages) and its preprocessing."""
    taxonomy = load_taxonomy()
    backbone = BACKBONES[cfg.model.arch]
    spec = ModelSpec(cfg.model.arch, len(taxonomy.classes), len(taxonomy.zones), len(taxonomy.sides),
                     len(taxonomy.orientations), cfg.model.dropout, cfg.model.wear_map, cfg.model.class_pool,
                     cfg.model.evidence_dim)
    model = SoleNet(spec, pretrained=cfg.model.pretrained and cfg.model.init_from is None)
    if cfg.model.init_from is not None:
        start_from(model, cfg.model.init_from)
    model.freeze_stages(cfg.model.freeze_stages)
    # Channels-last: a training step runs about 1.5x faster on this CPU (benchmarks/train.py), and it is the
    # layout mixed precision wants on CUDA. Checkpoints are saved contiguous, so nothing else sees it.
    model.to(memory_format=torch.channels_last)
    return model, Preprocessor(cfg.preprocess.input_size, backbone.mean, backbone.std, cfg.preprocess.margin,
                               cfg.preprocess.stretch)


@dataclass
class Run:
    """What a run holds between epochs (the state torchvision's references keep in `main`)."""

    cfg: TrainConfig
    d: distributed.Dist
    out: Path
    model: SoleNet
    net: torch.nn.Module                 # the model, wrapped in DDP under torchrun
    pre: Preprocessor
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    ema: object | None                   # timm's ModelEmaV3
    prefix: OnnxPrefix | None
    train_ds: SoleViews
    weights: np.ndarray
    loader_kw: dict
    val_loader: DataLoader
    meta: dict
    settings: InferenceSettings          # the reading validation runs, as the Predictor would
    writer: object | None = None         # TensorBoard, rank 0 only
    start_epoch: int = 0
    best_f1: float = -1.0
    stale: int = 0
    best_temperature: float | None = None   # set when this run (or this part of a resumed one) writes a best checkpoint

    @property
    def eval_model(self) -> SoleNet:
        return self.ema.module if self.ema is not None else self.model

    @property
    def state_path(self) -> Path:
        return self.out / "last_state.pt"


def _optimisation(cfg: TrainConfig, model: SoleNet, steps_per_epoch: int, device: torch.device):
    """AdamW over the trainable weights, warm-up then cosine decay, the AMP scaler (CUDA) and the optional EMA."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay)
    total = steps_per_epoch * cfg.optim.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(max(1, int(cfg.optim.warmup_epochs * steps_per_epoch)), total))
    scaler = torch.amp.GradScaler("cuda", enabled=cfg.optim.amp and device.type == "cuda")
    ema = None
    if cfg.optim.ema:
        from timm.utils import ModelEmaV3

        ema = ModelEmaV3(model, decay=cfg.optim.ema_decay)
    return optimizer, scheduler, scaler, ema


def _run_meta(cfg: TrainConfig, pre: Preprocessor, train_records: list, val_records: list) -> dict:
    """The metadata every checkpoint of the run carries: what it is, what it learned from, with what software."""
    taxonomy = load_taxonomy()
    return {
        "classes": taxonomy.class_ids, "zones": taxonomy.zone_ids, "sides": list(taxonomy.sides),
        "orientations": list(taxonomy.orientations), "preprocess": pre.to_meta(), "temperature": 1.0,
        "config": cfg.model_dump(mode="json"), "data_fingerprint": data_fingerprint(cfg),
        "n_train": len(train_records), "n_val": len(val_records), "versions": library_versions(),
        "n_real_new_soles": sum(not r.pose_known for r in train_records),   # outlined real photos (training.real_soles)
        # The sets' identities, so `solewear evaluate` can warn when asked to score one of them.
        "manifests": {"trained": _digests(cfg.data.sources), "validated": _digests([cfg.data.val] if cfg.data.val else [])},
        "natural_negatives": natural_photo_names() if cfg.augment.natural_p > 0 else [],
        "negative_kinds": list(cfg.augment.sole_free_kinds) if cfg.augment.negative_p > 0 else [],
        "init_from": None if cfg.model.init_from is None else parent_record(cfg.model.init_from),
    }


def _surroundings(cfg: TrainConfig, records: list[Record]) -> list[tuple[Path, tuple[Box, ...]]]:
    """The outlined real photos to cut sole-free views from; none when they are off, so no draw is spent on them
    and the training stream is what it was before the option existed."""
    if cfg.augment.surroundings_p <= 0:
        return []
    return sole_free_places(records, {i for i, source in enumerate(cfg.data.sources) if source.kind == "outlines"})


def setup_run(cfg: TrainConfig, d: distributed.Dist, resume: bool) -> Run:
    """Data, model, optimisation and the run folder; from the last saved state when resuming."""
    seed_everything(cfg.seed)
    out = Path(cfg.out)
    train_records, val_records = load_train_val(cfg.data, cfg.seed)
    train_records, unreadable = readable_only(train_records)
    val_records, unreadable_val = readable_only(val_records)
    train_records, dropped = usable_for_training(train_records)
    if not train_records:
        raise DataError("no training photo has a known side (left/ or right/ sub-folder, or a side column)")
    settings = load_inference_settings()
    labelled: list = []
    if cfg.data.autolabel is not None:   # every rank labels alike (the same model on the same photos)
        train_records, labelled = autolabel(train_records, cfg.data.autolabel, settings)
    model, pre = model_for(cfg)
    # Several CPU processes (gloo) keep the default layout: with channels-last parameters a rank aborted
    # (SIGABRT) in the full test suite, every time, though never when its test ran alone.
    layout = torch.contiguous_format if d.active and d.device.type == "cpu" else torch.channels_last
    model.to(d.device, memory_format=layout)  # the inputs follow the weights' layout in every convolution
    steps_per_epoch = max(1, math.ceil(math.ceil(len(train_records) / d.world) / cfg.optim.batch_size))
    optimizer, scheduler, scaler, ema = _optimisation(cfg, model, steps_per_epoch, d.device)
    loader_kw = dict(batch_size=cfg.optim.batch_size, num_workers=cfg.data.workers, pin_memory=d.device.type == "cuda")
    negative_size = next((tuple(s.size) for s in cfg.data.sources if s.kind == "synthetic"), (384, 576))
    run = Run(cfg, d, out, model, model, pre, optimizer, scheduler, scaler, ema, None,
              SoleViews(train_records, pre, cfg.augment, seed=cfg.seed, negative_size=negative_size, wear_stride=model.wear_stride,
                        surroundings=_surroundings(cfg, train_records)),
              sampling_weights(train_records, [s.weight for s in cfg.data.sources], cfg.optim.class_balanced), loader_kw,
              DataLoader(ValidationPhotos(val_records[d.rank::d.world]), shuffle=False, collate_fn=as_list, **loader_kw),
              _run_meta(cfg, pre, train_records, val_records), settings)
    if resume:
        load_state(run)
    run.net = DistributedDataParallel(model) if d.active else model
    # Traced after the weights are final (resumed or not): the frozen stages run in onnxruntime on a CPU.
    run.prefix = onnx_prefix(model, d.device, pre.input_size, layout) if cfg.optim.onnx_frozen else None
    if d.main:
        out.mkdir(parents=True, exist_ok=True)
        save_config(cfg, out / "config.yaml")
        from torch.utils.tensorboard import SummaryWriter

        run.writer = SummaryWriter(str(out / "tensorboard"))
        if dropped:
            print(f"note: {dropped} photo(s) without a known side were left out of training")
        if labelled:
            write_report(labelled, out / "autolabels.csv")
            print(summary(labelled))
        for path_and_reason in unreadable + unreadable_val:
            print(f"note: skipped an unreadable photo, {path_and_reason}")
        if not resume or not (out / "metrics.csv").exists():
            with open(out / "metrics.csv", "w", newline="") as fh:
                csv.writer(fh).writerow(METRIC_COLUMNS)
    return run


def save_state(run: Run, epoch: int) -> None:
    """Everything a resume needs - raw and EMA weights, optimizer, scheduler, scaler, epoch, RNGs - written whole.

    The file is written beside its place and renamed over it, so a run killed
    while saving leaves the previous state intact, never half of a new one.
    """
    state = {"model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
             "scheduler": run.scheduler.state_dict(), "scaler": run.scaler.state_dict(), "epoch": epoch,
             "best_f1": run.best_f1, "stale": run.stale, "best_temperature": run.best_temperature,
             "rng": {"torch": torch.get_rng_state(), "numpy": torch.from_numpy(np.random.get_state()[1].astype(np.int64)),
                     "numpy_pos": int(np.random.get_state()[2]), "python": random.getstate()}}
    if run.ema is not None:
        state["ema"] = run.ema.module.state_dict()
    partial = run.state_path.with_name(run.state_path.name + ".partial")
    torch.save(state, partial)
    os.replace(partial, run.state_path)


def load_state(run: Run) -> None:
    """Continue a run from its last saved state (weights_only: a state file cannot run code)."""
    if not run.state_path.is_file():
        raise DataError(f"nothing to resume: {run.state_path} does not exist")
    state = torch.load(run.state_path, map_location=run.d.device, weights_only=True)
    if "model" not in state:
        raise DataError(f"{run.state_path} was written by an older solewear without the model's raw weights; "
                        "start the run again")
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    run.scaler.load_state_dict(state["scaler"])
    if run.ema is not None and "ema" in state:
        run.ema.module.load_state_dict(state["ema"])
    run.start_epoch, run.best_f1, run.stale = int(state["epoch"]) + 1, float(state["best_f1"]), int(state["stale"])
    run.best_temperature = state.get("best_temperature")
    rng = state["rng"]
    torch.set_rng_state(rng["torch"].cpu())
    np.random.set_state(("MT19937", rng["numpy"].numpy().astype(np.uint32), rng["numpy_pos"], 0, 0.0))
    random.setstate(rng["python"])


def train_one_epoch(run: Run, epoch: int, progress: bool) -> tuple[float, int]:
    """One pass over the epoch's weighted draw; returns the mean training loss over all ranks and the input size."""
    cfg, d = run.cfg, run.d
    train_size = cfg.preprocess.size_at(epoch)
    run.train_ds.set_epoch(epoch, train_size)
    indices = epoch_indices(run.weights, cfg.seed, epoch, d.rank, d.world)
    loader = DataLoader(Subset(run.train_ds, indices), shuffle=False, generator=torch.Generator().manual_seed(cfg.seed + epoch),
                        **run.loader_kw)
    run.net.train()
    params = [p for p in run.model.parameters() if p.requires_grad]
    running, seen = 0.0, 0
    bar = tqdm(loader, desc=f"epoch {epoch + 1}/{cfg.optim.epochs}", unit="batch", disable=None if (progress and d.main) else True, leave=False)
    for batch in bar:
        batch = {k: v.to(d.device, non_blocking=True) for k, v in batch.items()}
        with torch.autocast(device_type=d.device.type, dtype=torch.float16, enabled=run.scaler.is_enabled()):
            terms = losses(forward(run.net, batch["image"], run.prefix), batch, cfg.loss)
        run.optimizer.zero_grad(set_to_none=True)
        run.scaler.scale(terms["total"]).backward()
        if cfg.optim.grad_clip > 0:
            run.scaler.unscale_(run.optimizer)
            torch.nn.utils.clip_grad_norm_(params, cfg.optim.grad_clip)
        run.scaler.step(run.optimizer)
        run.scaler.update()
        run.scheduler.step()
        if run.ema is not None:
            run.ema.update(run.model)
        running += terms["total"].item() * len(batch["label"])
        seen += len(batch["label"])
        bar.set_postfix(loss=f"{running / seen:.3f}", lr=f"{run.scheduler.get_last_lr()[0]:.2e}")
    if d.active:  # BatchNorm statistics are per process: average them, as timm's train.py does
        from timm.utils import distribute_bn

        distribute_bn(run.model, d.world, reduce=True)
    return sum(distributed.gather(running, d)) / max(1, sum(distributed.gather(seen, d))), train_size


def _record_epoch(run: Run, epoch: int, row: dict, val: dict | None, improved: bool, progress: bool) -> None:
    """Rank 0: metrics.csv, TensorBoard, the `last` checkpoint and resume state, and a calibrated `best`."""
    with open(run.out / "metrics.csv", "a", newline="") as fh:  # an epoch not validated leaves its val_ cells empty
        csv.writer(fh).writerow([f"{row[c]:.6g}" if isinstance(row[c], float) else row[c] for c in METRIC_COLUMNS])
    for k, v in row.items():
        if k != "epoch" and v is not None:
            run.writer.add_scalar(k, v, epoch + 1)
    if progress:
        measured = ("not validated" if val is None else
                    f"val macro-F1 {val['val_macro_f1']:.3f}  zone MAE {val['val_zone_mae']:.3f}  "
                    f"side {val['val_side_accuracy']:.3f}  orientation {val['val_orientation_accuracy']:.3f}  "
                    f"box IoU {val['val_box_iou']:.3f}")
        print(f"epoch {epoch + 1}: loss {row['train_loss']:.3f}  {measured}  ({row['seconds']:.0f} s)")
    epoch_meta = dict(run.meta, epoch=epoch + 1, metrics={k: v for k, v in row.items() if k != "epoch"})
    save_checkpoint(run.out / "last", run.eval_model, epoch_meta)
    if improved:
        # Calibrated as it is written, not when the run ends: a run stopped after its best epoch,
        # then resumed without beating it, would otherwise keep that best at temperature 1.
        calibration = temperature_record(val["logits"], val["labels"], "validation")
        run.best_temperature = calibration["temperature"]
        save_checkpoint(run.out / "best", run.eval_model, dict(epoch_meta, temperature=run.best_temperature,
                                                                calibration=calibration))
    save_state(run, epoch)


def _finish(run: Run, progress: bool) -> Path:
    """The run's summary (best figure, temperature, every rank's weight checksum); returns the best weights."""
    checksums = distributed.gather(_state_checksum(run.model), run.d)
    if run.d.main and run.best_temperature is not None:
        summary = {"best_val_macro_f1": run.best_f1, "temperature": run.best_temperature,
                   "world_size": run.d.world, "rank_weight_checksums": checksums}
        (run.out / "run_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    elif run.d.main and progress:
        print("note: no validated epoch of this run beat the best before it, so the best checkpoint (calibrated when "
              "it was saved) stays as it was")
    if run.writer is not None:
        run.writer.close()
    return paths(run.out / "best")[0]


def _train(cfg: TrainConfig, d: distributed.Dist, resume: bool, progress: bool) -> Path:
    run = setup_run(cfg, d, resume)
    for epoch in range(run.start_epoch, cfg.optim.epochs):
        started = time.time()
        train_loss, train_size = train_one_epoch(run, epoch, progress)
        validated = epoch + 1 >= cfg.first_validated_epoch
        val = validate(run.eval_model, run.val_loader, run.pre, run.settings, d, run.prefix) if validated else None
        improved = val is not None and val["val_macro_f1"] > run.best_f1
        if improved:
            run.best_f1, run.stale = val["val_macro_f1"], 0
        elif val is not None:
            run.stale += 1
        row = {"epoch": epoch + 1, "train_size": train_size, "lr": run.scheduler.get_last_lr()[0], "train_loss": train_loss,
               **{k: None if val is None else val[k] for k in METRIC_COLUMNS if k.startswith("val_")}, "seconds": time.time() - started}
        if d.main:
            _record_epoch(run, epoch, row, val, improved, progress)
        distributed.barrier(d)
        if cfg.optim.early_stop_patience is not None and run.stale >= cfg.optim.early_stop_patience:
            if d.main and progress:
                print(f"early stop: validation macro-F1 has not improved for {run.stale} epochs")
            break
    return _finish(run, progress)
