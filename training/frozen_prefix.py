"""The frozen stem and first stages, run by onnxruntime while training on a CPU.

Why: with the default recipe's three frozen stages, those early layers work on
the largest maps (96 x 96 and 48 x 48 cells at 192 px) and cost more than half
of a training step's forward pass in eager PyTorch on this 2-core CPU (about
0.55 s of a 32-photo batch); onnxruntime, which folds each BatchNorm into its
convolution and fuses the activations, runs the same layers about 4x faster
(`benchmarks/train.py`). Nothing there learns, so no gradient is lost: the
trainable part of the network starts from the prefix's output, and training
and validation see the same numbers as the eager network to about 1e-6.
On CUDA the eager network stays (mixed precision, no host round trip).
"""

from __future__ import annotations

import io

import numpy as np
import torch

from inference.export import cpu_session, trace_to_onnx
from inference.model import SoleNet


class OnnxPrefix:
    """Callable: a normalised image batch in, the output of the frozen stages out (in `layout`)."""

    def __init__(self, module: torch.nn.Module, stages: int, input_size: int, layout: torch.memory_format) -> None:
        self.stages = stages
        self.layout = layout
        buffer = io.BytesIO()
        trace_to_onnx(module.eval(), torch.zeros(2, 3, input_size, input_size), buffer, ["image"], ["features"],
                      {"image": {0: "batch", 2: "height", 3: "width"}})  # any size: progressive resizing
        # Between its calls the CPU belongs to PyTorch and the data workers: no busy-waiting threads.
        self.session = cpu_session(buffer.getvalue(), threads=torch.get_num_threads(), spinning=False)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        x = np.ascontiguousarray(images.detach().cpu().numpy(), dtype=np.float32)
        features = torch.from_numpy(self.session.run(None, {"image": x})[0])
        return features.contiguous(memory_format=self.layout)


def onnx_prefix(model: SoleNet, device: torch.device, input_size: int, layout: torch.memory_format) -> OnnxPrefix | None:
    """The model's frozen prefix in onnxruntime, or None where it does not apply (CUDA, nothing frozen, not lite0).

    Call it once the weights are final (ImageNet, `init_from` or a resumed run):
    the exported graph holds them as constants.
    """
    prefix = model.frozen_prefix()
    if prefix is None or device.type != "cpu":
        return None
    module, stages = prefix
    return OnnxPrefix(module, stages, input_size, layout)


def forward(net: torch.nn.Module, images: torch.Tensor, prefix: OnnxPrefix | None) -> dict[str, torch.Tensor]:
    """The network's outputs for a batch, through the onnxruntime prefix when there is one."""
    if prefix is None:
        return net(images)
    return net(prefix(images), start=prefix.stages)
