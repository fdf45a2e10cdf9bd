"""Gait parameters: what the runner does, drawn from the class's distribution.

The label of a synthetic sole is the class whose gait produced it; a second
class may be blended in (a runner with two tendencies), but the labelled
class always carries most of the wear: a weight above one half is not
enough, because classes abrade the sole with very different force (a lateral
heel striker's landing rubs more than four times harder than a neutral
runner's), so a 62/38 blend of neutral and heel strike would wear like a heel
striker and be a mislabelled sole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.generator.settings import GaitDistribution, GeneratorSettings

POINT_NAMES = ("landing", "heel_roll", "midstance", "ball", "toe_off")
POINT_FIELDS = ("u", "v", "load", "slip")


@dataclass(frozen=True)
class Gait:
    label: str
    points: np.ndarray          # (5, 4): u, v, load, slip for each control point
    arch_contact: float
    mileage_km: float
    body_mass_kg: float
    surface: str
    abrasion: float             # the surface's relative abrasiveness
    dirt: float                 # 0 clean .. 1 muddy
    mix_label: str = ""         # second tendency blended in, if any
    mix_weight: float = 1.0     # weight the labelled class keeps (its share of the wear is at least mix_min_share)

    def as_row(self) -> dict[str, float | str]:
        """Flat manifest columns (`gait_landing_u`, ...)."""
        row: dict[str, float | str] = {}
        for name, values in zip(POINT_NAMES, self.points):
            for key, value in zip(POINT_FIELDS, values):
                row[f"gait_{name}_{key}"] = round(float(value), 4)
        row.update(
            gait_arch_contact=round(self.arch_contact, 4), mileage_km=round(self.mileage_km, 1),
            body_mass_kg=round(self.body_mass_kg, 1), surface=self.surface,
            mix_label=self.mix_label, mix_weight=round(self.mix_weight, 3),
        )
        return row


def _draw_points(dist: GaitDistribution, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    pts = np.array([[rng.uniform(*getattr(p, f)) for f in POINT_FIELDS] for p in dist.points], dtype=np.float64)
    return pts, float(rng.uniform(*dist.arch_contact))


def _wear_energy(points: np.ndarray) -> float:
    """How hard a path abrades the sole: the sum of load x slip over its control points (the wear model's driver)."""
    return float((points[:, 2] * points[:, 3]).sum())


def _dominant_weight(weight: float, own: np.ndarray, other: np.ndarray, min_share: float) -> float:
    """The smallest weight >= `weight` at which the labelled path carries `min_share` of the blend's wear energy."""
    e_own, e_other = _wear_energy(own), _wear_energy(other)
    needed = min_share * e_other / ((1 - min_share) * e_own + min_share * e_other)
    return max(weight, needed)


def _choose(options: dict, rng: np.random.Generator) -> str:
    names = list(options)
    p = np.array([options[n].p for n in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def sample_gait(label: str, settings: GeneratorSettings, rng: np.random.Generator, allow_mix: bool = True) -> Gait:
    """Draw a runner of class `label`: path, mileage, body mass and surface."""
    points, arch = _draw_points(settings.gait[label], rng)
    runner = settings.runner
    mix_label, weight = "", 1.0
    if allow_mix and rng.random() < runner.mix_probability:
        others = [c for c in settings.gait if c != label]
        mix_label = str(rng.choice(others))
        other_points, other_arch = _draw_points(settings.gait[mix_label], rng)
        weight = _dominant_weight(float(rng.uniform(*runner.mix_weight)), points, other_points, runner.mix_min_share)
        points = weight * points + (1 - weight) * other_points
        arch = weight * arch + (1 - weight) * other_arch
    stage = runner.mileage_km[_choose(runner.mileage_km, rng)]
    surface_name = _choose(runner.surfaces, rng)
    surface = runner.surfaces[surface_name]
    return Gait(
        label=label, points=points, arch_contact=arch,
        mileage_km=float(rng.uniform(*stage.km)), body_mass_kg=float(rng.uniform(*runner.body_mass_kg)),
        surface=surface_name, abrasion=surface.abrasion, dirt=float(rng.uniform(*surface.dirt)),
        mix_label=mix_label, mix_weight=weight,
    )
