"""One synthetic sample, end to end: shoe -> runner -> wear -> sole -> photo.

A sample is fully determined by its `SampleSpec`: the shoe seed fixes the shoe
and the runner (so several photos can show the same worn shoe), the photo seed
fixes the scene. That is what makes every manifest row re-renderable alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from inference.taxonomy import load_taxonomy
from training.generator.appearance import SoleLook, WornLook, render_sole, sample_worn_look
from training.generator.construction import Construction, build_outsole, sample_construction
from training.generator.gait import Gait, sample_gait
from training.generator.outline import Outline, sample_outline
from training.generator.scene import PairLayout, Photo, PhotoParams, compose, sample_pair_layout, sample_photo_params
from training.generator.settings import GeneratorSettings, load_settings
from training.generator.style import style_values
from training.generator.tread import Tread, sample_tread
from training.generator.wear import Wear, simulate_wear


@dataclass(frozen=True)
class SampleSpec:
    label: str
    shoe_seed: int
    photo_seed: int
    size: tuple[int, int] | None = None       # (width, height); None = config default
    allow_mix: bool = True                    # may a second tendency be blended in?
    tread_family: str | None = None
    photo: dict = field(default_factory=dict)  # PhotoParams overrides
    wear_scale: float = 1.0                   # multiplies mileage (previews, tests)
    worn_look: str | None = None              # force a worn look (dusty | grimy | bare); None: drawn per shoe
    style: str | None = None                  # leave-style-out: "seen" | "held_out" appearance values; None: all
    pair: bool | None = None                  # both shoes of the pair in the photo; None: drawn (`photo.pair`)


@dataclass(frozen=True)
class Sample:
    spec: SampleSpec
    outline: Outline
    tread: Tread
    construction: Construction
    gait: Gait
    wear: Wear          # canonical-frame wear (ground truth)
    look: SoleLook
    params: PhotoParams
    photo: Photo
    pair: PairLayout | None = None   # where the partner lies, when the pair is photographed together
    partner: Shoe | None = None    # the other shoe of the pair (same model and mileage, the runner's other foot)

    @property
    def zone_scores(self) -> dict[str, float]:
        return {z: round(float(s), 4) for z, s in zip(load_taxonomy().zone_ids, self.wear.zones)}

    def build_row(self) -> dict[str, object]:
        """How the shoe is built, lit and seen (manifest columns the shortcut test checks against the class)."""
        drawn, c = self.look.drawn, self.construction
        return {"construction": c.kind, "flex_grooves": c.flex_grooves, "two_compounds": int(c.two_compounds), "shank": int(c.shank),
                "second_rubber": drawn.second_rubber, "foam_colour": drawn.foam, "upper_colour": drawn.upper,
                "light_azimuth_deg": round(float(np.rad2deg(drawn.light.azimuth)), 1),
                "light_elevation_deg": round(drawn.light.elevation_deg, 1), "light_ambient": round(drawn.light.ambient, 3),
                "gloss": round(drawn.light.gloss, 3), "sidewall_px": round(drawn.sidewall.reach_px, 2),
                "worn_tone": round(self.look.worn.tone, 3)}

    def pair_row(self) -> dict[str, object]:
        """The pair layout and where the partner lies (`pair` 0 and nothing else for a photo of one sole)."""
        if self.pair is None or self.partner is None:
            return {"pair": 0}
        p, seen = self.pair, self.photo.partner
        row: dict[str, object] = {
            "pair": 1, "pair_gap": round(p.gap, 3), "pair_opposite": int(p.opposite), "pair_shift": round(p.shift, 3),
            "pair_skew_deg": round(p.skew_deg, 2), "pair_beside": p.beside, "pair_on_top": int(p.on_top),
            "partner_side": load_taxonomy().other_side(self.params.side),
            "partner_rotation_deg": round((self.params.rotation_deg + p.turn_deg) % 360, 2),
            "partner_severity": round(self.partner.wear.severity, 4), "partner_visible_fraction": round(seen.visible_fraction, 3)}
        row.update(zip(PARTNER_BOX_COLUMNS, seen.box))
        return row

    def manifest_row(self) -> dict[str, object]:
        """The sample's manifest columns (without file paths)."""
        taxonomy = load_taxonomy()
        p = self.params
        row: dict[str, object] = {"label": self.spec.label, "side": p.side}
        row.update(self.zone_scores)
        row.update(
            severity=round(self.wear.severity, 4), seed=self.spec.photo_seed, shoe_seed=self.spec.shoe_seed,
            orientation=taxonomy.orientations[p.orientation], rotation_deg=round(p.rotation_deg, 2),
            tilt_x_deg=round(p.tilt_x_deg, 2), tilt_y_deg=round(p.tilt_y_deg, 2),
            visible_fraction=round(self.photo.visible_fraction, 3), cutoff=int(p.cutoff),
            tread_family=self.tread.family, outline=self.outline.shape, rubber=self.look.rubber_colour, worn_look=self.look.worn_look,
            background=p.background, hand=int(p.hand), in_hand=int(p.in_hand), clutter=int(p.clutter), ruler=int(p.ruler), label_card=int(p.label_card),
            exposure=round(p.exposure, 3), jpeg_quality=p.jpeg_quality,
            tread_depth_mm=round(self.tread.depth_mm, 2), **self.build_row(),
        )
        row.update(zip(BOX_COLUMNS, self.photo.box))
        row.update(self.gait.as_row())
        row.update(self.pair_row())
        if self.spec.style is not None:   # only then: the default set's manifest stays as it was
            row["style"] = self.spec.style
        return row


BOX_COLUMNS = ("box_x0", "box_y0", "box_x1", "box_y1")            # the sole's box in the photo (pixels)
PARTNER_BOX_COLUMNS = tuple(f"partner_{c}" for c in BOX_COLUMNS)   # the other shoe's, in a photo of the pair


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), stream]))


@dataclass(frozen=True)
class Shoe:
    """A simulated worn shoe before it is photographed (the physics, no pixels of a scene)."""

    outline: Outline
    tread: Tread           # laid onto the construction
    construction: Construction
    gait: Gait
    wear: Wear


def simulate_shoe(spec: SampleSpec, settings: GeneratorSettings | None = None) -> Shoe:
    """Shoe, runner and wear from the spec's shoe seed alone."""
    settings = settings or load_settings()
    if spec.label not in settings.gait:
        raise ValueError(f"unknown wear class {spec.label!r}; known: {sorted(settings.gait)}")
    rng = _rng(spec.shoe_seed, 0)
    outline = sample_outline(rng)
    values = style_values(settings, spec.style)
    tread = sample_tread(outline, rng, spec.tread_family, values.tread_families)
    build_rng = _rng(spec.shoe_seed, 4)   # its own stream: how the shoe is built never sees the class
    construction = sample_construction(build_rng, values.constructions)
    tread = build_outsole(tread, outline, construction, build_rng)
    gait = sample_gait(spec.label, settings, rng, allow_mix=spec.allow_mix)
    if spec.wear_scale != 1.0:
        gait = replace(gait, mileage_km=gait.mileage_km * spec.wear_scale)
    wear = simulate_wear(outline, tread, gait, settings.runner.abrasion_mm, rng)
    return Shoe(outline, tread, construction, gait, wear)


def simulate_partner(spec: SampleSpec, shoe: Shoe, settings: GeneratorSettings) -> Shoe:
    """The pair's other shoe: the same model at the same mileage, worn by the same kind of gait on the other foot.

    Its own stream draws the runner's other foot, so the two soles of a pair
    are alike but never copies (runners are rarely symmetric).
    """
    rng = _rng(spec.shoe_seed, 6)
    gait = replace(sample_gait(spec.label, settings, rng, allow_mix=spec.allow_mix), mileage_km=shoe.gait.mileage_km)
    return replace(shoe, gait=gait, wear=simulate_wear(shoe.outline, shoe.tread, gait, settings.runner.abrasion_mm, rng))


def pair_layout(spec: SampleSpec, settings: GeneratorSettings) -> PairLayout | None:
    """Whether the photo shows the pair, and how it lies: the photo seed's own stream (never the class)."""
    share = settings.photo.pair if spec.pair is None else float(spec.pair)
    return sample_pair_layout(share, _rng(spec.photo_seed, 5))


def in_hand(spec: SampleSpec, settings: GeneratorSettings, pair: PairLayout | None) -> bool:
    """Whether one sole is held up in a hand (`photo.in_hand`; never a pair): the photo seed's own stream."""
    return pair is None and bool(_rng(spec.photo_seed, 7).random() < settings.photo.in_hand)


def worn_look(spec: SampleSpec, settings: GeneratorSettings | None = None) -> WornLook:
    """The shoe's worn look: drawn from its shoe seed's own stream (never from the class), unless the spec forces one."""
    settings = settings or load_settings()
    looks = style_values(settings, spec.style).worn_looks if spec.worn_look is None else {spec.worn_look: 1.0}
    return sample_worn_look(settings.outsole, _rng(spec.shoe_seed, 3), looks)


def render_sample(spec: SampleSpec, settings: GeneratorSettings | None = None) -> Sample:
    """Render one sample in memory (the API on-the-fly training uses)."""
    settings = settings or load_settings()
    shoe = simulate_shoe(spec, settings)
    worn = worn_look(spec, settings)
    values = style_values(settings, spec.style)

    def look_of(s: Shoe) -> SoleLook:   # one colour and light stream: both shoes of a pair look alike
        return render_sole(s.outline, s.tread, s.wear, s.gait.dirt, settings.outsole, worn, _rng(spec.shoe_seed, 2),
                           values.rubbers, values.light_elevation_deg)

    look = look_of(shoe)
    scene = _rng(spec.photo_seed, 1)
    layout = pair_layout(spec, settings)
    params = sample_photo_params(settings, scene, spec.size, values.backgrounds,
                                 **({"in_hand": in_hand(spec, settings, layout)} | spec.photo))
    partner = None if layout is None else simulate_partner(spec, shoe, settings)
    photo = compose(look, shoe.wear.fraction, params, scene,
                    None if partner is None else (look_of(partner), partner.wear.fraction, layout))
    return Sample(spec, shoe.outline, shoe.tread, shoe.construction, shoe.gait, shoe.wear, look, params, photo, layout, partner)
