"""Image metadata and encoding: PNG text chunks, EXIF UserComment, PNG/JPEG/WebP bytes.

PNG text chunks are read by walking the chunks ourselves (Pillow would decode
the pixels to reach chunks after IDAT); JPEG and WebP carry the AUTOMATIC1111
`parameters` in the EXIF UserComment, which we read and write. Files are
opened through `imageio`'s checks (format list, bomb limit) first.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import IO, Any

from PIL import Image

from studiolo.core.errors import ImageError, InvalidArgument
from studiolo.core.imageio import (
    DEFAULT_MAX_PIXELS,
    Source,
    _describe,
    _has_alpha,
    _open,
    _over_white,
    _stream,
)

_MAX_TEXT_BYTES = 32 * 1024 * 1024  # one decompressed zTXt/iTXt chunk; workflows are far smaller
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286
_UNICODE_HEADER = b"UNICODE\x00"
_ASCII_HEADER = b"ASCII\x00\x00\x00"


# -- metadata -----------------------------------------------------------------
def _png_chunks(fp: IO[bytes], label: str) -> tuple[dict[str, str], bytes | None]:
    """Text chunks (tEXt, zTXt, iTXt) and the eXIf payload of a PNG, without decoding pixels."""
    fp.seek(0, io.SEEK_END)
    total = fp.tell()
    fp.seek(8)
    texts: dict[str, str] = {}
    exif: bytes | None = None
    while True:
        header = fp.read(8)
        if len(header) < 8:
            raise ImageError(f"{label} is truncated or corrupt: it ends before the IEND chunk.")
        length, kind = struct.unpack(">I4s", header)
        if fp.tell() + length + 4 > total:
            raise ImageError(
                f"{label} is truncated or corrupt: chunk {kind!r} runs past the end of the file."
            )
        if kind == b"IEND":
            return texts, exif
        if kind not in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
            fp.seek(length + 4, io.SEEK_CUR)
            continue
        data = fp.read(length)
        (crc,) = struct.unpack(">I", fp.read(4))
        if zlib.crc32(kind + data) != crc:
            raise ImageError(f"{label} is truncated or corrupt: chunk {kind!r} fails its CRC.")
        if kind == b"eXIf":
            exif = data
            continue
        key, value = _png_text(kind, data, label)
        texts[key] = value


def _inflate(data: bytes, label: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, _MAX_TEXT_BYTES)
    except zlib.error as exc:
        raise ImageError(f"{label} is truncated or corrupt: a text chunk will not inflate ({exc}).") from None
    if inflater.unconsumed_tail:
        raise ImageError(
            f"{label} has a compressed text chunk larger than {_MAX_TEXT_BYTES} bytes; refusing it."
        )
    return out


def latin1_text(raw: bytes) -> str:
    """A tEXt/zTXt value as text: Latin-1 as the PNG spec says, unless it is UTF-8.

    Some writers (Stability Matrix, Pillow's `add_text` of a str it could not
    encode...) put UTF-8 bytes in tEXt, which Latin-1 turns to mojibake ("テスト"
    reads "ãƒ†ã‚¹ãƒˆ"). Bytes with a non-ASCII byte that decode as valid UTF-8 are
    read as UTF-8: Latin-1 prose almost never is valid UTF-8 (an accented letter
    would need to be followed by exactly the right continuation bytes), so real
    Latin-1 text ("café" as b"caf\\xe9") stays as it is.
    """
    if raw.isascii():
        return raw.decode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _png_text(kind: bytes, data: bytes, label: str) -> tuple[str, str]:
    key, sep, rest = data.partition(b"\x00")
    if not sep:
        raise ImageError(f"{label} is truncated or corrupt: a {kind.decode()} chunk has no key.")
    name = key.decode("latin-1")
    if kind == b"tEXt":
        return name, latin1_text(rest)
    if kind == b"zTXt":
        return name, latin1_text(_inflate(rest[1:], label))
    # iTXt: compressed flag, method, language\0, translated keyword\0, UTF-8 text
    compressed = rest[:1] == b"\x01"
    _lang, _, rest = rest[2:].partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    if compressed:
        text = _inflate(text, label)
    return name, text.decode("utf-8", errors="replace")


def decode_user_comment(raw: bytes | str) -> str:
    """An EXIF UserComment as text: 8-byte charset header, then the text.

    The spec says UNICODE is UCS-2 in the file's byte order; A1111 (piexif)
    writes big-endian, some tools little-endian, so we look at where the zero
    bytes of ASCII characters fall rather than trust either.
    """
    if isinstance(raw, str):
        return raw
    head, body = raw[:8], raw[8:]
    if head == _UNICODE_HEADER:
        if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
            return body[: len(body) // 2 * 2].decode("utf-16", errors="replace").rstrip("\x00")
        even_zeros = body[0::2].count(0)
        odd_zeros = body[1::2].count(0)
        codec = "utf-16-le" if odd_zeros > even_zeros else "utf-16-be"
        return body[: len(body) // 2 * 2].decode(codec, errors="replace").rstrip("\x00")
    if head in (_ASCII_HEADER, b"\x00" * 8, b"JIS\x00\x00\x00\x00\x00"):
        return body.decode("utf-8", errors="replace").rstrip("\x00")
    return raw.decode("utf-8", errors="replace").rstrip("\x00")


def _is_graph(key: str, value: Any) -> bool:
    """Whether `value` has the shape of a ComfyUI API graph ("prompt") or editor workflow."""
    if key == "workflow":
        return isinstance(value, dict) and isinstance(value.get("nodes"), list)
    return isinstance(value, dict) and any(isinstance(v, dict) and "class_type" in v for v in value.values())


def _json_object(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _graph_entries(text: str) -> dict[str, str]:
    """ComfyUI graphs in one EXIF text: "prompt:{json}" / "workflow:{json}" (any case), or a
    JSON object that is a graph or holds `prompt`/`workflow` graphs; {} for anything else
    (a Civitai `{"prompt": "a cat", ...}` or a "Prompt: a cat" stays the other readers')."""
    text = text.strip().rstrip("\x00")
    head = text[:10].lower()
    for key in ("prompt", "workflow"):
        if head.startswith(key + ":") and text[len(key) + 1:].lstrip().startswith("{"):
            return {key: text[len(key) + 1:]}
    if not head.startswith("{"):
        return {}
    data = _json_object(text)
    if not isinstance(data, dict):
        return {}
    found = {}
    for key in ("prompt", "workflow"):
        value = data.get(key)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            value = _json_object(value)
        if _is_graph(key, value):
            found[key] = json.dumps(value)
    if found:
        return found
    return next(({key: text} for key in ("workflow", "prompt") if _is_graph(key, data)), {})


def _exif_texts(exif: Image.Exif) -> dict[str, str]:
    """A1111's infotext (UserComment) and ComfyUI's graphs: its own WebP saver writes
    "prompt:{json}" in Model (0x0110) and "workflow:{json}" in Make (0x010F) and the tags
    below it; JPEG/WebP savers of custom nodes use ImageDescription (0x010E) or UserComment."""
    texts: dict[str, str] = {}
    comment = exif.get_ifd(_EXIF_IFD).get(_USER_COMMENT)
    if comment:
        text = decode_user_comment(comment)
        texts.update(_graph_entries(text) or {"parameters": text})
    for tag in range(0x0100, 0x0111):
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        if isinstance(value, str):
            for key, graph in _graph_entries(value).items():
                texts.setdefault(key, graph)
    return texts


def _saver_exif_texts(exif: Image.Exif, texts: dict[str, str]) -> None:
    """Fooocus's UserComment in IFD0 (not the Exif IFD) and its metadata scheme ("fooocus" /
    "a1111") in IFD0's MakerNote; older SwarmUI's `sui_image_params` JSON in Model (0x0110)."""
    comment = exif.get(_USER_COMMENT)
    if comment and "parameters" not in texts:
        texts["parameters"] = decode_user_comment(comment)
    scheme = exif.get(0x927C)
    if isinstance(scheme, bytes):
        scheme = scheme.decode("latin-1")
    if scheme in ("fooocus", "a1111"):
        texts.setdefault("fooocus_scheme", scheme)
    model = exif.get(0x0110)
    if isinstance(model, bytes):
        model = model.decode("utf-8", errors="replace")
    if isinstance(model, str) and model.lstrip().startswith("{") and "sui_image_params" in model[:200]:
        texts.setdefault("parameters", model.rstrip("\x00"))


def _read_meta(source: Source, name: str | None = None) -> dict[str, Any]:
    label = _describe(source, name)
    with _stream(source, label) as fp:
        with _open(fp, label, DEFAULT_MAX_PIXELS) as image:
            info: dict[str, Any] = {
                "format": image.format, "width": image.width, "height": image.height,
                "mode": image.mode,
            }
            texts: dict[str, str] = {}
            if image.format != "PNG":
                try:
                    exif = image.getexif()
                    texts.update(_exif_texts(exif))
                    _saver_exif_texts(exif, texts)
                except Exception:  # noqa: BLE001, S110 - Pillow's EXIF reader raises many kinds
                    pass  # unreadable EXIF: the pixels may still be fine, the recipe is just absent
                comment = image.info.get("comment")
                if isinstance(comment, bytes):
                    comment = comment.decode("utf-8", errors="replace")
                if comment:
                    texts.setdefault("comment", comment)
        if info["format"] == "PNG":
            chunks, exif_bytes = _png_chunks(fp, label)
            if exif_bytes and "parameters" not in chunks:
                exif = Image.Exif()
                try:
                    exif.load(exif_bytes)
                    chunks.update({k: v for k, v in _exif_texts(exif).items() if k not in chunks})
                except Exception:  # noqa: BLE001, S110 - an unreadable eXIf chunk: no recipe there
                    pass
            texts = chunks
    info["text"] = texts
    return info


def image_info(source: Source, *, name: str | None = None) -> dict[str, Any]:
    """Format, width, height, mode and text metadata, read from the headers (no pixel decoding).

    `name` is what errors call the source (defaults to the path).
    """
    return _read_meta(source, name)


def read_text_chunks(source: Source, *, name: str | None = None) -> dict[str, str]:
    """PNG tEXt/zTXt/iTXt chunks; for JPEG/WebP the EXIF UserComment as "parameters"."""
    return _read_meta(source, name)["text"]


# -- writing ------------------------------------------------------------------
def encode_png(image: Image.Image, text: dict[str, str] | None = None) -> bytes:
    """PNG bytes; `text` as tEXt chunks (iTXt when a value is not Latin-1)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in (text or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidArgument(f"`text` must map str to str, got {key!r}: {type(value).__name__}.")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            info.add_itxt(key, value)
        else:
            info.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _user_comment_exif(comment: str | None) -> bytes:
    """EXIF holding only a UserComment, laid out as A1111 (piexif) writes it: big-endian TIFF,
    IFD0 pointing to an Exif IFD whose one entry is the UserComment of type UNDEFINED (7),
    UNICODE header + UTF-16 big-endian text. (Pillow's own writer gives the tag type BYTE,
    which piexif-based readers such as sd-prompt-reader cannot read.)"""
    if comment is None:
        return b""
    value = _UNICODE_HEADER + comment.encode("utf-16-be")
    exif_ifd = 8 + 2 + 12 + 4  # the Exif IFD follows the header and IFD0's one entry
    value_at = exif_ifd + 2 + 12 + 4
    ifd0 = struct.pack(">HHHII", 1, _EXIF_IFD, 4, 1, exif_ifd) + b"\0\0\0\0"
    sub = struct.pack(">HHHII", 1, _USER_COMMENT, 7, len(value), value_at) + b"\0\0\0\0"
    return b"Exif\x00\x00MM\x00*" + struct.pack(">I", 8) + ifd0 + sub + value


def _check_quality(quality: int) -> None:
    if not isinstance(quality, int) or isinstance(quality, bool) or not 1 <= quality <= 100:
        raise InvalidArgument(f"`quality` must be an integer from 1 to 100, got {quality!r}.")


def encode_jpeg(image: Image.Image, quality: int = 95, comment: str | None = None) -> bytes:
    """JPEG bytes (alpha composited over white); `comment` as the EXIF UserComment."""
    _check_quality(quality)
    rgb = _over_white(image) if _has_alpha(image) else image.convert("RGB")
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=quality, exif=_user_comment_exif(comment))
    return buffer.getvalue()


def encode_webp(image: Image.Image, quality: int = 95, comment: str | None = None) -> bytes:
    """WebP bytes (alpha kept); `comment` as the EXIF UserComment."""
    _check_quality(quality)
    out = image if image.mode in ("RGB", "RGBA") else image.convert(
        "RGBA" if _has_alpha(image) else "RGB"
    )
    buffer = io.BytesIO()
    out.save(buffer, format="WEBP", quality=quality, exif=_user_comment_exif(comment))
    return buffer.getvalue()
