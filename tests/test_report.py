"""The clinician's PDF report: it opens as a PDF and carries photos, pictures, results, checklist and notes."""

from __future__ import annotations

import re
import zlib
from dataclasses import replace

import pytest

from inference.knowledge import advice_for
from inference.model_store import bundled_checkpoint
from inference.pair import compare_pair, zone_table
from inference.report import ChecklistItem, ReportInput, build_report
from inference.results import Prediction
from inference.settings import load_inference_settings

pytestmark = pytest.mark.skipif(bundled_checkpoint() is None, reason="no bundled model")


def _pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages (fpdf2 deflates page streams; strings sit in (...) Tj operators)."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            continue  # an image
    shown = re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", b"\n".join(chunks), re.S)
    return " ".join(s.decode("latin-1").replace("\\(", "(").replace("\\)", ")") for s in shown)


@pytest.fixture(scope="module")
def pair(repo) -> list[Prediction]:
    from inference.predictor import Predictor

    samples = sorted((repo / "data" / "samples").glob("*.jpg"))[:2]
    groups = Predictor().predict_batch(samples, ["left", "right"], explain=True)
    return [p for g in groups for p in g]


def test_report_holds_photos_pictures_results_checklist_and_notes(pair):
    advice = advice_for(pair)
    cid, check = advice.clinician_checks[0]
    items = [ChecklistItem(check.title, check.detail, True, "knee to wall 6 cm left, 11 cm right")]
    pdf = build_report(ReportInput(pair, advice, compare_pair(*pair, load_inference_settings()), items, reference="AB-17",
                                   notes="Ran a marathon in May.", model_info="Model test",
                                   settings=load_inference_settings()))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Subtype\s*/Image", pdf)) >= 6      # photo, heatmap and zone diagram per shoe
    text = _pdf_text(pdf)
    for expected in ("AB-17", "Ran a marathon in May.", "knee to wall 6 cm left, 11 cm right", check.title,
                     "[x]", "When to see a clinician", "not a diagnosis", advice.red_flags[0].text,
                     "Right - left", advice.meanings[0][0]):
        assert expected in text, expected
    header, rows = zone_table(pair)
    assert all(row[1] in text for row in rows)                     # every left-shoe zone score is printed


def test_a_report_without_a_readable_shoe_still_opens_and_says_so():
    nothing = [Prediction("wall.jpg", flags=["no_sole_found"], error="No shoe sole was found.")]
    pdf = build_report(ReportInput(nothing, advice_for(nothing), settings=load_inference_settings()))
    text = _pdf_text(pdf)
    assert pdf.startswith(b"%PDF-") and "could not read a wear pattern" in text and "Wear by zone" not in text


def test_the_report_speaks_plain_words_cites_by_title_and_is_named_by_reference_and_date(pair):
    import datetime as dt

    from inference.taxonomy import load_taxonomy

    tax = load_taxonomy()
    flagged = [replace(pair[0], flags=["low_confidence", "side_uncertain"], unsure_reasons=["weak"]), pair[1]]
    data = ReportInput(flagged, advice_for(flagged), reference="AB/17 Smith?", date=dt.date(2026, 12, 4),
                       provenance="The model learned from simulated soles.", settings=load_inference_settings())
    text = _pdf_text(build_report(data))
    ids = [*tax.quality_flags, *tax.orientations]
    assert not [i for i in ids if i in text], [i for i in ids if i in text]          # no flag or orientation ids
    assert "no pattern stands clearly ahead" in text and "hard to tell if this is a left or a right" in text
    assert "toe at the" in text and "The model learned from simulated soles." in text
    assert "shared/" not in text and ".txt" not in text                               # sources by title, no paths
    assert data.file_name == "solewear-report-AB-17-Smith-2026-12-04.pdf"
