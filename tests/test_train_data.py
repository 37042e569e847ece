"""The training-folder reader every trainer shares: bad files skipped, consent applied."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from studiolo.core.errors import InvalidArgument
from studiolo.features.training_data import (
    TrainingDataWarning,
    captions_with_trigger,
    load_training_folder,
)


def _save(path, w, h, seed, **kw):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path, **kw)


def test_mixed_sizes_captions_corrupt_and_refused(tmp_path):
    _save(tmp_path / "a.png", 80, 40, 1)
    _save(tmp_path / "b.jpg", 30, 90, 2)
    (tmp_path / "b.txt").write_text("  a red   boat \n")
    (tmp_path / "c.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")  # truncated
    (tmp_path / "d.png").write_text("just text")
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", "my drawing, noai please")
    _save(tmp_path / "e.png", 40, 40, 3, pnginfo=info)
    (tmp_path / "notes.md").write_text("ignored")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_training_folder(tmp_path, size=32)
    assert [i.path.name for i in data.images] == ["a.png", "b.jpg"]
    assert all(i.image.size == (32, 32) and i.image.mode == "RGB" for i in data.images)
    assert [i.caption for i in data.images] == ["", "a red boat"]
    skipped = {p.name: why for p, why in data.skipped}
    assert set(skipped) == {"c.png", "d.png", "e.png"}
    assert "noai" in skipped["e.png"]
    assert sum(isinstance(w.message, TrainingDataWarning) for w in caught) == 3
    assert captions_with_trigger(data.images, "ohwx") == ["ohwx", "ohwx, a red boat"]


def test_folder_errors(tmp_path):
    with pytest.raises(InvalidArgument, match="does not exist"):
        load_training_folder(tmp_path / "nope", size=32)
    with pytest.raises(InvalidArgument, match="has no images"):
        load_training_folder(tmp_path, size=32)
    (tmp_path / "x.png").write_bytes(b"")
    with pytest.warns(TrainingDataWarning), pytest.raises(InvalidArgument, match="0 usable images"):
        load_training_folder(tmp_path, size=32)
    with pytest.raises(InvalidArgument, match="`size`"):
        load_training_folder(tmp_path, size=0)
