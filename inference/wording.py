"""Plain words for a result: the headline a runner reads first and why a result is uncertain.

Kept out of the Streamlit code so the CLI, the report and the app say the
same thing, and so it can be tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from inference.results import Prediction
from inference.settings import InferenceSettings
from inference.taxonomy import load_taxonomy


@dataclass(frozen=True)
class Verdict:
    title: str            # e.g. "Over-pronation" or "Can't tell"
    certain: bool         # False: show as "can't tell" / weak hint
    shows: str            # what the sole shows
    suggests: str         # what it commonly suggests
    reasons: list[str]    # flag messages, in order
    warnings: list[str] = field(default_factory=list)   # what the person should check (a side that looks wrong)


def verdict(pred: Prediction, settings: InferenceSettings) -> Verdict:
    """The headline and the reasons; an unsure answer says which part of the rule applied, in words."""
    tax = load_taxonomy()
    reasons = []
    for flag in pred.flags:
        if flag == "low_confidence" and pred.unsure_reasons:
            reasons += [settings.unsure_messages[r] for r in pred.unsure_reasons]
        else:
            reasons.append(settings.flag_messages[flag])
    warnings = [f"You said this is the {pred.side} shoe, but the photo looks like a {pred.side_conflict} shoe. "
                "Check the side: a wrong side swaps the inner and outer edges and changes the reading."
                ] if pred.side_conflict else []
    if pred.error and not pred.flags:
        return Verdict("Can't read this file", False, "", "", [pred.error])
    if pred.label is None:
        return Verdict("Can't tell", False, "", "", reasons, warnings)
    wc = tax.wear_class(pred.label)
    if "too_new" in pred.unsure_reasons:
        return Verdict("No wear pattern yet", False, wc.shows, wc.suggests, reasons, warnings)
    unsure = "low_confidence" in pred.flags
    title = f"Perhaps {wc.label.lower()}" if unsure else wc.label
    return Verdict(title, not unsure, wc.shows, wc.suggests, reasons, warnings)


def orientation_words(orientation: str | None) -> str:
    """Which way the toe pointed in the photo, in words (`toe_down` -> "toe at the bottom")."""
    return {"toe_up": "toe at the top", "toe_right": "toe pointing right", "toe_down": "toe at the bottom",
            "toe_left": "toe pointing left"}.get(orientation or "", "toe direction unknown")


def part_words(part: str | None) -> str:
    """Which sole of a photo a result is, for a caption: "left half" of a pair split in two, or "sole 2" of several."""
    if part is None:
        return ""
    return part if part.startswith("sole") else f"{part} half"
