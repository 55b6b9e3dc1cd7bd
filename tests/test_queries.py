"""Query budgets: a page costs the same number of SQL queries whatever the data's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import make_agreement, make_citation, make_donor, make_line_item

pytestmark = pytest.mark.django_db

# Ceilings per page; a new query on a page should be a decision, not an accident.
# Filtered lists cost more: each facet is counted with the other filters applied,
# and each slug filter is validated against its table.
BUDGETS = {
    "/items/?per_page=100": 12,
    "/items/?donor=belgium&category=aircraft&sort=-amount": 18,
    "/agreements/?per_page=100": 12,
    "/agreements/?category=ammunition&stage=committed": 18,
    "/donors/": 8,
    "/": 20,
    "/agreements/4/": 8,
    "/donors/united-states/": 18,
    "/sources/2/": 6,
}


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


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
