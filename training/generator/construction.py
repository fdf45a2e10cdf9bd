"""How the outsole is built: one rubber sheet, rubber pods on exposed foam, or segments split by deep grooves.

Real running shoes are rarely one flat sheet of tread. Most put rubber only
where the ground is met (pods under the heel and the ball, a strip along the
outer midfoot) and leave the foam midsole showing between them, often in
another colour; others split the rubber into segments with deep flex grooves
down to the foam, or give the forefoot and the heel different tread. Without
that the model learns that any change of colour or relief inside a sole is
wear, which is how it read real new soles as worn.

The construction is drawn per shoe from its own random stream, so it never
sees the class; exposed foam is recessed and never touches the ground, so the
wear physics leaves it alone and zone scores are measured on rubber only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from training.generator.outline import Outline
from training.generator.tread import FOAM, SECOND_RUBBER, SHANK, Tread, soft_step, superellipse

#: Construction kinds, drawn with equal odds (the least assuming: real shares are not known).
CONSTRUCTIONS = ("sheet", "pods", "segmented")


@dataclass(frozen=True)
class Construction:
    kind: str
    flex_grooves: int        # deep transverse grooves across the forefoot
    centre_groove: bool      # a deep groove along the sole's mid-line
    two_compounds: bool      # segments or pods alternate between two rubbers
    shank: bool              # a plastic plate under the arch, seen where the foam shows


def sample_construction(rng: np.random.Generator, kinds: tuple[str, ...] = CONSTRUCTIONS) -> Construction:
    """The shoe's build (one of `kinds`): its own draw, independent of tread family and class."""
    kind = str(rng.choice(kinds))
    grooves = int(rng.integers(2, 6)) if kind == "segmented" else int(rng.choice([0, 0, 1, 2, 3]))
    return Construction(kind, grooves, bool(rng.random() < (0.7 if kind == "segmented" else 0.25)),
                        bool(rng.random() < 0.4), bool(rng.random() < 0.3))


def _pods(outline: Outline, rng: np.random.Generator) -> np.ndarray:
    """Where rubber pods sit: heel, forefoot and toe and a strip along the outer midfoot; the rest is foam.

    The outer strip is on nearly every running shoe: the foot rolls over it, so
    a supinator's wear there has rubber to show on.
    """
    u, v = outline.u, outline.v
    power = float(rng.uniform(2.5, 6))
    heel = superellipse(u, v, rng.uniform(0.45, 0.6), rng.uniform(0.85, 0.88), rng.uniform(0.5, 0.75), rng.uniform(0.1, 0.15), power)
    fore = superellipse(u, v, rng.uniform(0.4, 0.55), rng.uniform(0.2, 0.24), rng.uniform(0.55, 0.8), rng.uniform(0.13, 0.16), power)
    pods = np.maximum(heel, fore)
    strip = superellipse(u, v, rng.uniform(0.78, 0.9), 0.55, rng.uniform(0.12, 0.25), rng.uniform(0.18, 0.3), power)
    pods = np.maximum(pods, strip)
    if rng.random() < 0.5:   # a separate heel pod on the outer corner, where many shoes put harder rubber
        corner = superellipse(u, v, rng.uniform(0.65, 0.8), rng.uniform(0.86, 0.92), rng.uniform(0.2, 0.35), rng.uniform(0.06, 0.1), power)
        pods = np.maximum(pods, corner)
    return pods > 0


def _groove_mask(outline: Outline, c: Construction, rng: np.random.Generator) -> np.ndarray:
    """Deep flex grooves across the forefoot and, maybe, along the mid-line (to the foam)."""
    u, v = outline.u, outline.v
    ppmm = outline.px_per_mm
    half_w = rng.uniform(1.0, 2.5) / outline.length_mm     # groove half-width in v units
    grooves = np.zeros(u.shape, bool)
    if c.flex_grooves:
        slope = rng.uniform(-0.12, 0.12)
        for centre in np.linspace(rng.uniform(0.1, 0.16), rng.uniform(0.36, 0.46), c.flex_grooves):
            grooves |= np.abs(v - centre - slope * (u - 0.5)) < half_w
    if c.centre_groove:
        grooves |= (np.abs(u - rng.uniform(0.42, 0.58)) < half_w / 0.35) & (v > 0.08)   # u spans ~0.35 of the length
    if rng.random() < 0.5:   # a diagonal crash-pad groove across the heel
        grooves |= np.abs(v - rng.uniform(0.8, 0.88) - rng.uniform(-0.25, 0.25) * (u - 0.5)) < half_w
    kernel = max(1, int(round(0.5 * ppmm)))
    return cv2.dilate(grooves.astype(np.uint8), np.ones((kernel, kernel), np.uint8)) > 0


def build_outsole(tread: Tread, outline: Outline, c: Construction, rng: np.random.Generator) -> Tread:
    """The tread laid onto the construction: recessed foam between pods and in grooves, compounds per piece."""
    height, material = tread.height.copy(), tread.material.copy()
    grooves = _groove_mask(outline, c, rng)
    rubber = outline.inside & ~grooves & (material != FOAM)
    if c.kind == "pods":
        rubber &= _pods(outline, rng)
    # Rubber stands proud of the foam: its grooves end on a rubber base above the foam level.
    base = float(rng.uniform(0.2, 0.4)) if c.kind != "sheet" else 0.0
    edge = soft_step(cv2.distanceTransform(rubber.astype(np.uint8), cv2.DIST_L2, 3) - 1.0, 2.0)
    height = np.where(rubber, base + (1 - base) * height, 0.0) * np.maximum(edge, 0.0)
    material[~rubber & outline.inside] = FOAM
    if c.shank:   # a torsion plate across the arch: an elongated or waisted shape in its own plastic
        u, v = outline.u, outline.v
        waist = 1 - rng.uniform(0, 0.5) * np.exp(-((v - 0.52) / 0.05) ** 2)
        plate = superellipse(u, v, rng.uniform(0.4, 0.6), rng.uniform(0.5, 0.55), rng.uniform(0.15, 0.3) * waist,
                         rng.uniform(0.07, 0.12), float(rng.uniform(2, 4))) > 0
        plate &= material == FOAM
        material[plate] = SHANK
        height[plate] = float(rng.uniform(0.05, 0.2))
    if c.two_compounds:
        _, pieces = cv2.connectedComponents(rubber.astype(np.uint8), connectivity=4)   # each piece of rubber
        second = rng.random(int(pieces.max()) + 1) < 0.5
        material[rubber & second[pieces]] = SECOND_RUBBER
    return replace(tread, height=height.astype(np.float32), material=material)
