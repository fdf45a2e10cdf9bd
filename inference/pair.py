"""Left and right shoe of one runner: per-zone asymmetry, in numbers and in words.

Both results are in the canonical frame (medial is medial for either foot),
so zones compare directly. A difference beyond `pair.asymmetry_flag` is worth
a look; two shoes of the same side usually mean a mix-up at upload.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from inference.results import Prediction
from inference.settings import InferenceSettings
from inference.taxonomy import load_taxonomy
from inference.wording import part_words


@dataclass
class PairReport:
    asymmetry: dict[str, float] = field(default_factory=dict)   # right minus left, per zone
    largest_zone: str | None = None
    summary: str = ""
    flagged: bool = False                                        # a difference past the threshold
    notes: list[str] = field(default_factory=list)              # mix-ups, disagreements

    def to_dict(self) -> dict:
        return asdict(self)


def compare_pair(a: Prediction, b: Prediction, settings: InferenceSettings) -> PairReport:
    """Compare two results; which is left and which is right is read from their sides.

    The asymmetry alert needs two sure readings: when either shoe is flagged
    unsure, its zones are a weak hint, and a difference between a weak hint and
    a reading is no finding.
    """
    tax = load_taxonomy()
    report = PairReport()
    if not (a.zones and b.zones):
        report.summary = "Both shoes need a readable result to be compared."
        return report
    if a.side == b.side:
        report.notes.append(f"Both photos look like {a.side} shoes. Check that you uploaded one left and one right shoe "
                            "(or set the side of each photo by hand).")
        left, right = a, b
    else:
        left, right = (a, b) if a.side == tax.sides[0] else (b, a)
    report.asymmetry = {z: round(right.zones[z] - left.zones[z], 4) for z in tax.zone_ids}
    zone = max(report.asymmetry, key=lambda z: abs(report.asymmetry[z]))
    diff = report.asymmetry[zone]
    report.largest_zone = zone
    unsure = [p.side for p in (left, right) if "low_confidence" in p.flags]
    report.flagged = abs(diff) >= settings.pair.asymmetry_flag and not unsure
    more, less = (right, left) if diff > 0 else (left, right)
    label = tax.zone(zone).label.lower()
    if unsure:
        report.summary = (f"Left and right are not compared: the reading of the {' and '.join(unsure)} shoe is unsure "
                          f"(largest difference {abs(diff):.2f}, at the {label}, for what it is worth).")
    elif report.flagged:
        report.summary = (f"The {more.side} shoe is clearly more worn at the {label} "
                          f"({more.zones[zone]:.2f} against {less.zones[zone]:.2f}). An asymmetry like this is worth "
                          "a look: it can come from a difference between the legs in mobility, strength or an old injury.")
    else:
        report.summary = f"Both shoes wear much alike (largest difference {abs(diff):.2f}, at the {label})."
    if left.label and right.label and left.label != right.label:
        report.notes.append(f"The two shoes show different patterns: {tax.wear_class(left.label).label.lower()} on the left, "
                            f"{tax.wear_class(right.label).label.lower()} on the right.")
    return report


def zone_table(predictions: list[Prediction]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the zone table shown to clinicians (app and report alike).

    One column per readable shoe, named by its side; with two shoes a last
    column gives right minus left, matching `compare_pair`'s asymmetry.
    """
    tax = load_taxonomy()
    shoes = [p for p in predictions if p.ok]  # a "can't tell" shoe has no honest scores
    if len(shoes) == 2 and shoes[0].side != shoes[1].side and shoes[0].side != tax.sides[0]:
        shoes = shoes[::-1]  # left first
    header = ["Zone"] + [f"{(p.side or '?').capitalize()} shoe" + (f" ({part_words(p.part)})" if p.part else "") for p in shoes]
    pair = len(shoes) == 2 and shoes[0].side != shoes[1].side
    if pair:
        header.append("Right - left")
    rows = []
    for z in tax.zone_ids:
        row = [tax.zone(z).label] + [f"{p.zones[z]:.2f}" for p in shoes]
        if pair:
            row.append(f"{shoes[1].zones[z] - shoes[0].zones[z]:+.2f}")
        rows.append(row)
    rows.append(["Overall severity"] + [f"{p.severity:.2f}" for p in shoes] +
                ([f"{shoes[1].severity - shoes[0].severity:+.2f}"] if pair else []))
    return header, rows
