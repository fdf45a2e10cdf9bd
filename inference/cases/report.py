"""A case's PDF: its visits, the trend chart of each zone's wear, what changed, and the photos.

Built in memory like the intake report (and with its building blocks); the
case id is the only identifier on it.
"""

from __future__ import annotations

import datetime as dt
import io

from fpdf.enums import XPos, YPos
from PIL import Image

from inference.cases.records import CaseRecord
from inference.cases.trend import change_notes, trend_chart, visit_rows
from inference.report import ReportPdf, heading, latin1, paragraph, table, thumbnail
from inference.taxonomy import Taxonomy

DISCLAIMER = ("A wear pattern is a clue, not a diagnosis. The readings come from a model that learned from simulated "
              "soles; its accuracy on real worn soles is not yet measured.")


def _photos(pdf: ReportPdf, case: CaseRecord, photo_bytes) -> None:
    """A row of thumbnails per visit (left then right)."""
    height = 42.0
    for visit in case.visits:
        if pdf.get_y() + height + 8 > pdf.page_break_trigger:
            pdf.add_page()
        sides = ", ".join(shoe.side for shoe in visit.shoes)
        paragraph(pdf, f"{visit.visit_date.isoformat()} ({sides})" + (f" - {visit.notes}" if visit.notes else ""))
        y = pdf.get_y() + 1
        x = pdf.l_margin
        for shoe in visit.shoes:
            picture = thumbnail(Image.open(io.BytesIO(photo_bytes(shoe.photo_sha256))), 400)
            width = height * picture.width / picture.height
            pdf.image(picture, x=x, y=y, w=width, h=height)
            x += width + 4
        pdf.set_y(y + height + 2)


def build_case_report(case: CaseRecord, taxonomy: Taxonomy, faster_than_rest: float, photo_bytes,
                      x: str = "date", today: dt.date | None = None) -> bytes:
    """The case report as PDF bytes; `photo_bytes(sha256)` returns a stored photo."""
    today = today or dt.date.today()
    pdf = ReportPdf(format="A4")
    pdf.footer_text = f"solewear case report {case.case_id}, {today.isoformat()}. Not a diagnosis."
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, latin1(f"solewear - case {case.case_id}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    paragraph(pdf, f"{len(case.visits)} visit(s), printed {today.strftime('%d %B %Y')}.")
    pdf.set_fill_color(255, 243, 205)
    pdf.multi_cell(0, 4.5, latin1(DISCLAIMER), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    heading(pdf, "Visits")
    table(pdf, *visit_rows(case, taxonomy))
    heading(pdf, "Wear over time")
    chart = trend_chart(case, taxonomy, x)
    width = pdf.epw
    if pdf.get_y() + width * chart.height / chart.width > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(chart, x=pdf.l_margin, w=width)
    notes = change_notes(case, taxonomy, faster_than_rest)
    heading(pdf, "What changed since the last visit")
    if not notes:
        paragraph(pdf, "Nothing to compare yet: each shoe needs two visits.")
    for shoe, sentences in notes.items():
        paragraph(pdf, " ".join(sentences), f"{shoe}:")
    heading(pdf, "Photos")
    _photos(pdf, case, photo_bytes)
    return bytes(pdf.output())
