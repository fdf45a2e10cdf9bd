"""Nothing a user uploads is kept: reading a photo writes nothing outside the system's temp space and
solewear's model cache (and leaves temp as it found it), logs carry no image bytes or EXIF (GPS
position included), and the PDF report carries no EXIF of the photos in it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from inference.knowledge import advice_for
from inference.predictor import Predictor
from inference.report import ReportInput, build_report
from tests.conftest import REPO
from tests.hostile_files import encoded

MARKERS = ("SECRET-EXIF-4711", "SpyCam", "47.11", "Exif")


@pytest.fixture(scope="module")
def gps_photo() -> bytes:
    """A sole photo whose EXIF holds a description, a camera make and a GPS position."""
    exif = Image.Exif()
    exif[0x010E] = "SECRET-EXIF-4711"
    exif[0x010F] = "SpyCam"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (52.0, 31.0, 47.11), 3: "E", 4: (13.0, 24.0, 47.11)})
    return encoded(Image.open(REPO / "data" / "samples" / "03-left.jpg"), "JPEG", exif=exif)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _repo_files_changed_since(start: float) -> set[str]:
    skip = ("__pycache__", ".pytest_cache", ".hypothesis", ".git", ".venv")
    return {str(p.relative_to(REPO)) for p in REPO.rglob("*")
            if p.is_file() and not any(part in skip for part in p.parts) and p.stat().st_mtime > start}


def test_predict_writes_only_to_the_model_cache_and_leaves_temp_as_it_found_it(tmp_path, gps_photo):
    places = {name: tmp_path / name for name in ("home", "tmp", "cwd", "cache", "photos")}
    for folder in places.values():
        folder.mkdir()
    photo = places["photos"] / "my-shoe.jpg"
    photo.write_bytes(gps_photo)
    env = dict(os.environ, HOME=str(places["home"]), TMPDIR=str(places["tmp"]), SOLEWEAR_CACHE=str(places["cache"]))
    env.pop("ORT_DISABLE_TELEMETRY", None)          # solewear must switch onnxruntime's telemetry off itself
    env.pop("MPLCONFIGDIR", None)
    out = subprocess.run([sys.executable, "-m", "training.cli", "predict", str(photo), "--json"], capture_output=True,
                         text=True, timeout=300, cwd=places["cwd"], env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert _files(places["home"]) == set() and _files(places["tmp"]) == set() and _files(places["cwd"]) == set()
    assert _files(places["photos"]) == {"my-shoe.jpg"}
    assert _files(places["cache"]) and all(f.endswith((".onnx", ".json")) or f.startswith("matplotlib/")
                                           for f in _files(places["cache"]))
    assert not any(m in out.stdout + out.stderr for m in MARKERS)


def test_an_app_session_stores_nothing_and_logs_no_photo_or_exif(tmp_path, gps_photo, monkeypatch, caplog):
    own_temp = tmp_path / "tmp"
    own_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_temp))
    monkeypatch.setenv("SOLEWEAR_CASE_DB", str(tmp_path / "cases.sqlite"))
    caplog.set_level(logging.DEBUG)
    start = time.time() - 1
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300).run()
    at.file_uploader[0].set_value(("my-shoe.jpg", gps_photo, "image/jpeg"))
    at.run()
    at.button(key="clinician_example").click().run()
    at.text_input(key="reference").input("AB-17").run()
    assert not at.exception
    assert _files(own_temp) == set()
    assert not (tmp_path / "cases.sqlite").exists()                       # no consent, no case log
    assert _repo_files_changed_since(start) == set()
    logged = caplog.text
    assert not any(m in logged for m in MARKERS) and "\\xff\\xd8" not in logged


def test_the_pdf_report_carries_no_exif_of_the_photos(gps_photo):
    predictor = Predictor()
    predictions = predictor.predict(gps_photo, name="my-shoe.jpg")
    pdf = build_report(ReportInput(predictions, advice_for(predictions), settings=predictor.settings,
                                   model_info=predictor.model_info, provenance=predictor.provenance))
    assert pdf.startswith(b"%PDF") and b"/Image" in pdf                  # the photo is in it...
    assert not any(m.encode() in pdf for m in MARKERS)                   # ...without its EXIF
    assert b"\xff\xe1" not in pdf.split(b"\xff\xd8", 1)[-1][:64]         # no APP1 (EXIF) segment after a JPEG start
