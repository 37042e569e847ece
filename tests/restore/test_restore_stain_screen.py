"""The stain screen (stains.warmer_than_surround): stain candidates warmer than the paint
around them are kept, cooler ones dropped, and an empty mask stays empty."""

from __future__ import annotations

import numpy as np

from studiolo.capabilities.restore import stains


def test_stain_screen_keeps_warm_patches_and_drops_cool_ones():
    image = np.full((80, 120, 3), (150, 150, 150), np.uint8)
    image[20:40, 10:30] = (160, 135, 100)  # browner than the grey around it
    image[20:40, 70:90] = (120, 140, 175)  # bluer
    found = np.zeros((80, 120), bool)
    found[20:40, 10:30] = found[20:40, 70:90] = True
    kept = stains.warmer_than_surround(image, found)
    assert kept[20:40, 10:30].all()
    assert not kept[20:40, 70:90].any()
    assert not stains.warmer_than_surround(image, np.zeros_like(found)).any()


def test_a_candidate_with_no_paint_around_it_is_dropped():
    image = np.full((30, 30, 3), (170, 140, 100), np.uint8)
    found = np.ones((30, 30), bool)  # the whole tile: no ring to compare with
    assert not stains.warmer_than_surround(image, found).any()
