"""Explanations: where the model looked (Grad-CAM) and what each zone scored (zone diagram).

The heatmap is computed on the canonical crop the classifier saw and mapped
back onto the original photo through the inverse pose and crop, so it lies
over the sole where the user sees it. The zone diagram is drawn in the
canonical frame and mirrored for a right shoe, so medial is where the runner
expects it. Hooks are released after every use (context manager).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image, ImageDraw, ImageFont
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.image import scale_cam_image
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from inference.preprocess import Box, Preprocessor, apply_pose
from inference.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from inference.forward import Forward
    from inference.model import SoleNet


class _ClassLogits(torch.nn.Module):
    """Grad-CAM wants a model that returns one tensor of class scores."""

    def __init__(self, model: "SoleNet") -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)["wear_class"]


def gradcam(model: "SoleNet", tensor: torch.Tensor, class_index: int) -> np.ndarray:
    """Heatmap in [0, 1] over one canonical input (H, W of the input)."""
    with GradCAM(model=_ClassLogits(model), target_layers=[model.cam_layer()]) as cam:
        heat = cam(input_tensor=tensor[None], targets=[ClassifierOutputTarget(int(class_index))])[0]
    return np.clip(heat, 0, 1).astype(np.float32)


def heatmap_to_photo(heat: np.ndarray, image_hw: tuple[int, int], box: Box, pre: Preprocessor, orientation: int, side: str) -> np.ndarray:
    """Canonical-crop heatmap -> photo frame (zeros outside the crop), through the crop's own geometry."""
    posed = apply_pose(heat, orientation, side)  # back to the photo's pose
    x0, y0, x1, y1 = pre.crop_box(box, image_hw)
    m = np.array([[(x1 - x0) / posed.shape[1], 0, x0], [0, (y1 - y0) / posed.shape[0], y0]], np.float32)
    h, w = image_hw
    return cv2.warpAffine(posed, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def evidence_heatmap(evidence: np.ndarray, input_size: int) -> np.ndarray:
    """A class's evidence map (h, w) as Grad-CAM on the evidence layer gives it: ReLU, scaled to [0, 1], resized.

    The class logit is the mean of the evidence map after a 1x1 convolution, so
    Grad-CAM's channel weights are that convolution's, the same at every cell,
    and its map is this one up to a constant factor that the scaling removes.
    No backward pass: the served model (onnxruntime on a CPU) hands the map out.
    """
    # pytorch-grad-cam's own scaling, in its order: to [0, 1], resized to the input, to [0, 1] again.
    heat = scale_cam_image(np.maximum(evidence.astype(np.float32), 0)[None], (input_size, input_size))
    return np.clip(scale_cam_image(heat)[0], 0, 1)


def photo_heatmap(pre: Preprocessor, fwd: "Forward", k: int, image_hw: tuple[int, int], class_index: int,
                  torch_model: "SoleNet | None" = None) -> np.ndarray:
    """The heatmap the app shows for the k-th read crop, laid over its photo: the class evidence where the model
    has it, else Grad-CAM on `torch_model` (architectures without an evidence map)."""
    if fwd.evidence is not None:
        heat = evidence_heatmap(fwd.evidence[k][class_index], pre.input_size)
    else:
        heat = gradcam(torch_model, fwd.tensors[k], class_index)
    return heatmap_to_photo(heat, image_hw, fwd.scene.boxes[k], pre, int(fwd.scene.orientation[k]), fwd.side[k])


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.45) -> Image.Image:
    """The photo with the heatmap blended over it (jet colours, strongest where the model looked)."""
    colours = (colormaps["jet"](heat)[..., :3] * 255).astype(np.float32)
    weight = (alpha * np.clip(heat * 1.5, 0, 1))[..., None]
    return Image.fromarray((image * (1 - weight) + colours * weight).astype(np.uint8))


# ---------------------------------------------------------------- zone diagram
def _outline(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A generic left sole seen from below (canonical frame): medial and lateral edge x in [0, 1]."""
    knots_v = [0.0, 0.05, 0.12, 0.27, 0.42, 0.55, 0.68, 0.85, 0.95, 1.0]
    medial = [0.34, 0.16, 0.08, 0.06, 0.16, 0.26, 0.24, 0.22, 0.28, 0.42]
    lateral = [0.50, 0.70, 0.82, 0.90, 0.84, 0.78, 0.76, 0.76, 0.70, 0.56]
    return np.interp(v, knots_v, medial), np.interp(v, knots_v, lateral)


def zone_diagram(zone_scores: dict[str, float], side: str = "left", size: tuple[int, int] = (240, 480), title: str | None = None) -> Image.Image:
    """The sole with its seven zones coloured by wear score (0 = new, 1 = worn through)."""
    taxonomy = load_taxonomy()
    w, h = size
    pad_top = 28 if title else 8
    sole_h = h - pad_top - 34
    canvas = Image.new("RGB", (w, h), "white")
    cmap = colormaps["YlOrRd"]
    layer = np.full((sole_h, w, 3), 255, np.uint8)
    v = (np.arange(sole_h) + 0.5) / sole_h
    med, lat = _outline(v)
    xs = (np.arange(w) + 0.5) / w
    u = (xs[None, :] - med[:, None]) / (lat - med)[:, None]
    inside = (u >= 0) & (u <= 1)
    for zone in taxonomy.zones:
        band = (v[:, None] >= zone.v[0]) & (v[:, None] < zone.v[1] + (1e-9 if zone.v[1] >= 1 else 0))
        if zone.side != "both":
            band = band & ((u < 0.5) == (zone.side == "medial"))
        rgb = (np.array(cmap(0.1 + 0.85 * float(zone_scores.get(zone.id, 0.0)))[:3]) * 255).astype(np.uint8)
        layer[band & inside] = rgb
    edge = inside & ~cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    layer[edge] = (60, 60, 60)
    if side == "right":
        layer = layer[:, ::-1]
    canvas.paste(Image.fromarray(layer), (0, pad_top))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=12)
    for zone in taxonomy.zones:  # score labels at each zone's centre
        vc = (zone.v[0] + zone.v[1]) / 2
        m, lt = _outline(np.array([vc]))
        uc = {"both": 0.5, "medial": 0.25, "lateral": 0.75}[zone.side]
        xc = float(m[0] + uc * (lt[0] - m[0]))
        if side == "right":
            xc = 1 - xc
        draw.text((xc * w, pad_top + vc * sole_h), f"{zone_scores.get(zone.id, 0.0):.2f}", fill="black", font=font, anchor="mm")
    if title:
        draw.text((w / 2, 14), title, fill="black", font=ImageFont.load_default(size=14), anchor="mm")
    inner_left = side == "left"
    draw.text((6, h - 33), "inner" if inner_left else "outer", fill=(90, 90, 90), font=font)
    draw.text((w - 6, h - 33), "outer" if inner_left else "inner", fill=(90, 90, 90), font=font, anchor="ra")
    draw.text((w / 2, h - 10), f"{side} shoe, seen from below, toe up", fill=(90, 90, 90), font=font, anchor="mm")
    return canvas
