"""The clinician's case log in the app: save a consented visit, and the cases page (find, open, follow
over time, correct, delete, export, print). Layout only: storage, checks, charts, wording, the export
and the PDF all live in `inference.cases`. Every action that changes data asks once more.
"""

from __future__ import annotations

import datetime as dt
import os

import streamlit as st

from inference.cases.database import DATABASE_ENV, CaseLogError, pointed_at
from inference.cases.entries import UNSURE
from inference.cases.export import export_zip, exportable
from inference.cases.records import CaseRecord
from inference.cases.report import build_case_report
from inference.cases.store import CaseLog
from inference.cases.trend import change_notes, label_words, trend_chart, visit_rows
from inference.results import Prediction
from inference.settings import CaseLog as CaseLogSettings
from inference.settings import load_inference_settings
from inference.taxonomy import load_taxonomy
from ui.shared import Photo, get_predictor

CONSENT = ("The runner agrees that these photos and readings are stored in this clinic's case log and may be used, "
           "without their name, to train the model.")


def case_log_settings() -> CaseLogSettings:
    """The configured log, pointed at $SOLEWEAR_CASE_DB when the server was started with it."""
    return pointed_at(load_inference_settings().case_log, os.environ.get(DATABASE_ENV))


@st.cache_resource(show_spinner=False)
def _open_log(database: str, photos: str | None) -> CaseLog:
    """One log (engine and its connection pool) per database, shared by the server's sessions."""
    return CaseLog.open(case_log_settings().model_copy(update={"database": database, "photos": photos}))


def case_log_switch() -> CaseLog | None:
    """The on/off switch (off unless configured on); the open log when on, None otherwise."""
    settings = case_log_settings()
    if not st.toggle("Case log: keep consented cases to follow the same shoes over time", value=settings.enabled,
                     key="case_log_on"):
        return None
    try:
        return _open_log(settings.database, settings.photos)
    except CaseLogError as exc:
        st.error(f"The case log cannot be opened: {exc}")
        return None


def _confirm(key: str, label: str, question: str, disabled: bool = False) -> bool:
    """A button that asks once more; True on the run where the clinician confirms."""
    asking = f"{key}_asking"
    if st.button(label, key=key, disabled=disabled):
        st.session_state[asking] = True
    if not st.session_state.get(asking):
        return False
    st.warning(question)
    yes, no = st.columns(2)
    if yes.button(f"Yes, {label[0].lower()}{label[1:]}", key=f"{key}_yes", type="primary"):
        del st.session_state[asking]
        return True
    if no.button("Cancel", key=f"{key}_no"):
        del st.session_state[asking]
        st.rerun()
    return False


def _label_choice(key: str, current: str | None = None) -> str | None:
    options = [None, *load_taxonomy().class_ids, UNSURE]
    return st.selectbox("Your label", options, index=options.index(current), key=key,
                        format_func=lambda o: "not labelled" if o is None else label_words(o, load_taxonomy()))


def _shoe_fields(name: str, pred: Prediction) -> dict:
    """What the clinician adds to one shoe: label, mileage and zone corrections (blank = as read)."""
    tax = load_taxonomy()
    st.markdown(f"**{(pred.side or name).capitalize()} shoe** - model: {label_words(pred.label, tax)}")
    label = _label_choice(f"case_label_{name}")
    mileage = st.number_input("Shoe mileage, km (if known)", min_value=0.0, max_value=10_000.0, value=None,
                              step=10.0, key=f"case_km_{name}")
    corrections = {}
    with st.expander("Correct zone scores"):
        for zone in tax.zone_ids:
            value = st.number_input(f"{tax.zone(zone).label} (model {pred.zones.get(zone, 0):.2f})", min_value=0.0,
                                    max_value=1.0, value=None, step=0.05, key=f"case_zone_{name}_{zone}")
            if value is not None:
                corrections[zone] = value
    return {"clinician_label": label, "mileage_km": mileage, "zone_corrections": corrections}


def save_visit_form(log: CaseLog, photos: list[Photo], predictions: list[Prediction]) -> None:
    """Save the shoes just read as a visit of a case - only with the runner's consent ticked."""
    st.subheader("Save to the case log")
    st.caption("Use a pseudonymous case id (e.g. RUN-0042): never a name, e-mail address or phone number.")
    case_id = st.text_input("Case id", key="case_id", max_chars=40)
    visit_date = st.date_input("Visit date", value=dt.date.today(), max_value=dt.date.today(), key="case_date")
    shoes = []
    for column, ((name, data, side), pred) in zip(st.columns(len(photos)), zip(photos, predictions)):
        with column:
            shoes.append({"side": side or pred.side, "photo": data, "result": pred.to_dict(),
                          **_shoe_fields(side or name, pred)})
    notes = st.text_area("Visit notes (stored with the case; the report's notes are not)", key="case_notes",
                         max_chars=2000)
    consent = st.checkbox(CONSENT, key="case_consent")
    if not (consent and case_id.strip()):
        st.caption("To save: enter a case id and tick the runner's consent.")
    question = f"Save the visit of {visit_date.isoformat()} ({len(shoes)} shoe(s)) under case {case_id.strip()!r}?"
    if _confirm("case_save", "Save this visit", question, disabled=not (consent and case_id.strip() and shoes)):
        try:
            log.save_visit(case_id=case_id, visit_date=visit_date, consent=consent, shoes=shoes, notes=notes,
                           model_version=get_predictor().model_version)
        except CaseLogError as exc:
            st.error(f"Nothing was saved: {exc}")
        else:
            st.success(f"Saved under case {case_id.strip()}.")


def _visits_side_by_side(log: CaseLog, case: CaseRecord) -> None:
    tax = load_taxonomy()
    recent = case.visits[-4:]
    for column, visit in zip(st.columns(len(recent)), recent):
        with column:
            st.markdown(f"**{visit.visit_date.isoformat()}**")
            for shoe in visit.shoes:
                clinician = label_words(shoe.clinician_label, tax, none="not labelled")
                st.image(log.photos.read(shoe.photo_sha256), width="stretch",
                         caption=f"{shoe.side.capitalize()} - model: {label_words(shoe.model_label, tax)}; "
                                 f"clinician: {clinician}")


def _changes(log: CaseLog, case: CaseRecord) -> None:
    """Correct a label, add or delete a visit, delete the case - each confirmed."""
    tax = load_taxonomy()
    st.markdown("**Change this case**")
    readings = {f"{v.visit_date.isoformat()} {s.side}": s for v in case.visits for s in v.shoes}
    which = st.selectbox("Correct the label of", list(readings), key="case_fix_which")
    reading = readings[which]
    label = _label_choice("case_fix_label", reading.clinician_label)
    if _confirm("case_fix", "Save the label", f"Label {which} as {label_words(label, tax, none='not labelled')}?"):
        log.correct(reading.pk, label)
        st.rerun()
    st.button("Add a visit to this case", key="case_add_visit", on_click=_start_visit, args=(case.case_id,))
    visits = {f"{v.visit_date.isoformat()}" + (f" (visit {k})" if len(case.visits) > 1 else ""): v.pk
              for k, v in enumerate(case.visits, 1)}
    gone = st.selectbox("Visit to delete", list(visits), key="case_del_which")
    if _confirm("case_del_visit", "Delete this visit", f"Delete the visit {gone} and its photos? This cannot be undone."):
        log.delete_visit(visits[gone])
        st.rerun()
    if _confirm("case_del_case", "Delete the whole case",
                f"Delete case {case.case_id}, all {len(case.visits)} visit(s) and their photos? This cannot be undone."):
        log.delete_case(case.case_id)
        st.session_state.pop("case_open", None)
        st.rerun()


def _start_visit(case_id: str) -> None:
    st.session_state["clinic_mode"] = "New visit"
    st.session_state["case_id"] = case_id


def case_view(log: CaseLog, case: CaseRecord) -> None:
    tax = load_taxonomy()
    settings = case_log_settings()
    st.subheader(f"Case {case.case_id}")
    _visits_side_by_side(log, case)
    header, rows = visit_rows(case, tax)
    st.table({name: [row[k] for row in rows] for k, name in enumerate(header)})
    x = st.radio("Chart wear against", ["date", "mileage"], horizontal=True, key="case_chart_x")
    st.image(trend_chart(case, tax, x), caption="Wear by zone and overall severity, left and right")
    notes = change_notes(case, tax, settings.faster_than_rest)
    if not notes:
        st.info("Each shoe needs two visits to compare.")
    for shoe, sentences in notes.items():
        st.info(f"**{shoe}**\n" + "\n".join(f"- {s}" for s in sentences))
    st.download_button("Download the case report (PDF)", key="case_pdf", mime="application/pdf",
                       file_name=f"solewear-case-{case.case_id}-{dt.date.today().isoformat()}.pdf",
                       data=lambda: build_case_report(case, tax, settings.faster_than_rest, log.photos.read, x))
    _changes(log, case)


def cases_page(log: CaseLog) -> None:
    """Find a case by id and date, open it, export the labelled photos."""
    search = st.text_input("Search by case id", key="case_search")
    since_col, until_col = st.columns(2)
    since = since_col.date_input("Seen from", value=None, key="case_since")
    until = until_col.date_input("Seen until", value=None, key="case_until")
    cases = log.cases(search, since, until)
    if not cases:
        st.info("No case matches. Cases are saved from 'New visit', with the runner's consent.")
        return
    st.table({"Case": [c.case_id for c in cases], "Visits": [c.visits for c in cases],
              "First visit": [str(c.first_visit) for c in cases], "Last visit": [str(c.last_visit) for c in cases]})
    labelled, left_out = exportable(log, load_taxonomy())
    st.download_button("Export labelled photos for training (ZIP)", key="case_export", mime="application/zip",
                       file_name=f"solewear-cases-{dt.date.today().isoformat()}.zip", disabled=not labelled,
                       data=lambda: export_zip(log, load_taxonomy())[0])
    st.caption(f"{labelled} photo(s) labelled with a wear class go into the export; {left_out} labelled 'unsure' or "
               "not labelled stay out.")
    chosen = st.selectbox("Open a case", [c.case_id for c in cases], index=None, key="case_open")
    case = log.case(chosen) if chosen else None
    if case is not None:
        case_view(log, case)
