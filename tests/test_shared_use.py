"""One app server, many people: a shared Predictor and concurrent sessions never mix up results,
and one session reading photo after photo does not grow without bound."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from inference.predictor import Predictor
from tests.conftest import REPO, small_checkpoint
from tests.hostile_files import encoded

pytestmark = pytest.mark.slow
SAMPLES = sorted((REPO / "data" / "samples").glob("*.jpg"))


def _photos(n: int) -> list[bytes]:
    """n different photos: the samples turned, mirrored, shrunk and cropped in turn."""
    out = []
    for i in range(n):
        img = Image.open(SAMPLES[i % len(SAMPLES)]).convert("RGB").rotate(90 * (i // len(SAMPLES) % 4), expand=True)
        if i // (4 * len(SAMPLES)) % 2:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        scale = 0.5 + 0.1 * (i % 5)
        img = img.resize((int(img.width * scale), int(img.height * scale)))
        out.append(encoded(img, "JPEG", quality=85 + i % 10))
    return out


def _summary(p) -> tuple:
    return (p.label, p.error, p.side, p.orientation, tuple(p.flags), tuple(p.unsure_reasons), tuple(p.box or ()),
            tuple(round(v, 6) for v in (p.probabilities or {}).values()), tuple(round(v, 6) for v in p.zones.values()))


def test_eight_threads_sharing_one_predictor_give_exactly_the_serial_results(tmp_path):
    predictor = Predictor(small_checkpoint(tmp_path / "m.safetensors"))
    photos = _photos(200)
    serial = [[_summary(p) for p in predictor.predict(photo)] for photo in photos]
    with ThreadPoolExecutor(max_workers=8) as pool:
        shared = list(pool.map(lambda photo: [_summary(p) for p in predictor.predict(photo)], photos))
    assert shared == serial
    assert len({s[0][-2] for s in serial}) > 50      # the answers differ, so a mix-up would show


def test_five_app_sessions_interleaved_each_see_only_their_own_photo():
    """Five sessions of one app process, their uploads and reruns interleaved, share the cached Predictor.

    Streamlit's AppTest installs one process-wide test runtime per run, so sessions cannot run in
    threads at once here; the interleaving exercises what they share (the cached Predictor, module
    state), and the test above runs the Predictor itself from eight threads at once.
    """
    names = [f"runner-{k}-shoe.jpg" for k in range(5)]
    photos = _photos(5)
    sessions = [AppTest.from_file(str(REPO / "app.py"), default_timeout=300).run() for _ in names]
    for at, name, photo in zip(sessions, names, photos):
        at.file_uploader[0].set_value((name, photo, "image/jpeg"))
        at.run()
    alone = Predictor()
    for at, name, photo in zip(sessions, names, photos):
        at.run()                                      # again, after every other session has read its photo
        assert not at.exception
        captions = " ".join(c.value for c in at.caption)
        assert name in captions and not any(other in captions for other in names if other != name)
        [shown] = at.session_state["runner_results"][1]
        [own] = alone.predict(photo)
        assert shown.probabilities == pytest.approx(own.probabilities, abs=1e-5) and shown.label == own.label


def _rss_mb() -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


def test_memory_stays_bounded_when_one_session_reads_fifty_photos_in_turn():
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300).run()
    photos = _photos(50)
    levels = []
    for i, photo in enumerate(photos):
        at.file_uploader[0].set_value((f"photo-{i}.jpg", photo, "image/jpeg"))
        at.run()
        assert not at.exception
        levels.append(_rss_mb())
    growth = levels[-1] - levels[9]                   # after the first ten: caches and the model are warm
    assert growth < 150, f"memory grew {growth:.0f} MB over photos 10-50 ({levels[9]:.0f} -> {levels[-1]:.0f} MB)"
