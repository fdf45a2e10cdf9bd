"""The clinician's page: both shoes side by side, zone table, asymmetry, checklist and a PDF report.

Nothing typed here (reference, findings, notes) is stored: it lives in this
browser session and in the PDF the clinician chooses to download - unless
the clinician switches the case log on and saves a visit with the runner's
consent (`ui.cases`).
"""

from __future__ import annotations

import streamlit as st

from inference.knowledge import advice_for
from inference.pair import zone_table
from inference.report import ChecklistItem, ReportInput, build_report
from inference.results import Prediction
from inference.taxonomy import load_taxonomy
from ui.cases import case_log_switch, cases_page, save_visit_form
from ui.shared import EXAMPLE_PAIR, NOT_STORED, UPLOAD_TYPES, Photo, analyse, get_predictor, pair_section, result_cards

STATE = "clinician_results"


def _inputs() -> list[Photo]:
    """One uploader per side (the clinician knows which shoe is which), or the example pair."""
    sides = load_taxonomy().sides
    columns = st.columns(2)
    photos: list[Photo] = []
    for side, column in zip(sides, columns):
        upload = column.file_uploader(f"{side.capitalize()} shoe", type=UPLOAD_TYPES, key=f"clinician_{side}")
        if upload is not None:
            photos.append((upload.name, upload.getvalue(), side))
    if st.button("Use the example pair", key="clinician_example"):
        st.session_state["clinician_examples"] = True
    if not photos and st.session_state.get("clinician_examples"):
        photos = [(p.name, p.read_bytes(), side) for p, side in zip(EXAMPLE_PAIR, sides)]
    return photos


def _checklist(suggested, more) -> list[ChecklistItem]:
    """Suggested checks first, the rest folded away; each with a done box and a findings field."""
    items = []

    def item(cid: str, check) -> None:
        done = st.checkbox(f"**{check.title}** - {check.detail}", key=f"check_{cid}")
        note = st.text_input("Findings", key=f"note_{cid}", label_visibility="collapsed",
                             placeholder=f"Findings: {check.title.lower()}")
        items.append(ChecklistItem(check.title, check.detail, done, note))

    for cid, check in suggested:
        item(cid, check)
    with st.expander("Other checks"):
        for cid, check in more:
            item(cid, check)
    return [i for i in items if i.done or i.note or any(i.title == c.title for _, c in suggested)]


def clinician_page() -> None:
    st.caption("An intake aid: the wear on the soles as a starting point for your own assessment. " + NOT_STORED +
               " Notes and findings stay in this browser session and in the report you download, unless you save "
               "a visit to the case log with the runner's consent.")
    log = case_log_switch()
    if log is not None and st.radio("Case log", ["New visit", "Cases"], horizontal=True, key="clinic_mode",
                                    label_visibility="collapsed") == "Cases":
        cases_page(log)
        return
    if log is not None and st.session_state.get("case_id"):
        st.info(f"Saving to case {st.session_state['case_id']}: upload the shoes, then use 'Save to the case log'.")
    photos = _inputs()
    if not photos:
        return
    predictions: list[Prediction] = analyse(photos, STATE)
    result_cards(predictions, compact=True)
    header, rows = zone_table(predictions)
    if len(header) > 1:
        st.subheader("Zone table")
        st.table({name: [row[k] for row in rows] for k, name in enumerate(header)})
    pair = pair_section(predictions, "Asymmetry")
    if log is not None:
        save_visit_form(log, photos, predictions)
    advice = advice_for(predictions)
    st.subheader("Suggested clinical checks")
    items = _checklist(advice.clinician_checks, advice.more_clinician_checks)
    st.subheader("Report")
    reference = st.text_input("Reference for the printout (optional, e.g. initials or a file number)", key="reference")
    notes = st.text_area("Notes", key="clinician_notes")
    predictor = get_predictor()
    report = ReportInput(predictions, advice, pair, items, reference=reference, notes=notes,
                         model_info=predictor.model_info, provenance=predictor.provenance, settings=predictor.settings)
    # A callable: the PDF is built when the button is clicked, not again on every tick of the checklist.
    st.download_button("Download the report (PDF)", data=lambda: build_report(report), file_name=report.file_name,
                       mime="application/pdf", icon=":material/download:")
