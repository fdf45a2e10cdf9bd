"""Pieces both pages use: the cached Predictor, analysis of uploads, the result card and the advice.

Layout only: every decision shown here is made in `inference` (Predictor,
wording, knowledge base, pair analysis).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from inference.knowledge import Advice
from inference.pair import PairReport, compare_pair
from inference.predictor import Predictor
from inference.results import Prediction
from inference.taxonomy import load_taxonomy
from inference.wording import part_words, verdict

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
EXAMPLE_PAIR = (SAMPLES / "03-left.jpg", SAMPLES / "04-right.jpg")   # generated over-pronation pair (make samples)
UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "heic", "heif"]
NOT_STORED = ("Photos are analysed in memory and never written to disk; they are dropped when you clear them or "
              "close the page.")


@st.cache_resource(show_spinner="Loading the model...")
def get_predictor() -> Predictor:
    return Predictor()


Photo = tuple[str, bytes, str | None]   # name, bytes, side given (None = detect)


def analyse(photos: list[Photo], state_key: str) -> list[Prediction]:
    """Predictions for the photos, remembered for this browser session only.

    Streamlit re-runs the script on every click (a ticked checkbox, a typed
    note); remembering the last answer keeps those clicks instant. The memo
    holds one set of results in this session's memory and nothing on disk.
    """
    digest = hashlib.sha1()
    for name, data, side in photos:
        digest.update(name.encode() + b"\0" + (side or "auto").encode() + b"\0" + hashlib.sha1(data).digest())
    memo = st.session_state.get(state_key)
    if memo is not None and memo[0] == digest.hexdigest():
        return memo[1]
    with st.spinner("Reading the wear..."):
        groups = get_predictor().predict_batch([d for _, d, _ in photos], [s for _, _, s in photos],
                                               [n for n, _, _ in photos], explain=True)
    predictions = [p for group in groups for p in group]
    st.session_state[state_key] = (digest.hexdigest(), predictions)
    return predictions


def forget(state_key: str) -> None:
    """Drop remembered results and photos of this session."""
    st.session_state.pop(state_key, None)


def result_card(pred: Prediction, compact: bool = False, width: int | str = 360) -> None:
    """One shoe: headline, confidence or the reason it can't tell, pictures, severity."""
    tax = load_taxonomy()
    v = verdict(pred, get_predictor().settings)
    st.subheader(v.title)
    st.caption(pred.path + (f" ({part_words(pred.part)})" if pred.part else ""))
    for warning in v.warnings:
        st.warning(warning, icon=":material/swap_horiz:")
    for reason in v.reasons or ([] if v.certain else ["No honest answer is possible for this photo."]):
        (st.info if v.certain else st.warning)(reason)
    if pred.label is None:  # nothing honest to show: no confidence, no zones, no pictures that look like an answer
        if pred.zones:
            st.caption("No wear pattern is given for this photo. Retake it following 'How to photograph a sole'.")
        return
    if pred.confidence is not None:
        how = "as you said" if pred.side_source == "given" else "detected"
        st.write(f"Confidence {pred.confidence:.0%} - {pred.side} shoe ({how}).")
        st.caption(get_predictor().provenance)
    if v.shows and not compact:
        st.write(f"**What the sole shows:** {v.shows}.")
        st.write(f"**What it commonly suggests:** {v.suggests}.")
    st.write(f"**Wear:** {pred.severity_words}.")
    if pred.replacement_hint:
        st.error(pred.replacement_hint)
    if pred.heatmap is not None:
        # In a column (two shoes) the picture fits the column; alone it keeps a readable size.
        st.image(pred.heatmap, caption="Where the model looked (red = most)", width=width)
    if pred.diagram is not None:
        st.image(pred.diagram, caption="Wear by zone (0 = new, 1 = worn through)",
                 width=width if width == "stretch" else "content")
    if not compact:
        with st.expander("Zone scores"):
            st.table({"Zone": [tax.zone(z).label for z in pred.zones], "Score": [f"{s:.2f}" for s in pred.zones.values()]})


def result_cards(predictions: list[Prediction], compact: bool = False) -> None:
    """One card per shoe, two abreast (stacked on a phone)."""
    columns = st.columns(min(2, len(predictions)))
    for i, pred in enumerate(predictions):
        with columns[i % len(columns)]:
            result_card(pred, compact, "stretch" if len(columns) > 1 else 360)


def pair_section(predictions: list[Prediction], heading: str) -> PairReport | None:
    """Left against right when exactly two shoes were read; the report is returned for the PDF."""
    readable = [p for p in predictions if p.ok]
    if len(readable) != 2:
        return None
    report = compare_pair(*readable, get_predictor().settings)
    st.subheader(heading)
    (st.warning if report.flagged else st.success)(report.summary)
    for note in report.notes:
        st.info(note)
    return report


def advice_sections(advice: Advice) -> None:
    """What it may mean, checks you can do, when to see a clinician - from configs/knowledge.yaml."""
    st.header("What it may mean")
    if advice.cant_tell:
        st.write(advice.cant_tell)
    for pattern, description in advice.meanings:
        st.markdown(f"**{pattern}.** {description}")
    if advice.contributors:
        st.markdown("What may lie behind it:")
        for contributor in advice.contributors:
            st.markdown(f"- **{contributor.title}.** {contributor.text}")
    st.header("Checks you can do")
    for check in advice.self_checks:
        with st.expander(check.title):
            st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(check.how, 1)))
    st.header("When to see a clinician")
    st.markdown("See a physiotherapist, sports doctor or chiropractor - whatever the sole shows - if you have:\n"
                + "\n".join(f"- {flag.text}" for flag in advice.red_flags))
