"""ONNX export and an onnxruntime backend with the same interface as the PyTorch model.

The exported file carries one input (a normalised batch) and the model's heads
as named outputs; its metadata JSON (same stem) is a copy of the checkpoint's,
so the ONNX model is self-describing. Export checks parity with PyTorch.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from inference import CACHE_DIR
from inference.checkpoint import weights_digest
from inference.model import SoleNet

HEADS = ("wear_class", "zones", "side", "orientation", "sole", "box")
#: Exported besides the heads where the model has it: the class evidence the heatmap is drawn from.
EVIDENCE = "class_evidence"
#: Bumped when what an export holds changes, so a cached export of the same weights is made again.
EXPORT_VERSION = 2
#: Most images onnxruntime is given in one call (bounds the memory it keeps between calls).
MAX_BATCH = 4
#: Largest difference allowed between the ONNX graph's outputs and PyTorch's.
PARITY_TOLERANCE = 1e-3


def exported_outputs(model: SoleNet) -> tuple[str, ...]:
    return HEADS + ((EVIDENCE,) if model.spec.class_pool == "evidence" else ())


def trace_to_onnx(module: torch.nn.Module, example: torch.Tensor, out: str | io.BytesIO, input_names: list[str],
                  output_names: list[str], dynamic_axes: dict) -> None:
    """The project's one way to write a module as ONNX: the TorchScript exporter, opset 17."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its own deprecation
        torch.onnx.export(module, (example,), out, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=17, dynamo=False)


def cpu_session(model: str | bytes, threads: int = 0, spinning: bool = True):
    """An onnxruntime CPU session (threads 0: onnxruntime's choice). `spinning` False: idle threads sleep,
    for a session that shares the CPU with PyTorch between its calls."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads
    if not spinning:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


class _TupleHeads(torch.nn.Module):
    def __init__(self, model: SoleNet) -> None:
        super().__init__()
        self.model = model
        self.outputs = exported_outputs(model)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.model(x)
        return tuple(out[h] for h in self.outputs)


def export_onnx(model: SoleNet, meta: dict, out: str | Path, check: bool = True) -> Path:
    """Write OUT (.onnx) and OUT's .json metadata; returns the ONNX path.

    Written beside OUT and renamed over it, so a reader (another app session starting at
    the same moment) never opens a half-written graph.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model = model.cpu().eval()
    size = int(meta["preprocess"]["input_size"])
    outputs = exported_outputs(model)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    trace_to_onnx(_TupleHeads(model).eval(), torch.zeros(2, 3, size, size), str(partial), ["image"], list(outputs),
                  {"image": {0: "batch"}, **{h: {0: "batch"} for h in outputs}})
    if check and (worst := parity_gap(model, OnnxModel(partial), size)) > PARITY_TOLERANCE:
        partial.unlink()
        raise RuntimeError(f"ONNX export differs from PyTorch by {worst:.2e}")
    out.with_suffix(".json").write_text(json.dumps(dict(meta, onnx_outputs=list(outputs)), indent=2) + "\n")
    os.replace(partial, out)
    return out


def parity_gap(model: SoleNet, onnx: "OnnxModel", size: int) -> float:
    """Largest difference between the PyTorch model's heads and an ONNX graph's on a fixed random batch."""
    x = torch.randn(3, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():   # on the model's own device: a Predictor on CUDA keeps its PyTorch model there
        ref = model.eval()(x.to(next(model.parameters()).device))
    got = onnx(x)
    return max(float((ref[h].cpu() - got[h]).abs().max()) for h in exported_outputs(model))


class OnnxModel:
    """Callable like SoleNet (tensor in, dict of tensors out), run by onnxruntime on the CPU."""

    def __init__(self, path: str | Path) -> None:
        self.session = cpu_session(str(path))
        self.outputs = [o.name for o in self.session.get_outputs()]

    @classmethod
    def for_checkpoint(cls, model: SoleNet, meta: dict, checkpoint: Path) -> "OnnxModel":
        """The checkpoint's ONNX twin, exported (and parity-checked) once into the user's cache.

        Keyed by what the exported graph depends on: the weights' hash and the input size
        (the graph's height and width are fixed), so neither a retrained checkpoint nor the
        same weights with another input size in their metadata reuse a stale export.
        The cache holds only model files, never anything a user uploaded.
        """
        size = int(meta["preprocess"]["input_size"])
        path = CACHE_DIR / f"{weights_digest(checkpoint)}-{size}px-v{EXPORT_VERSION}.onnx"
        if path.is_file():
            try:   # the cache is a file anyone could have replaced: trusted only if it computes what the weights do
                cached = cls(path)
                if parity_gap(model, cached, size) <= PARITY_TOLERANCE:
                    return cached
            except Exception:   # noqa: BLE001 - onnxruntime's errors derive from Exception; any of them means rebuild
                pass
        export_onnx(model, meta, path)
        return cls(path)

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run in slices of at most MAX_BATCH images: onnxruntime keeps the memory of its largest call, and a
        batch of photos read in eight views each would otherwise hold hundreds of megabytes for good."""
        images = x.detach().cpu().numpy().astype(np.float32)
        parts = [self.session.run(self.outputs, {"image": images[i:i + MAX_BATCH]})
                 for i in range(0, len(images), MAX_BATCH)]
        return {h: torch.from_numpy(np.concatenate([p[k] for p in parts])) for k, h in enumerate(self.outputs)}


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
