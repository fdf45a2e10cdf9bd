"""The Predictor: any photo in, calibrated and explained results out.

Steps: safe decode -> pass 1 on the whole photo (is there a sole, where, which
way, which shoe; a photo of both soles side by side is split in two) ->
quality gate -> pass 2 on the canonical crop (wear class, zones, severity)
-> temperature-scaled probabilities -> the same photo read again turned and
mirrored (does the class hold?) -> optional heatmap (the class evidence map) and zone
diagram. One Predictor is safe to share between threads: model calls run
under a lock (Grad-CAM, for models without an evidence map, hooks the model).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from inference.checkpoint import load_checkpoint, weights_digest
from inference.decode import ImageError, load_photo
from inference.explain import overlay, photo_heatmap, zone_diagram
from inference.export import serving_model
from inference.forward import Forward
from inference.model_store import NO_MODEL_MESSAGE, bundled_checkpoint
from inference.pipeline import ReadingPipeline
from inference.preprocess import Box, Preprocessor
from inference.quality import photo_flags, photo_measures
from inference.results import Prediction
from inference.settings import InferenceSettings, load_inference_settings
from inference.taxonomy import load_taxonomy

Source = str | Path | bytes
NO_SOLE_MESSAGE = ("No shoe sole was found in this photo. Photograph the bottom of the shoe: "
                   "the whole sole, lying flat, in good light.")


class NoModelError(RuntimeError):
    """No checkpoint given and no bundled model installed."""


class Predictor:
    def __init__(self, checkpoint: str | Path | None = None, device: str | None = None, backend: str = "auto",
                 settings: InferenceSettings | None = None) -> None:
        """`backend`: "torch", "onnx" (onnxruntime, about 3x faster on a CPU) or "auto" (onnx on CPU, torch on CUDA)."""
        checkpoint = checkpoint or bundled_checkpoint()
        if checkpoint is None:
            raise NoModelError(NO_MODEL_MESSAGE)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.taxonomy = load_taxonomy()
        self.model, self.meta = load_checkpoint(checkpoint, self.device, self.taxonomy)
        self.checkpoint = Path(checkpoint)
        self.model_version = weights_digest(self.checkpoint)   # recorded with every saved case reading
        self.pre = Preprocessor.from_meta(self.meta)
        self.temperature = float(self.meta.get("temperature", 1.0))
        self.settings = settings or load_inference_settings()
        self._lock = threading.Lock()
        self.torch_model = self.model  # Grad-CAM (models without an evidence map) needs gradients: PyTorch
        self.model, self.backend = serving_model(self.model, self.meta, self.checkpoint, self.device, backend)
        self.pipeline = ReadingPipeline(self.model, self.pre, self.settings, self.taxonomy, self.device, self.temperature)

    @property
    def model_info(self) -> str:
        """One line naming the model, for reports: architecture, data fingerprint, training set size."""
        arch = self.meta.get("model", {}).get("arch", "?")
        return f"Model {arch}, data {str(self.meta.get('data_fingerprint', '?'))[:8]}, trained on {self.training_photos}"

    @property
    def training_photos(self) -> str:
        """How many photos the model was trained on, and how many were real photos of new soles (the metadata
        cannot tell generated photos from a researcher's own, so neither is named)."""
        real = int(self.meta.get("n_real_new_soles") or 0)
        return f"{self.meta.get('n_train', '?')} photos" + (f" ({real} of them real photos of new soles)" if real else "")

    @property
    def provenance(self) -> str:
        """What the model learned from, said near every answer: simulated soles, perhaps real new ones, no real worn ones."""
        parent = self.meta.get("init_from") or {}
        real = max(int(self.meta.get("n_real_new_soles") or 0), int(parent.get("n_real_new_soles") or 0))
        learned = "simulated soles" + (f" and {real} real photos of brand-new soles" if real else "")
        return f"The model learned from {learned}; how often it is right on real worn soles is not yet measured."

    # ------------------------------------------------------------ public API
    def predict(self, source: Source, side: str | None = None, name: str | None = None, explain: bool = False) -> list[Prediction]:
        """All soles in one photo (one result, or two for a photo of both soles)."""
        return self.predict_batch([source], [side], [name], explain)[0]

    def predict_batch(self, sources: Sequence[Source], sides: Sequence[str | None] | None = None,
                      names: Sequence[str | None] | None = None, explain: bool = False) -> list[list[Prediction]]:
        sides = list(sides) if sides is not None else [None] * len(sources)
        names = list(names) if names is not None else [None] * len(sources)
        labels = [nm or (str(src) if not isinstance(src, bytes) else "upload") for src, nm in zip(sources, names)]
        out: list[list[Prediction]] = [[] for _ in sources]
        images, stored, where = [], [], []
        for i, src in enumerate(sources):
            if sides[i] not in (None, "auto", *self.taxonomy.sides):
                out[i] = [Prediction(path=labels[i], error=f"side must be left, right or auto, not {sides[i]!r}")]
                continue
            try:
                image, size = load_photo(src)
            except ImageError as exc:
                out[i] = [Prediction(path=labels[i], error=str(exc))]
                continue
            images.append(image)
            stored.append(size)
            where.append(i)
        if images:
            with self._lock:
                results = self._analyse(images, [None if sides[i] == "auto" else sides[i] for i in where], explain)
            for i, image, size, preds in zip(where, images, stored, results):
                for p in preds:
                    p.path = labels[i]
                    _to_stored_pixels(p, image.shape[:2], size)
                out[i] = preds
        return out

    # ------------------------------------------------------------ internals
    def _analyse(self, images: list[np.ndarray], sides: list[str | None], explain: bool) -> list[list[Prediction]]:
        reading = self.pipeline.read(images, sides)
        results: list[list[Prediction]] = [[] for _ in images]
        for k, (i, img, given, part, (dx, dy)) in enumerate(reading.units):
            pred = self._result(k, img, given, part, reading.forward, bool(reading.pose_agrees[k]), explain)
            if pred.box is not None:   # a part's box, in the whole photo
                pred.box = [pred.box[0] + dx, pred.box[1] + dy, pred.box[2] + dx, pred.box[3] + dy]
            results[i].append(pred)
        return results

    def _result(self, k: int, image: np.ndarray, given_side: str | None, part: str | None, fwd: Forward,
                pose_agrees: bool, explain: bool) -> Prediction:
        tax, q, scene = self.taxonomy, self.settings.quality, fwd.scene
        box: Box = scene.boxes[k]
        flags: list[str] = []
        pred = Prediction(path="", part=part)
        if not q.sole_found(scene.sole_prob[k], fwd.crop_sole_prob[k]):   # refused: no box, no pose to report
            pred.flags = ["no_sole_found"]
            pred.error = NO_SOLE_MESSAGE
            return pred
        pred.box = [float(v) for v in box]
        pred.orientation = tax.orientations[int(scene.orientation[k])]
        flags += photo_flags(photo_measures(image, box), q, tuple(tax.quality_flags))
        if int(scene.orientation[k]) == 2:  # two quarter turns: the toe pointed down, the photo was turned
            flags.append("upside_down_corrected")
        probs = fwd.probabilities[k]
        top = int(probs.argmax())
        severity = float(fwd.zones[k][-1])
        pred.unsure_reasons = self.settings.unsure_reasons(float(probs[top]), severity, pose_agrees)
        if pred.unsure_reasons:
            flags.append("low_confidence")
        if given_side is None and scene.side_prob[k] < q.min_side_confidence:
            flags.append("side_uncertain")
        if given_side is not None and scene.side[k] != given_side and scene.side_prob[k] >= q.min_side_confidence:
            pred.side_conflict = scene.side[k]    # read as given, but said: a wrong side swaps inner and outer
        zones = {z: round(float(s), 4) for z, s in zip(tax.zone_ids, fwd.zones[k][:-1])}
        pred.flags = [f for f in tax.quality_flags if f in flags]
        pred.label = None if set(pred.flags) & set(q.unusable) else tax.class_ids[top]
        pred.confidence = round(float(probs[top]), 4)
        pred.probabilities = {c: round(float(p), 6) for c, p in zip(tax.class_ids, probs)}
        pred.side = fwd.side[k]
        pred.side_source = "given" if given_side else "detected"
        pred.zones = zones
        pred.severity = round(severity, 4)
        pred.severity_words = self.settings.severity_words(severity)
        pred.replacement_hint = self._replacement_hint(zones)
        pred.photo = image
        if explain:
            pred.heatmap = overlay(image, photo_heatmap(self.pre, fwd, k, image.shape[:2], top, self.torch_model))
            pred.diagram = zone_diagram(zones, pred.side, title=f"{pred.side.capitalize()} shoe: wear by zone")
        return pred

    def _replacement_hint(self, zones: dict[str, float]) -> str | None:
        worn = [z for z, s in zones.items() if s >= self.settings.worn_through_zone]
        if not worn:
            return None
        names = ", ".join(self.taxonomy.zone(z).label.lower() for z in worn)
        return f"The tread is worn through in: {names}. A shoe this worn cushions and grips less; consider replacing it."


def _to_stored_pixels(pred: Prediction, decoded_hw: tuple[int, int], stored_wh: tuple[int, int]) -> None:
    """Boxes in the pixels of the photo as stored (upright), not of the reduced copy the model read."""
    sx, sy = stored_wh[0] / decoded_hw[1], stored_wh[1] / decoded_hw[0]
    pred.image_size = [int(stored_wh[0]), int(stored_wh[1])]
    if pred.box is not None:
        x0, y0, x1, y1 = pred.box
        pred.box = [round(x0 * sx, 1), round(y0 * sy, 1), round(x1 * sx, 1), round(y1 * sy, 1)]
