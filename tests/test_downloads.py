"""The one response shape every download uses, and the CSV formula guard."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from carecore.downloads import csv_cell, download_response


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (None, ""),
        (7, "7"),
    ],
)
def test_a_spreadsheet_never_runs_a_cell_as_a_formula(value, cell):
    assert csv_cell(value) == cell


def test_a_download_is_not_cached_not_sniffed_and_names_its_file_safely():
    name = 'Pässport "scan".pdf'

    response = download_response(b"abc", content_type="application/pdf", filename=name)

    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == "3"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"Passport _scan_.pdf\"; filename*=UTF-8''{quote(name, safe='')}"
    )
