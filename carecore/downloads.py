"""Files served for download: one response shape, and CSV cells a spreadsheet cannot run.

Every download (an attachment, a release package, a CSV table) is personal or sensitive: it
must not stay in a browser or proxy cache, must not be sniffed into something the browser
renders, and its file name is sent in a form every browser reads safely.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from django.http import HttpResponse

# Leading characters that make a spreadsheet treat a cell as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NOT_FILENAME_SAFE = re.compile(r"[^A-Za-z0-9._ -]")


def csv_cell(value: object) -> str:
    """Return `value` as CSV text; text a spreadsheet would run as a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """Return a Content-Disposition with an ASCII name and its RFC 5987 UTF-8 form."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = _NOT_FILENAME_SAFE.sub("_", ascii_name).strip() or "attachment"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_response(
    content: bytes, *, content_type: str, filename: str, inline: bool = False
) -> HttpResponse:
    """Return `content` as a file response that no cache keeps and no browser sniffs."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, inline=inline)
    response["Content-Length"] = str(len(content))
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
