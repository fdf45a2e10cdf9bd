"""solewear's Streamlit app: layout and user flow only.

Everything it shows is computed in the `inference` package (Predictor, pair
analysis, wording); this script arranges it on the page. Uploaded photos are
analysed in memory and never written to disk.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from inference.model_store import NO_MODEL_MESSAGE, bundled_checkpoint
from inference.pair import compare_pair
from inference.predictor import Predictor
from inference.taxonomy import load_taxonomy
from inference.wording import CLUE_NOT_DIAGNOSIS, verdict

ROOT = Path(__file__).resolve().parent
SAMPLES = ROOT / "data" / "samples"
UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "heic", "heif"]

st.set_page_config(page_title="solewear - what your shoe sole says", page_icon=":athletic_shoe:", layout="centered")


@st.cache_resource(show_spinner="Loading the model...")
def get_predictor() -> Predictor:
    return Predictor()


def photo_guide() -> None:
    with st.expander("How to photograph a sole"):
        st.markdown(
            "- Turn the shoe over and lay it **flat**, sole up.\n"
            "- Get the **whole sole** in the picture, filling most of the frame.\n"
            "- Use **good, even light** (near a window); avoid harsh flash glare.\n"
            "- One shoe per photo is best; both shoes side by side also work."
        )
        st.image(str(SAMPLES / "01-left.jpg"), caption="A good sole photo (a synthetic example)", width=180)


def result_card(pred, container) -> None:
    tax = load_taxonomy()
    v = verdict(pred)
    with container:
        st.subheader(v.title)
        st.caption(pred.path + (f" ({pred.part} half)" if pred.part else ""))
        if not v.certain:
            for reason in v.reasons or ["No honest answer is possible for this photo."]:
                st.warning(reason)
        elif v.reasons:
            for reason in v.reasons:
                st.info(reason)
        if pred.label is None and not pred.zones:
            return
        if pred.confidence is not None:
            st.write(f"Confidence {pred.confidence:.0%} - {pred.side} shoe ({'as you said' if pred.side_source == 'given' else 'detected'}).")
        if v.shows:
            st.write(f"**What the sole shows:** {v.shows}.")
            st.write(f"**What it commonly suggests:** {v.suggests}.")
        st.write(f"**Wear:** {pred.severity_words}.")
        if pred.replacement_hint:
            st.error(pred.replacement_hint)
        if pred.heatmap is not None:
            st.image(pred.heatmap, caption="Where the model looked (red = most)", width="stretch")
        if pred.diagram is not None:
            st.image(pred.diagram, caption="Wear by zone (0 = new, 1 = worn through)")
        with st.expander("Zone scores"):
            st.table({tax.zone(z).label: f"{s:.2f}" for z, s in pred.zones.items()})


def runner_page(predictor: Predictor) -> None:
    photo_guide()
    files = st.file_uploader("Photos of your shoe soles (one or both shoes)", type=UPLOAD_TYPES, accept_multiple_files=True)
    use_examples = st.button("Try an example (two synthetic soles)")
    if use_examples:
        st.session_state["examples"] = True
    photos: list[tuple[str, bytes]] = [(f.name, f.getvalue()) for f in files or []]
    if not photos and st.session_state.get("examples"):
        photos = [(p.name, p.read_bytes()) for p in sorted(SAMPLES.glob("*.jpg"))[:2]]
    if not photos:
        return
    sides = []
    for name, _ in photos:
        sides.append(st.radio(f"Which shoe is {name}?", ["auto", "left", "right"], horizontal=True, key=f"side-{name}"))
    with st.spinner("Reading the wear..."):
        results = predictor.predict_batch([b for _, b in photos], [None if s == "auto" else s for s in sides],
                                          [n for n, _ in photos], explain=True)
    del photos  # this script keeps no copy of the uploads and writes nothing to disk
    preds = [p for group in results for p in group]
    st.info(CLUE_NOT_DIAGNOSIS)
    columns = st.columns(min(2, len(preds)))
    for i, pred in enumerate(preds):
        result_card(pred, columns[i % len(columns)])
    readable = [p for p in preds if p.zones]
    if len(readable) == 2:
        report = compare_pair(*readable)
        st.subheader("Left and right compared")
        (st.warning if report.flagged else st.success)(report.summary)
        for note in report.notes:
            st.info(note)


def about_page() -> None:
    """MODEL_CARD.md as written by training.model_card; its figures are shown as images."""
    card = ROOT / "MODEL_CARD.md"
    if not card.is_file():
        st.write("The model card has not been generated yet (`make model`).")
        return
    text: list[str] = []
    for line in card.read_text(encoding="utf-8").splitlines():
        figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", line)
        if not figures:
            text.append(line)
            continue
        st.markdown("\n".join(text))
        text = []
        for figure in figures:
            if (ROOT / figure).is_file():
                st.image(str(ROOT / figure))
    st.markdown("\n".join(text))


st.title("solewear")
st.caption("What the wear on your running shoe's sole may say about how you move.")
st.info("A wear pattern is a clue, not a diagnosis. solewear points at things worth checking; it cannot tell you what "
        "is wrong. Pain, numbness or swelling deserve a clinician's look.")

if bundled_checkpoint() is None:
    st.warning(NO_MODEL_MESSAGE, icon=":material/warning:")
else:
    check_tab, about_tab = st.tabs(["Check my shoes", "About the model"])
    with check_tab:
        runner_page(get_predictor())
    with about_tab:
        about_page()

with st.expander("The wear patterns solewear knows"):
    for wear_class in load_taxonomy().classes:
        st.markdown(f"**{wear_class.label}** - {wear_class.shows}. Commonly suggests {wear_class.suggests}.")
