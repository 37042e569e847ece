"""Batch files: CSV and JSONL rows, grids, and every bad input as one sentence with its line."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studiolo.core.errors import InvalidArgument
from studiolo.jobs.batchfile import BatchFile, read_batch


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_csv_rows_with_a_seed_range_and_a_quoted_prompt(tmp_path):
    path = write(tmp_path, "rows.csv", 'prompt,seed,width\n"a city, at night",1..3,256\n'
                                       "quiet fields,9,\n")
    batch = read_batch(path)
    assert batch.format == "csv" and batch.problems == ()
    assert [(r.line, r.request) for r in batch.rows] == [
        (2, {"prompt": "a city, at night", "seed": 1, "width": 256}),
        (2, {"prompt": "a city, at night", "seed": 2, "width": 256}),
        (2, {"prompt": "a city, at night", "seed": 3, "width": 256}),
        (3, {"prompt": "quiet fields", "seed": 9}),
    ]


def test_a_jsonl_grid_is_every_combination(tmp_path):
    row = {"prompt": ["a harbour", "a forest"], "seed": [1, 2], "style": ["The Kiss", "Starry"],
           "engine": "painter"}
    batch = read_batch(write(tmp_path, "grid.jsonl", json.dumps(row) + "\n"))
    assert len(batch.rows) == 8
    assert {(r.request["prompt"], r.request["seed"], r.request["style"]) for r in batch.rows} == {
        (p, s, st_) for p in ("a harbour", "a forest") for s in (1, 2)
        for st_ in ("The Kiss", "Starry")}


def test_defaults_fill_what_rows_leave_out_and_identical_rows_are_told_apart(tmp_path):
    path = write(tmp_path, "p.jsonl", '{"prompt": "a"}\n{"prompt": "a"}\n{"prompt": "b", '
                                      '"seed": 5}\n')
    batch = read_batch(path, defaults={"seed": "1..2", "engine": ["painter"]})
    got = [(r.line, r.request.get("seed"), r.occurrence) for r in batch.rows]
    assert got == [(1, 1, 0), (1, 2, 0), (2, 1, 1), (2, 2, 1), (3, 5, 0)]
    with pytest.raises(InvalidArgument, match="`defaults` names 'colour', which is not a field"):
        read_batch(path, defaults={"colour": "red"})


def test_malformed_rows_are_reported_by_line_and_the_rest_stand(tmp_path):
    text = ('{"prompt": "fine"}\n'
            '{"prompt": "unclosed"\n'
            '[1, 2]\n'
            '\n'
            '# a comment\n'
            '{"prompt": "x", "seed": NaN}\n'
            '{"prompt": "x", "colour": "red"}\n'
            '{"prompt": "x", "width": 5}\n'
            '{"prompt": "also fine", "seed": [1, 2]}\n')
    batch = read_batch(write(tmp_path, "rows.jsonl", text))
    assert [r.line for r in batch.rows] == [1, 9, 9]
    problems = {p.line: p.message for p in batch.problems}
    assert problems[2].startswith("not JSON (Expecting ',' delimiter at column 22); each line "
                                  "must be one object like")
    assert problems[3].startswith("a JSON list, not an object")
    assert problems[6].startswith("not JSON (NaN is not a number JSON allows)")
    assert problems[7].startswith("`colour` is not a field of a job row; the fields are prompt,")
    assert problems[8] == ("`width` is invalid: Input should be greater than or equal to 64, "
                           "got 5.")
    assert batch.problems[0].sentence().startswith("line 2: not JSON")


def test_bad_csv_rows(tmp_path):
    text = ("prompt,seed,strength,private\n"
            "ok,1,0.5,yes\n"
            "too,many,cells,here,extra\n"
            "x,abc,,\n"
            "x,1,inf,\n"
            "x,1,,maybe\n"
            "x,9..3,,\n"
            "x,1..20000,,\n")
    batch = read_batch(write(tmp_path, "rows.csv", text))
    assert [r.request for r in batch.rows] == [{"prompt": "ok", "seed": 1, "strength": 0.5,
                                                "private": True}]
    assert [p.sentence() for p in batch.problems] == [
        "line 3: 5 cells, but the header names 4 fields; quote cells that hold commas.",
        "line 4: `seed` must be a whole number, got 'abc'.",
        "line 5: `strength` must be a finite number, got 'inf'.",
        "line 6: `private` must be true or false, got 'maybe'.",
        "line 7: `seed` range '9..3' must go up, by at most 10000 seeds.",
        "line 8: `seed` range '1..20000' must go up, by at most 10000 seeds.",
    ]


def test_a_quoted_cell_spanning_lines_keeps_the_line_numbers_right(tmp_path):
    text = 'prompt,seed\n"two\nlines",1\nbad,x\n'
    batch = read_batch(write(tmp_path, "rows.csv", text))
    assert batch.rows[0].request["prompt"] == "two\nlines" and batch.rows[0].line == 2
    assert batch.problems[0].line == 4


@pytest.mark.parametrize("name, data, words", [
    ("none.csv", None, "is not a file; give the path of a .csv or .jsonl batch file."),
    ("empty.csv", "", ('`empty.csv` is empty: write one job a row (for example a header '
                      '"prompt,seed" and a row "a harbour at dawn,7").')),
    ("blank.jsonl", "\n  \n", ('`blank.jsonl` is empty: write one job a row (for example '
                              '{"prompt": "a harbour at dawn"}).')),
    ("prompts.txt", "a harbour\n", ("`prompts.txt` is not a batch file: it must end in .csv (a "
                                   "header row, then one job a row) or .jsonl (one JSON object a "
                                   "line), got '.txt'.")),
    ("picture.csv", b"\x89PNG\r\n\x1a\n\x00\x00", ("`picture.csv` is not UTF-8 text (byte 0x89 at "
                                                  "offset 0); save it as UTF-8.")),
    ("nul.jsonl", b'{"prompt": "a"}\x00\n', ("`nul.jsonl` holds NUL bytes, so it is not text; give "
                                            "the path of a .csv or .jsonl batch file.")),
    ("head.csv", "prompt,colour\na,red\n", ("`head.csv`'s header names 'colour', which is not a "
                                           "field of a job row; the fields are prompt, mode,")),
    ("twice.csv", "prompt,prompt\na,b\n", ("`twice.csv`'s header names 'prompt' twice; name each "
                                          "field once.")),
])
def test_files_that_cannot_be_used_at_all(tmp_path, name, data, words):
    path = tmp_path / name if data is None else write(tmp_path, name, data)
    with pytest.raises(InvalidArgument) as info:
        read_batch(path)
    assert words in str(info.value)


def test_a_grid_past_the_limit_is_refused_before_it_is_expanded(tmp_path):
    row = {"prompt": [f"p{i}" for i in range(1000)], "seed": "1..1000", "engine": ["a", "b"]}
    batch = read_batch(write(tmp_path, "big.jsonl", json.dumps(row) + '\n{"prompt": "ok"}\n'),
                       max_jobs=50)
    assert [r.request for r in batch.rows] == [{"prompt": "ok"}]
    assert batch.problems[0].message.startswith("the row's grid makes 1000 or more jobs, past what is "
                                                "left of the 50 a batch may hold")


CELLS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400), st.sampled_from(["x.csv", "x.jsonl"]))
def test_any_bytes_give_rows_and_problems_or_one_sentence(tmp_path, data, name):
    path = write(tmp_path, name, data)
    try:
        batch = read_batch(path, max_jobs=1000)
    except InvalidArgument as exc:
        assert str(exc).count("\n") == 0 and str(exc).endswith(".")
        return
    assert isinstance(batch, BatchFile)
    assert all(p.line >= 1 and p.message for p in batch.problems)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(st.sampled_from(["prompt", "seed", "style", "width", "count",
                                                 "engine", "strength", "other"]),
                                st.one_of(CELLS, st.integers(-5, 3000), st.floats(),
                                          st.lists(st.integers(0, 9), max_size=3), st.none()),
                                max_size=5), min_size=1, max_size=8))
def test_any_jsonl_objects_become_checked_rows_or_line_problems(tmp_path, objects):
    lines = [json.dumps(o) for o in objects]
    batch = read_batch(write(tmp_path, "x.jsonl", "\n".join(lines) + "\n"), max_jobs=1000)
    lines_seen = {r.line for r in batch.rows} | {p.line for p in batch.problems}
    assert lines_seen <= set(range(1, len(lines) + 1))
    for row in batch.rows:
        assert isinstance(row.request.get("prompt", ""), str)
        assert 64 <= row.request.get("width", 512) <= 2048
