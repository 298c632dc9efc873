"""CSV exports of the API's lists: streamed row by row from a server-side cursor, so 100,000
rows take the memory of a few thousand; cells a spreadsheet would run as a formula are made
inert (OWASP's advice: a leading quote before `=`, `+`, `-`, `@`, tab or carriage return)."""

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action

from loginexus.api import error_responses

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 2000


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | Decimal | int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """What csv.writer writes to: each row comes back as its text."""

    def write(self, text: str) -> str:
        return text


def _lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_export(
    *, queryset: QuerySet, columns: Sequence[tuple[str, str]], filename: str
) -> StreamingHttpResponse:
    """`columns`: (header, field path). Only those columns are read (values_list), through the
    database's cursor in chunks of CHUNK_ROWS."""
    header = [name for name, _ in columns]
    rows = queryset.values_list(*(path for _, path in columns)).iterator(CHUNK_ROWS)
    response = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_query(chosen: dict) -> str:
    """The API export's query string for the filters a list page has chosen (`q` there is
    `search` in the API)."""
    names = {"q": "search"}
    pairs = {names.get(key, key): value for key, value in chosen.items() if value}
    return "?" + urlencode(pairs) if pairs else ""


def export_schema(filters, noun: str):
    """The OpenAPI description of a list's export, for `extend_schema_view(export=...)`."""
    return extend_schema(
        parameters=[filters],
        responses={
            (200, "text/csv"): OpenApiResponse(
                description=f"Every {noun} the list's filters select, newest first, as CSV "
                "(streamed; cells that would start a spreadsheet formula begin with a quote)"
            ),
            **error_responses(400, 401),
        },
    )


class CsvExportMixin:
    """`GET <list>/export/`: what the list's filters select, as streamed CSV. The viewset names
    `export_filters` (its list's query parameters), `export_rows` (the selector they go to),
    `export_columns` and `export_filename`."""

    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        filters = self.export_filters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return csv_export(
            queryset=type(self).export_rows(**filters.validated_data),
            columns=self.export_columns,
            filename=self.export_filename,
        )
