"""ONNX export and an onnxruntime backend with the same interface as the PyTorch model.

The exported file carries one input (a normalised batch) and the model's heads
as named outputs; its metadata JSON (same stem) is a copy of the checkpoint's,
so the ONNX model is self-describing. Export checks parity with PyTorch.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from inference.model import SoleNet

HEADS = ("wear_class", "zones", "side", "orientation", "sole", "box")
CACHE_DIR = Path(os.environ.get("SOLEWEAR_CACHE", Path.home() / ".cache" / "solewear"))


class _TupleHeads(torch.nn.Module):
    def __init__(self, model: SoleNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.model(x)
        return tuple(out[h] for h in HEADS)


def export_onnx(model: SoleNet, meta: dict, out: str | Path, check: bool = True) -> Path:
    """Write OUT (.onnx) and OUT's .json metadata; returns the ONNX path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model = model.cpu().eval()
    size = int(meta["preprocess"]["input_size"])
    dummy = torch.zeros(2, 3, size, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its own deprecation
        torch.onnx.export(_TupleHeads(model).eval(), (dummy,), str(out), input_names=["image"], output_names=list(HEADS),
                          dynamic_axes={"image": {0: "batch"}, **{h: {0: "batch"} for h in HEADS}},
                          opset_version=17, dynamo=False)
    out.with_suffix(".json").write_text(json.dumps(dict(meta, onnx_outputs=list(HEADS)), indent=2) + "\n")
    if check:
        x = torch.randn(3, 3, size, size)
        with torch.no_grad():
            ref = model(x)
        got = OnnxModel(out)(x)
        worst = max(float((ref[h] - got[h]).abs().max()) for h in HEADS)
        if worst > 1e-3:
            raise RuntimeError(f"ONNX export differs from PyTorch by {worst:.2e}")
    return out


class OnnxModel:
    """Callable like SoleNet (tensor in, dict of tensors out), run by onnxruntime on the CPU."""

    def __init__(self, path: str | Path) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    @classmethod
    def for_checkpoint(cls, model: SoleNet, meta: dict, checkpoint: Path) -> "OnnxModel":
        """The checkpoint's ONNX twin, exported (and parity-checked) once into the user's cache.

        Keyed by what the exported graph depends on: the weights' hash and the input size
        (the graph's height and width are fixed), so neither a retrained checkpoint nor the
        same weights with another input size in their metadata reuse a stale export.
        The cache holds only model files, never anything a user uploaded.
        """
        digest = hashlib.sha256(Path(checkpoint).read_bytes()).hexdigest()[:20]
        path = CACHE_DIR / f"{digest}-{int(meta['preprocess']['input_size'])}px.onnx"
        if not path.is_file():
            export_onnx(model, meta, path)
        return cls(path)

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        outs = self.session.run(list(HEADS), {"image": x.detach().cpu().numpy().astype(np.float32)})
        return {h: torch.from_numpy(o) for h, o in zip(HEADS, outs)}


def serving_model(model: SoleNet, meta: dict, checkpoint: Path, device: str,
                  backend: str = "auto") -> tuple["SoleNet | OnnxModel", str]:
    """The model the Predictor serves: `backend` "torch", "onnx", or "auto" (onnx on a CPU, torch on CUDA).

    Evaluation asks for it too, so reported figures are those of the backend
    the app runs - and onnxruntime is about 3x faster than PyTorch on a CPU.
    Returns (callable model, backend name).
    """
    if backend == "auto":
        backend = "onnx" if device == "cpu" else "torch"
    if backend == "onnx":
        return OnnxModel.for_checkpoint(model, meta, checkpoint), backend
    if backend != "torch":
        raise ValueError(f"backend must be torch or onnx, not {backend!r}")
    return model, backend
