"""CSV exports written by PostgreSQL: COPY (SELECT ...) TO STDOUT, streamed through psycopg.

An export column (aid/exports.py) may give, beside its Python value, an SQL expression that
yields exactly the text the Python writer puts in the cell. When every column of an export
has one, PostgreSQL writes the whole file: `COPY (<the filtered, sorted queryset with one
expression per column>) TO STDOUT WITH (FORMAT csv)`. Python only passes the rows on,
CRLF-terminated, in chunks. The bytes are those of the Python writer (tests/test_copy_export.py).

How the two writers are made to agree:

- NULL is written unquoted and empty, '' quoted (""): an empty text becomes NULL (`Neutralised`).
- Both quote a field only when it holds a comma, a double quote, CR or LF, and double the quote.
- Dates go through to_char, never the session's DateStyle; booleans are the words true/false.
- Numbers are written as PostgreSQL prints them, which is what str() of the Decimal or int
  psycopg reads from that text gives (numeric(p, s) keeps its scale; no scale here exceeds 6,
  so no Decimal prints in exponent notation).
"""

import re
from contextlib import nullcontext

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, F, Func, Q, TextField, Value, When
from django.db.models.functions import Cast, Concat

from .choices import Precision


class Neutralised(Func):
    """A text expression as csv_cell writes it.

    A value starting with one of `prefixes` (one character each) gets a leading apostrophe so
    that spreadsheets do not run it as a formula; '' becomes NULL, which COPY writes unquoted
    as the Python writer writes '' (PostgreSQL would quote an empty string).
    """

    arity = 1
    output_field = TextField()

    def __init__(self, expression, *, prefixes):
        if any(len(prefix) != 1 for prefix in prefixes):
            raise ValueError("Neutralised compares the first character only.")
        super().__init__(expression)
        self.prefixes = tuple(prefixes)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        # chr(n): no quoting or escaping rules to get right for a tab or a CR.
        characters = ", ".join(f"chr({ord(prefix)})" for prefix in self.prefixes)
        apostrophe = f"CASE WHEN left({sql}, 1) IN ({characters}) THEN '''' ELSE '' END"
        return f"NULLIF({apostrophe} || {sql}, '')", (*params, *params)


class DateText(Func):
    """A date as text in a to_char pattern, whatever the session's DateStyle."""

    arity = 1
    # Through timestamp (without time zone), so that no time zone can shift the day.
    template = "to_char((%(expressions)s)::timestamp, '%(pattern)s')"
    output_field = TextField()

    def __init__(self, expression, pattern):
        if not re.fullmatch(r"[A-Z-]+", pattern):
            raise ValueError(f"Unexpected to_char pattern {pattern!r}.")
        super().__init__(expression, pattern=pattern)


def iso_date_sql(date, precision):
    """aid.dates.iso_date in SQL: 2024-05-27, 2024-05, 2024, or NULL when unknown."""
    return Case(
        When(Q(**{f"{date}__isnull": True}) | Q(**{precision: Precision.UNKNOWN}), then=None),
        When(Q(**{precision: Precision.YEAR}), then=DateText(date, "YYYY")),
        When(Q(**{precision: Precision.MONTH}), then=DateText(date, "YYYY-MM")),
        default=DateText(date, "YYYY-MM-DD"),
        output_field=TextField(),
    )


def boolean_sql(condition):
    """true or false, as csv_cell writes a bool."""
    return Case(
        When(condition, then=Value("true")), default=Value("false"), output_field=TextField()
    )


def when_amount(expression):
    """The expression where the record has an amount, else NULL (the qualifier, the stage)."""
    return Case(When(amount__isnull=True, then=None), default=expression, output_field=TextField())


def url_sql(url, markers):
    """An absolute URL built in Python for a stand-in record, with its ids as SQL expressions.

    `url` holds each key of `markers` (the stand-in's ids, as text) exactly once; the result
    concatenates the text between them with the expressions given for them, e.g. the URL of
    a line item from one Python URL and F("agreement_id"), F("pk"). None when a marker is not
    found exactly once (the URL scheme changed): the export then takes the Python writer.
    """
    pattern = re.compile("|".join(re.escape(marker) for marker in markers))
    found = pattern.findall(url)
    if sorted(found) != sorted(markers):
        return None
    parts = []
    for text, marker in zip(pattern.split(url), [*found, None], strict=True):
        if text:
            parts.append(Value(text))
        if marker is not None:
            parts.append(Cast(markers[marker], TextField()))
    if len(parts) == 1:
        return parts[0]
    return Concat(*parts, output_field=TextField())


def column_expressions(columns, request):
    """Each column's SQL expression, or None when one of them has none."""
    expressions = []
    for column in columns:
        sql = column.sql
        if isinstance(sql, str):
            sql = F(sql)
        elif sql is not None and not hasattr(sql, "resolve_expression"):
            sql = sql(request)  # a callable(request) -> expression, or None
        if sql is None:
            return None
        expressions.append(sql)
    return expressions


def copy_statement(queryset, expressions):
    """COPY of the queryset's rows, one column per expression, in the queryset's order."""
    rows = queryset.values(**{f"export_{i}": sql for i, sql in enumerate(expressions)})
    connection = connections[rows.db]
    sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    # Merged client-side: PostgreSQL takes no parameters in a COPY statement.
    return connection.ops.compose_sql(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params)


def copy_csv(queryset, expressions, chunk_size):
    """The rows as CSV written by PostgreSQL, CRLF line ends, `chunk_size` rows per chunk."""
    try:
        statement = copy_statement(queryset, expressions)
    except EmptyResultSet:
        return  # a filter that no row can match: no query, no rows
    connection = connections[queryset.db]
    connection.validate_no_broken_transaction()
    with connection.cursor() as cursor:
        # Logged as Django logs its queries (connection.queries, CaptureQueriesContext).
        debug = cursor.debug_sql(statement) if hasattr(cursor, "debug_sql") else nullcontext()
        with debug, connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            yield from crlf_chunks(copy, chunk_size)


def crlf_chunks(rows, chunk_size):
    """COPY's rows, each ending in \\n, as chunks of rows ending in \\r\\n.

    PostgreSQL sends one CopyData message per row, so the last byte of each is the row's end;
    a newline inside a quoted field is left as it is, as csv.writer leaves it. If reading
    fails, the rows read so far are passed on before the error.
    """
    batch = []
    try:
        for row in rows:
            if row[-1:] != b"\n":
                raise ValueError("A COPY row that does not end in a newline.")
            batch.append(bytes(row[:-1]))
            if len(batch) >= chunk_size:
                yield b"\r\n".join(batch) + b"\r\n"
                batch = []
    except Exception:
        if batch:
            yield b"\r\n".join(batch) + b"\r\n"
        raise
    if batch:
        yield b"\r\n".join(batch) + b"\r\n"
