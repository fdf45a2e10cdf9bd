"""The taxonomy config: loads, is validated, and its geometry is consistent."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from inference.config import ConfigError, load_yaml
from inference.taxonomy import load_taxonomy, parse_taxonomy
from inference.zones import zone_index_map


def test_design_classes_and_zones_are_present():
    tax = load_taxonomy()
    assert len(tax.classes) == 5 and len(tax.zones) == 7
    assert len(set(tax.class_ids)) == 5
    assert tax.canonical_frame.side == "left" and tax.canonical_frame.medial_on == "left"


def test_mirror_swaps_medial_and_lateral_and_is_an_involution():
    tax = load_taxonomy()
    for zone in tax.zones:
        partner = tax.zone(tax.mirror_zone(zone.id))
        assert tax.mirror_zone(partner.id) == zone.id
        assert partner.v == zone.v
        if zone.side != "both":
            assert partner.side != zone.side


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["classes"].append(dict(d["classes"][0])), "duplicate class"),
        (lambda d: d["zones"][0].update(v=[0.0, 0.10]), "tile the sole"),
        (lambda d: d["classes"][0].update(id="Over Pronation"), "pattern"),
        (lambda d: d.pop("zones"), "zones"),
        (lambda d: d["zones"][1].update(side="inner"), "side"),
    ],
)
def test_broken_taxonomy_fails_loudly(mutate, message):
    data = copy.deepcopy(load_yaml("taxonomy"))
    mutate(data)
    with pytest.raises(ConfigError, match=message):
        parse_taxonomy(data)


def test_zone_map_splits_at_local_midline_and_covers_the_sole():
    tax = load_taxonomy()
    v, u = np.meshgrid(np.linspace(0, 1, 101), np.linspace(0, 1, 21), indexing="ij")
    zmap = zone_index_map(u, v, np.ones_like(u, bool), tax)
    assert (zmap >= 0).all()
    heel_medial, heel_lateral = tax.zone_ids.index("heel_medial"), tax.zone_ids.index("heel_lateral")
    assert zmap[-1, 0] == heel_medial and zmap[-1, -1] == heel_lateral
    assert set(np.unique(zmap)) == set(range(len(tax.zones)))


def test_the_other_shoe_of_a_pair_is_the_other_side():
    tax = load_taxonomy()
    assert [tax.other_side(s) for s in tax.sides] == list(reversed(tax.sides))
    with pytest.raises(KeyError, match="unknown side"):
        tax.other_side("middle")
