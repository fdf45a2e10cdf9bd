"""Zone geometry in the canonical frame, shared by the generator and the explanations.

A sole pixel with canonical coordinates (u, v) belongs to exactly one of the
taxonomy's zones: `v` bands along the sole and, where a zone has a side, the
local mid-line `u = 0.5` between the medial and lateral edge.
"""

from __future__ import annotations

import numpy as np

from inference.taxonomy import Taxonomy, load_taxonomy

OUTSIDE = -1


def zone_index_map(u: np.ndarray, v: np.ndarray, inside: np.ndarray, taxonomy: Taxonomy | None = None) -> np.ndarray:
    """Per-pixel zone index (taxonomy order), OUTSIDE where `inside` is false."""
    taxonomy = taxonomy or load_taxonomy()
    out = np.full(u.shape, OUTSIDE, dtype=np.int8)
    medial = u < 0.5
    for index, zone in enumerate(taxonomy.zones):
        lo, hi = zone.v
        band = (v >= lo) & ((v < hi) | ((hi >= 1.0) & (v <= 1.0)))
        if zone.side == "medial":
            band &= medial
        elif zone.side == "lateral":
            band &= ~medial
        out[band & inside] = index
    return out


def zone_means(values: np.ndarray, zone_map: np.ndarray, n_zones: int) -> np.ndarray:
    """Mean of `values` over each zone's pixels (0 for a zone with no pixels)."""
    flat = zone_map.ravel()
    keep = flat >= 0
    sums = np.bincount(flat[keep], weights=values.ravel()[keep].astype(np.float64), minlength=n_zones)
    counts = np.bincount(flat[keep], minlength=n_zones)
    return np.divide(sums, counts, out=np.zeros(n_zones), where=counts > 0)
