"""The metrics the project reports come from the field's libraries and behave as their definitions say."""

from __future__ import annotations

import numpy as np
import pytest

from training.metrics import bootstrap_ci, box_iou


def test_box_iou_of_centre_size_boxes():
    a = np.array([[0.5, 0.5, 0.2, 0.4], [0.3, 0.3, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1]])
    b = np.array([[0.5, 0.5, 0.2, 0.4], [0.35, 0.3, 0.1, 0.1], [0.8, 0.8, 0.1, 0.1]])
    assert box_iou(a, b) == pytest.approx([1.0, 0.05 / 0.15, 0.0])
    assert box_iou(np.zeros((0, 4)), np.zeros((0, 4))).shape == (0,)


def test_bootstrap_intervals_hold_the_estimate_and_narrow_with_more_photos():
    rng = np.random.default_rng(0)

    def interval(n):
        y = rng.integers(0, 5, n)
        pred = np.where(rng.random(n) < 0.9, y, rng.integers(0, 5, n))
        ci = bootstrap_ci(y, pred, 5, n_boot=300)
        return ci, (pred == y).mean()

    (small, acc_small), (large, acc_large) = interval(200), interval(2000)
    assert small["accuracy"][0] <= acc_small <= small["accuracy"][1]
    assert large["accuracy"][0] <= acc_large <= large["accuracy"][1]
    assert large["accuracy"][1] - large["accuracy"][0] < small["accuracy"][1] - small["accuracy"][0]
    assert 0 <= large["macro_f1"][0] < large["macro_f1"][1] <= 1
