"""A change-list paginator that does not count a large table on every view.

Counting a million line items (`SELECT COUNT(*)`) costs 45–76 ms on PostgreSQL each
time the admin's change list opens (bench/README.md §5). When the list is not filtered,
PostgreSQL already knows about how many rows the table has: `pg_class.reltuples`, kept
by ANALYZE and autovacuum. EstimatedCountPaginator uses it, and says so ("about N"),
when all of these hold:

- the database is PostgreSQL;
- the queryset has no WHERE, no DISTINCT, no GROUP BY, no set operation and no slice
  (so that it has one row per row of the table);
- the table has been analysed (reltuples is -1 on PostgreSQL 14+ before that, 0 on older
  versions) and the estimate is at least `estimate_from` rows.

Otherwise it counts exactly, as Django's Paginator does. The floor matters beyond
speed: the admin shows the whole unsliced queryset when the count fits on one page, so
a stale small estimate of a table that has since grown must never be trusted. Counting
exactly below the floor is cheap, and an estimate above it can only make the page list
somewhat long or short, never load the table.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


def estimated_rows(connection, table):
    """PostgreSQL's estimate of the table's rows, or None when there is none to trust.

    None on any other database, and when the table was never analysed (reltuples is -1
    on PostgreSQL 14+) or looks empty (0, which older versions also report before the
    first ANALYZE).
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] <= 0:
        return None
    return int(row[0])


def is_whole_table(queryset):
    """Whether the queryset has exactly one row per row of its model's table."""
    query = getattr(queryset, "query", None)
    if query is None:
        return False
    return not (
        query.where or query.distinct or query.group_by or query.combinator or query.is_sliced
    )


def about(number):
    """A number rounded to three significant digits, for an estimate: 998,734 → 999,000."""
    digits = len(str(number))
    return round(number, -max(digits - 3, 0))


class EstimatedCountPaginator(Paginator):
    """Counts exactly, except a whole large PostgreSQL table: see the module's docstring."""

    #: Below this many rows (as estimated) the table is counted exactly.
    estimate_from = 10_000

    #: True when `count` is PostgreSQL's estimate rather than an exact count.
    estimated = False

    @cached_property
    def count(self):
        estimate = self.estimate()
        if estimate is not None and estimate >= self.estimate_from:
            self.estimated = True
            return estimate
        return super().count

    def estimate(self):
        queryset = self.object_list
        if not is_whole_table(queryset):
            return None
        return estimated_rows(connections[queryset.db], queryset.model._meta.db_table)

    @property
    def count_display(self):
        """The count as the change list shows it: "about 999,000" for an estimate."""
        if self.estimated:
            return f"about {about(self.count):,}"
        return f"{self.count:,}"
