"""The Streamlit app starts and is honest about its state."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from inference.model_store import bundled_checkpoint


def test_app_starts_and_says_it_is_not_a_diagnosis(repo):
    at = AppTest.from_file(str(repo / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "solewear"
    assert any("not a diagnosis" in info.value for info in at.info)


def test_app_says_clearly_when_no_model_is_installed(repo):
    at = AppTest.from_file(str(repo / "app.py"), default_timeout=60).run()
    warnings = " ".join(w.value for w in at.warning)
    if bundled_checkpoint() is None:
        assert "No model is installed" in warnings
    else:
        assert "No model is installed" not in warnings
