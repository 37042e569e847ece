"""Training images from a person's folder: read safely, consent-checked, squared, captioned.

Every trainer studiolo has (LoRA, the personal generator) reads its images
through `load_training_folder`, so each one passes the same checks:

- the file is read with `studiolo.core.imageio.open_image` (decompression bombs,
  truncated and non-image files are errors, EXIF orientation applied);
- the consent gate of `studiolo.provenance.consent`: a C2PA
  `c2pa.training-mining` assertion of `notAllowed` or a `noai` mark in the
  metadata refuses the image;
- an image that fails either check is skipped with a warning naming the file
  and the reason (never a crash); a folder where nothing is left is an error;
- mixed sizes are centre-cropped to a square and resized to `size`;
- a caption comes from a sidecar `NAME.txt` (the kohya habit), else is empty.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from studiolo.core.errors import ConsentRefused, ImageError, InvalidArgument, MetadataError
from studiolo.core.progress import ProgressCallback, no_progress

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")
MAX_CAPTION_CHARS = 1000


class TrainingDataWarning(UserWarning):
    """An image of a training folder was skipped (unreadable, or refused as training data)."""


@dataclass(frozen=True)
class TrainingImage:
    path: Path
    image: Image.Image  # RGB, size x size
    caption: str
    sha256: str  # of the file's bytes


@dataclass
class TrainingSet:
    folder: Path
    size: int
    images: list[TrainingImage] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, why)

    def __len__(self) -> int:
        return len(self.images)

    def summary(self) -> str:
        text = f"{len(self.images)} training images from {self.folder}"
        if self.skipped:
            text += f"; skipped {len(self.skipped)}: " + "; ".join(
                f"{p.name} ({why})" for p, why in self.skipped)
        return text


def image_files(folder: Path) -> list[Path]:
    """The image files directly in `folder`, sorted by name (hidden files left out)."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not p.name.startswith("."))


def square(image: Image.Image, size: int) -> Image.Image:
    """Centre-crop to a square and resize to `size` x `size` (Lanczos)."""
    return ImageOps.fit(image, (size, size), Image.LANCZOS, centering=(0.5, 0.5))


def read_caption(path: Path) -> str:
    side = path.with_suffix(".txt")
    if not side.is_file():
        return ""
    text = side.read_text(encoding="utf-8", errors="replace").strip()
    return " ".join(text.split())[:MAX_CAPTION_CHARS]


def load_training_folder(
    folder: str | Path,
    *,
    size: int,
    min_images: int = 1,
    max_images: int | None = None,
    progress: ProgressCallback = no_progress,
) -> TrainingSet:
    """Read every image of `folder` for training, skipping (with a warning) what cannot be used."""
    from studiolo.core.imageio import open_image
    from studiolo.provenance.consent import require_training_allowed

    root = Path(folder).expanduser()
    if not root.exists():
        raise InvalidArgument(f"Training folder {root} does not exist.")
    if not root.is_dir():
        raise InvalidArgument(f"Training folder {root} is not a folder.")
    if not isinstance(size, int) or isinstance(size, bool) or not 8 <= size <= 4096:
        raise InvalidArgument(f"`size` must be an integer from 8 to 4096, got {size!r}.")
    files = image_files(root)
    if not files:
        raise InvalidArgument(
            f"Training folder {root} has no images ({', '.join(IMAGE_SUFFIXES)}).")
    out = TrainingSet(folder=root, size=size)
    for i, path in enumerate(files):
        progress({"stage": "read", "step": i, "total": len(files), "message": path.name})
        if max_images is not None and len(out.images) >= max_images:
            break
        try:
            data = path.read_bytes()
            image = open_image(data, name=path.name)
            require_training_allowed(data, label=path.name)
        except (ImageError, ConsentRefused, MetadataError, OSError) as exc:
            out.skipped.append((path, str(exc)))
            warnings.warn(f"Skipped {path.name}: {exc}", TrainingDataWarning, stacklevel=2)
            continue
        out.images.append(TrainingImage(path=path, image=square(image, size),
                                        caption=read_caption(path),
                                        sha256=hashlib.sha256(data).hexdigest()))
    progress({"stage": "read", "step": len(files), "total": len(files), "message": None})
    if len(out.images) < min_images:
        why = f" (skipped: {'; '.join(f'{p.name}: {w}' for p, w in out.skipped)})" if out.skipped else ""
        raise InvalidArgument(
            f"Training folder {root} has {len(out.images)} usable images; at least {min_images} "
            f"are needed{why}.")
    return out


def captions_with_trigger(images: Sequence[TrainingImage], trigger: str, default: str = "") -> list[str]:
    """Each image's caption with the trigger word first ("ohwx person, smiling")."""
    trigger = trigger.strip()
    out = []
    for item in images:
        caption = item.caption or default
        if trigger and trigger.lower() not in caption.lower():
            caption = f"{trigger}, {caption}" if caption else trigger
        out.append(caption)
    return out
