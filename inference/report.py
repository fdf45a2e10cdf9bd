"""The printable intake report (PDF, fpdf2): photos, heatmaps, zone diagrams, results, checklist and notes.

Built in memory and handed back as bytes, so the app can offer it as a
download without writing anything to disk. It uses fpdf2's core fonts, which
know Latin-1 only; text is folded to that alphabet here rather than shipping a
font file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from inference.knowledge import Advice, load_knowledge
from inference.pair import PairReport, zone_table
from inference.results import Prediction
from inference.settings import InferenceSettings
from inference.wording import orientation_words, part_words, verdict

_FOLD = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                       "\u2026": "...", "\u2212": "-", "\u00a0": " "})


def latin1(text: str) -> str:
    return text.translate(_FOLD).encode("latin-1", "replace").decode("latin-1")


@dataclass
class ChecklistItem:
    title: str
    detail: str
    done: bool = False
    note: str = ""


@dataclass
class ReportInput:
    predictions: list[Prediction]
    advice: Advice
    pair: PairReport | None = None
    checklist: list[ChecklistItem] = field(default_factory=list)
    reference: str = ""           # whatever the clinician types to recognise the printout; never stored
    notes: str = ""
    model_info: str = ""
    provenance: str = ""          # what the model learned from (Predictor.provenance), said beside each confidence
    date: dt.date = field(default_factory=dt.date.today)
    settings: InferenceSettings = field(kw_only=True)    # the wording of flags and unsure reasons

    @property
    def file_name(self) -> str:
        """The download's name carries the reference and the date, so printouts of several runners stay apart."""
        reference = safe_name(self.reference)
        return f"solewear-report-{reference + '-' if reference else ''}{self.date.isoformat()}.pdf"


def safe_name(text: str) -> str:
    """Text fit for a file name: letters, digits, '-' and '_' only."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40]


class ReportPdf(FPDF):
    """A4 pages with the one-line footer every solewear report carries (date, model, not a diagnosis)."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.set_text_color(110)
        self.cell(0, 5, latin1(f"{self.footer_text}  -  page {self.page_no()}"), align="C")
        self.set_text_color(0)


def heading(pdf: FPDF, text: str, size: int = 12) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, 6, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)


def _plain(text: str) -> str:
    """Latin-1 text with fpdf2's markdown markers (**, __, --) defused."""
    return latin1(text).replace("**", "*").replace("__", "_").replace("--", "-")


def paragraph(pdf: FPDF, text: str, bold_prefix: str = "") -> None:
    prefix = f"**{_plain(bold_prefix)}** " if bold_prefix else ""
    pdf.multi_cell(0, 4.5, prefix + _plain(text), align="L", markdown=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def thumbnail(image: Image.Image, max_px: int = 600) -> Image.Image:
    """Downscale and JPEG-compress for the PDF (a 12 MP photo as raw pixels would make a 30 MB report)."""
    image = image.convert("RGB")
    image.thumbnail((max_px, max_px))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return Image.open(buffer)


def _shoe(pdf: FPDF, pred: Prediction, settings: InferenceSettings, provenance: str) -> None:
    v = verdict(pred, settings)
    name = pred.path + (f" ({part_words(pred.part)})" if pred.part else "")
    heading(pdf, f"{(pred.side or 'Unknown').capitalize()} shoe: {v.title}", 11)
    paragraph(pdf, name)
    pictures = [Image.fromarray(pred.photo)] if pred.photo is not None else []
    if pred.label is not None:  # no heatmap or zone diagram where no honest answer exists
        pictures += [p for p in (pred.heatmap, pred.diagram) if p is not None]
    if pictures:
        height, y = 60.0, pdf.get_y() + 1
        if y + height > pdf.page_break_trigger:
            pdf.add_page()
            y = pdf.get_y()
        x = pdf.l_margin
        for picture in pictures:
            picture = thumbnail(picture)
            width = height * picture.width / picture.height
            pdf.image(picture, x=x, y=y, w=width, h=height)
            x += width + 4
        pdf.set_y(y + height + 2)
    if pred.label is not None and pred.confidence is not None:
        how = "as given" if pred.side_source == "given" else "detected"
        paragraph(pdf, f"{pred.confidence:.0%}; {pred.side} shoe ({how}); {orientation_words(pred.orientation)} in the "
                  f"photo. {provenance}", "Confidence:")
    if v.shows:
        paragraph(pdf, v.shows + ".", "What the sole shows:")
    if pred.label is not None and pred.severity_words:
        paragraph(pdf, pred.severity_words + ".", "Wear:")
    if pred.label is not None and pred.replacement_hint:
        paragraph(pdf, pred.replacement_hint, "Replacement:")
    for warning in v.warnings:
        paragraph(pdf, warning, "Check:")
    for reason in v.reasons:
        paragraph(pdf, reason, "Note:")


def table(pdf: FPDF, header: list[str], rows: list[list[str]]) -> None:
    pdf.set_font("Helvetica", size=9)
    with pdf.table(text_align="LEFT", line_height=5, first_row_as_headings=True) as grid:
        for cells in [header, *rows]:
            row = grid.row()
            for cell in cells:
                row.cell(latin1(cell))


def build_report(data: ReportInput) -> bytes:
    """The whole report as PDF bytes."""
    kb = load_knowledge()
    pdf = ReportPdf(format="A4")
    pdf.footer_text = f"solewear report, {data.date.isoformat()}. {data.model_info}. Not a diagnosis."
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, "solewear - shoe wear report", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    paragraph(pdf, data.date.strftime("%d %B %Y") + (f"   Reference: {data.reference}" if data.reference else ""))
    pdf.set_fill_color(255, 243, 205)
    pdf.multi_cell(0, 4.5, latin1(data.advice.disclaimer), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for pred in data.predictions:
        _shoe(pdf, pred, data.settings, data.provenance)

    header, rows = zone_table(data.predictions)
    if len(header) > 1:
        heading(pdf, "Wear by zone (0 = new, 1 = worn through)")
        table(pdf, header, rows)
    if data.pair is not None and data.pair.summary:
        heading(pdf, "Left and right compared")
        paragraph(pdf, data.pair.summary)
        for note in data.pair.notes:
            paragraph(pdf, note, "Note:")

    heading(pdf, "What it may mean")
    if data.advice.cant_tell:
        paragraph(pdf, data.advice.cant_tell)
    for pattern, description in data.advice.meanings:
        paragraph(pdf, description, f"{pattern}:")
    for contributor in data.advice.contributors:
        paragraph(pdf, contributor.text, f"{contributor.title}.")

    if data.checklist:
        heading(pdf, "Clinical checklist")
        for item in data.checklist:
            paragraph(pdf, item.detail, f"[{'x' if item.done else ' '}] {item.title}:")
            if item.note:
                paragraph(pdf, item.note, "     Finding:")
    if data.notes:
        heading(pdf, "Notes")
        paragraph(pdf, data.notes)

    heading(pdf, "When to see a clinician")
    for flag in data.advice.red_flags:
        paragraph(pdf, "- " + flag.text)
    heading(pdf, "Sources", 10)
    for source in kb.sources.values():
        paragraph(pdf, f"{source.title}.")
    return bytes(pdf.output())
