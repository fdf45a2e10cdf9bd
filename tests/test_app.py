"""The Streamlit app, driven through its real widgets with streamlit's AppTest."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from inference.model_store import bundled_checkpoint
from inference.taxonomy import load_taxonomy


def _app(repo) -> AppTest:
    return AppTest.from_file(str(repo / "app.py"), default_timeout=180)


def test_app_starts_and_says_it_is_not_a_diagnosis(repo):
    at = _app(repo).run()
    assert not at.exception
    assert at.title[0].value == "solewear"
    assert any("not a diagnosis" in info.value for info in at.info)


def test_app_says_clearly_when_no_model_is_installed(repo):
    at = _app(repo).run()
    warnings = " ".join(w.value for w in at.warning)
    assert ("No model is installed" in warnings) == (bundled_checkpoint() is None)


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "image/jpeg"))
    return at.run()


def test_uploading_a_sole_shows_a_result_with_pictures(repo):
    at = _upload(_app(repo).run(), "my-left-shoe.jpg", (repo / "data" / "samples" / "03-left.jpg").read_bytes())
    assert not at.exception
    titles = [h.value for h in at.subheader]
    labels = {c.label for c in load_taxonomy().classes}
    assert any(t in labels or t.startswith("Perhaps") or t == "Can't tell" for t in titles), titles
    assert len(at.get("image")) >= 2  # heatmap and zone diagram
    assert any("clue, not a diagnosis" in i.value for i in at.info)
    assert any("learned from simulated soles" in c.value and "real worn soles is not yet measured" in c.value
               for c in at.caption)                                     # said beside the confidence


def test_a_photo_without_a_sole_gets_cant_tell_and_the_reason(repo):
    rng = np.random.default_rng(0)
    wall = Image.fromarray(np.clip(170 + rng.normal(0, 5, (600, 400, 3)), 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    wall.save(buf, format="JPEG")
    at = _upload(_app(repo).run(), "wall.jpg", buf.getvalue())
    assert not at.exception
    assert "Can't tell" in [h.value for h in at.subheader]
    assert any("No shoe sole was found" in w.value for w in at.warning)


def test_a_broken_file_is_a_message_not_a_traceback(repo):
    at = _upload(_app(repo).run(), "broken.jpg", b"\xff\xd8 definitely not a photo")
    assert not at.exception
    assert any("not a picture" in w.value for w in at.warning)


def test_a_result_is_followed_by_what_it_may_mean_checks_and_when_to_see_a_clinician(repo):
    at = _upload(_app(repo).run(), "left.jpg", (repo / "data" / "samples" / "01-left.jpg").read_bytes())
    assert not at.exception
    assert [h.value for h in at.header] == ["What it may mean", "Checks you can do", "When to see a clinician"]
    assert any("Knee-to-wall" in e.label for e in at.expander)
    assert any("Numbness" in m.value for m in at.markdown)


def test_the_camera_is_offered_on_request(repo):
    at = _app(repo).run()
    assert not at.get("camera_input")
    at.toggle[0].set_value(True).run()
    assert not at.exception
    assert len(at.get("camera_input")) == 1


def test_clinician_page_shows_both_shoes_zone_table_checklist_and_report(repo):
    at = _app(repo).run()
    at.button(key="clinician_example").click().run()
    assert not at.exception
    titles = [h.value for h in at.subheader]
    for heading in ("Zone table", "Asymmetry", "Suggested clinical checks", "Report"):
        assert heading in titles, titles
    columns = [set(t.value.columns) for t in at.table]
    assert {"Zone", "Left shoe", "Right shoe", "Right - left"} in columns, columns
    assert len(at.checkbox) >= 5
    at.checkbox[0].check().run()
    at.text_input(key="reference").input("AB-17").run()
    assert not at.exception
    assert [b.label for b in at.get("download_button")] == ["Download the report (PDF)"]


def test_about_page_reads_the_checkpoint_and_the_model_card(repo):
    at = _app(repo).run()
    assert "The model in use" in [h.value for h in at.subheader]
    assert any("Model card" in m.value for m in at.markdown)


def test_clear_drops_the_photos_and_the_results(repo):
    at = _upload(_app(repo).run(), "left.jpg", (repo / "data" / "samples" / "01-left.jpg").read_bytes())
    assert "runner_results" in at.session_state
    at.button(key="runner_clear").click().run()
    assert not at.exception
    assert "runner_results" not in at.session_state
    assert not at.file_uploader[0].value
    assert "What it may mean" not in [h.value for h in at.header]


def test_a_blurry_photo_says_why_and_shows_nothing_that_looks_like_an_answer(repo):
    from PIL import ImageFilter

    buf = io.BytesIO()
    Image.open(repo / "data" / "samples" / "03-left.jpg").filter(ImageFilter.GaussianBlur(6)).save(buf, format="JPEG")
    at = _upload(_app(repo).run(), "blurry.jpg", buf.getvalue())
    assert not at.exception
    assert "Can't tell" in [h.value for h in at.subheader]
    assert any("too blurry" in w.value for w in at.warning)
    runner_images = [i for i in at.get("image") if "model looked" in str(getattr(i, "proto", ""))]
    assert not runner_images
    assert not any(m.value.startswith("Confidence") for m in at.markdown)


def test_two_uploads_with_the_same_name_both_get_a_result(repo):
    """Phones often call every photo image.jpg."""
    at = _app(repo).run()
    samples = repo / "data" / "samples"
    at.file_uploader[0].set_value([("image.jpg", (samples / "03-left.jpg").read_bytes(), "image/jpeg"),
                                   ("image.jpg", (samples / "04-right.jpg").read_bytes(), "image/jpeg")])
    at.run()
    assert not at.exception and not at.error
    assert len(at.radio) == 2
    assert "Left and right compared" in [h.value for h in at.subheader]
