"""Real photos of new soles with outlines: the toe read from an outline, the training records and views
(no wear, class and pose masked), a training run that uses them, and the split that keeps a real test apart."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

from inference.checkpoint import read_meta
from inference.preprocess import Preprocessor
from training.real_soles import (NEW_SOLES, OutlinedPhoto, outline_records, outline_rotation, read_outlines,
                                 surroundings_view)

SHARED_REASON = f"the real photos of new soles are not here ({NEW_SOLES}); set SOLEWEAR_REAL_SOLES to their folder"


def _sole_outline(rotation_deg: float, centre=(300.0, 240.0), length=220.0) -> np.ndarray:
    """A sole-like outline, toe up then turned clockwise: forefoot 1.35x as wide as the heel."""
    t = np.linspace(0, 2 * np.pi, 80, endpoint=False)
    v = np.cos(t)                                           # -1 heel .. +1 toe along the sole
    half_width = 0.16 + 0.055 * v                           # wider towards the toe
    x, y = half_width * np.sin(t) * length, -v * length / 2   # toe at the top (y down)
    a = math.radians(rotation_deg)
    xr, yr = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
    return np.stack([xr + centre[0], yr + centre[1]], 1)


@pytest.mark.parametrize("rotation", [0, 30, 90, 165, 200, 270, 330])
def test_the_toe_is_read_from_the_wider_end_of_the_outline(rotation):
    found = outline_rotation(_sole_outline(rotation))
    assert found is not None and abs((found - rotation + 180) % 360 - 180) < 8, (found, rotation)


def test_an_outline_without_a_wider_end_gives_no_toe():
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    ellipse = np.stack([300 + 40 * np.cos(t), 240 + 110 * np.sin(t)], 1)
    assert outline_rotation(ellipse) is None


def test_real_sole_free_views_never_show_any_part_of_a_sole(tmp_path):
    """The real tune's sole-free views cut from an outlined photo stay clear of every sole, in any photo size.

    Two red soles on a grainy grey floor, stored at 1600 px (read at 1024): no view holds a red pixel, views differ,
    and a photo that the soles fill leaves no clear view (None, so the caller draws another negative).
    """
    from PIL import Image

    floor = np.random.default_rng(0).integers(90, 150, (1200, 1600, 3)).astype(np.uint8)   # a grey floor with grain
    outlines = (_sole_outline(20, centre=(500.0, 600.0), length=500.0), _sole_outline(200, centre=(1150.0, 500.0), length=500.0))
    for outline in outlines:
        cv2.fillPoly(floor, [outline.astype(np.int32)], (220, 20, 20))
    Image.fromarray(floor).save(tmp_path / "floor.jpg", quality=95)
    photo = OutlinedPhoto(tmp_path / "floor.jpg", outlines)
    views = [surroundings_view([(photo.path, photo.boxes())], seed, (96, 96)) for seed in range(40)]
    found = [v for v in views if v is not None]
    assert len(found) >= 10   # the two boxes cover most of this floor
    assert all(v.shape == (96, 96, 3) and not ((v[..., 0] > 160) & (v[..., 1] < 90)).any() for v in found)
    assert len({v.tobytes() for v in found}) == len(found)
    filled = OutlinedPhoto(tmp_path / "floor.jpg", (np.array([[0.0, 0.0], [1600.0, 0.0], [1600.0, 1200.0], [0.0, 1200.0]]),))
    assert surroundings_view([(filled.path, filled.boxes())], 0, (96, 96)) is None


def _outlined_set(folder, generated) -> None:
    """A YOLO outline set made from generated photos and their sole masks (as the real set is laid out)."""
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    for k, mask in enumerate(sorted((generated / "masks").glob("*.png"))):
        image = generated / "images" / f"{mask.stem}.jpg"
        m = cv2.imread(str(mask), cv2.IMREAD_GRAYSCALE)
        contour = max(cv2.findContours((m > 127).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0],
                      key=cv2.contourArea)[:, 0, :] / (m.shape[1], m.shape[0])
        name = f"img_-_20260112_{'10' if k < 4 else '12'}0000_{k}"   # the last two photos: the held-out hour
        (folder / "images" / f"{name}.jpg").write_bytes(image.read_bytes())
        (folder / "labels" / f"{name}.txt").write_text("0 " + " ".join(f"{v:.5f}" for v in contour.ravel()) + "\n")


@pytest.fixture(scope="module")
def outlined(tmp_path_factory):
    from training.generator.dataset import GenerateOptions, generate_dataset

    root = tmp_path_factory.mktemp("outlined")
    generate_dataset(root / "generated", GenerateOptions(n=6, seed=5, size=(192, 288)), progress=False)
    _outlined_set(root / "new-soles", root / "generated")
    return root / "new-soles"


def test_outlined_photos_become_new_sole_records_and_the_held_out_hour_stays_out(outlined):
    photos = read_outlines(outlined)
    assert len(photos) == 6 and sum(p.held_out for p in photos) == 2
    records = outline_records(outlined)
    assert len(records) == 4 and all(r.label == -1 and r.side is None and not r.pose_known for r in records)
    assert all(r.zones is not None and not any(r.zones) for r in records)     # new: every zone 0, severity 0
    for r in records:
        x0, y0, x1, y1 = r.box
        assert 0 <= x0 < x1 <= 192 and 0 <= y0 < y1 <= 288


def test_a_new_sole_view_teaches_no_wear_and_masks_class_and_pose(outlined, repo):
    from training.config import AugmentCfg
    from training.views import SoleViews

    pre = Preprocessor.from_meta(read_meta(repo / "inference" / "assets" / "default_model.json"))
    records = outline_records(outlined)
    crops = SoleViews(records, pre, AugmentCfg(scene_p=0.0, negative_p=0.0, pose_p=1.0), seed=1)
    for i in range(len(records)):
        item = crops[i]
        assert int(item["label"]) == int(item["side"]) == int(item["orientation"]) == -1
        assert float(item["zones"].abs().max()) == 0.0 and float(item["wear_map"].max()) == 0.0   # known, and zero
    scenes = SoleViews(records, pre, AugmentCfg(scene_p=1.0, negative_p=0.0), seed=1)
    item = scenes[0]
    assert float(item["sole"]) == 1.0 and not item["box"].isnan().any()       # one sole: its box is the target
    assert int(item["side"]) == int(item["orientation"]) == -1
    x0, y0, x1, y1 = records[0].box
    beside = (x1 + 5, y0, x1 + 5 + (x1 - x0), y1)   # a second sole the size of the first, just right of it
    pair = [replace(records[0], others=(beside,))]
    union = SoleViews(pair, pre, AugmentCfg(scene_p=1.0, negative_p=0.0, pose_p=0.0), seed=1)[0]["box"]
    assert float(union[2] - union[0]) > 1.8 * float(item["box"][2] - item["box"][0])   # the pair's box holds both soles
    several = [replace(records[0], others=(beside, beside))]
    assert SoleViews(several, pre, AugmentCfg(scene_p=1.0, negative_p=0.0), seed=1)[0]["box"].isnan().all()


@pytest.mark.slow
def test_training_mixes_real_new_soles_in(outlined, tmp_path):
    from conftest import train_smoke

    best = train_smoke(tmp_path / "run", "optim.epochs=1", "optim.validate_from=1",
                       f"data.sources=[{{kind: synthetic, n: 48, size: [128, 192], seed: 1}}, "
                       f"{{kind: outlines, path: '{outlined}', weight: 0.5}}]")
    assert best.is_file() and read_meta(best)["n_train"] == 48 + 4


def test_a_missing_outline_folder_is_skipped_only_when_not_required(tmp_path):
    from training.config import SourceCfg
    from training.data import DataError, read_source

    assert read_source(SourceCfg(kind="outlines", path=str(tmp_path / "none"), required=False)) == []
    with pytest.raises(DataError, match="no outlined real photos"):
        read_source(SourceCfg(kind="outlines", path=str(tmp_path / "none")))


@pytest.mark.skipif(not (NEW_SOLES / "images").is_dir(), reason=SHARED_REASON)
def test_the_real_set_splits_by_session_and_most_toes_are_read():
    photos = read_outlines(NEW_SOLES)
    sessions = {p.session for p in photos}
    assert {"taban", "10", "11", "12"} <= sessions
    assert {p.session for p in photos if p.held_out} == {"taban", "12"}
    records = outline_records(NEW_SOLES)
    assert {r.path for r in records}.isdisjoint({p.path for p in photos if p.held_out})
    assert sum(r.rotation_deg is not None for r in records) >= 0.9 * len(records)
    assert isinstance(photos[0], OutlinedPhoto) and len(records) == sum(len(p.outlines) for p in photos if not p.held_out)
