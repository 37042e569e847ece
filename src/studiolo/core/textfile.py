"""Reading a small text file a person gives (a batch file, a prompts list, a table): the
checks every such reader makes before it parses, with one wording.

`read_text_file` refuses what is not a file, a file over the reader's limit (before reading
it), bytes that are not UTF-8 (naming the first bad byte and its offset) and NUL bytes (a
binary file given by mistake); a UTF-8 byte-order mark is accepted. Each is one sentence
naming the file, as the reader names it, and saying what to give instead. Linear in the
file's size, which is bounded by the limit.
"""

from __future__ import annotations

from pathlib import Path

from studiolo.core.errors import InvalidArgument


def read_text_file(path: Path, *, name: str, give: str, kind: str, limit: int,
                   advice: str = "") -> str:
    """The text of `path`. `name`: the file as messages name it ("`--prompts` 'p.txt'");
    `give`: what to give instead ("a text file with one prompt per line"); `kind`: what such
    a file is ("a prompts file"); `limit`: its largest size in bytes, with `advice` added to
    that message (": split it")."""
    if not path.is_file():
        raise InvalidArgument(f"{name} is not a file; give {give}.")
    size = path.stat().st_size
    if size > limit:
        raise InvalidArgument(f"{name} is {size} bytes; {kind} may be at most {limit} bytes{advice}.")
    return decode_text(path.read_bytes(), name=name, give=give)


def decode_text(data: bytes, *, name: str, give: str) -> str:
    """`data` as UTF-8 text (a byte-order mark dropped); one sentence when it is not text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                              f"{exc.start}); save it as UTF-8.") from None
    if "\x00" in text:
        raise InvalidArgument(f"{name} holds NUL bytes, so it is not text; give {give}.")
    return text
