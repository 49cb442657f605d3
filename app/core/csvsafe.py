"""CSV downloads that a spreadsheet cannot turn into formulas.

A cell starting with = + - @ tab or carriage return is run as a formula by Excel and its kind
(CSV injection); a leading apostrophe makes it plain text. Every CSV the app offers goes
through here (lone working's month export and the reports' tables).
"""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def to_csv(header: Sequence, rows: Iterable[Sequence]) -> str:
    """The header and rows as CSV text, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_safe(v) for v in header])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return buffer.getvalue()
