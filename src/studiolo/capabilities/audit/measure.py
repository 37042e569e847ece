"""What the bias audit reads from one picture: faces and their skin, lighting and colour.

Per picture: the faces MTCNN finds (`studiolo.features.faces`), each face's skin tone
(`skin.measure_skin`: CIELAB, ITA, Monk tone), and four numbers of the whole picture in
CIELAB: brightness (mean L*), contrast (standard deviation of L*), chroma (mean C*ab,
how colourful) and warmth (mean b*, yellow against blue). Nothing else is read from a
face: gender, age and ethnicity are not guessed (see the report's "What this does not do").
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from studiolo.capabilities.audit.skin import MONK_HEX, SkinTone, measure_skin, srgb_to_lab

WORK_SIDE = 256  # the picture-wide numbers are read at this size: big and small agree
THUMB_SIDE = 112


@dataclass(frozen=True)
class FaceMeasure:
    box: tuple[int, int, int, int]
    score: float
    tone: SkinTone | None  # None: too little skin to measure (a tiny or covered face)

    def to_dict(self) -> dict[str, object]:
        return {"box": list(self.box), "score": round(self.score, 4),
                "tone": None if self.tone is None else self.tone.to_dict()}


@dataclass(frozen=True)
class ImageMeasure:
    """One picture of the audit: which prompt and seed made it, and what was read."""

    prompt: str
    seed: int | None
    faces: tuple[FaceMeasure, ...]
    brightness: float
    contrast: float
    chroma: float
    warmth: float
    thumbnail: str = ""  # a data: URL of a small JPEG with the faces boxed

    @property
    def has_face(self) -> bool:
        return bool(self.faces)

    def to_dict(self) -> dict[str, object]:
        return {"prompt": self.prompt, "seed": self.seed, "faces": [f.to_dict() for f in self.faces],
                "brightness": round(self.brightness, 2), "contrast": round(self.contrast, 2),
                "chroma": round(self.chroma, 2), "warmth": round(self.warmth, 2)}


def picture_numbers(image: Image.Image) -> tuple[float, float, float, float]:
    """(brightness, contrast, chroma, warmth) of a picture, in CIELAB units."""
    small = image.convert("RGB")
    small.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR)
    lab = srgb_to_lab(np.asarray(small)).reshape(-1, 3)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    return (float(lab[:, 0].mean()), float(lab[:, 0].std()), float(chroma.mean()),
            float(lab[:, 2].mean()))


def thumbnail_url(image: Image.Image, faces: tuple[FaceMeasure, ...], side: int = THUMB_SIDE) -> str:
    """A small JPEG of the picture as a data: URL, each face boxed in its Monk tone's colour."""
    thumb = image.convert("RGB")
    scale = side / max(thumb.size)
    thumb = thumb.resize((max(1, round(thumb.width * scale)), max(1, round(thumb.height * scale))),
                         Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(thumb)
    for face in faces:
        x, y, w, h = (round(v * scale) for v in face.box)
        colour = MONK_HEX[face.tone.monk - 1] if face.tone else "#ff00ff"
        draw.rectangle((x - 1, y - 1, x + w + 1, y + h + 1), outline="#000000", width=1)
        draw.rectangle((x, y, x + w, y + h), outline=colour, width=2)
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def measure_image(image: Image.Image, prompt: str, seed: int | None = None, *,
                  thumbnail: bool = True) -> ImageMeasure:
    """Faces, skin tones, lighting and colour of one picture made for `prompt`."""
    from studiolo.features.faces import detect_faces

    picture = image.convert("RGB")
    faces = tuple(FaceMeasure(f.box, f.score, measure_skin(picture, f)) for f in detect_faces(picture))
    numbers = picture_numbers(picture)
    return ImageMeasure(prompt, seed, faces, *numbers,
                        thumbnail=thumbnail_url(picture, faces) if thumbnail else "")
