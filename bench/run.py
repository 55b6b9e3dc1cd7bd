"""`make bench`: the ledger at growing sizes, beside Datasette and PostgreSQL's own COPY.

For each size (BENCH_SIZES, default 10,000, 100,000 and 1,000,000 line items) it grows
one synthetic ledger in a dedicated PostgreSQL database (`manage.py synthesize`), serves
it with gunicorn (one sync worker, DEBUG off) and measures, on the same rows:

1. /items/ filtered by donor, category and announcement dates, sorted by EUR value:
   response time p50/p95 over BENCH_REQUESTS requests, and SQL queries per request;
2. that view's CSV export and the export of every row: rows per second, and the
   serving worker's peak RSS (VmHWM, reset before each export);
3. Datasette on a SQLite copy of the same published rows (one flat table, the export's
   columns, single-column indexes on what is filtered and sorted): the same page and
   its streamed CSV;
4. COPY (SELECT <the export's columns, same filter and order>) TO STDOUT WITH CSV;
5. the admin change list of line items, unfiltered and filtered, and an agreement's
   change page, as a superuser.

Times are wall-clock at the client, over loopback, to the last byte. Results go to
bench/results.md (BENCH_RESULTS to change), rewritten after each size.

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ledger_bench;
the database is dropped and made again), BENCH_SIZES, BENCH_REQUESTS (default 50),
BENCH_ADMIN_REQUESTS (default 20).
"""

import http.client
import json
import os
import platform
import resource
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
# The code under test: this checkout, or a scratch copy with a change to try (BENCH_APP_DIR).
APP = Path(os.environ.get("BENCH_APP_DIR", ROOT)).resolve()
BENCH = ROOT / "bench"
WORK = BENCH / "work"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DATASETTE = BENCH / ".venv" / "bin" / "datasette"

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ledger_bench"
)
SIZES = sorted(
    int(size) for size in os.environ.get("BENCH_SIZES", "10000,100000,1000000").split(",")
)
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
ADMIN_REQUESTS = int(os.environ.get("BENCH_ADMIN_REQUESTS", "20"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", BENCH / "results.md")).resolve()
# Keep the database and its rows from the last run, adding only what a size lacks.
REUSE = os.environ.get("BENCH_REUSE", "") not in ("", "0")
WARM_UP = 3
# A page slower than this many seconds is sampled SLOW_SAMPLES times, not BENCH_REQUESTS.
SLOW = 5.0
SLOW_SAMPLES = 3
# The serving process's address space is capped, so a page that loads every row fails
# with a MemoryError instead of taking the machine's memory (BENCH_WORKER_MEMORY_MB).
WORKER_MEMORY_MB = int(os.environ.get("BENCH_WORKER_MEMORY_MB", "4096"))

# The reader's question: the largest donor's air defence announced in 2023, dearest first.
DONOR, CATEGORY, AFTER, BEFORE = "synthetic-01", "air-defence", "2023-01-01", "2023-12-31"
ITEMS_QUERY = urlencode(
    {
        "donor": DONOR,
        "category": CATEGORY,
        "date_after": AFTER,
        "date_before": BEFORE,
        "sort": "-eur",
    }
)
DATASETTE_QUERY = urlencode(
    {
        "donor_slug": DONOR,
        "category_slug": CATEGORY,
        "announced_on__gte": AFTER,
        "announced_on__lte": BEFORE,
        "_sort_desc": "value_eur",
    }
)

# Settings for every process of the ledger, this one included: production's, on loopback.
ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "DJANGO_SETTINGS_MODULE": "ledger.settings",
    "DJANGO_SECRET_KEY": "bench-only-" + secrets.token_urlsafe(32),
    "DJANGO_DEBUG": "",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DJANGO_LOG_LEVEL": "WARNING",
    # Each question is asked many times: measure its rendering, not the page cache's hit.
    "LEDGER_PAGE_CACHE": "0",
}


# The export's columns (aid/exports.py LINE_ITEM_COLUMNS) in SQL, for COPY and for SQLite.
def export_select(base_url, where, order, announced="cut"):
    announced_on = (
        """CASE a.announced_precision
             WHEN 'day' THEN to_char(a.announced_on, 'YYYY-MM-DD')
             WHEN 'month' THEN to_char(a.announced_on, 'YYYY-MM')
             WHEN 'year' THEN to_char(a.announced_on, 'YYYY') ELSE '' END"""
        if announced == "cut"
        else "a.announced_on"
    )
    return sql.SQL(
        """SELECT li.id,
       {base} || '/agreements/' || a.id || '/#item-' || li.id AS url,
       li.description, d.slug AS donor_slug, d.name AS donor_name,
       a.id AS agreement_id, a.title AS agreement_title, a.kind AS agreement_kind,
       c.slug AS category_slug, c.name AS category_name, li.quantity, li.unit,
       li.amount, li.currency,
       CASE WHEN li.amount IS NULL THEN '' ELSE li.qualifier END AS qualifier,
       li.period_start_year, li.period_end_year, li.period_text, li.stage,
       {announced_on} AS announced_on, a.announced_precision, li.notes,
       li.value_eur, li.value_usd, li.ecb_currency_per_eur, li.ecb_usd_per_eur,
       li.rate_date, li.part_of_id,
       (li.amount IS NOT NULL AND li.part_of_id IS NULL AND a.amount IS NULL) AS counted
  FROM aid_lineitem li
  JOIN aid_agreement a ON a.id = li.agreement_id
  JOIN aid_donor d ON d.id = a.donor_id
  JOIN aid_category c ON c.id = li.category_id
 WHERE a.status = 'published' {where}
 ORDER BY {order}"""
    ).format(
        base=sql.Literal(base_url), announced_on=sql.SQL(announced_on), where=where, order=order
    )


FILTER_SQL = sql.SQL("AND d.slug = {} AND c.slug = {} AND a.announced_on BETWEEN {} AND {}").format(
    sql.Literal(DONOR), sql.Literal(CATEGORY), sql.Literal(AFTER), sql.Literal(BEFORE)
)
BY_EUR = sql.SQL("li.value_eur DESC NULLS LAST, li.id")
BY_ANNOUNCED = sql.SQL("a.announced_on DESC NULLS LAST, li.id")


# Processes ---------------------------------------------------------------------


def manage(*args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=APP, env=ENV, check=True)  # noqa: S603


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited with {process.returncode}")
        try:
            fetch(base + "/-/versions.json" if "datasette" in str(process.args[0]) else base + "/")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{base} did not answer within {seconds} s")


def limit_memory():
    limit = WORKER_MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@contextmanager
def serving(args, log_name, preexec_fn=None):
    WORK.mkdir(exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(WORK / log_name, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own venvs' executables
            [str(a).replace("{port}", str(port)) for a in args],
            cwd=APP,
            env=ENV,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec_fn,  # noqa: PLW1509 - only sets a resource limit
        )
        try:
            wait_until_up(base, process)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # Datasette, still streaming a CSV to a reader Locust has dropped, can outlive
                # a polite stop; the figures are already taken, so stop it for good.
                process.kill()
                process.wait()


def ledger_server():
    return serving(
        [GUNICORN, "ledger.wsgi", "--bind", "127.0.0.1:{port}", "--workers", "1"]
        + ["--timeout", "900", "--log-level", "warning"],
        "gunicorn.log",
        preexec_fn=limit_memory,
    )


def datasette_server(database):
    # A long SQL time limit, so a slow query is measured rather than cut off at 1 s.
    return serving(
        [DATASETTE, "serve", "--immutable", database, "--host", "127.0.0.1", "--port", "{port}"]
        + ["--setting", "sql_time_limit_ms", "120000"]
        # Datasette stops a streamed CSV at 100 MB by default; 0 lifts the cap.
        + ["--setting", "max_csv_mb", "0"],
        "datasette.log",
    )


def worker_pid(master):
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return int(children[0])


def reset_peak_rss(pid):
    # "5" resets VmHWM to the current RSS (proc(5), clear_refs), so each export has its own peak.
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


# Measuring ---------------------------------------------------------------------


def fetch(url, headers=None, expect=200):
    """GET to the last byte: (status, seconds, bytes, lines); stops the bench on a surprise."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=900)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    started = time.perf_counter()
    connection.request("GET", target, headers=headers or {})
    response = connection.getresponse()
    size = lines = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    connection.close()
    if expect is not None and response.status != expect:
        raise SystemExit(f"GET {url} answered {response.status}")
    return response.status, elapsed, size, lines


def percentiles(url, n, headers=None, slow=SLOW):
    """p50/p95 over n requests after WARM_UP; a page slower than `slow` seconds (Datasette's
    at 10 million rows takes about half a minute) gets one warm-up and SLOW_SAMPLES requests."""
    started = time.perf_counter()
    fetch(url, headers)
    if time.perf_counter() - started > slow:
        n = SLOW_SAMPLES
    else:
        for _ in range(WARM_UP - 1):
            fetch(url, headers)
    samples = [fetch(url, headers)[1] for _ in range(n)]
    cuts = statistics.quantiles(samples, n=20, method="inclusive") if n > 1 else samples * 19
    return {"p50": statistics.median(samples), "p95": cuts[18], "n": n}


def first_page(url, n, pid, slow=SLOW):
    """The first request (cold: the worker's shared cache is empty, as after a publication),
    then p50/p95 once warm; one warm request is enough when it takes more than `slow` seconds."""
    reset_peak_rss(pid)
    status, first, _, _ = fetch(url, expect=None)
    if status != 200:
        return {"p50": first, "p95": first, "n": 1, "peak_mb": None, "failed": status}
    # A slow first request may be the counting alone: the second says whether warm is slow too.
    second = fetch(url)[1] if first > slow else 0
    figure = {"p50": second, "p95": second, "n": 1} if second > slow else percentiles(url, n)
    return {**figure, "cold": first, "peak_mb": peak_rss_mb(pid)}


def export(url, repeats, pid=None):
    """Rows per second of a CSV download (its header not counted), and the worker's peak RSS."""
    runs = []
    for _ in range(repeats):
        if pid:
            reset_peak_rss(pid)
        _, seconds, size, lines = fetch(url)
        runs.append((seconds, lines - 1, size, peak_rss_mb(pid) if pid else None))
    seconds, rows, size, _ = sorted(runs)[len(runs) // 2]
    peak = max(run[3] for run in runs) if pid else None
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds, "peak_mb": peak}


def copy_rows(query, repeats):
    runs = []
    with psycopg.connect(DATABASE_URL) as connection, connection.cursor() as cursor:
        statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(query)
        for _ in range(repeats):
            started = time.perf_counter()
            lines = 0
            with cursor.copy(statement) as copy:
                for data in copy:
                    lines += bytes(data).count(b"\n")
            runs.append((time.perf_counter() - started, lines - 1))
    seconds, rows = sorted(runs)[len(runs) // 2]
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds}


def query_profile(path, user=None):
    """SQL queries of one request, made in this process: count, total ms, the slowest five."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if user is not None:
        client.force_login(user)
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    queries = sorted(
        ((float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries), reverse=True
    )
    return {
        "count": len(queries),
        "ms": sum(ms for ms, _ in queries),
        "slowest": [(ms, " ".join(text.split())) for ms, text in queries[:5]],
    }


# Data --------------------------------------------------------------------------


def recreate_database():
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


SQLITE_SCHEMA = """CREATE TABLE line_items (
    id INTEGER PRIMARY KEY, url TEXT, description TEXT, donor_slug TEXT, donor_name TEXT,
    agreement_id INTEGER, agreement_title TEXT, agreement_kind TEXT, category_slug TEXT,
    category_name TEXT, quantity INTEGER, unit TEXT, amount REAL, currency TEXT,
    qualifier TEXT, period_start_year INTEGER, period_end_year INTEGER, period_text TEXT,
    stage TEXT, announced_on TEXT, announced_precision TEXT, notes TEXT, value_eur REAL,
    value_usd REAL, ecb_currency_per_eur REAL, ecb_usd_per_eur REAL, rate_date TEXT,
    part_of_id INTEGER, counted INTEGER)"""
SQLITE_INDEXES = ("donor_slug", "category_slug", "announced_on", "value_eur")


def build_sqlite(path, base_url):
    """The published line items as one flat table, as a reader would load the CSV."""
    sqlite3.register_adapter(Decimal, float)
    sqlite3.register_adapter(date, date.isoformat)
    path.unlink(missing_ok=True)
    started = time.monotonic()
    target = sqlite3.connect(path)
    target.execute(SQLITE_SCHEMA)
    query = export_select(base_url, sql.SQL(""), sql.SQL("li.id"), announced="raw")
    with psycopg.connect(DATABASE_URL) as source, source.cursor(name="to_sqlite") as cursor:
        cursor.itersize = 20_000
        cursor.execute(query)
        placeholders = ", ".join("?" * 29)
        while rows := cursor.fetchmany(20_000):
            target.executemany(f"INSERT INTO line_items VALUES ({placeholders})", rows)  # noqa: S608
    for column in SQLITE_INDEXES:
        target.execute(f"CREATE INDEX line_items_{column} ON line_items ({column})")
    target.execute("ANALYZE")
    target.commit()
    target.close()
    return time.monotonic() - started


def facts(connection):
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT count(*) FROM aid_lineitem),
                      (SELECT count(*) FROM aid_agreement),
                      (SELECT count(*) FROM aid_donor)"""
        )
        items, agreements, donors = cursor.fetchone()
        cursor.execute(
            """SELECT a.id FROM aid_agreement a JOIN aid_donor d ON d.id = a.donor_id
                WHERE d.slug = %s ORDER BY (SELECT count(*) FROM aid_lineitem li
                WHERE li.agreement_id = a.id) DESC, a.id LIMIT 1""",
            [DONOR],
        )
        (biggest,) = cursor.fetchone()
        cursor.execute(
            "SELECT d.id, c.id FROM aid_donor d, aid_category c WHERE d.slug = %s AND c.slug = %s",
            [DONOR, CATEGORY],
        )
        donor_id, category_id = cursor.fetchone()
    return {
        "n_items": items,
        "n_agreements": agreements,
        "n_donors": donors,
        "biggest_agreement": biggest,
        "donor_id": donor_id,
        "category_id": category_id,
    }


# One size ----------------------------------------------------------------------


def measure(size, load_seconds, superuser):
    from django.db import connection

    result = {
        "size": size,
        "load_s": load_seconds,
        "load_before": os.getloadavg(),
        **facts(connection),
    }
    connection.close()
    items_path = f"/items/?{ITEMS_QUERY}"
    admin_paths = {
        "admin_list": "/admin/aid/lineitem/",
        "admin_filtered": "/admin/aid/lineitem/?"
        + urlencode(
            {
                "donor__id__exact": result["donor_id"],
                "category__id__exact": result["category_id"],
                "stage__exact": "committed",
            }
        ),
        "admin_agreement": f"/admin/aid/agreement/{result['biggest_agreement']}/change/",
    }
    with ledger_server() as (base, master):
        pid = worker_pid(master)
        log(f"{size:,}: the ledger's /items/ page")
        result["items"] = percentiles(base + items_path, REQUESTS)
        result["items_queries"] = query_profile(items_path)
        log(f"{size:,}: the ledger's CSV exports")
        result["export"] = export(base + items_path + "&_export=csv", 3, pid)
        result["export_all"] = export(base + "/items/?_export=csv", 1, pid)
        # After the exports: a page that loads every row leaves the worker's heap large,
        # and the exports' peaks would start from there.
        log(f"{size:,}: the ledger's /items/ page, unfiltered")
        result["items_all"] = first_page(base + "/items/", REQUESTS, pid)

        log(f"{size:,}: admin")
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(superuser)
        cookie = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
        for name, path in admin_paths.items():
            result[name] = percentiles(base + path, ADMIN_REQUESTS, cookie)
            result[name + "_queries"] = query_profile(path, superuser)

        log(f"{size:,}: COPY")
        result["copy"] = copy_rows(export_select(base, FILTER_SQL, BY_EUR), 3)
        result["copy_all"] = copy_rows(export_select(base, sql.SQL(""), BY_ANNOUNCED), 1)

        log(f"{size:,}: SQLite copy for Datasette")
        database = WORK / "ledger.db"
        result["sqlite_build_s"] = build_sqlite(database, base)
    with datasette_server(database) as (ds_base, _):
        log(f"{size:,}: Datasette")
        page = f"{ds_base}/ledger/line_items?{DATASETTE_QUERY}&_size=50"
        result["datasette"] = percentiles(page, REQUESTS)
        stream = f"{ds_base}/ledger/line_items.csv?{DATASETTE_QUERY}&_stream=on&_size=max"
        result["datasette_csv"] = export(stream, 3)
        # In rowid order: sorted by a column with NULLs, Datasette's keyset paging loses rows.
        everything = f"{ds_base}/ledger/line_items.csv?_stream=on&_size=max"
        result["datasette_csv_all"] = export(everything, 1)
    result["load_after"] = os.getloadavg()
    return result


# Report ------------------------------------------------------------------------


def ms(seconds):
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def ratio(mine, theirs):
    return f"{mine / theirs:.2f}×" if theirs else "–"


def rate(figure):
    return f"{figure['rows_per_s']:,.0f} rows/s ({figure['rows']:,} rows, {ms(figure['seconds'])})"


def p50_p95(figure):
    return f"{ms(figure['p50'])} / {ms(figure['p95'])}"


def both_ratios(mine, datasette, copy):
    """ledger / Datasette and ledger / COPY, of rows per second."""
    return (
        f"{ratio(mine['rows_per_s'], datasette['rows_per_s'])}; "
        f"{ratio(mine['rows_per_s'], copy['rows_per_s'])}"
    )


def page_ratios(r):
    return (
        f"{ratio(r['items']['p50'], r['datasette']['p50'])}; "
        f"{ratio(r['items']['p95'], r['datasette']['p95'])}"
    )


ROWS = [
    (
        "Line items in the database / agreements",
        lambda r: f"{r['n_items']:,} / {r['n_agreements']:,}",
    ),
    ("Load time (`synthesize`, this step's items)", lambda r: f"{r['load_s']:.1f} s"),
    ("Machine's load average (1 min), before / after this size's measures", lambda r: load(r)),
    ("**/items/ filtered, sorted by -eur:** p50 / p95", lambda r: p50_p95(r["items"])),
    ("Datasette, same page: p50 / p95", lambda r: sampled(r["datasette"])),
    ("ledger / Datasette (p50; p95)", page_ratios),
    (
        "SQL queries per /items/ request (their total time)",
        lambda r: f"{r['items_queries']['count']} ({r['items_queries']['ms']:,.0f} ms)",
    ),
    (
        "/items/ unfiltered, first request after a publication (cold: count, totals, facets)",
        lambda r: cold(r),
    ),
    ("/items/ unfiltered, warm: p50 / p95 (worker's peak RSS)", lambda r: unfiltered(r)),
    ("**CSV export, filtered view**", lambda r: rate(r["export"])),
    ("Datasette `_stream=on` CSV, same filter", lambda r: rate(r["datasette_csv"])),
    ("COPY, same columns, filter and order", lambda r: rate(r["copy"])),
    (
        "ledger / Datasette; ledger / COPY (rows/s)",
        lambda r: both_ratios(r["export"], r["datasette_csv"], r["copy"]),
    ),
    ("**CSV export, every row**", lambda r: rate(r["export_all"])),
    ("Datasette `_stream=on` CSV, every row", lambda r: rate(r["datasette_csv_all"])),
    ("COPY, every row", lambda r: rate(r["copy_all"])),
    (
        "ledger / Datasette; ledger / COPY (rows/s)",
        lambda r: both_ratios(r["export_all"], r["datasette_csv_all"], r["copy_all"]),
    ),
    (
        "Serving worker's peak RSS: filtered export / every row",
        lambda r: f"{r['export']['peak_mb']:,.0f} MB / {r['export_all']['peak_mb']:,.0f} MB",
    ),
    ("**Admin: line items change list** p50 / p95 (queries)", lambda r: admin(r, "admin_list")),
    (
        "Admin: line items, filtered by donor, category, stage",
        lambda r: admin(r, "admin_filtered"),
    ),
    ("Admin: an agreement's change page (its largest)", lambda r: admin(r, "admin_agreement")),
]


def load(r):
    if "load_before" not in r:
        return "–"
    return f"{r['load_before'][0]:.1f} / {r['load_after'][0]:.1f}"


def sampled(figure):
    few = f" ({figure['n']} requests: too slow for {REQUESTS})" if figure["n"] < REQUESTS else ""
    return p50_p95(figure) + few


def cold(r):
    figure = r["items_all"]
    return ms(figure["cold"]) if "cold" in figure else "–"


def unfiltered(r):
    figure = r["items_all"]
    if figure.get("failed"):
        return (
            f"**failed**: HTTP {figure['failed']} after {ms(figure['p50'])} (the worker is capped "
            f"at {WORKER_MEMORY_MB:,} MB; the page loads every row)"
        )
    once = " — one warm request, too slow to repeat" if figure["n"] == 1 else ""
    return f"{p50_p95(figure)} ({figure['peak_mb']:,.0f} MB){once}"


def admin(result, name):
    figure = result[name]
    return f"{ms(figure['p50'])} / {ms(figure['p95'])} ({result[name + '_queries']['count']})"


# Where bench/README.md explains a miss, in the order of figures_against_targets() below.
WHY = {
    "filtered": "§7 (Python renders the page; the facets count the filtered rows)",
    "datasette": "§3, §4",
    "copy": "§2",
    "rss": "§2",
    "unfiltered": "§6 (whole-table summary and facets, shared once counted)",
    "admin": "§5",
    "filtered_10m": "§8 (SQL grows with the filtered set: 10× the rows, 10× the counting)",
}


def verdicts(results):
    """The issue's targets, each at its size, with where a miss is explained."""
    return [
        (target, measured, verdict if "**" not in verdict else f"{verdict}; why: README {WHY[key]}")
        for key, target, measured, verdict in figures_against_targets(results)
    ]


def at_size(results, size):
    return next((r for r in results if r["size"] == size), None)


def figures_against_targets(results):
    """(key, target, measured, verdict): the 1M targets at 1M (or the largest size below it),
    and the 10M one when 10M was measured."""
    r = at_size(results, 1_000_000) or max(
        (r for r in results if r["size"] <= 1_000_000), key=lambda r: r["size"]
    )
    at = f" at {r['size']:,}"
    items_p95 = r["items"]["p95"]
    share = r["export"]["rows_per_s"] / r["copy"]["rows_per_s"]
    share_all = r["export_all"]["rows_per_s"] / r["copy_all"]["rows_per_s"]
    peak = max(r["export"]["peak_mb"], r["export_all"]["peak_mb"])
    page = r["items_all"]
    admin_p95 = max(r["admin_list"]["p95"], r["admin_filtered"]["p95"])

    def verdict(ok, missed):
        return "met" if ok else f"**missed**: {missed}"

    def within(seconds, limit):
        return verdict(
            seconds <= limit,
            f"{ms(seconds - limit)} over, {seconds / limit:.1f}× it",
        )

    rows = [
        ("filtered", f"/items/ filtered p95 ≤ 100 ms{at}", ms(items_p95), within(items_p95, 0.1)),
        (
            "datasette",
            f"/items/ faster than Datasette (p95){at}",
            ratio(items_p95, r["datasette"]["p95"]),
            verdict(
                items_p95 < r["datasette"]["p95"],
                f"{items_p95 / r['datasette']['p95']:.1f}× Datasette's time",
            ),
        ),
        (
            "copy",
            f"CSV export ≥ ½ of COPY's rows/s (filtered view){at}",
            f"{share:.2f} of COPY",
            verdict(share >= 0.5, f"{0.5 / share:.1f}× too slow"),
        ),
        (
            "copy",
            f"CSV export ≥ ½ of COPY's rows/s (every row){at}",
            f"{share_all:.2f} of COPY",
            verdict(share_all >= 0.5, f"{0.5 / share_all:.1f}× too slow"),
        ),
        (
            "rss",
            f"Serving process peak RSS < 200 MB (exports){at}",
            f"{peak:,.0f} MB",
            verdict(peak < 200, f"{peak - 200:,.0f} MB over"),
        ),
        (
            "unfiltered",
            f"/items/ unfiltered p95 ≤ 100 ms (warm){at}",
            f"HTTP {page['failed']}" if page.get("failed") else ms(page["p95"]),
            "**fails**: out of memory"
            if page.get("failed")
            else within(page["p95"], 0.1)
            + (f" (first request, cold: {ms(page['cold'])})" if "cold" in page else ""),
        ),
        (
            "admin",
            f"Admin change list < 500 ms (p95, unfiltered and filtered){at}",
            ms(admin_p95),
            within(admin_p95, 0.5),
        ),
    ]
    big = at_size(results, 10_000_000)
    if big:
        rows.append(
            (
                "filtered_10m",
                "/items/ filtered p95 ≤ 150 ms at 10,000,000",
                ms(big["items"]["p95"]),
                within(big["items"]["p95"], 0.15),
            )
        )
    return rows


# Figures whose growth from the smallest size to the largest is worth a line of its own.
GROWTH = [
    ("/items/ filtered p50", lambda r: r["items"]["p50"], ms),
    ("/items/ filtered p95", lambda r: r["items"]["p95"], ms),
    ("SQL time per filtered /items/ request", lambda r: r["items_queries"]["ms"] / 1000, ms),
    ("Datasette, same page p95", lambda r: r["datasette"]["p95"], ms),
    ("/items/ unfiltered, cold", lambda r: r["items_all"].get("cold"), ms),
    ("/items/ unfiltered, warm p95", lambda r: r["items_all"]["p95"], ms),
    (
        "CSV export, filtered view, share of COPY",
        lambda r: share(r, "export", "copy"),
        "{:.2f}".format,
    ),
    (
        "CSV export, every row, share of COPY",
        lambda r: share(r, "export_all", "copy_all"),
        "{:.2f}".format,
    ),
    ("CSV export, every row, rows/s", lambda r: r["export_all"]["rows_per_s"], "{:,.0f}".format),
    ("Admin change list p95 (filtered)", lambda r: r["admin_filtered"]["p95"], ms),
    (
        "Worker's peak RSS (exports)",
        lambda r: max(r["export"]["peak_mb"], r["export_all"]["peak_mb"]),
        "{:,.0f} MB".format,
    ),
]


def share(r, mine, copy):
    return r[mine]["rows_per_s"] / r[copy]["rows_per_s"]


def growth_lines(results):
    first, last = results[0], results[-1]
    lines = [
        "| figure | "
        + " | ".join(f"{r['size']:,}" for r in results)
        + f" | {last['size'] // first['size']:,}× the rows |",
        "| --- | " + " | ".join("---" for _ in results) + " | --- |",
    ]
    for label, figure, shown in GROWTH:
        values = [figure(r) for r in results]
        grown = f"{values[-1] / values[0]:,.1f}×" if values[0] and values[-1] is not None else "–"
        cells = [shown(v) if v is not None else "–" for v in values]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {grown} |")
    return lines


def machine(serving="gunicorn with 1 sync worker"):
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    with psycopg.connect(DATABASE_URL) as connection:
        server = connection.execute("SHOW server_version").fetchone()[0]
        settings = {
            name: connection.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
            for name in ("shared_buffers", "work_mem")
        }
    datasette = subprocess.run(  # noqa: S603 - our own venv's executable
        [DATASETTE, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    import django

    return (
        f"{os.cpu_count()} cores, {memory_kb / 1024 / 1024:.1f} GiB memory, "
        f"{platform.machine()}; PostgreSQL {server} (shared_buffers {settings['shared_buffers']}, "
        f"work_mem {settings['work_mem']}); Python {platform.python_version()}, "
        f"Django {django.get_version()}, {serving}; {datasette}"
    )


def revision():
    """The commit measured: BENCH_REVISION, or this checkout's HEAD (dirty if it differs)."""
    if os.environ.get("BENCH_REVISION"):
        return os.environ["BENCH_REVISION"]
    if APP != ROOT:
        return f"the code in {APP}"

    def git(*args):
        command = ["git", "-C", str(ROOT), *args]
        return subprocess.run(command, capture_output=True, text=True).stdout.strip()  # noqa: S603

    # The results file itself is rewritten after each size; it is not the code measured.
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results.md")
    return f"commit {git('rev-parse', '--short', 'HEAD')}" + (
        " with uncommitted changes" if dirty else ""
    )


def write_results(results, started, machine_line):
    largest = results[-1]
    lines = [
        "# Benchmark: the ledger at scale, beside Datasette and PostgreSQL COPY",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC by `make bench` on {machine_line}. "
        f"Code measured: {revision()}.",
        "",
        f"Question asked: `/items/?{ITEMS_QUERY}` (the largest synthetic donor's air defence "
        "announced in 2023, dearest first, 50 per page). Datasette gets the same filter on a "
        "flat SQLite copy of the published line items. Times are wall-clock at the client, "
        f"over loopback, to the last byte; p50/p95 over {REQUESTS} requests ({ADMIN_REQUESTS} "
        "for the admin) after {WARM_UP} warm-up requests. See bench/README.md for method and "
        "analysis.".replace("{WARM_UP}", str(WARM_UP)),
        "",
        "## Targets",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
        *[
            f"| {target} | {measured} | {verdict} |"
            for target, measured, verdict in verdicts(results)
        ],
        "",
        "## Figures by size",
        "",
        "| measure | " + " | ".join(f"{r['size']:,} items" for r in results) + " |",
        "| --- | " + " | ".join("---" for _ in results) + " |",
        *[f"| {label} | " + " | ".join(cell(r) for r in results) + " |" for label, cell in ROWS],
        "",
        f"## Growth, {results[0]['size']:,} to {largest['size']:,} line items",
        "",
        "Each figure at each size, and the last over the first (for times: how many times "
        "longer; for rates and shares: how many times more).",
        "",
        *growth_lines(results),
        "",
        f"## Where the time goes at {largest['size']:,} line items",
        "",
        "The slowest SQL queries of one request, timed in the bench process (Django's "
        "query log); the rest of a request's time is Python (filters, template, rows).",
        "",
    ]
    for name, label in [
        ("items_queries", "/items/ filtered"),
        ("admin_list_queries", "admin line items change list"),
        ("admin_filtered_queries", "admin line items, filtered"),
        ("admin_agreement_queries", "admin agreement change page"),
    ]:
        profile = largest[name]
        lines.append(f"**{label}**: {profile['count']} queries, {profile['ms']:,.0f} ms in SQL.\n")
        for ms_, text in profile["slowest"]:
            lines.append(f"- {ms_:,.0f} ms: `{text[:260]}{'…' if len(text) > 260 else ''}`")
        lines.append("")
    # `make load` keeps its figures between markers in the same file (bench/load.py).
    previous = RESULTS.read_text() if RESULTS.exists() else ""
    if "<!-- load -->" in previous and "<!-- /load -->" in previous:
        start, end = previous.index("<!-- load -->"), previous.index("<!-- /load -->")
        lines += ["", previous[start : end + len("<!-- /load -->")]]
    RESULTS.write_text("\n".join(lines))


def save(results):
    """The raw figures, for a later look (bench/work/ is not committed)."""
    WORK.mkdir(exist_ok=True)
    (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str))


def log(message):
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def main():
    for tool, how in ((GUNICORN, "make setup"), (DATASETTE, "make bench")):
        if not tool.exists():
            raise SystemExit(f"{tool} is missing: {how} installs it.")
    started = datetime.now(UTC)
    log(f"Sizes {', '.join(f'{s:,}' for s in SIZES)}; database {DATABASE_URL}")
    os.environ.update(ENV)
    sys.path.insert(0, str(APP))
    if not REUSE:
        recreate_database()
    manage("migrate", "--no-input", "-v0")
    manage("collectstatic", "--no-input", "-v0")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="bench").delete()
    superuser = get_user_model().objects.create_superuser(
        "bench", "bench@example.org", secrets.token_urlsafe(16)
    )
    from aid.models import LineItem

    machine_line = machine()
    results, loaded = [], LineItem.objects.count()
    for size in SIZES:
        log(f"{size:,}: synthesize {max(size - loaded, 0):,} line items")
        began = time.monotonic()
        if size > loaded:
            manage("synthesize", "--items", str(size - loaded), "-v0")
            loaded = size
        results.append(measure(size, time.monotonic() - began, superuser))
        save(results)
        write_results(results, started, machine_line)
        log(f"{size:,}: done; {RESULTS} written")


if __name__ == "__main__":
    main()
