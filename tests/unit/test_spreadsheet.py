"""CSV exports cannot smuggle a formula into a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from cogs.status._spreadsheet import safe_cell, write_csv


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Dune", "Dune"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_safe_cell(cell: object, safe: str) -> None:
    assert safe_cell(cell) == safe


def test_write_csv_quotes_and_neutralises_every_cell() -> None:
    data = write_csv(["title", "=x"], [["=1+1", "ok"], ["@me", 3]])
    text = data.decode("utf-8")
    assert text.splitlines()[0] == '"title","\'=x"'
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1:] == [["'=1+1", "ok"], ["'@me", "3"]]
