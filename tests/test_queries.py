"""Query budgets: a page costs the same number of SQL queries whatever the data's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import make_agreement, make_citation, make_donor, make_line_item

pytestmark = pytest.mark.django_db

# Ceilings per page; a new query on a page should be a decision, not an accident.
# Filtered lists cost more: each slug filter is validated against its table once, and
# the facets counted apart from the page's summary query have other filters applied.
# A page is two queries: its ids in order, then those rows (LedgerListView.page).
# Every public page reads the data version once, for its validators (aid/caching.py).
BUDGETS = {
    "/items/?per_page=100": 9,
    "/items/?donor=belgium&category=aircraft&sort=-amount": 11,
    # The aid-type facet of agreements is counted through their items: one query more.
    "/agreements/?per_page=100": 13,
    "/agreements/?category=ammunition&stage=committed": 14,
    "/donors/": 5,
    "/": 21,
    "/agreements/4/": 9,
    "/donors/united-states/": 19,
    "/sources/2/": 7,
}


# On PostgreSQL each facet query runs in a savepoint with a time limit (aid/listing.py):
# SAVEPOINT, set_config, RESET inside a test's transaction, RELEASE. Counted apart.
TIME_LIMIT_STATEMENTS = 4


def is_time_limit_bookkeeping(sql):
    return "SAVEPOINT" in sql or "statement_timeout" in sql


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    statements = [query["sql"] for query in captured.captured_queries]
    bookkeeping = [sql for sql in statements if is_time_limit_bookkeeping(sql)]
    facets = len(response.context["facets"]) if response.context.get("facets") else 0
    assert len(bookkeeping) <= TIME_LIMIT_STATEMENTS * facets
    return len(statements) - len(bookkeeping)


def grow(n_agreements=15, items_each=6):
    for _ in range(n_agreements):
        agreement = make_agreement(donor=make_donor())
        for _ in range(items_each):
            item = make_line_item(agreement=agreement)
            make_citation(agreement=agreement, line_item=item)


@pytest.mark.parametrize("url", BUDGETS)
def test_query_count_is_bounded_and_does_not_grow(client, seeded, url):
    small = queries(client, url)
    assert small <= BUDGETS[url]
    grow()
    assert queries(client, url) == small
