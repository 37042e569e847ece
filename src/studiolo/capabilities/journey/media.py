"""Writing a journey's frames out: a looping GIF, an MP4 and a contact sheet.

GIF through Pillow (one adaptive palette per frame, loops forever unless told
otherwise); MP4 as H.264 through the ffmpeg binary that imageio-ffmpeg ships
(yuv420p, so any player opens it; yuv420p needs even sides, so an odd side
is padded by one edge pixel); the contact sheet is a grid of frames with a
label under each.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from studiolo.core.errors import InvalidArgument

DEFAULT_FPS = 8.0
MAX_FPS = 60.0


def _check_frames(images: Sequence[Image.Image]) -> list[Image.Image]:
    if not images:
        raise InvalidArgument("`images` is empty: a journey file needs at least one frame.")
    frames = []
    for i, image in enumerate(images):
        if not isinstance(image, Image.Image):
            raise InvalidArgument(f"Frame {i} has to be a PIL image but is {type(image).__name__}.")
        frames.append(image if image.mode == "RGB" else image.convert("RGB"))
    size = frames[0].size
    for i, frame in enumerate(frames):
        if frame.size != size:
            raise InvalidArgument(
                f"Frame {i} is {frame.width}x{frame.height} but frame 0 is {size[0]}x{size[1]}: "
                "all frames have to be the same size."
            )
    return frames


def check_fps(fps: float) -> float:
    if isinstance(fps, bool) or not isinstance(fps, int | float) or not 0 < fps <= MAX_FPS:
        raise InvalidArgument(
            f"`fps` has to be a number above 0 and at most {MAX_FPS:g} but is {fps!r}."
        )
    return float(fps)


def _target(path: str | os.PathLike[str]) -> Path:
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def bounce(images: Sequence[Image.Image]) -> list[Image.Image]:
    """A -> B -> A without repeating the ends, so a looping GIF has no stutter."""
    images = list(images)
    return images + images[-2:0:-1]


def write_gif(images: Sequence[Image.Image], path: str | os.PathLike[str], *,
              fps: float = DEFAULT_FPS, loop: bool = True) -> Path:
    """An animated GIF of the frames; `loop` plays it forever, else once."""
    frames, fps, target = _check_frames(images), check_fps(fps), _target(path)
    # GIF delays are whole hundredths of a second; Pillow rounds milliseconds down to them.
    duration = max(20, round(1000 / fps / 10) * 10)
    extra = {"loop": 0} if loop else {}
    frames[0].save(target, format="GIF", save_all=True, append_images=frames[1:],
                   duration=duration, disposal=1, optimize=False, **extra)
    return target


def write_mp4(images: Sequence[Image.Image], path: str | os.PathLike[str], *,
              fps: float = DEFAULT_FPS, quality: int = 8) -> Path:
    """An H.264 MP4 (yuv420p) of the frames; `quality` 0-10 as imageio-ffmpeg reads it."""
    import imageio_ffmpeg

    frames, fps, target = _check_frames(images), check_fps(fps), _target(path)
    if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 10:
        raise InvalidArgument(f"`quality` has to be an integer from 0 to 10 but is {quality!r}.")
    width, height = frames[0].size
    even = (width + width % 2, height + height % 2)
    writer = imageio_ffmpeg.write_frames(
        str(target), even, fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p",
        quality=quality, macro_block_size=1, ffmpeg_log_level="error",
    )
    writer.send(None)  # start ffmpeg
    try:
        for frame in frames:
            pixels = np.asarray(frame)
            if even != (width, height):
                pad = ((0, even[1] - height), (0, even[0] - width), (0, 0))
                pixels = np.pad(pixels, pad, mode="edge")
            writer.send(np.ascontiguousarray(pixels))
    finally:
        writer.close()
    return target


def contact_sheet(images: Sequence[Image.Image], path: str | os.PathLike[str], *,
                  labels: Sequence[str] | None = None, columns: int | None = None,
                  thumb: int = 256, margin: int = 8) -> Path:
    """A PNG grid of the frames, `thumb` px on the long side each, with a label under each.

    Labels default to "1/N", "2/N", ...; columns to a near-square grid.
    """
    frames, target = _check_frames(images), _target(path)
    count = len(frames)
    labels = list(labels) if labels is not None else [f"{i + 1}/{count}" for i in range(count)]
    if len(labels) != count:
        raise InvalidArgument(f"`labels` has {len(labels)} entries but there are {count} frames.")
    if columns is None:
        columns = math.ceil(math.sqrt(count))
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise InvalidArgument(f"`columns` has to be a positive integer but is {columns!r}.")
    if isinstance(thumb, bool) or not isinstance(thumb, int) or not 16 <= thumb <= 2048:
        raise InvalidArgument(f"`thumb` has to be an integer from 16 to 2048 but is {thumb!r}.")
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    scale = thumb / max(frames[0].size)
    cell = (max(1, round(frames[0].width * scale)), max(1, round(frames[0].height * scale)))
    font = ImageFont.load_default(size=max(10, thumb // 16))
    label_h = font.getbbox("Ag0/")[3] + margin
    sheet = Image.new("RGB", (margin + columns * (cell[0] + margin),
                              margin + rows * (cell[1] + label_h + margin)), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for i, (frame, label) in enumerate(zip(frames, labels)):
        x = margin + (i % columns) * (cell[0] + margin)
        y = margin + (i // columns) * (cell[1] + label_h + margin)
        # Upscaled small frames stay crisp (nearest); downscaled ones stay smooth.
        method = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.LANCZOS
        sheet.paste(frame.resize(cell, method), (x, y))
        draw.text((x, y + cell[1] + margin // 2), label, fill=(230, 230, 230), font=font)
    sheet.save(target, format="PNG")
    return target


# -- a journey's artworks -> its files -----------------------------------------------


def journey_id(frames: Sequence[Any]) -> str:
    """A short id for a journey: the first 12 hex digits of the sha256 of its frames' ids
    (or recipes, for frames not stored yet)."""
    import hashlib

    parts = [a.id or a.recipe.to_json() for a in frames]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:12]


def frame_label(artwork: Any, count: int) -> str:
    """"3/8  t=0.29" from a frame's recipe."""
    journey = artwork.recipe.options.get("journey") or {}
    index, t = journey.get("index"), journey.get("t")
    if index is None or t is None:
        return ""
    return f"{index + 1}/{count}  t={t:.2f}"


def write_journey(frames: Sequence[Any], folder: str | os.PathLike[str], *,
                  fps: float = DEFAULT_FPS, bounce_back: bool = False,
                  thumb: int = 256) -> dict[str, Path]:
    """journey.gif, journey.mp4, contact.png and journey.json (frame ids and the journey) in
    `folder`; returns their paths by kind. `bounce_back` plays A -> B -> A in the GIF and MP4."""
    import json

    if not frames:
        raise InvalidArgument("`frames` is empty: there is no journey to write.")
    check_fps(fps)
    images = [a.image if a.image is not None else Image.open(a.path).convert("RGB") for a in frames]
    moving = bounce(images) if bounce_back else images
    target = Path(folder).expanduser()
    paths = {
        "gif": write_gif(moving, target / "journey.gif", fps=fps),
        "mp4": write_mp4(moving, target / "journey.mp4", fps=fps),
        "contact_sheet": contact_sheet(
            images, target / "contact.png", thumb=thumb,
            labels=[frame_label(a, len(frames)) for a in frames],
        ),
    }
    journey = dict(frames[0].recipe.options.get("journey") or {})
    journey.pop("index", None)
    journey.pop("t", None)
    listed = []
    for artwork in frames:
        place = artwork.recipe.options.get("journey") or {}
        listed.append({"id": artwork.id, "path": str(artwork.path) if artwork.path else None,
                       "index": place.get("index"), "t": place.get("t")})
    record = {"id": journey_id(frames), "journey": journey, "fps": fps, "bounce": bounce_back,
              "frames": listed}
    paths["json"] = target / "journey.json"
    paths["json"].write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    return paths
