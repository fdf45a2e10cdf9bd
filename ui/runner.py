"""The runner's page: photograph or upload soles, read the result, learn what to check next."""

from __future__ import annotations

import streamlit as st

from inference.knowledge import advice_for
from ui.shared import (
    EXAMPLE_PAIR,
    NOT_STORED,
    SAMPLES,
    UPLOAD_TYPES,
    Photo,
    advice_sections,
    analyse,
    forget,
    pair_section,
    result_cards,
)

STATE = "runner_results"


def photo_guide() -> None:
    with st.expander("How to photograph a sole", expanded=False):
        st.markdown(
            "- Turn the shoe over and lay it **flat**, sole up.\n"
            "- Get the **whole sole** in the picture, filling most of the frame.\n"
            "- Use **good, even light** (near a window); avoid harsh flash glare.\n"
            "- **One shoe per photo** reads best. For both shoes in one photo, lay them side by side, toes the "
            "same way, with a gap between them; shoes touching or overlapping are often read as a single sole "
            "by the current model - if that happens, photograph each shoe alone."
        )
        st.image(str(SAMPLES / "01-left.jpg"), caption="A good sole photo (a synthetic example)", width=180)


def _inputs() -> list[tuple[str, bytes]]:
    """Photos from the uploader, the camera or the examples (in that order of preference)."""
    generation = st.session_state.get("runner_generation", 0)  # a new key empties the widgets: "Clear"
    files = st.file_uploader("Photos of your shoe soles (one or both shoes)", type=UPLOAD_TYPES,
                             accept_multiple_files=True, key=f"runner_files_{generation}")
    photos = [(f.name, f.getvalue()) for f in files or []]
    if st.toggle("Use the camera", key=f"runner_camera_on_{generation}"):
        shot = st.camera_input("Photograph one sole", key=f"runner_camera_{generation}")
        if shot is not None:
            photos.append((f"camera-{len(photos) + 1}.jpg", shot.getvalue()))
    left, right = st.columns(2)
    if left.button("Try an example (two synthetic soles)"):
        st.session_state["examples"] = True
    if right.button("Clear photos and results", key="runner_clear"):
        st.session_state["runner_generation"] = generation + 1
        st.session_state["examples"] = False
        forget(STATE)
        st.rerun()
    if not photos and st.session_state.get("examples"):
        photos = [(p.name, p.read_bytes()) for p in EXAMPLE_PAIR]
    return photos


def runner_page() -> None:
    photo_guide()
    photos = _inputs()
    st.caption(NOT_STORED)
    if not photos:
        return
    chosen: list[Photo] = []
    for i, (name, data) in enumerate(photos):  # phones often name every upload image.jpg: key by position too
        side = st.radio(f"Which shoe is {name}?", ["auto", "left", "right"], horizontal=True, key=f"side-{i}-{name}")
        chosen.append((name, data, None if side == "auto" else side))
    del photos  # no copy of the uploads outlives this run of the script
    predictions = analyse(chosen, STATE)
    advice = advice_for(predictions)
    st.info(advice.disclaimer)
    result_cards(predictions)
    pair_section(predictions, "Left and right compared")
    advice_sections(advice)
