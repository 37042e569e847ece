"""core/textfile: the checks every reader of a person's text file makes, in one wording."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studiolo.core.errors import InvalidArgument
from studiolo.core.textfile import decode_text, read_text_file

ARGS = {"name": "`f.txt`", "give": "a text file", "kind": "a text file", "limit": 64}


def test_reads_utf8_and_drops_a_byte_order_mark(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes("\ufeffcafé\n".encode())
    assert read_text_file(path, **ARGS) == "café\n"


@pytest.mark.parametrize(("data", "message"), [
    (None, "`f.txt` is not a file; give a text file."),
    (b"a" * 65, "`f.txt` is 65 bytes; a text file may be at most 64 bytes: split it."),
    (b"ab\xe9c", "`f.txt` is not UTF-8 text (byte 0xe9 at offset 2); save it as UTF-8."),
    (b"a\x00b", "`f.txt` holds NUL bytes, so it is not text; give a text file."),
])
def test_each_refusal_is_one_sentence(tmp_path, data, message):
    path = tmp_path / "f.txt"
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(InvalidArgument) as caught:
        read_text_file(path, **ARGS, advice=": split it")
    assert str(caught.value) == message


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(InvalidArgument, match=r"is not a file"):
        read_text_file(tmp_path, **ARGS)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(data=st.binary(max_size=200))
def test_decode_is_total(data):
    try:
        text = decode_text(data, name="`x`", give="text")
    except InvalidArgument as exc:
        assert str(exc).startswith("`x` ") and str(exc).endswith(".")
    else:
        assert "\x00" not in text and text == data.decode("utf-8-sig")
