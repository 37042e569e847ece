"""Ageing: the model's numbers move the right way with time, light and humidity, the frames
change accordingly, and conditions out of range are refused with their name."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from studiolo.capabilities.restore import ageing
from studiolo.capabilities.restore.api import age
from studiolo.core.errors import InvalidArgument

from .conftest import painting


def test_states_grow_with_years_and_start_at_nothing():
    cond = ageing.Conditions(years=100)
    states = [ageing.state(cond, y) for y in (0, 10, 50, 100)]
    assert states[0].varnish == 0 and states[0].cracks == 0 and states[0].colour_left == 1
    for a, b in itertools.pairwise(states):
        assert b.varnish > a.varnish and b.cracks > a.cracks and b.dust > a.dust
        assert b.colour_left < a.colour_left


def test_the_documented_rates():
    # One just-noticeable-fade dose of Blue Wool 1 (0.3 Mlx h) leaves 90 % of the colour.
    cond = ageing.Conditions(years=1, lux=100, hours_per_day=3000 / 365, blue_wool=1)
    assert ageing.state(cond, 1.0).colour_left == pytest.approx(np.exp(-0.1))
    # Each Blue Wool class needs three times the dose.
    bw2 = ageing.Conditions(years=1, lux=300, hours_per_day=3000 / 365, blue_wool=2)
    assert ageing.state(bw2, 1.0).colour_left == pytest.approx(np.exp(-0.1))
    # A dammar film after 20 years at 150 lux is visibly yellow, a synthetic one barely.
    dammar = ageing.state(ageing.Conditions(years=20), 20).varnish
    synthetic = ageing.state(ageing.Conditions(years=20, varnish="synthetic"), 20).varnish
    assert 0.3 < dammar < 0.45 and synthetic < 0.05


def test_darkness_stops_fading_and_rh_swings_speed_cracks():
    dark = ageing.state(ageing.Conditions(years=50, lux=0), 50)
    assert dark.colour_left == 1.0 and dark.varnish > 0  # resins yellow in the dark too
    calm = ageing.state(ageing.Conditions(years=50, rh_swing=10), 50).cracks
    swinging = ageing.state(ageing.Conditions(years=50, rh_swing=30), 50).cracks
    damp = ageing.state(ageing.Conditions(years=50, rh=80), 50).cracks
    assert swinging > 2 * calm and damp > calm


def test_frames_look_older_frame_by_frame(tmp_path):
    result = age(painting(side=256), 150, lux=200, out=tmp_path, frames=5)
    deltas = [s.delta_e for s in result.states]
    assert deltas[0] == 0 and all(b > a for a, b in itertools.pairwise(deltas))
    first, last = (f.astype(float) for f in (result.frames[0], result.frames[-1]))
    assert last[..., 2].mean() < first[..., 2].mean() - 10  # blue taken by the varnish
    assert (tmp_path / "ageing.gif").stat().st_size > 0
    assert (tmp_path / "contact-sheet.png").stat().st_size > 0
    assert result.to_json()["conditions"]["lux"] == 200


def test_same_seed_same_frames():
    a = age(painting(side=128), 80, frames=3)
    b = age(painting(side=128), 80, frames=3)
    assert all((x == y).all() for x, y in zip(a.frames, b.frames, strict=True))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"years": -3}, "`years` input should be greater than 0, got -3."),
    ({"years": 10, "lux": -1}, "`lux` input should be greater than or equal to 0, got -1."),
    ({"years": 10, "varnish": "oil"},
     "`varnish` input should be 'dammar', 'mastic', 'synthetic' or 'none', got 'oil'."),
])
def test_bad_conditions_are_named(kwargs, message):
    with pytest.raises(InvalidArgument) as caught:
        age(painting(side=64), **kwargs)
    assert str(caught.value) == message
