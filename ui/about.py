"""About the model: facts read from the checkpoint's metadata, then MODEL_CARD.md with its figures."""

from __future__ import annotations

import re

import streamlit as st

from inference.taxonomy import load_taxonomy
from ui.shared import ROOT, get_predictor


def _checkpoint_facts() -> None:
    predictor = get_predictor()
    meta = predictor.meta
    versions = meta.get("versions", {})
    st.subheader("The model in use")
    st.table({
        "What": ["File", "Architecture", "Input", "Trained on", "Epoch kept", "Temperature", "Data fingerprint", "Software"],
        "Value": [predictor.checkpoint.name, meta.get("model", {}).get("arch", "?"),
                  f"{predictor.pre.input_size} px, {predictor.backend} backend",
                  f"{predictor.training_photos}, +{meta.get('n_val', '?')} for validation",
                  str(meta.get("epoch", "?")), f"{predictor.temperature:.2f}", str(meta.get("data_fingerprint", "?")),
                  ", ".join(f"{k} {v}" for k, v in versions.items())],
    })


def about_page() -> None:
    _checkpoint_facts()
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


def patterns_glossary() -> None:
    with st.expander("The wear patterns solewear knows"):
        for wear_class in load_taxonomy().classes:
            st.markdown(f"**{wear_class.label}** - {wear_class.shows}. Commonly suggests {wear_class.suggests}.")
