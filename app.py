"""solewear's Streamlit app: layout and user flow only.

Business logic lives in the `inference` package; this script only arranges
what it returns on the page.
"""

from __future__ import annotations

import streamlit as st

from inference.model_store import NO_MODEL_MESSAGE, bundled_checkpoint
from inference.taxonomy import load_taxonomy

st.set_page_config(page_title="solewear - what your shoe sole says", page_icon=":athletic_shoe:", layout="centered")

st.title("solewear")
st.caption("What the wear on your running shoe's sole may say about how you move.")
st.info(
    "A wear pattern is a clue, not a diagnosis. solewear points at things worth checking; "
    "it cannot tell you what is wrong. Pain, numbness or swelling deserve a clinician's look."
)

taxonomy = load_taxonomy()

if bundled_checkpoint() is None:
    st.warning(NO_MODEL_MESSAGE, icon=":material/warning:")

with st.expander("The wear patterns solewear knows"):
    for wear_class in taxonomy.classes:
        st.markdown(f"**{wear_class.label}** - {wear_class.shows}. Commonly suggests {wear_class.suggests}.")
