"""The same shoes over time: wear by zone against date (or mileage), and what changed, in words.

Zone scores follow the clinician's corrections where given, the model's
reading otherwise. A sole only ever loses rubber, so a reading that says
"less worn" than last time is pointed out as a photo to compare, not as
healing.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from inference.cases.records import CaseRecord, ShoeRecord  # noqa: E402
from inference.taxonomy import Taxonomy  # noqa: E402

#: A drop in severity this large between visits is pointed out (photos may not be comparable).
LESS_WORN = 0.05


def side_series(case: CaseRecord, side: str) -> list[tuple[object, ShoeRecord]]:
    """(visit date, reading) of one shoe, oldest first."""
    return [(v.visit_date, s) for v in case.visits if (s := v.shoe(side)) is not None]


def _faster_zone(before: ShoeRecord, after: ShoeRecord, taxonomy: Taxonomy, margin: float) -> str | None:
    zones = [z for z in taxonomy.zone_ids if z in before.zones and z in after.zones]
    if not zones:
        return None
    growth = {z: after.zones[z] - before.zones[z] for z in zones}
    mean = sum(growth.values()) / len(growth)
    zone = max(growth, key=growth.get)
    if growth[zone] - mean < margin:
        return None
    return (f"{taxonomy.zone(zone).label.lower()} worn faster than the rest since the last visit "
            f"({growth[zone]:+.2f} against {mean:+.2f} on average)")


def change_notes(case: CaseRecord, taxonomy: Taxonomy, faster_than_rest: float) -> dict[str, list[str]]:
    """What changed between each shoe's last two visits: sentences under a heading per shoe."""
    notes: dict[str, list[str]] = {}
    for side in taxonomy.sides:
        series = side_series(case, side)
        if len(series) < 2:
            continue
        (since, before), (when, after) = series[-2], series[-1]
        said = []
        if (zone := _faster_zone(before, after, taxonomy, faster_than_rest)) is not None:
            said.append(zone[0].upper() + zone[1:] + ".")
        old, new = before.clinician_label or before.model_label, after.clinician_label or after.model_label
        if old != new and old in taxonomy.class_ids and new in taxonomy.class_ids:
            said.append(f"The reading changed from {taxonomy.wear_class(old).label.lower()} to "
                        f"{taxonomy.wear_class(new).label.lower()}.")
        if before.severity is not None and after.severity is not None and after.severity < before.severity - LESS_WORN:
            said.append(f"Reads less worn overall than at the last visit ({before.severity:.2f} -> {after.severity:.2f}); "
                        "a sole cannot regrow, so compare the two photos' light and framing.")
        elif (before.mileage_km is not None and after.mileage_km is not None and after.mileage_km > before.mileage_km
              and before.severity is not None and after.severity is not None):
            per_100 = (after.severity - before.severity) / (after.mileage_km - before.mileage_km) * 100
            said.append(f"Overall severity {per_100:+.3f} per 100 km since the last visit.")
        if said:
            notes[f"{side.capitalize()} shoe, {since.isoformat()} to {when.isoformat()}"] = said
    return notes


def trend_chart(case: CaseRecord, taxonomy: Taxonomy, x: str = "date") -> Image.Image:
    """One panel per shoe: each zone's wear and the overall severity against date or mileage."""
    if x not in ("date", "mileage"):
        raise ValueError(f"x must be 'date' or 'mileage', not {x!r}")
    fig, axes = plt.subplots(1, len(taxonomy.sides), figsize=(8, 4.2), sharey=True, dpi=100)
    # Colour by the zone's band along the sole, line style by its side: seven lines stay tellable apart.
    bands = sorted({tuple(z.v) for z in taxonomy.zones})
    colours = plt.get_cmap("tab10")
    style = {"both": "-", "medial": "--", "lateral": "-"}
    for ax, side in zip(axes, taxonomy.sides):
        points = [(d if x == "date" else s.mileage_km, s) for d, s in side_series(case, side)]
        points = [(at, s) for at, s in points if at is not None]
        for zone in taxonomy.zones:
            ax.plot([at for at, _ in points], [s.zones.get(zone.id) for _, s in points], marker="o", ms=3, lw=1.4,
                    color=colours(bands.index(tuple(zone.v))), ls=style.get(zone.side, "-"), label=zone.label)
        ax.plot([at for at, _ in points], [s.severity for _, s in points], marker="s", lw=2.6, color="black",
                label="Overall severity")
        ax.set_title(f"{side.capitalize()} shoe" + ("" if points else " (no visits with this information)"))
        ax.set_xlabel("visit date" if x == "date" else "shoe mileage (km)")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        if x == "date":
            ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=4))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %Y"))
            ax.tick_params(axis="x", labelrotation=20)
    axes[0].set_ylabel("wear (0 = new, 1 = worn through)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return Image.open(buffer).convert("RGB")


def visit_rows(case: CaseRecord, taxonomy: Taxonomy, sides: Sequence[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """A table of the visits (header, rows) for the page and the PDF: one row per shoe per visit."""
    header = ["Date", "Shoe", "Model read", "Clinician", "Severity", "Mileage (km)"]
    rows = []
    for visit in case.visits:
        for shoe in visit.shoes:
            if sides is not None and shoe.side not in sides:
                continue
            rows.append([visit.visit_date.isoformat(), shoe.side, label_words(shoe.model_label, taxonomy),
                         label_words(shoe.clinician_label, taxonomy, none="not labelled"),
                         "-" if shoe.severity is None else f"{shoe.severity:.2f}",
                         "-" if shoe.mileage_km is None else f"{shoe.mileage_km:g}"])
    return header, rows


def label_words(label: str | None, taxonomy: Taxonomy, none: str = "can't tell") -> str:
    if label is None:
        return none
    return taxonomy.wear_class(label).label if label in taxonomy.class_ids else label
