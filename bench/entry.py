"""The analyst's agreement page at 50 line items: render time and queries, and a save's.

    .venv/bin/python bench/entry.py                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/entry.py

In this process, through Django's test client, on a throwaway test database (made and
dropped here): a draft agreement of 50 line items and 5 citations, as a superuser.

- GET: the change page, median and p95 of BENCH_ENTRY_REQUESTS (default 20) after warm-up,
  and its SQL queries;
- POST: the page saved with 49 rows unchanged and one row changed (a fresh GET before
  each, as the page names the version it edits), time and queries of the POST alone;
- published: "Propose a change" on a published agreement of 50 items (the revision is a
  copy), then the revision's page saved with one row changed.

Timings only here, never in tests (tests/test_admin_scale.py holds the query ceilings).
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)
from django.urls import reverse  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_ENTRY_REQUESTS", "20"))
ITEMS, CITATIONS = 50, 5


def agreement_of(items, status):
    from aid.models import LineItem
    from tests.factories import category, make_agreement, make_citation, make_line_item

    agreement = make_agreement(status="draft", amount=None, currency="")
    for index in range(items):
        make_line_item(
            agreement=agreement,
            category=category("aircraft" if index % 2 else "ammunition"),
            description=f"Item {index}",
        )
    rows = list(LineItem.objects.filter(agreement=agreement))
    for index in range(CITATIONS):
        make_citation(agreement=agreement, line_item=rows[index])
    if status != "draft":
        agreement.status = status
        agreement.save()
    return agreement


def timed(call):
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = call()
        seconds = time.perf_counter() - started
    return response, seconds, len(captured.captured_queries)


def render(client, url):
    """Wall-clock p50 and p95, the median CPU time of this process, and the queries.

    On a shared machine the wall clock carries other processes' load; the CPU time is the
    page's own Python (SQLite's work included, PostgreSQL's not).
    """
    for _ in range(3):
        client.get(url)
    runs, cpu = [], []
    for _ in range(REQUESTS):
        started = time.process_time()
        runs.append(timed(lambda: client.get(url)))
        cpu.append(time.process_time() - started)
    assert all(response.status_code == 200 for response, _, _ in runs)
    seconds = sorted(s for _, s, _ in runs)
    return (
        statistics.median(seconds),
        seconds[int(len(seconds) * 0.95) - 1],
        statistics.median(cpu),
        runs[-1][2],
    )


def save_one_change(client, url, repeats=5):
    from tests.factories import browser_post

    runs = []
    for repeat in range(repeats):
        data = browser_post(client.get(url), **{"line_items-10-description": f"Changed {repeat}"})
        response, seconds, queries = timed(lambda data=data: client.post(url, data))
        assert response.status_code == 302, response.context and [
            inline.formset.errors for inline in response.context["inline_admin_formsets"]
        ]
        runs.append((seconds, queries))
    return statistics.median(s for s, _ in runs), max(q for _, q in runs)


def ms(seconds):
    return f"{seconds * 1000:,.0f} ms"


def main():
    from django.contrib.auth import get_user_model

    from aid.models import Agreement

    databases = setup_databases(verbosity=0, interactive=False, aliases={"default", "replica"})
    try:
        user = get_user_model().objects.create_superuser("bench", "bench@example.org", "pw")
        client = Client()
        client.force_login(user)
        print(f"{connection.vendor}, {ITEMS} line items and {CITATIONS} citations, {REQUESTS} GETs")

        draft = agreement_of(ITEMS, "draft")
        draft_url = reverse("admin:aid_agreement_change", args=[draft.pk])
        p50, p95, cpu, queries = render(client, draft_url)
        print(f"GET draft's page: p50 {ms(p50)}, p95 {ms(p95)}, CPU {ms(cpu)}, {queries} queries")
        published = agreement_of(ITEMS, "published")
        url = reverse("admin:aid_agreement_change", args=[published.pk])
        p50, p95, cpu, queries = render(client, url)
        print(
            f"GET published (read-only) page: p50 {ms(p50)}, p95 {ms(p95)}, CPU {ms(cpu)}, "
            f"{queries} queries"
        )

        # The saves read the forms from the page's context, which the test environment's
        # template instrumentation records (and which would slow the renders above).
        setup_test_environment()
        seconds, queries = save_one_change(client, draft_url)
        print(f"POST 49 unchanged + 1 changed: median {ms(seconds)}, {queries} queries")
        propose = reverse("admin:aid_agreement_propose", args=[published.pk])
        response, seconds, queries = timed(lambda: client.post(propose))
        assert response.status_code == 302
        print(f"POST propose a change (copies 50 items): {ms(seconds)}, {queries} queries")
        revision = Agreement.objects.get(revises=published)
        url = reverse("admin:aid_agreement_change", args=[revision.pk])
        seconds, queries = save_one_change(client, url)
        print(f"POST revision, 49 unchanged + 1 changed: median {ms(seconds)}, {queries} queries")
    finally:
        teardown_databases(databases, verbosity=0)


if __name__ == "__main__":
    main()
