"""The manifest reader: the exact sentence for each bad manifest, and totality."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from studiolo.capabilities.analyse.manifest import read_folder, read_manifest
from studiolo.core.errors import InvalidArgument


def jpeg(path, colour=(200, 40, 40)):
    Image.new("RGB", (40, 40), colour).save(path, "JPEG")


@pytest.fixture
def folder(tmp_path):
    jpeg(tmp_path / "a.jpg")
    jpeg(tmp_path / "b.jpg", (20, 40, 200))
    return tmp_path


def write(folder, text: str | bytes, name: str = "manifest.csv"):
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def message(path, folder=None) -> str:
    with pytest.raises(InvalidArgument) as err:
        read_manifest(path, folder)
    return str(err.value)


def test_reads_rows_with_a_bom_blank_rows_and_extra_columns(folder):
    path = write(folder, "\ufefffile,artist,title,year,notes\r\na.jpg,Ann,Red,1890,x\r\n,,,,\r\n"
                         "\r\nb.jpg, Bob ,Blue,,\r\n")
    m = read_manifest(path)
    assert [(r.row, r.file, r.artist, r.title, r.year) for r in m.rows] == [
        (2, "a.jpg", "Ann", "Red", "1890"), (5, "b.jpg", "Bob", "Blue", "")]
    assert m.notes == () and len(m.rows[0].file_sha256) == 64


def test_missing_column_is_named(folder):
    path = write(folder, "file,title,year\na.jpg,Red,1890\n")
    assert message(path) == (f"Manifest {path} has no `artist` column (its columns are: file, "
                             "title, year); it needs file, artist, title, year.")
    path = write(folder, "File,Artist\na.jpg,Ann\n")
    assert message(path) == (f"Manifest {path} has no `title` or `year` column (its columns "
                             "are: file, artist); it needs file, artist, title, year.")


def test_missing_files_are_each_named(folder):
    path = write(folder, "file,artist,title,year\na.jpg,Ann,,\nc.jpg,Cy,,\nsub/d.png,Di,,\n")
    assert message(path) == (f"Manifest {path} names 2 files that are not in {folder}: c.jpg "
                             "(row 3), sub/d.png (row 4); add the files or remove their rows.")
    path = write(folder, "file,artist,title,year\nc.jpg,Cy,,\n")
    assert message(path) == (f"Manifest {path} names 1 file that is not in {folder}: c.jpg "
                             "(row 2); add the files or remove their rows.")


def test_duplicates_are_indexed_once_with_a_note(folder):
    (folder / "copy.jpg").write_bytes((folder / "a.jpg").read_bytes())
    path = write(folder, "file,artist,title,year\na.jpg,Ann,,\ncopy.jpg,Bob,,\na.jpg,Ann,,\n")
    m = read_manifest(path)
    assert [r.file for r in m.rows] == ["a.jpg"]
    assert m.notes == (
        ("copy.jpg (row 3) is the same file as a.jpg, credited to Bob there but to Ann first; it "
        "is indexed once, as Ann's."),
        "a.jpg (row 4) names it again; it is indexed once, as Ann's.")


def test_other_bad_manifests(folder):
    none = folder / "none.csv"
    assert message(none) == f"Manifest {none} does not exist or is not a file."
    path = write(folder, "")
    assert message(path) == (f"Manifest {path} is empty; it needs a header row with the columns "
                             "file, artist, title, year and one row per work.")
    path = write(folder, b"file,artist,title,year\na.jpg,Ren\xe9,,\n")
    assert message(path) == (f"Manifest {path} is not UTF-8 text (byte 0xe9 at offset 32); save "
                             "it as UTF-8 (\"CSV UTF-8\" in a spreadsheet).")
    path = write(folder, "file,artist,artist,title,year\na.jpg,A,B,,\n")
    assert message(path) == f"Manifest {path} has the column `artist` more than once; keep one."
    path = write(folder, "file,artist,title,year\n../a.jpg,Ann,,\n")
    assert message(path) == (f"Manifest {path} row 2 names '../a.jpg', which is outside the "
                             f"folder {folder}; name each file relative to that folder.")
    path = write(folder, "file,artist,title,year\na.jpg,,,\n,Bob,,\n")
    assert message(path) == (f"Manifest {path} has no file name on row 3; fill the `file` cell "
                             "or delete the row.")
    path = write(folder, "file,artist,title,year\na.jpg,,,\n")
    assert message(path) == (f"Manifest {path} has no artist on row 2; fill the `artist` cell "
                             "(write \"Unknown\" for an anonymous work) or delete the row.")


def test_folder_with_artist_subfolders(tmp_path):
    (tmp_path / "Ann").mkdir()
    (tmp_path / "Bob").mkdir()
    jpeg(tmp_path / "Ann" / "red.jpg")
    jpeg(tmp_path / "Bob" / "blue.jpg", (0, 0, 200))
    (tmp_path / "Bob" / "notes.txt").write_text("not a picture")
    m = read_folder(tmp_path)
    assert [(r.file, r.artist, r.title) for r in m.rows] == [
        ("Ann/red.jpg", "Ann", "red"), ("Bob/blue.jpg", "Bob", "blue")]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidArgument) as err:
        read_folder(empty)
    assert str(err.value) == (f"Collection folder {empty} has no manifest.csv and no artist "
                              "subfolders with images; give --manifest CSV with the columns "
                              "file, artist, title, year.")


CELL = st.text(alphabet=string.printable + "é\u00a0\ufeff\x00", max_size=12)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=6), st.booleans())
def test_any_csv_text_gives_a_manifest_or_one_sentence(folder, rows, header):
    lines = ([["file", "artist", "title", "year"]] if header else []) + rows
    text = "\n".join(",".join(r) for r in lines)
    try:
        m = read_manifest(write(folder, text))
    except InvalidArgument as exc:
        assert str(exc).startswith("Manifest ") and str(exc).endswith(".")
    else:
        assert all(r.file in ("a.jpg", "b.jpg") for r in m.rows)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_bytes_give_a_manifest_or_one_sentence(folder, data):
    try:
        read_manifest(write(folder, data))
    except InvalidArgument as exc:
        assert str(exc).startswith("Manifest ")
