"""Pieces of the training pipeline: config overrides, preprocessing parity, relabelling, sampling, data checks, weights."""

from __future__ import annotations

import csv
import shutil

import cv2
import numpy as np
import pytest
import torch

from inference.config import ConfigError
from inference.decode import load_rgb
from inference.model import BACKBONES
from inference.preprocess import (
    Preprocessor,
    apply_pose,
    canonicalise,
    compose_pose,
    image_box_to_scene,
    pose_box,
    scene_box_to_image,
)
from inference.taxonomy import load_taxonomy
from training.augment import Targets, pose_view
from training.checks import check
from training.config import load_config
from training.data import DataError, epoch_indices, read_manifest, sampling_weights
from training.generator.dataset import GenerateOptions, generate_dataset
from training.views import SoleViews

TAX = load_taxonomy()


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    generate_dataset(folder, GenerateOptions(n=10, seed=77, size=(128, 192)), progress=False)
    return folder


def test_overrides_are_typed_and_validated():
    cfg = load_config("configs/smoke.yaml", ["optim.epochs=7", "model.pretrained=true", "augment.pose_p=0.25"])
    assert cfg.optim.epochs == 7 and cfg.model.pretrained is True and cfg.augment.pose_p == 0.25
    with pytest.raises(ConfigError, match="optim"):
        load_config("configs/smoke.yaml", ["optim.epocs=7"])
    with pytest.raises(ConfigError):
        load_config("configs/smoke.yaml", ["model.arch=vgg16"])
    with pytest.raises(ConfigError, match="class_pool"):  # an explanation loss without the map it trains
        load_config("configs/smoke.yaml", ["model.class_pool=avg"])


def test_the_data_fingerprint_tells_a_run_with_real_photos_from_one_without(tmp_path, monkeypatch):
    """The real outlined photos have no path in the config; which ones were there must still show in the fingerprint."""
    from training import real_soles
    from training.train import data_fingerprint

    cfg = load_config("configs/smoke.yaml", ["data.sources=[{kind: outlines, required: false}]"])
    fingerprints = []
    for photos in ([], ["a.jpg"], ["a.jpg", "b.jpg"]):
        folder = tmp_path / str(len(photos))
        (folder / "images").mkdir(parents=True)
        for name in photos:
            (folder / "images" / name).write_bytes(b"")
        monkeypatch.setattr(real_soles, "NEW_SOLES", folder)
        fingerprints.append(data_fingerprint(cfg))
    assert len(set(fingerprints)) == 3


def test_progressive_resizing_trains_small_first_and_validates_at_the_input_size(small_set):
    cfg = load_config("configs/smoke.yaml", ["preprocess.train_sizes=[[2, 32], [3, 48]]"]).preprocess
    assert [cfg.size_at(e) for e in range(5)] == [32, 32, 48, 64, 64]
    for bad in ("[[2, 48], [3, 32]]", "[[3, 32], [2, 48]]", "[[2, 64]]", "[[0, 32]]"):  # shrinking, unordered, not smaller, epoch 0
        with pytest.raises(ConfigError, match="train_sizes"):
            load_config("configs/smoke.yaml", [f"preprocess.train_sizes={bad}"])

    from training.config import AugmentCfg

    records = read_manifest(small_set)
    pre = Preprocessor(cfg.input_size, (0.5,) * 3, (0.5,) * 3, cfg.margin, cfg.stretch)
    plain = AugmentCfg(scene_p=0, negative_p=0, pose_p=0, box_jitter=0, photometric=False)
    train, val = SoleViews(records, pre, plain, wear_stride=16), SoleViews(records, pre, None, wear_stride=16)
    for epoch in range(5):
        train.set_epoch(epoch, cfg.size_at(epoch))
        item = train[0]
        size = cfg.size_at(epoch)
        assert item["image"].shape == (3, size, size)
        assert item["wear_map"].shape == (-(-size // 16),) * 2 and not torch.isnan(item["wear_map"]).any()
        assert val[0]["image"].shape == (3, 64, 64)     # validation (and the checkpoint) keep the input size
    # Back at the input size, a view is the one an unscheduled run shows, pixel for pixel.
    fresh = SoleViews(records, pre, plain, wear_stride=16)
    fresh.set_epoch(4)
    assert torch.equal(train[0]["image"], fresh[0]["image"]) and torch.equal(train[0]["wear_map"], fresh[0]["wear_map"])


def test_default_config_is_valid():
    cfg = load_config("configs/default.yaml")
    assert cfg.model.arch == "efficientnet_lite0" and cfg.model.pretrained


def test_a_synthetic_source_pins_the_photo_conditions_it_names():
    from training.config import SourceCfg
    from training.data import synthetic_records
    from training.views import materialise

    records = synthetic_records(SourceCfg(kind="synthetic", n=2, size=(128, 192), photo={"fill": 0.5, "rotation_deg": 90.0}))
    for r in records:
        _, (x0, y0, x1, y1), rec, _ = materialise(r, epoch=3)
        assert rec.orientation == 1                                  # toe to the right, as pinned
        assert 0.35 < max((x1 - x0) / 128, (y1 - y0) / 192) < 0.55   # the sole across half the frame (less a hand's cover)
    with pytest.raises(ValueError, match="unknown photo condition"):
        SourceCfg(kind="synthetic", photo={"fil": 0.5})


def test_training_and_inference_see_identical_tensors(small_set):
    records = read_manifest(small_set)
    backbone = BACKBONES["efficientnet_lite0"]
    pre = Preprocessor(96, backbone.mean, backbone.std, 0.08)
    views = SoleViews(records, pre, augment=None)
    for i in (0, 3, 7):
        item = views[i]
        r = records[i]
        # What the Predictor does: decode, crop around the sole, canonicalise, normalise.
        image = load_rgb(r.path)
        expected = pre.to_tensor(canonicalise(pre.crop(image, r.box), r.orientation, r.side))
        assert torch.equal(item["image"], expected)
        assert np.array_equal(views.scene(image, r.box, r)[0], pre.crop(image, None))   # pass 1's view of the photo


def test_canonicalise_undoes_the_photo_pose():
    """A right shoe at any quarter turn comes out as the same canonical left sole."""
    img = np.arange(40 * 40 * 3, dtype=np.uint8).reshape(40, 40, 3)
    for k in range(4):
        for side in TAX.sides:
            assert np.array_equal(canonicalise(apply_pose(img, k, side), k, side), img)


def test_re_posing_a_photo_moves_its_pose_and_box_targets():
    """Turning/mirroring a scene: the composed pose still canonicalises it, the box follows the pixels."""
    canonical = np.zeros((60, 60, 3), np.uint8)
    canonical[5:25, 10:20] = 255  # a marked region standing in for the sole
    box = (10 / 60 + 5 / 60, 15 / 60, 10 / 60, 20 / 60)  # cx, cy, w, h
    for o in range(4):
        for s in (False, True):
            photo = apply_pose(canonical, o, "right" if s else "left")
            photo_box = pose_box(box, o, s)
            for t in range(4):
                for m in (False, True):
                    view = apply_pose(photo, t, "right" if m else "left")
                    o2, s2 = compose_pose(o, s, t, m)
                    assert np.array_equal(canonicalise(view, o2, "right" if s2 else "left"), canonical)
                    cx, cy, w, h = pose_box(photo_box, t, m)
                    ys, xs = np.nonzero(view[..., 0])
                    assert (xs.min() / 60, ys.min() / 60) == pytest.approx((cx - w / 2, cy - h / 2))
                    assert ((xs.max() + 1) / 60, (ys.max() + 1) / 60) == pytest.approx((cx + w / 2, cy + h / 2))


def test_scene_boxes_round_trip_between_photo_and_view():
    box = (30.0, 50.0, 130.0, 300.0)
    nb = image_box_to_scene(box, (576, 384), 0.08)
    assert all(0 <= v <= 1 for v in nb)
    assert scene_box_to_image(nb, (576, 384), 0.08) == pytest.approx(box)


def test_mirror_swaps_side_and_mirrors_zones_rotation_moves_orientation():
    canonical = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    zones = np.arange(len(TAX.zones) + 1, dtype=np.float32) / 10
    t = Targets(label=2, side=TAX.sides.index("left"), orientation=0, zones=zones)
    image, mirrored = pose_view(canonical, t, turns=0, mirror=True)
    assert TAX.sides[mirrored.side] == "right" and mirrored.label == 2
    z = dict(zip(TAX.zone_ids, mirrored.zones))
    assert z["forefoot_medial"] == pytest.approx(zones[TAX.zone_ids.index("forefoot_lateral")])
    assert z["heel_lateral"] == pytest.approx(zones[TAX.zone_ids.index("heel_medial")])
    assert z["toe"] == pytest.approx(zones[TAX.zone_ids.index("toe")]) and mirrored.zones[-1] == zones[-1]
    assert np.array_equal(image, canonical[:, ::-1])
    turned_img, turned = pose_view(canonical, t, turns=1, mirror=False)
    assert TAX.orientations[turned.orientation] == "toe_right" and TAX.sides[turned.side] == "left"
    assert np.array_equal(turned.zones, zones)
    # The relabelled view canonicalises back to the original crop.
    assert np.array_equal(canonicalise(turned_img, turned.orientation, TAX.sides[turned.side]), canonical)
    assert np.array_equal(canonicalise(image, mirrored.orientation, TAX.sides[mirrored.side]), canonical)


def test_class_balanced_sampling_and_rank_shards(small_set):
    records = read_manifest(small_set)[:7]  # unbalanced: two classes have 2 photos, three have 1
    w = sampling_weights(records, [1.0], class_balanced=True)
    by_label = {lab: w[[i for i, r in enumerate(records) if r.label == lab]].sum() for lab in range(5)}
    assert all(v == pytest.approx(0.2) for v in by_label.values())
    draws = epoch_indices(np.tile(w, 400) / 400, seed=0, epoch=0)
    counts = np.bincount([records[i % 7].label for i in draws], minlength=5) / len(draws)
    assert np.allclose(counts, 0.2, atol=0.03)
    a, b = epoch_indices(w, 3, 1, rank=0, world=2), epoch_indices(w, 3, 1, rank=1, world=2)
    assert len(a) == len(b) == 4
    assert epoch_indices(w, 3, 1, rank=0, world=2) == a  # same on every call: ranks agree without talking
    assert epoch_indices(w, 3, 2, rank=0, world=2) != a   # a new draw each epoch


def test_data_check_finds_duplicates_leaks_and_broken_files(small_set, tmp_path):
    folder = tmp_path / "set"
    shutil.copytree(small_set, folder)
    rows = list(csv.DictReader(open(folder / "manifest.csv")))
    shutil.copy(folder / rows[0]["path"], folder / "images" / "copy.jpg")
    (folder / "images" / "broken.jpg").write_bytes(b"not a jpeg at all")
    extra = [dict(rows[0], path="images/copy.jpg", shoe_id="other"), dict(rows[1], path="images/broken.jpg", shoe_id="x")]
    rows = rows + extra
    for i, r in enumerate(rows):
        r["split"] = "val" if i == 1 else "train"
    rows[2]["shoe_id"] = rows[1]["shoe_id"]  # one shoe in two splits
    with open(folder / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    report = check(folder)
    assert len(report["unreadable"]) == 1 and "broken.jpg" in report["unreadable"][0]
    assert any("copy.jpg" in " ".join(group) for group in report["exact_duplicates"])
    assert report["shoe_id_in_two_splits"] == [rows[1]["shoe_id"]]
    assert report["class_counts"][rows[0]["label"]] >= 2
    clean = check(small_set)
    assert clean["problems"] == []


def test_lite0_imagenet_weights_land_and_rank_real_photos():
    import timm
    from sklearn.datasets import load_sample_image

    from inference.model import load_lite0_imagenet

    net = timm.create_model("tf_efficientnet_lite0", pretrained=False)  # with the 1000-class head
    assert load_lite0_imagenet(net) == len(net.state_dict()) == 296
    net.eval()
    b = BACKBONES["efficientnet_lite0"]
    pre = Preprocessor(224, b.mean, b.std, margin=0.0)

    def top5(name):
        img = load_sample_image(name)
        h, w = img.shape[:2]
        s = min(h, w)  # ImageNet-style centre crop
        box = ((w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2)
        x = pre.to_tensor(pre.crop(img, box))[None]
        with torch.no_grad():
            return net(x).softmax(1).topk(5).indices[0].tolist()
    assert 985 in top5("flower.jpg")  # daisy
    buildings = {442, 483, 497, 663, 698, 832}  # bell cote, castle, church, monastery, palace, stupa
    assert buildings & set(top5("china.jpg"))


def test_wear_map_head_keeps_the_pooled_heads_and_adds_a_grid():
    import torch

    from inference.model import ModelSpec, SoleNet

    torch.manual_seed(0)
    plain = SoleNet(ModelSpec("efficientnet_lite0", 5, 7)).eval()
    dense = SoleNet(ModelSpec("efficientnet_lite0", 5, 7, wear_map=True)).eval()
    dense.load_state_dict(plain.state_dict(), strict=False)
    x = torch.randn(2, 3, 160, 160)
    with torch.no_grad():
        a, b = plain(x), dense(x)
    assert b["wear_map"].shape == (2, 5, 5)
    assert torch.allclose(a["wear_class"], b["wear_class"], atol=1e-5)  # same features reach the heads


def test_frozen_stages_in_onnxruntime_train_the_network_as_pytorch_would():
    """The CPU speed-up must not change what is learnt: same outputs and gradients, at any training size."""
    from inference.model import ModelSpec, SoleNet
    from training.frozen_prefix import forward, onnx_prefix

    torch.manual_seed(0)
    spec = ModelSpec("efficientnet_lite0", 5, 7, dropout=0.0, wear_map=True, class_pool="evidence", evidence_dim=16)
    model = SoleNet(spec, pretrained=True)
    model.freeze_stages(3)
    model.to(memory_format=torch.channels_last)
    prefix = onnx_prefix(model, torch.device("cpu"), 64, torch.channels_last)
    assert prefix is not None and prefix.stages == 3
    for size in (64, 96):  # progressive resizing feeds other sizes than the exported one
        x = torch.randn(8, 3, size, size)
        model.train()  # the frozen stages stay in eval mode, the rest normalises with batch statistics
        with torch.no_grad():
            eager, fast = model(x.contiguous(memory_format=torch.channels_last)), forward(model, x, prefix)
        for head, value in eager.items():
            assert (value - fast[head]).abs().max() <= 1e-3 * value.abs().max(), head
        # Gradients in eval mode: with batch statistics of a few photos, a 1e-6 change of the input
        # already moves some gradients by a few percent, in PyTorch alone.
        model.eval()
        grads = []
        for run in (lambda: model(x.contiguous(memory_format=torch.channels_last)), lambda: forward(model, x, prefix)):
            model.zero_grad()
            out = run()
            (out["wear_class"].logsumexp(1).sum() + out["zones"].sum() + out["wear_map"].square().sum()).backward()
            grads.append({n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None})
        assert grads[0].keys() == grads[1].keys() and len(grads[0]) > 50
        for name, g in grads[0].items():
            assert (g - grads[1][name]).norm() <= 1e-2 * g.norm() + 1e-4, name
    assert onnx_prefix(model, torch.device("cuda"), 64, torch.channels_last) is None  # CUDA keeps eager PyTorch
    unfrozen = SoleNet(ModelSpec("efficientnet_lite0", 5, 7))
    assert onnx_prefix(unfrozen, torch.device("cpu"), 64, torch.contiguous_format) is None
    other = SoleNet(ModelSpec("resnet18", 5, 7))
    other.freeze_stages(2)
    assert onnx_prefix(other, torch.device("cpu"), 64, torch.contiguous_format) is None
    with pytest.raises(ValueError):
        other(torch.zeros(1, 64, 16, 16), start=2)


def test_wear_map_target_follows_the_crop_and_the_pose(tmp_path):
    """The dense target is the generated depth map put through exactly the image's crop and pose."""
    import cv2
    import numpy as np

    from inference.preprocess import Preprocessor, apply_pose
    from training.config import AugmentCfg
    from training.data import read_manifest
    from training.views import SoleViews

    generate_dataset(tmp_path / "d", GenerateOptions(n=3, seed=5, size=(192, 288)), progress=False)
    records = read_manifest(tmp_path / "d")
    pre = Preprocessor(96, (0.5,) * 3, (0.5,) * 3, 0.08)
    depths = [cv2.imread(str(r.wear_path), cv2.IMREAD_GRAYSCALE) for r in records]
    k = int(np.argmax([d.mean() for d in depths]))  # the most worn shoe: a clear target
    rec, depth = records[k], depths[k]
    expected = pre.canonical_crop(depth, rec.box, rec.orientation, rec.side, fill=0)
    grid = lambda m: cv2.resize(m, (3, 3), interpolation=cv2.INTER_AREA).astype(np.float32) / 255  # noqa: E731

    val = SoleViews(records, pre, None)[k]
    assert np.allclose(val["wear_map"].numpy(), grid(expected), atol=1e-6)
    assert float(val["wear_map"].max()) > 0.05

    posed = SoleViews(records, pre, AugmentCfg(scene_p=0, negative_p=0, pose_p=1.0, box_jitter=0, photometric=False))
    item = posed[k]
    turns, side = int(item["orientation"]), load_taxonomy().sides[int(item["side"])]
    assert np.allclose(item["wear_map"].numpy(), grid(apply_pose(expected, turns, side)), atol=1e-6)


def test_evidence_head_is_what_grad_cam_shows():
    """With the evidence head the class logit is the mean of a stride-16 class map, and Grad-CAM is that map."""
    import numpy as np
    import torch

    from inference.explain import gradcam
    from inference.model import ModelSpec, SoleNet

    torch.manual_seed(0)
    net = SoleNet(ModelSpec("efficientnet_lite0", 5, 7, wear_map=True, class_pool="evidence", evidence_dim=32)).eval()
    x = torch.randn(1, 3, 192, 192)
    with torch.no_grad():
        out = net(x)
    assert out["class_map"].shape == (1, 5, 12, 12) and out["wear_map"].shape == (1, 12, 12) and net.wear_stride == 16
    assert torch.allclose(out["wear_class"], out["class_map"].mean((2, 3)), atol=1e-6)
    raw = (out["class_map"][0] - net.class_map.bias[:, None, None]).detach()
    c = int(raw.amax((1, 2)).argmax())                    # a class with positive evidence somewhere
    expected = torch.relu(raw[c]).numpy()
    expected = np.kron(expected, np.ones((16, 16)))  # cell centres of the upsampled heatmap
    heat = gradcam(net, x[0], c)
    centres = heat[8::16, 8::16]
    assert expected.max() > 0
    assert np.corrcoef(centres.ravel(), expected[8::16, 8::16].ravel())[0, 1] > 0.99


def test_evidence_loss_rewards_evidence_on_the_worn_cells():
    import torch

    from training.train import evidence_loss

    wear = torch.zeros(2, 4, 4)
    wear[:, 0, 3] = 0.8                                   # heavy wear in one corner
    label = torch.tensor([1, 1])
    on, off = torch.zeros(2, 5, 4, 4), torch.zeros(2, 5, 4, 4)
    on[:, 1, 0, 3] = 8.0
    off[:, 1, 3, 0] = 8.0
    assert float(evidence_loss(on, label, wear)) < 0.01 < 5 < float(evidence_loss(off, label, wear))
    unworn = torch.full((2, 4, 4), 0.02)                  # a new shoe: nothing to point at
    unknown = torch.full((2, 4, 4), float("nan"))
    assert float(evidence_loss(off, label, unworn)) == 0.0 == float(evidence_loss(off, label, unknown))
    assert float(evidence_loss(off, torch.tensor([-1, -1]), wear)) == 0.0


def test_accuracy_by_severity_uses_the_apps_bands_and_counts_every_photo():
    import numpy as np

    from inference.settings import load_inference_settings
    from training.evaluate import accuracy_by_severity

    severity = np.array([0.0, 0.05, 0.5, 0.99, 1.0])
    correct = np.array([False, True, True, True, True])
    unsure = np.array([True, False, False, False, True])
    rows = accuracy_by_severity(severity, correct, load_inference_settings(), unsure)
    assert len(rows) == len(load_inference_settings().severity) and sum(r["images"] for r in rows) == len(severity)
    assert rows[0]["accuracy"] == 0.5 and rows[0]["low_confidence"] == 0.5
    assert rows[-1]["images"] == 2 and rows[-1]["low_confidence"] == 0.5


def test_low_confidence_rule_covers_unsure_classes_and_soles_too_new_to_read():
    import numpy as np

    from inference.settings import load_inference_settings

    settings = load_inference_settings()
    edge = settings.quality.min_confidence
    new_sole = next(b.below for b in settings.severity if not b.pattern_readable) - 0.01
    worn = next(b.below for b in settings.severity if b.pattern_readable) - 0.01
    assert settings.low_confidence(0.99, worn) is False
    assert settings.low_confidence(0.99, new_sole) is True       # sure of itself, but nothing to read yet
    assert settings.low_confidence(edge - 0.01, worn) is True
    got = settings.low_confidence(np.array([0.99, 0.99, edge - 0.01, edge]), np.array([worn, new_sole, worn, 1.0]))
    assert got.tolist() == [False, True, True, False]
    assert settings.low_confidence(0.99, worn, pose_agrees=False) is True  # sure, but its class changes when turned
    got = settings.low_confidence(np.array([0.99, 0.99]), np.array([worn, worn]), np.array([True, False]))
    assert got.tolist() == [False, True]


def test_pose_check_views_must_be_other_poses():
    from inference.config import load_yaml, validated
    from inference.settings import InferenceSettings

    data = load_yaml("inference")
    for bad in ([[0, False]], [[4, True]]):
        data["quality"]["pose_check_views"] = bad
        with pytest.raises(ConfigError, match="pose_check_views"):
            validated(data, InferenceSettings, "the inference config")


def test_confident_answers_leave_out_exactly_the_photos_the_app_flags():
    import numpy as np

    from training.evaluate import confident_answers

    classes = ["a", "b"]
    probs = np.array([[0.99, 0.01], [0.6, 0.4], [0.5, 0.5], [0.2, 0.8], [0.9, 0.1]])
    y = np.array([0, 0, 1, 1, 1])  # the flagged photo (0.5/0.5) is wrong, and so is the last unflagged one
    c = confident_answers(y, probs, np.array([False, False, True, False, False]), classes)
    assert c["images"] == 4 and c["coverage"] == 0.8 and c["accuracy"] == 0.75
    assert confident_answers(y, probs, np.ones(5, bool), classes) == {"coverage": 0.0, "images": 0, "accuracy": None, "macro_f1": None}


def test_augmentation_never_turns_a_crop_across_its_orientation_target(tmp_path):
    """A sole photographed 38 degrees from up is "toe up"; augmentation may turn it, but never past the diagonal.

    (Turned past 45 degrees its toe would point right while its target still
    said up: the label noise that blurred the orientation head near diagonals.)
    """
    import cv2

    from training.config import AugmentCfg
    from training.data import Record

    rotation = 38.0
    photo = np.zeros((288, 288, 3), np.uint8)
    corners = cv2.boxPoints(((144, 144), (40, 150), rotation)).astype(np.int32)  # long side up, turned clockwise
    cv2.fillPoly(photo, [corners], (255, 255, 255))
    path = tmp_path / "bar.png"
    cv2.imwrite(str(path), photo)
    x0, y0 = corners.min(0)
    x1, y1 = corners.max(0)
    record = Record(label=0, path=path, side="left", orientation=0, rotation_deg=rotation, box=(x0, y0, x1, y1))
    pre = Preprocessor(96, (0.5,) * 3, (0.5,) * 3, 0.08)
    views = SoleViews([record], pre, AugmentCfg(scene_p=0, negative_p=0, pose_p=0, box_jitter=0, photometric=True))

    def tilt_from_up(image: torch.Tensor) -> float:
        """The bar's long axis from its pixels: the largest clearly bright region (not grey fill or erased holes)."""
        grey = image.mean(0).numpy()
        low, high = np.percentile(grey, 5), np.percentile(grey, 95)
        _, parts, stats, _ = cv2.connectedComponentsWithStats((grey > low + 0.7 * (high - low)).astype(np.uint8))
        ys, xs = np.nonzero(parts == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))
        vx, vy = np.linalg.eigh(np.cov(np.stack([xs, ys])))[1][:, -1]
        return float(np.degrees(np.arccos(abs(vy))))

    tilts = []
    for epoch in range(40):
        views.set_epoch(epoch)
        item = views[0]
        assert int(item["orientation"]) == 0
        tilts.append(tilt_from_up(item["image"]))
    assert abs(np.median(tilts) - rotation) < 3        # the measurement sees the bar as photographed
    assert max(tilts) < 45                              # and no view crossed into "toe right"


def test_orientation_misses_are_located_relative_to_the_diagonals():
    from training.evaluate import orientation_near_diagonals

    rotation = np.array([0.0, 44.0, 47.0, 135.5, 100.0, np.nan])
    true = np.array([0, 0, 1, 2, 1, 0])
    pred = np.array([0, 1, 1, 1, 2, 0])              # misses: 44 (near), 135.5 (near), 100 (plainly sideways)
    found = orientation_near_diagonals(pred, true, rotation)
    assert found["photos_near"] == 3 and found["misses_near"] == 2 and found["misses"] == 3
    assert found["accuracy_elsewhere"] == pytest.approx(2 / 3)     # 0 and unknown right, 100 wrong
    assert orientation_near_diagonals(pred, true, np.full(6, np.nan)) is None


def test_evaluate_splits_accuracy_by_the_runners_tendencies(tmp_path):
    from training.data import read_manifest
    from training.evaluate import accuracy_by_tendency

    (tmp_path / "manifest.csv").write_text("path,label,side,mix_label\n"
                                           "a.jpg,neutral,left,\nb.jpg,neutral,left,supination\nc.jpg,supination,right,\n"
                                           "d.jpg,supination,left,neutral\ne.jpg,neutral,right,\n")
    mixed, correct = [r.mixed for r in read_manifest(tmp_path)], np.array([True, False, True, False, True])
    by = {t["runners"]: t for t in accuracy_by_tendency(mixed, correct)}
    assert by["one tendency"]["photos"] == 3 and by["one tendency"]["accuracy"] == 1.0
    assert by["a second tendency blended in"]["photos"] == 2 and by["a second tendency blended in"]["accuracy"] == 0.0
    (tmp_path / "manifest.csv").write_text("path,label,side\na.jpg,neutral,left\n")  # real photos: no generator column
    assert accuracy_by_tendency([r.mixed for r in read_manifest(tmp_path)], np.array([True])) is None


def test_accuracy_by_an_attribute_counts_each_value_and_its_barely_worn_soles(tmp_path):
    from training.model_card import _attribute_lines, accuracy_by, read_predictions

    rows = [{"path": "a.jpg", "rubber": "white", "severity": "0.05"}, {"path": "b.jpg", "rubber": "white", "severity": "0.60"},
            {"path": "c.jpg", "rubber": "black", "severity": "0.05"}, {"path": "d.jpg", "rubber": "black", "severity": "0.60"},
            {"path": "e.jpg", "rubber": "", "severity": "0.60"}, {"path": "unread.jpg", "rubber": "black", "severity": "0.6"}]
    predictions = tmp_path / "predictions.csv"
    predictions.write_text("path,label,predicted,confidence,low_confidence\n"
                           "a.jpg,supination,neutral,0.5,1\nb.jpg,supination,supination,0.9,0\n"
                           "c.jpg,neutral,neutral,0.6,1\nd.jpg,neutral,neutral,0.9,0\ne.jpg,neutral,supination,0.9,0\n")
    groups = accuracy_by("rubber", rows, read_predictions(predictions))
    white, black = groups                               # worst first; no colour and unread photos left out
    assert (white["value"], white["photos"], white["accuracy"]) == ("white", 2, 0.5)
    assert (white["barely_worn"], white["accuracy_barely_worn"]) == (1, 0.0)
    assert (black["value"], black["photos"], black["accuracy"], black["accuracy_barely_worn"]) == ("black", 2, 1.0, 1.0)
    table = _attribute_lines("Intro.", "rubber", groups)
    assert table[0] == "Intro." and table[4] == "| white | 2 | 50.0% | 1 | 0.0% |" and table[5].startswith("| black |")
    assert accuracy_by("worn_look", rows, read_predictions(predictions)) == []  # a set without the column: no table
    assert _attribute_lines("Intro.", "worn look", []) == []


def test_worn_look_lines_mark_what_training_drew_and_give_every_band(tmp_path):
    from training.generator.settings import WORN_LOOKS
    from training.model_card import _worn_look_lines, trained_looks

    bands = [{"words": "barely worn", "images": 2, "accuracy": 0.5}, {"words": "heavily worn", "images": 1, "accuracy": 1.0}]
    looks = [{"look": look, "photos": 3, "macro_f1": 0.5 + i / 10, "by_severity": bands} for i, look in enumerate(WORN_LOOKS)]
    (tmp_path / "manifest.csv").write_text("path,label,side,worn_look\na.jpg,neutral,left,dusty\nb.jpg,neutral,left,dusty\n")
    trained = trained_looks(tmp_path)
    assert trained == {"dusty": 2}
    lines = _worn_look_lines(looks, trained)
    assert lines[-1] == "" and "| worn look | photos | macro-F1 | barely worn | heavily worn |" in lines
    assert "The training photos' looks: dusty 2." in lines[1]
    rows = [line for line in lines if any(line.startswith(f"| {words}") for words in WORN_LOOKS.values())]
    assert len(rows) == 3 and rows[1].endswith("| 3 | 0.600 | 50.0% of 2 | 100.0% of 1 |")
    assert "as in training" in rows[0] and all("never in training" in row for row in rows[1:])
    (tmp_path / "manifest.csv").write_text("path,label,side\na.jpg,neutral,left\n")  # a set from before worn looks
    assert trained_looks(tmp_path) is None and trained_looks(None) is None
    unknown = _worn_look_lines(looks, None)
    assert "not known" in unknown[1] and not any("training |" in line for line in unknown[4:])
    assert _worn_look_lines([], trained) == []


def _posed_wear_set(folder, n: int, seed: int) -> None:
    """Shoes whose class is which half of the sole is worn (canonical frame), photographed in any side and pose."""
    rng = np.random.default_rng(seed)
    (folder / "depth").mkdir(parents=True)
    zones = ",".join(["0.1"] * (len(TAX.zone_ids) + 1))  # the same zone scores everywhere: only the map can tell
    lines = ["path,label,side,orientation,box_x0,box_y0,box_x1,box_y1,depth_path," + ",".join([*TAX.zone_ids, "severity"])]
    for i in range(n):
        label = TAX.class_ids[1 + i % 2]
        canonical = np.zeros((96, 40), np.uint8)
        canonical[10:86, 2:38] = 40                                             # light wear over the whole sole...
        canonical[10:86, slice(2, 18) if i % 2 == 0 else slice(22, 38)] = 220  # ...the deep wear on one half, by class
        side, orientation = str(rng.choice(TAX.sides)), int(rng.integers(len(TAX.orientations)))
        photo = apply_pose(canonical, orientation, side)
        cv2.imwrite(str(folder / f"depth/{i}.png"), photo)
        h, w = photo.shape
        lines.append(f"{i}.jpg,{label},{side},{TAX.orientations[orientation]},0,0,{w},{h},depth/{i}.png,{zones}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")


def test_wear_oracle_reads_the_class_from_the_wear_in_the_canonical_frame_and_joins_the_severity_table(tmp_path):
    """Which half is worn flips with side and pose in the photo frame, so only the canonical frame separates the classes."""
    from training.model_card import _severity_table, add_wear_oracle
    from training.wear_oracle import wear_oracle

    _posed_wear_set(tmp_path / "train", 40, seed=1)
    _posed_wear_set(tmp_path / "test", 20, seed=2)
    oracle = wear_oracle(tmp_path / "train", tmp_path / "test", Preprocessor(48, (0.5,) * 3, (0.5,) * 3, stretch=True))
    assert (oracle["accuracy"], oracle["n_train"], oracle["n_test"]) == (1.0, 40, 20)
    assert oracle["by_severity"][0]["images"] == 20 and oracle["by_severity"][0]["accuracy"] == 1.0  # severity 0.1: barely worn
    assert oracle["by_severity"][0]["low_confidence"] is None  # the oracle has no such flag

    report = {"by_severity": [{"words": "barely worn", "from": 0.0, "below": 0.15, "images": 20, "accuracy": 0.5, "low_confidence": 0.4}]}
    add_wear_oracle(report, oracle)
    assert report["by_severity"][0]["wear_oracle"] == 1.0
    table = _severity_table(report)
    assert table[0].endswith("read from the wear alone |") and table[1] == "| --- " * 5 + "|" and table[2].endswith("| 100.0% |")
    assert "macro-F1 1.000" in table[-1]

    (tmp_path / "test" / "depth" / "0.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="readable depth map"):
        wear_oracle(tmp_path / "train", tmp_path / "test", Preprocessor(48, (0.5,) * 3, (0.5,) * 3, stretch=True))


def test_posed_views_know_each_views_side_and_toe_direction():
    """A mirrored left sole is a right one; two quarter turns of a toe-down photo point the toe up."""
    from training.pose_check import posed_views

    photo = np.arange(6 * 4 * 3, dtype=np.uint8).reshape(6, 4, 3)
    views = posed_views(photo, "left", "toe_down")
    assert len(views) == 8 and np.array_equal(views[0][0], photo) and views[0][1:] == ("left", "toe_down")
    assert [side for _, side, _ in views] == ["left", "right"] * 4
    assert {o for _, _, o in views} == set(TAX.orientations)
    assert views[4][1:] == ("left", "toe_up") and np.array_equal(views[4][0], photo[::-1, ::-1])
    assert views[1][0].shape == photo.shape and views[2][0].shape == (4, 6, 3)
    # A toe pointing right points left once the photo is mirrored (left to right), or turned round.
    views = posed_views(photo, "right", "toe_right")
    assert views[1][1:] == ("left", "toe_left") and np.array_equal(views[1][0], photo[:, ::-1])
    assert views[4][1:] == ("right", "toe_left")


def test_pose_lines_set_real_photos_beside_generated_ones():
    from training.model_card import _pose_lines
    from training.pose_check import summarise

    real = [{"photo": "csafe-005772L-x.jpg", "views": 8, "found": 8, "split": 0, "side_right": 6, "orientation_right": 8,
             "labelled": 8, "labels": {"supination": 5, "lateral_heel_strike": 3}, "agreement": 0.625},
            {"photo": "csafe-007961L-x.jpg", "views": 8, "found": 7, "split": 1, "side_right": 7, "orientation_right": 7,
             "labelled": 7, "labels": {"over_pronation": 7}, "agreement": 1.0}]
    withheld = dict(real[1], labelled=0, labels={}, agreement=None)  # too dark in every pose: no class to agree on
    total = summarise(real)
    assert (total["views"], total["found"], total["side_right"], total["labelled"]) == (16, 15, 13, 15)
    assert total["agreement"] == pytest.approx(0.8125) and (total["one_class"], total["all_labelled"]) == (0, 1)
    generated = summarise([dict(real[0], labels={"neutral": 8}, agreement=1.0), withheld])
    assert generated["agreement"] == 1.0 and (generated["one_class"], generated["all_labelled"]) == (1, 1)
    lines = _pose_lines({"real": real, "real_total": total, "generated_total": generated})
    assert "| real (CSAFE) | 2 | 16 | 15 | 13 | 15 | 15 | 81.2% | 0 of 1 |" in lines
    assert "| generated test | 2 | 16 | 15 | 13 | 15 | 8 | 100.0% | 1 of 1 |" in lines
    assert lines[-1].endswith("csafe-005772L: supination 5, lateral_heel_strike 3; csafe-007961L: over_pronation 7.")
    assert _pose_lines({"real": [], "real_total": summarise([]), "generated_total": summarise([])}) == []


def test_the_card_leads_with_the_recipes_leave_style_out_figures(tmp_path):
    """A yardstick run's held-out-style report becomes the card's first outside figure, with the run's recipe."""
    import json

    from tests.conftest import small_checkpoint
    from training.model_card import _yardstick_lines, record_yardstick

    run = tmp_path / "yardstick"
    (run / "eval").mkdir(parents=True)
    small_checkpoint(run / "run" / "best", n_train=4000, epoch=7, config={"optim": {"epochs": 8}})
    small_checkpoint(run / "run" / "last", n_train=4000, epoch=7, config={"optim": {"epochs": 8}})
    style = {"data": "held-out-test", "n_images": 1000, "macro_f1": 0.81, "ci95": [0.79, 0.83], "in_style_macro_f1": 0.9,
             "in_style_ci95": [0.88, 0.92], "gap_points": 9.0}
    (run / "eval" / "report.json").write_text(json.dumps({"n_images": 1000, "held_out_style": style}))
    record = record_yardstick(run, tmp_path / "yardstick.json")
    assert json.loads((tmp_path / "yardstick.json").read_text()) == record
    assert (record["n_train"], record["epochs"], record["best_epoch"]) == (4000, 8, 7)
    lines = _yardstick_lines(record)
    assert "| in-style | 1000 | 0.900 (0.880-0.920) |" in lines and "| held-out style | 1000 | 0.810 (0.790-0.830) |" in lines
    assert any("9.0 points below in-style" in line for line in lines)
    assert _yardstick_lines(None) == []


def test_the_card_says_when_the_model_learnt_from_another_generated_set(tmp_path):
    """The card's generated figures are in-style only for the set the model learnt from; for any other (a generator
    changed since training) it says so, naming both manifests, and says nothing for the model's own set."""
    from training.evaluate import manifest_digest
    from training.model_card import learnt_elsewhere

    train = tmp_path / "train"
    train.mkdir()
    (train / "manifest.csv").write_text("path,label,side\nimages/0.jpg,neutral,left\n")
    own = manifest_digest(train)
    assert learnt_elsewhere({"manifests": {"trained": [own]}}, train) is None
    said = learnt_elsewhere({"manifests": {"trained": ["0123456789abcdef"]}}, train)
    assert said is not None and own in said and "0123456789abcdef" in said and "not in-style" in said
    assert "not recorded" in learnt_elsewhere({}, train)


def test_sole_free_photos_come_in_colour_and_as_objects_on_a_floor():
    """Most shipped natural photos are grey: their views must not teach that colour means a sole (natural_photos)."""
    from training.natural_photos import on_plain_floor, recolour

    grey = np.repeat(np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (48, 1))[..., None], 3, axis=2)
    coloured = [cv2.cvtColor(recolour(grey, np.random.default_rng(i)), cv2.COLOR_RGB2HSV) for i in range(20)]
    assert min(hsv[..., 1].mean() for hsv in coloured) > 40          # every grey photo comes out in colour...
    assert len({int(np.median(hsv[..., 0])) // 15 for hsv in coloured}) >= 5   # ...in many different colours
    orange = np.dstack([np.full((48, 64), 230), np.full((48, 64), 120), np.full((48, 64), 30)]).astype(np.uint8)
    hues = {int(cv2.cvtColor(recolour(orange, np.random.default_rng(i)), cv2.COLOR_RGB2HSV)[..., 0].mean()) // 15
            for i in range(20)}
    assert len(hues) >= 5                                             # a coloured one goes round the hue circle

    red = np.zeros((60, 40, 3), np.uint8)
    red[..., 0] = 255
    for i in range(20):
        photo = on_plain_floor(red, np.random.default_rng(i), (128, 96))
        thing = (photo[..., 0] > 240) & (photo[..., 1] < 15) & (photo[..., 2] < 15)
        ys, xs = np.nonzero(thing)
        assert 0.05 < thing.mean() < 0.75 and (np.ptp(ys) < 95 or np.ptp(xs) < 127), i   # an object, floor beside it
