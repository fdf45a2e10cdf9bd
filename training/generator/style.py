"""Leave-style-out: which appearance values a generated sole may be drawn from.

A model trained on our generator can learn our renderer instead of wear. The
yardstick against that trains a recipe on soles drawn from some values of each
appearance factor (tread family, construction, rubber colours, background, worn look, light)
and tests it on soles drawn only from the others: a recipe that reads wear and
not style keeps its figure there. The held-out values are listed in
`configs/generator.yaml` (`held_out_style`); "seen" is every other value. No
style (None) draws from every value, exactly as before the split existed: each
factor still takes one draw from its own stream, so the default data set's
seeds give the same photos.
"""

from __future__ import annotations

from dataclasses import dataclass

from training.generator.appearance import RUBBER
from training.generator.construction import CONSTRUCTIONS
from training.generator.relief import LIGHT_ELEVATION_DEG
from training.generator.scene import BACKGROUNDS
from training.generator.settings import WORN_LOOKS, GeneratorSettings
from training.generator.tread import FAMILIES

STYLES = ("seen", "held_out")


@dataclass(frozen=True)
class StyleValues:
    """The values each appearance factor may take for one style."""

    tread_families: tuple[str, ...]
    constructions: tuple[str, ...]
    rubbers: tuple[str, ...]
    backgrounds: tuple[str, ...]
    worn_looks: dict[str, float]          # look -> draw weight
    light_elevation_deg: tuple[float, float]


def style_values(settings: GeneratorSettings, style: str | None) -> StyleValues:
    """Every value (None), the held-out ones, or the seen ones (all but the held-out)."""
    looks = settings.outsole.worn_look
    every = StyleValues(FAMILIES, CONSTRUCTIONS, tuple(RUBBER), BACKGROUNDS, dict(looks), LIGHT_ELEVATION_DEG)
    if style is None:
        return every
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; known: {', '.join(STYLES)}")
    held = settings.held_out_style
    for factor, values, known in (("tread_family", held.tread_family, FAMILIES),
                                  ("construction", held.construction, CONSTRUCTIONS), ("rubber", held.rubber, tuple(RUBBER)),
                                  ("background", held.background, BACKGROUNDS),
                                  ("worn_look", held.worn_look, tuple(WORN_LOOKS))):
        if set(values) - set(known) or not set(known) - set(values):
            raise ValueError(f"held_out_style.{factor}: {sorted(values)} must be some, not all, of {list(known)}")
    low, high = held.light_elevation_deg
    if style == "held_out":
        return StyleValues(tuple(held.tread_family), tuple(held.construction), tuple(held.rubber), tuple(held.background),
                           {look: 1.0 for look in held.worn_look}, (low, high))
    seen_looks = {look: w for look, w in looks.items() if look not in held.worn_look and w > 0} or {
        look: 1.0 for look in WORN_LOOKS if look not in held.worn_look}
    return StyleValues(tuple(f for f in FAMILIES if f not in held.tread_family),
                       tuple(c for c in CONSTRUCTIONS if c not in held.construction),
                       tuple(r for r in RUBBER if r not in held.rubber),
                       tuple(b for b in BACKGROUNDS if b not in held.background), seen_looks,
                       (high, LIGHT_ELEVATION_DEG[1]))
