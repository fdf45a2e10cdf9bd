"""solewear's Streamlit app: page layout only.

Three tabs: runners check their shoes, clinicians use it as an intake aid,
and everyone can read about the model. The pages live in `ui/`; everything
they show is computed in the `inference` package. The knowledge base is
checked before anything is shown, so a broken `configs/knowledge.yaml` is a
clear message rather than wrong advice.
"""

from __future__ import annotations

import logging

import streamlit as st

from inference.config import ConfigError
from inference.knowledge import load_knowledge
from inference.model_store import NO_MODEL_MESSAGE, bundled_checkpoint
from ui.about import about_page, patterns_glossary
from ui.clinician import clinician_page
from ui.runner import runner_page

st.set_page_config(page_title="solewear - what your shoe sole says", page_icon=":athletic_shoe:", layout="centered")

st.title("solewear")
st.caption("What the wear on your running shoe's sole may say about how you move.")
st.info("A wear pattern is a clue, not a diagnosis. solewear points at things worth checking; it cannot tell you what "
        "is wrong. Pain, numbness or swelling deserve a clinician's look.")


def _guarded(page) -> None:
    """Show an unexpected failure as a message (the details go to the server log, not the page)."""
    try:
        page()
    except Exception:  # noqa: BLE001 - the last line of defence between a bug and a traceback on screen
        logging.getLogger("solewear.app").exception("page failed")
        st.error("Something went wrong while reading this. Try another photo, or reload the page.")


try:
    load_knowledge()
except ConfigError as exc:
    st.error(f"The advice file is broken, so no advice is shown. Details for the maintainer: {exc}")
    st.stop()

if bundled_checkpoint() is None:
    st.warning(NO_MODEL_MESSAGE, icon=":material/warning:")
else:
    check_tab, clinic_tab, about_tab = st.tabs(["Check my shoes", "Clinician", "About the model"])
    with check_tab:
        _guarded(runner_page)
    with clinic_tab:
        _guarded(clinician_page)
    with about_tab:
        _guarded(about_page)

patterns_glossary()
