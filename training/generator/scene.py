"""The photo around the sole: background, placement, props, light and camera.

Everything a phone photo of a shoe sole varies in, drawn independently of the
wear class: where the sole lies and how it is turned, tilted and cut off,
which side it is, what it lies on, who holds it, how it is lit and how bad the
camera is. Right shoes are the mirror image of the canonical left sole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from inference.taxonomy import load_taxonomy, nearest_quarter
from training.generator.appearance import SoleLook
from training.generator.settings import GeneratorSettings

BACKGROUNDS = ("wood_floor", "table", "paper", "cardboard", "grass", "carpet", "tiles", "concrete", "bedding")


@dataclass(frozen=True)
class PhotoParams:
    side: str                 # left | right
    rotation_deg: float       # clockwise turn of the toe from "up"
    tilt_x_deg: float         # perspective: camera not square to the sole
    tilt_y_deg: float
    fill: float               # longest sole extent / frame extent
    cutoff: bool              # part of the sole pushed out of frame
    background: str
    ruler: bool
    label_card: bool
    hand: bool
    exposure: float
    motion_blur: bool
    focus_sigma: float
    noise_sigma: float
    jpeg_quality: int
    width: int
    height: int
    clutter: bool = False      # objects lying around the sole
    in_hand: bool = False      # the sole held up in a hand: arm behind it, thumb and fingers round its edges, the room blurred

    @property
    def orientation(self) -> int:
        """Index of the nearest of the four 90-degree turns (taxonomy `orientations`)."""
        return nearest_quarter(self.rotation_deg)


def _rotation(settings: GeneratorSettings, rng: np.random.Generator) -> float:
    modes = settings.photo.rotation
    names = list(modes)
    p = np.array([modes[n].p for n in names])
    mode = names[int(rng.choice(len(names), p=p / p.sum()))]
    if mode == "any":
        return float(rng.uniform(0, 360))
    centre = {"toe_up": 0.0, "toe_down": 180.0, "sideways": float(rng.choice([90.0, 270.0]))}[mode]
    return float((centre + rng.uniform(-1, 1) * modes[mode].jitter) % 360)


def sample_photo_params(settings: GeneratorSettings, rng: np.random.Generator, size: tuple[int, int] | None = None,
                        backgrounds: tuple[str, ...] = BACKGROUNDS, **overrides) -> PhotoParams:
    """Draw every photo condition (the surface from `backgrounds`); `overrides` pin some (tests, previews)."""
    ph = settings.photo
    width, height = size or ph.size
    low = rng.random() < ph.low_light
    tilt = ph.max_tilt_deg * np.sqrt(rng.random())  # tilt magnitude; small tilts most common
    tdir = rng.uniform(0, 2 * np.pi)
    params = PhotoParams(
        side="right" if rng.random() < ph.right_shoe else "left",
        rotation_deg=_rotation(settings, rng),
        tilt_x_deg=float(tilt * np.cos(tdir)), tilt_y_deg=float(tilt * np.sin(tdir)),
        fill=float(rng.uniform(*ph.sole_fill)), cutoff=bool(rng.random() < ph.cutoff),
        background=str(rng.choice(backgrounds)),
        ruler=bool(rng.random() < ph.ruler), label_card=bool(rng.random() < ph.label_card),
        hand=bool(rng.random() < ph.hand),
        exposure=float(rng.uniform(0.25, 0.5) if low else rng.choice([rng.uniform(0.8, 1.15), rng.uniform(1.15, 1.45)], p=[0.9, 0.1])),
        motion_blur=bool(rng.random() < ph.motion_blur),
        focus_sigma=float(rng.choice([rng.uniform(0, 0.8), rng.uniform(0.8, 2.2)], p=[0.8, 0.2])),
        noise_sigma=float(rng.uniform(1, 4) + (rng.uniform(3, 8) if low else 0)),
        jpeg_quality=int(rng.integers(ph.jpeg_quality[0], ph.jpeg_quality[1] + 1)),
        width=int(width), height=int(height), clutter=bool(rng.random() < ph.clutter),
    )
    return replace(params, **overrides) if overrides else params


# ---------------------------------------------------------------- backgrounds
def texture(rng: np.random.Generator, h: int, w: int, sigma: float, aniso: float = 1.0) -> np.ndarray:
    n = rng.standard_normal((h, w)).astype(np.float32)
    n = cv2.GaussianBlur(n, (0, 0), sigmaX=sigma, sigmaY=sigma * aniso)
    return n / (n.std() + 1e-6)


def background(kind: str, rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A surface a sole is photographed on, RGB float in [0, 1]."""
    def base(rgb, jitter=15):
        return np.clip(np.array(rgb, np.float32) + rng.normal(0, jitter, 3), 0, 255) / 255

    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "wood_floor":
        vertical = rng.random() < 0.5
        along, across = (yy, xx) if vertical else (xx, yy)
        plank_w = rng.uniform(40, 90)
        plank = np.floor(across / plank_w)
        tone = 1 + 0.12 * np.sin(plank * 12.9898 + rng.uniform(0, 6))
        grain = texture(rng, h, w, 1.0, 12.0) if vertical else texture(rng, h, w, 12.0, 1 / 12)
        img = base((150, 105, 65), 18)[None, None] * (tone + 0.06 * grain)[..., None]
        gaps = (np.abs((across % plank_w)) < 1.5)
        img[gaps] *= 0.55
    elif kind in {"table", "paper", "cardboard", "concrete"}:
        colour = {"table": (rng.integers(40, 230),) * 3, "paper": (238, 236, 228), "cardboard": (190, 150, 100), "concrete": (140, 138, 132)}[kind]
        img = base(colour, 20)[None, None] * np.ones((h, w, 1), np.float32)
        grain = {"table": 0.02, "paper": 0.025, "cardboard": 0.05, "concrete": 0.09}[kind]
        img *= (1 + grain * texture(rng, h, w, 0.8) + grain * texture(rng, h, w, 25))[..., None]
    elif kind == "grass":
        img = base((70, 120, 45), 20)[None, None] * (1 + 0.25 * texture(rng, h, w, 0.7, 5) + 0.15 * texture(rng, h, w, 20))[..., None]
    elif kind == "bedding":   # a duvet or sheet: soft folds, sometimes a printed pattern
        colour = base(tuple(int(c) for c in rng.integers(120, 245, 3)), 10)
        folds = texture(rng, h, w, rng.uniform(15, 40), rng.uniform(0.3, 3))
        img = colour[None, None] * (1 + 0.12 * folds + 0.02 * texture(rng, h, w, 0.7))[..., None]
        if rng.random() < 0.4:
            period = rng.uniform(25, 60)
            dots = (np.hypot((xx % period) - period / 2, (yy % period) - period / 2) < period * 0.15)
            img[dots] *= np.array(rng.uniform(0.4, 0.9, 3), np.float32)
    elif kind == "carpet":
        img = base(tuple(int(c) for c in rng.integers(30, 200, 3)), 10)[None, None] * (1 + 0.18 * texture(rng, h, w, 0.6) + 0.08 * texture(rng, h, w, 10))[..., None]
    else:  # tiles
        t = rng.uniform(60, 140)
        img = base((215, 210, 200), 25)[None, None] * (1 + 0.03 * texture(rng, h, w, 2))[..., None]
        grout = (np.abs(xx % t) < 2) | (np.abs(yy % t) < 2)
        img[grout] *= 0.7
    return np.clip(img, 0, 1)


# ---------------------------------------------------------------- placement
def _project(pts: np.ndarray, params: PhotoParams, scale: float, focal: float) -> np.ndarray:
    """Canonical pixel offsets from the centre -> photo offsets (before translation)."""
    p = pts * scale
    a = np.deg2rad(params.rotation_deg)
    rz = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    p = p @ rz.T
    p3 = np.column_stack([p, np.zeros(len(p))])
    ax, ay = np.deg2rad(params.tilt_x_deg), np.deg2rad(params.tilt_y_deg)
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    p3 = p3 @ (ry @ rx).T
    return focal * p3[:, :2] / (focal + p3[:, 2:3])


def homography(params: PhotoParams, canon_hw: tuple[int, int], sole_box: tuple[float, float, float, float],
               rng: np.random.Generator) -> np.ndarray:
    """Perspective map from the (already mirrored) canonical image into the photo."""
    ch, cw = canon_hw
    centre = np.array([cw / 2, ch / 2])
    corners = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float64)
    x0, y0, x1, y1 = sole_box
    box = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
    focal = 1.3 * max(params.width, params.height)
    # Scale so the sole's longest projected extent fills the requested share of the frame.
    ext = _project(box - centre, params, 1.0, focal)
    span = ext.max(0) - ext.min(0)
    scale = params.fill / max(span[0] / params.width, span[1] / params.height)
    if params.cutoff:
        scale *= rng.uniform(1.05, 1.3)
    ext = _project(box - centre, params, scale, focal)
    lo, hi = ext.min(0), ext.max(0)
    frame = np.array([params.width, params.height], np.float64)
    free_lo, free_hi = -lo, frame - hi  # translation range that keeps the sole inside
    if params.cutoff:
        # Push the sole along its long axis so its toe or heel leaves the frame.
        a = np.deg2rad(params.rotation_deg)
        toe_dir = np.array([np.sin(a), -np.cos(a)]) * rng.choice([-1.0, 1.0])
        t = (free_lo + free_hi) / 2 + toe_dir * (hi - lo) * rng.uniform(0.15, 0.3)
    else:
        t = np.where(free_hi > free_lo, rng.uniform(np.minimum(free_lo, free_hi), np.maximum(free_lo, free_hi)), (free_lo + free_hi) / 2)
    dst = _project(corners - centre, params, scale, focal) + t
    return cv2.getPerspectiveTransform(corners.astype(np.float32), dst.astype(np.float32))


# ---------------------------------------------------------------- pairs
@dataclass(frozen=True)
class PairLayout:
    """Both soles of a pair in one photo: where the second lies against the first (drawn on its own stream).

    Runners lay their two shoes side by side, touching or a little apart, toes
    the same way or heel to toe, rarely quite parallel; the second may cover an
    edge of the first. The layout never sees the class.
    """

    gap: float          # space between the soles, a share of a sole's width (negative: they overlap)
    opposite: bool      # toes pointing opposite ways
    shift: float        # the second sole slid along the first, a share of its length
    skew_deg: float     # the second sole turned against the first (clockwise)
    beside: int         # +1: the second lies right of the first in the first's toe-up frame; -1: left of it
    on_top: bool        # where they overlap, the second lies over the first

    @property
    def turn_deg(self) -> float:
        """How far the second sole's toe is turned (clockwise) from the first's."""
        return self.skew_deg + (180.0 if self.opposite else 0.0)


def sample_pair_layout(share: float, rng: np.random.Generator) -> PairLayout | None:
    """A pair's layout in `share` of photos (settings `photo.pair`), else None (one sole)."""
    if rng.random() >= share:
        return None
    return PairLayout(gap=float(rng.uniform(-0.12, 0.6)), opposite=bool(rng.random() < 0.3),
                      shift=float(rng.uniform(-0.15, 0.15)), skew_deg=float(np.clip(rng.normal(0, 5), -12, 12)),
                      beside=int(rng.choice([-1, 1])), on_top=bool(rng.random() < 0.5))


@dataclass(frozen=True)
class Layer:
    """One sole's pixels (canonical look, mirrored for its side) and where they lie on the photo's canvas."""

    rgb: np.ndarray
    alpha: np.ndarray
    sole: np.ndarray        # float 0/1
    wear: np.ndarray        # wear fraction, padded like the look
    sole_box: np.ndarray    # (4, 2) corners of the sole's box in the layer's own pixels
    to_canvas: np.ndarray   # 3x3 map from the layer's pixels to the canvas


def layer(look: SoleLook, wear_fraction: np.ndarray, side: str) -> Layer:
    """A sole as it lies in the photo: a right sole seen from below mirrors the canonical left one."""
    rgb, alpha, sole = look.rgb, look.alpha, look.sole.astype(np.float32)
    wmap = np.pad(wear_fraction, look.pad)   # the look is padded to hold the sidewall
    if side == "right":
        rgb, alpha, sole, wmap = rgb[:, ::-1], alpha[:, ::-1], sole[:, ::-1], wmap[:, ::-1]
    ys, xs = np.nonzero(sole > 0.5)
    box = np.array([[xs.min(), ys.min()], [xs.max() + 1, ys.min()], [xs.max() + 1, ys.max() + 1], [xs.min(), ys.max() + 1]], np.float64)
    return Layer(rgb, alpha, sole, wmap, box, np.eye(3))


def _sole_corners(lay: Layer) -> np.ndarray:
    """The layer's sole box corners on the canvas."""
    return cv2.perspectiveTransform(lay.sole_box[None], lay.to_canvas)[0]


def _moved(lay: Layer, m: np.ndarray) -> Layer:
    return replace(lay, to_canvas=m @ lay.to_canvas)


def place_pair(first: Layer, second: Layer, layout: PairLayout) -> list[Layer]:
    """The second sole turned and laid beside the first."""
    corners = _sole_corners(second)
    centre = corners.mean(0)
    second = _moved(second, np.vstack([cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), -layout.turn_deg, 1.0), [0, 0, 1]]))
    a, b = _sole_corners(first), _sole_corners(second)
    width, length = np.ptp(a[:, 0]), np.ptp(a[:, 1])
    gap = layout.gap * width
    dx = (a[:, 0].max() + gap - b[:, 0].min()) if layout.beside > 0 else (a[:, 0].min() - gap - b[:, 0].max())
    dy = a[:, 1].mean() - b[:, 1].mean() + layout.shift * length
    second = _moved(second, np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], np.float64))
    return [first, second]


def canvas(layers: list[Layer]) -> tuple[list[Layer], tuple[int, int], tuple[float, float, float, float]]:
    """The layers on a canvas that holds them all: (layers, canvas (h, w), box of every sole on it)."""
    def corners(lay: Layer) -> np.ndarray:
        h, w = lay.rgb.shape[:2]
        return cv2.perspectiveTransform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float64), lay.to_canvas)[0]

    images = np.concatenate([corners(lay) for lay in layers])
    lo = images.min(0)
    layers = [_moved(lay, np.array([[1, 0, -lo[0]], [0, 1, -lo[1]], [0, 0, 1]], np.float64)) for lay in layers]
    soles = np.concatenate([_sole_corners(lay) for lay in layers])
    hw = (int(np.ceil(images[:, 1].max() - lo[1])), int(np.ceil(images[:, 0].max() - lo[0])))
    return layers, hw, (float(soles[:, 0].min()), float(soles[:, 1].min()), float(soles[:, 0].max()), float(soles[:, 1].max()))


# ---------------------------------------------------------------- props
def draw_ruler(img: np.ndarray, rng: np.random.Generator) -> None:
    h, w = img.shape[:2]
    unit = min(h, w) / 384
    thick = max(4, int(rng.integers(18, 30) * unit))
    colour = np.array(rng.choice([[0.95, 0.95, 0.93], [0.1, 0.1, 0.1], [0.9, 0.8, 0.2]]), np.float32)
    ink = 1.0 - colour.round()
    vertical = rng.random() < 0.6
    pos = max(0, int(rng.choice([rng.integers(2, 40) * unit, (w if vertical else h) - thick - rng.integers(2, 40) * unit])))
    length = h if vertical else w
    strip = np.empty((length, thick, 3), np.float32)
    strip[:] = colour
    step = max(2, int(rng.integers(6, 12) * unit))
    for k in range(0, length, step):
        strip[k:k + 1, : thick // (2 if k % (5 * step) else 1)] = ink
    if vertical:
        img[:, pos:pos + thick] = strip[: h, : min(thick, w - pos)]
    else:
        img[pos:pos + thick, :] = strip.transpose(1, 0, 2)[: min(thick, h - pos), :w]


def draw_card(img: np.ndarray, rng: np.random.Generator) -> None:
    h, w = img.shape[:2]
    unit = min(h, w) / 384  # props scale with the frame
    cw, ch = max(8, int(rng.integers(80, 130) * unit)), max(8, int(rng.integers(60, 110) * unit))
    x0 = max(0, int(rng.choice([rng.integers(0, 20) * unit, w - cw - rng.integers(0, 20) * unit])))
    y0 = int(rng.integers(0, max(1, h - ch)))
    card = np.full((ch, cw, 3), int(rng.integers(215, 250)), np.uint8)
    for row in range(12, ch - 5, 16):
        text = "".join(rng.choice(list("0123456789ABCDEFID:/"), size=int(rng.integers(3, 8))))
        cv2.putText(card, text, (6, row), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (25, 25, 65), 1, cv2.LINE_AA)
    img[y0:y0 + ch, x0:x0 + cw] = card[: h - y0, : w - x0].astype(np.float32) / 255


def paint(img: np.ndarray, cover: np.ndarray, colour: np.ndarray, shade: np.ndarray | None = None) -> None:
    """Lay `colour` (times `shade`) over `img` where `cover` (0..1, the frame's shape) says, in place."""
    shade = np.ones(cover.shape, np.float32) if shade is None else shade
    img[:] = img * (1 - cover[..., None]) + (colour * shade[..., None]) * cover[..., None]


def draw_clutter(img: np.ndarray, around: tuple[float, float, float, float], rng: np.random.Generator) -> None:
    """Objects lying about the sole, under its edges: the plates, clamps and brackets of a capture rig, a tool.

    Real photos of soles come with such things (the new-sole photos lie in red
    and black jigs); a finder that never saw them boxes them with the sole.
    """
    h, w = img.shape[:2]
    x0, y0, x1, y1 = around
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) / 2
    grain = 1 + 0.05 * texture(rng, h, w, 2)   # one surface grain for every object
    for _ in range(int(rng.integers(1, 5))):
        colour = tuple(float(c) for c in np.clip(np.array(rng.choice(
            [[0.8, 0.12, 0.1], [0.08, 0.08, 0.09], [0.3, 0.3, 0.32], [0.15, 0.3, 0.7], [0.85, 0.85, 0.82]])) + rng.normal(0, 0.04, 3), 0, 1))
        angle = rng.uniform(0, 2 * np.pi)
        px, py = cx + np.cos(angle) * half * rng.uniform(0.7, 1.4), cy + np.sin(angle) * half * rng.uniform(0.7, 1.4)
        size = half * rng.uniform(0.4, 1.1)
        corners = cv2.boxPoints(((float(px), float(py)), (float(size), float(size * rng.uniform(0.3, 1.0))), float(rng.uniform(0, 180))))
        shape = np.zeros((h, w), np.uint8)
        cv2.fillPoly(shape, [corners.astype(np.int32)], 255)
        if rng.random() < 0.5:   # a bracket: a notch cut out of the plate, or a bolt hole
            cv2.circle(shape, (int(px), int(py)), max(2, int(size * rng.uniform(0.1, 0.3))), 0, -1)
        paint(img, cv2.GaussianBlur(shape.astype(np.float32) / 255, (0, 0), 0.8), np.array(colour, np.float32), grain)


SKIN = ((224, 172, 140), (198, 134, 100), (141, 85, 60), (240, 200, 170))
SLEEVES = ((40, 40, 45), (30, 50, 110), (150, 30, 40), (200, 200, 195))


@dataclass(frozen=True)
class Grip:
    """Where a hand takes hold of a sole: a point on its edge, the way into the sole from there, the skin.

    `length` is the sole's length in the photo: a hand is drawn to its scale
    (a finger about a fifteenth of a shoe long), whatever the frame.
    """

    point: np.ndarray
    inward: np.ndarray
    skin: np.ndarray
    length: float


def _edge(sole_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edge = cv2.morphologyEx(sole_mask.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    return np.nonzero(edge)


def grip_on(sole_mask: np.ndarray, rng: np.random.Generator, midfoot: bool = False) -> Grip | None:
    """A hand's hold on a random point of the sole's edge (`midfoot`: on its long sides, where a hand holds a
    shoe up); None without a sole in the frame."""
    ey, ex = _edge(sole_mask)
    if len(ey) == 0:
        return None
    ys, xs = np.nonzero(sole_mask)
    candidates = np.arange(len(ey))
    axis = np.linalg.eigh(np.cov(np.column_stack([xs, ys]).T))[1][:, -1] if len(xs) > 2 else np.array([0.0, 1.0])
    along = np.column_stack([ex - xs.mean(), ey - ys.mean()]) @ axis
    if midfoot:   # within a fifth of the sole's length of its middle, along its long axis
        middle = np.abs(along) < 0.2 * np.ptp(along)
        candidates = candidates[middle] if middle.any() else candidates
    k = int(candidates[int(rng.integers(len(candidates)))])
    point = np.array([float(ex[k]), float(ey[k])])
    inward = np.array([xs.mean(), ys.mean()]) - point
    skin = np.clip(np.array(SKIN[int(rng.integers(len(SKIN)))], np.float32) + rng.normal(0, 10, 3), 0, 255) / 255
    return Grip(point, inward / (np.linalg.norm(inward) + 1e-6), skin.astype(np.float32), max(float(np.ptp(along)), 8.0))


def draw_arm(img: np.ndarray, grip: Grip, rng: np.random.Generator) -> None:
    """The palm and forearm of a hand holding the sole up, behind it and out of the frame (drawn before the sole).

    The palm lies behind the gripped edge; the forearm leaves from it, bare or
    in a sleeve, shaded across its width like a cylinder.
    """
    h, w = img.shape[:2]
    a = np.arctan2(-grip.inward[1], -grip.inward[0]) + rng.uniform(-0.7, 0.7)
    out = np.array([np.cos(a), np.sin(a)])
    width = max(4, int(rng.uniform(0.17, 0.25) * grip.length))
    palm = grip.point + out * width * 0.3
    arm = np.zeros((h, w), np.uint8)
    cv2.line(arm, tuple(int(v) for v in palm), tuple(int(v) for v in palm + out * 2 * max(h, w)), 255, width)
    sleeve = rng.random() < 0.5
    colour = np.asarray(SLEEVES[int(rng.integers(len(SLEEVES)))], np.float32) / 255 if sleeve else grip.skin
    across = cv2.GaussianBlur(cv2.distanceTransform(arm, cv2.DIST_L2, 3), (0, 0), 2)
    paint(img, cv2.GaussianBlur(arm.astype(np.float32) / 255, (0, 0), 2), colour, (0.7 + 0.3 * np.clip(across / (width / 2), 0, 1)).astype(np.float32))
    hand = np.zeros((h, w), np.uint8)
    cv2.ellipse(hand, tuple(int(v) for v in palm), (int(width * 0.75), int(width * 0.55)), float(np.degrees(a)), 0, 360, 255, -1)
    paint(img, cv2.GaussianBlur(hand.astype(np.float32) / 255, (0, 0), 2), grip.skin, 1 + 0.08 * texture(rng, h, w, 4))


def draw_hand(img: np.ndarray, sole_mask: np.ndarray, rng: np.random.Generator, grip: Grip | None = None) -> np.ndarray:
    """Fingers wrapped over one edge of the sole; returns the occlusion mask.

    With a `grip` (a sole held up) the fingers take hold where it says and the
    thumb comes over the far edge; else they lie over a random edge point.
    """
    occl = np.zeros(sole_mask.shape, np.uint8)
    held = grip is not None
    grip = grip or grip_on(sole_mask, rng)
    if grip is None:
        return occl > 0
    (px, py), inward = grip.point, grip.inward
    along = np.array([-inward[1], inward[0]])
    unit = grip.length / 300   # the hand scales with the sole (a sole ~300 px long took fingers 7-10 px wide)
    finger_w = rng.uniform(7, 10) * unit
    # (base on the edge, way into the sole, half width, how far the root shows outside the sole)
    fingers = [(np.array([px, py]) + along * (i - 1.5) * finger_w * 2.1, inward, finger_w, (40, 90)) for i in range(int(rng.integers(2, 5)))]
    ey, ex = _edge(sole_mask)
    if held and len(ey):   # the thumb over the edge across the sole from the fingers; its root is behind the sole
        q = int(np.argmax((ex - px) * inward[0] + (ey - py) * inward[1]))
        fingers.append((np.array([float(ex[q]), float(ey[q])]), -inward, finger_w * 1.3, (6, 14)))
    for base, towards, fw, root in fingers:
        tip = base + towards * rng.uniform(12, 28) * unit
        tail = base - towards * rng.uniform(*root) * unit
        cv2.line(occl, tuple(int(v) for v in tail), tuple(int(v) for v in tip), 255, max(2, int(fw * 2)))
        cv2.circle(occl, tuple(int(v) for v in tip), max(1, int(fw)), 255, -1)
    paint(img, cv2.GaussianBlur(occl.astype(np.float32) / 255, (0, 0), 1.5), grip.skin, 1 + 0.1 * texture(rng, *occl.shape, 4))
    return occl > 0


# ---------------------------------------------------------------- light and camera
def lighting(img: np.ndarray, params: PhotoParams, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xn, yn = xx / w - 0.5, yy / h - 0.5
    a = rng.uniform(0, 2 * np.pi)
    illum = 1 + rng.uniform(0, 0.45) * (np.cos(a) * xn + np.sin(a) * yn)  # window light
    if rng.random() < 0.3:  # flash: hot centre, dark corners
        fx, fy = rng.normal(0, 0.1, 2)
        illum *= 0.75 + 0.55 * np.exp(-((xn - fx) ** 2 + (yn - fy) ** 2) / 0.08)
    if rng.random() < 0.25:  # a hard shadow across the scene
        b = rng.uniform(0, 2 * np.pi)
        edge = np.cos(b) * xn + np.sin(b) * yn - rng.uniform(-0.3, 0.3)
        illum *= 1 - rng.uniform(0.3, 0.6) * np.clip(edge * rng.uniform(20, 80), 0, 1)
    cast = rng.normal(1.0, 0.06, 3)
    if rng.random() < 0.25:
        cast *= np.array(rng.choice([[1.18, 1.0, 0.72], [0.85, 1.0, 1.2], [0.92, 1.1, 0.9], [1.1, 0.9, 1.05]]))
    return img * (illum[..., None] * params.exposure) * cast.astype(np.float32)


def camera(img: np.ndarray, params: PhotoParams, rng: np.random.Generator) -> np.ndarray:
    if params.focus_sigma > 0.05:
        img = cv2.GaussianBlur(img, (0, 0), params.focus_sigma)
    if params.motion_blur:
        length = int(rng.integers(5, 16))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2] = 1.0
        rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (length, length))
        img = cv2.filter2D(img, -1, kernel / kernel.sum())
    # Shot noise (variance grows with the light) plus read noise, as one Gaussian draw of their summed variance:
    # the same distribution as two draws at a third of the cost (a tenth of a photo's rendering time).
    sigma = params.noise_sigma / 255
    spread = np.sqrt(sigma * sigma * np.clip(img, 0, 1) + (sigma / 2) ** 2)
    return img + spread * rng.standard_normal(img.shape, dtype=np.float32)


@dataclass(frozen=True)
class SoleInPhoto:
    """Where one sole lies in the photo, and its wear there."""

    wear: np.ndarray     # (H, W) float32 wear fraction in the photo frame (0 off the sole)
    mask: np.ndarray     # (H, W) bool visible sole
    visible_fraction: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the visible sole (pixels)


@dataclass(frozen=True)
class Photo:
    jpeg: bytes
    image: np.ndarray    # (H, W, 3) uint8 RGB, decoded from `jpeg`
    soles: tuple[SoleInPhoto, ...]   # the photographed shoe's sole first, then its partner in a pair photo

    @property
    def wear(self) -> np.ndarray:
        return self.soles[0].wear

    @property
    def mask(self) -> np.ndarray:
        return self.soles[0].mask

    @property
    def visible_fraction(self) -> float:
        return self.soles[0].visible_fraction

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.soles[0].box

    @property
    def partner(self) -> SoleInPhoto | None:
        """The other sole of a pair photographed together."""
        return self.soles[1] if len(self.soles) > 1 else None


def _sole_in_photo(lay: Layer, to_photo: np.ndarray, mask: np.ndarray, wear: np.ndarray) -> SoleInPhoto:
    """A sole's visible share (in the frame, not covered by a hand or the other sole) and box."""
    contours, _ = cv2.findContours(np.ascontiguousarray(lay.sole, dtype=np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(contours, key=cv2.contourArea).astype(np.float32)
    projected_area = cv2.contourArea(cv2.perspectiveTransform(outline, to_photo))
    visible = float(min(1.0, mask.sum() / max(projected_area, 1.0)))
    ys, xs = np.nonzero(mask)
    h, w = mask.shape
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1) if len(xs) else (0, 0, w, h)
    return SoleInPhoto(wear.astype(np.float32), mask, visible, box)


def _behind(img: np.ndarray, cover: np.ndarray, params: PhotoParams, rng: np.random.Generator) -> tuple[np.ndarray, Grip | None]:
    """What lies under the soles (`cover`: their coverage), before they are laid on; the hand's grip if one holds them.

    On a surface: clutter around them and their shadow. Held up: the room
    behind out of focus, no shadow on it, the arm coming from behind the sole.
    """
    h, w = img.shape[:2]
    if params.in_hand:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(3, 10))
        grip = grip_on(cover > 0.5, rng, midfoot=True)
        if grip is not None:
            draw_arm(img, grip, rng)
        return img, grip
    if params.clutter:
        ys, xs = np.nonzero(cover > 0.5)
        draw_clutter(img, (xs.min(), ys.min(), xs.max(), ys.max()) if len(xs) else (0, 0, w, h), rng)
    shadow = cv2.GaussianBlur(cover, (0, 0), rng.uniform(4, 12))
    shift = rng.integers(-8, 9, 2)
    shadow = np.roll(shadow, (int(shift[1]), int(shift[0])), axis=(0, 1))
    img *= (1 - rng.uniform(0.25, 0.55) * shadow)[..., None]
    return img, None


def compose(look: SoleLook, wear_fraction: np.ndarray, params: PhotoParams, rng: np.random.Generator,
            partner: tuple[SoleLook, np.ndarray, PairLayout] | None = None) -> Photo:
    """Place the sole (and, for a pair, its partner: look, wear, layout) in a scene and take the photo."""
    h, w = params.height, params.width
    layers = [layer(look, wear_fraction, params.side)]
    if partner is not None:
        layers = place_pair(layers[0], layer(partner[0], partner[1], load_taxonomy().other_side(params.side)), partner[2])
    layers, canvas_hw, box = canvas(layers)
    hom = homography(params, canvas_hw, box, rng)
    maps = [hom @ lay.to_canvas for lay in layers]

    def warp(a: np.ndarray, k: int, interp: int = cv2.INTER_LINEAR) -> np.ndarray:
        return cv2.warpPerspective(np.ascontiguousarray(a), maps[k], (w, h), flags=interp, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    img = background(params.background, rng, h, w)
    if params.ruler:
        draw_ruler(img, rng)
    if params.label_card:
        draw_card(img, rng)
    alphas = [warp(lay.alpha, k) for k, lay in enumerate(layers)]
    img, grip = _behind(img, alphas[0] if len(alphas) == 1 else 1 - (1 - alphas[0]) * (1 - alphas[1]), params, rng)
    stack = [0] if partner is None else [0, 1] if partner[2].on_top else [1, 0]   # bottom first
    for k in stack:
        img = img * (1 - alphas[k][..., None]) + warp(np.ascontiguousarray(layers[k].rgb * layers[k].alpha[..., None]), k)
    masks = [warp(lay.sole, k) > 0.5 for k, lay in enumerate(layers)]
    for below, above in zip(stack, stack[1:]):
        masks[below] &= ~(alphas[above] > 0.5)
    wears = [warp(np.ascontiguousarray(lay.wear, dtype=np.float32), k) * m for k, (lay, m) in enumerate(zip(layers, masks))]
    if params.hand or params.in_hand:
        occluded = draw_hand(img, np.logical_or.reduce(masks), rng, grip)
        for m, wear in zip(masks, wears):
            m &= ~occluded
            wear[occluded] = 0
    img = camera(lighting(img, params, rng), params, rng)
    u8 = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(u8, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, params.jpeg_quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    soles = tuple(_sole_in_photo(lay, m_, mask, wear) for lay, m_, mask, wear in zip(layers, maps, masks, wears))
    return Photo(buf.tobytes(), decoded, soles)
