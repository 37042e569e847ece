"""Shared fixtures of the restoration tests: small paintings from the package's reduced copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

PAINTINGS = Path(__file__).resolve().parents[2] / "src" / "studiolo" / "data" / "paintings"


def painting(name: str = "claude-monet-impression-sunrise.jpg", side: int | None = None
             ) -> np.ndarray:
    image = Image.open(PAINTINGS / name).convert("RGB")
    if side:
        image.thumbnail((side, side))
    return np.asarray(image).copy()


@pytest.fixture
def monet() -> np.ndarray:
    return painting()


@pytest.fixture(scope="module", autouse=True)
def _few_threads():
    import cv2
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    yield
    torch.set_num_threads(before)
