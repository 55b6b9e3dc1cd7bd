"""`make load`: many readers at once, against gunicorn on PostgreSQL, beside Datasette.

For each data set (the seed data, and LOAD_ITEMS synthetic line items, a million by default)
it serves the ledger as production does (`gunicorn -c ledger/gunicorn.conf.py`: sync workers,
2 per CPU + 1, DEBUG off) and drives it with Locust, headless, at 10, 50 and 200 concurrent
readers (LOAD_USERS), each opening a page every one to two seconds, for LOAD_SECONDS each:

1. *readers*: the public pages in a reader's mix (overview, tables filtered and not, an
   agreement, donors, the glossary, a filtered CSV export). A filtered page or export asks
   one of many questions (donor × category × year) drawn at random, so it is rendered for
   its reader, not answered from the page cache;
2. *same view*: the filtered /items/ page and its CSV, and the same pages and CSVs of
   Datasette serving a SQLite copy of the same published line items (bench/run.py builds
   it), at the same concurrency, one after the other on the same machine: the ratio;
3. *revisiting readers*: the mix again, each reader sending If-None-Match for pages seen
   before, as a browser does: what the ledger's validators save (aid/caching.py);
4. *page cache off*: the mix again with LEDGER_PAGE_CACHE=0, every page rendered: what the
   page cache saves, and what the servers can render;
5. *shared cache*: the mix again with REDIS_URL set (LOAD_REDIS_URL, emptied first), as the
   deployment picture in README has it: the workers share the pages and figures each
   computes, rather than each computing its own. Left out when no Redis answers there.

It reports requests per second, p50/p95/p99 and errors into bench/results.md, between the
markers <!-- load --> and <!-- /load --> (`make bench` keeps that part). Locust and Datasette
live in bench/.venv, never in the project.

Environment: LOAD_USERS (default 10,50,200), LOAD_SECONDS (default 30), LOAD_ITEMS (default
1000000; 0 for the seed data only), BENCH_DATABASE_URL (the synthetic database; kept and
grown, as `BENCH_REUSE=1 make bench` does), LOAD_SEED_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/ledger_load, made again each run), LOAD_REDIS_URL
(default redis://127.0.0.1:6379/14).
"""

import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import psycopg
from psycopg import sql

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import run  # noqa: E402 - bench/run.py: servers, the SQLite copy, the machine's description

LOCUST = BENCH / ".venv" / "bin" / "locust"
USERS = [int(n) for n in os.environ.get("LOAD_USERS", "10,50,200").split(",")]
SECONDS = int(os.environ.get("LOAD_SECONDS", "30"))
ITEMS = int(os.environ.get("LOAD_ITEMS", "1000000"))
SEED_DATABASE_URL = os.environ.get(
    "LOAD_SEED_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ledger_load"
)
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/14")
START, END = "<!-- load -->", "<!-- /load -->"
# As ledger/gunicorn.conf.py counts them; Datasette is one process (async, 3 SQL threads).
WORKERS = int(os.environ.get("WEB_CONCURRENCY") or 2 * len(os.sched_getaffinity(0)) + 1)
SERVING = f"gunicorn with {WORKERS} sync workers (2 per CPU + 1)"


def log(message):
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def manage(database_url, *args):
    env = {**run.ENV, "DATABASE_URL": database_url}
    subprocess.run([run.PYTHON, "manage.py", *args], cwd=run.APP, env=env, check=True)  # noqa: S603


def recreate(database_url):
    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def line_items(database_url):
    try:
        with psycopg.connect(database_url) as connection:
            return connection.execute("SELECT count(*) FROM aid_lineitem").fetchone()[0]
    except psycopg.Error:
        return 0


def prepare_seed():
    log(f"seed data: {SEED_DATABASE_URL}")
    recreate(SEED_DATABASE_URL)
    manage(SEED_DATABASE_URL, "migrate", "--no-input", "-v0")
    manage(SEED_DATABASE_URL, "seed", "-v0")
    return SEED_DATABASE_URL


def prepare_synthetic():
    have = line_items(run.DATABASE_URL)
    if have == 0:
        recreate(run.DATABASE_URL)
    manage(run.DATABASE_URL, "migrate", "--no-input", "-v0")
    if have < ITEMS:
        log(f"synthetic: {ITEMS - have:,} more line items in {run.DATABASE_URL}")
        manage(run.DATABASE_URL, "synthesize", "--items", str(ITEMS - have), "-v0")
    return run.DATABASE_URL


def data_sets():
    """(label, database URL, whether every question is sorted dearest first)."""
    sets = [("seed data", prepare_seed(), False)]
    if ITEMS:
        sets.append((f"{ITEMS:,} line items", prepare_synthetic(), True))
    return sets


def published_donors(connection):
    """The slugs of donors with a published agreement: the donors readers see."""
    return [
        row[0]
        for row in connection.execute(
            """SELECT DISTINCT d.slug FROM aid_donor d JOIN aid_agreement a
               ON a.donor_id = d.id AND a.status = 'published' ORDER BY 1"""
        )
    ]


def questions(database_url, dearest_first):
    """The filtered questions readers ask: each published donor's line items in each
    category, one year at a time (the seed data: each donor in each category), as
    (the ledger's /items/ query, Datasette's query of the same rows).

    Many different questions, drawn at random, so that a filtered page is rendered for
    its reader rather than answered from the page cache (aid/caching.py) that serves the
    pages every reader opens alike; at a million line items there are over a thousand.
    """
    with psycopg.connect(database_url) as connection:
        donors = published_donors(connection)
        categories = [row[0] for row in connection.execute("SELECT slug FROM aid_category")]
        years = [
            int(row[0])
            for row in connection.execute(
                """SELECT DISTINCT extract(year FROM announced_on) FROM aid_lineitem
                   WHERE published AND announced_on IS NOT NULL ORDER BY 1"""
            )
        ]
    pairs = []
    for donor in donors:
        for category in categories:
            for year in years if dearest_first else [None]:
                ledger = {"donor": donor, "category": category}
                datasette = {"donor_slug": donor, "category_slug": category}
                if year is not None:
                    ledger |= {"date_after": f"{year}-01-01", "date_before": f"{year}-12-31"}
                    datasette |= {
                        "announced_on__gte": f"{year}-01-01",
                        "announced_on__lte": f"{year}-12-31",
                    }
                if dearest_first:
                    ledger["sort"] = "-eur"
                    datasette["_sort_desc"] = "value_eur"
                pairs.append((urlencode(ledger), datasette))
    return pairs


def agreements_and_donors(database_url):
    """Up to 200 published agreements (the newest) and every public donor's slug."""
    with psycopg.connect(database_url) as connection:
        agreements = [
            row[0]
            for row in connection.execute(
                """SELECT id FROM aid_agreement WHERE status = 'published'
                   ORDER BY announced_on DESC NULLS LAST, id LIMIT 200"""
            )
        ]
        donors = published_donors(connection)
    return agreements, donors


def reader_mix(asked, agreements, donors):
    """[weight, path or paths (one drawn at random per request), name] for locustfile.py."""
    return [
        [4, "/", "overview"],
        [3, "/items/", "/items/"],
        [4, [f"/items/?{query}" for query, _ in asked], "/items/ filtered"],
        [3, "/agreements/", "/agreements/"],
        [2, [f"/agreements/{pk}/" for pk in agreements], "an agreement"],
        [1, "/donors/", "/donors/"],
        [2, [f"/donors/{slug}/" for slug in donors], "a donor"],
        [1, "/glossary/", "/glossary/"],
        [1, [f"/items/?{query}&_export=csv" for query, _ in asked], "filtered CSV"],
    ]


def locust(base, paths, users, label, revalidate=False):
    """One Locust run; its aggregated figures."""
    prefix = run.WORK / f"locust-{label}-{users}"
    # In a file: a thousand questions are more than one environment variable may hold.
    paths_file = Path(f"{prefix}-paths.json")
    paths_file.write_text(json.dumps(paths))
    env = {
        **os.environ,
        "LOAD_PATHS_FILE": str(paths_file),
        "LOAD_REVALIDATE": "1" if revalidate else "0",
    }
    subprocess.run(  # noqa: S603 - bench/.venv's own locust
        [
            LOCUST,
            "-f",
            BENCH / "locustfile.py",
            "--headless",
            "--only-summary",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{SECONDS}s",
            "--host",
            base,
            "--csv",
            prefix,
            "--exit-code-on-error",
            "0",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    settle(base)
    with open(f"{prefix}_stats.csv") as stats:
        row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        # Locust writes N/A when no request finished within the run (a server overwhelmed).
        "p50": number(row["50%"]),
        "p95": number(row["95%"]),
        "p99": number(row["99%"]),
    }


def settle(base):
    """Wait until the server has answered what the readers left queued when Locust stopped:
    at 200 readers, a backlog of slow pages would otherwise be served during the next run
    and counted against it."""
    with urlopen(base + "/", timeout=600) as response:  # noqa: S310 - loopback; FIFO queue
        response.read()


def warm_up(base, paths):
    """Every page a few times per worker, before anything is measured: a worker's first
    request loads templates, translations and the shared cache (a cold start is not what a
    reader meets in a server that has been running). Of the questions drawn at random,
    only the first few: warming all of them would fill the page cache."""

    def get(path):
        with urlopen(base + path, timeout=120) as response:  # noqa: S310 - loopback
            response.read()

    opened = [path if isinstance(path, str) else path[:3] for _, path, _ in paths]
    flat = [p for path in opened for p in ([path] if isinstance(path, str) else path)]
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(get, flat * WORKERS * 2))


def number(text):
    return None if text == "N/A" else float(text)


def redis_emptied():
    """Whether Redis answers at REDIS_URL; emptied, so that no run starts warm."""
    import redis  # the project's own dependency, for Django's Redis backend

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        log(f"no Redis at {REDIS_URL} ({error}): the shared cache is not measured")
        return False
    return True


def gunicorn(database_url, page_cache=True, shared_cache=False):
    run.ENV.update(
        {
            "DATABASE_URL": database_url,
            "LEDGER_PAGE_CACHE": "1" if page_cache else "0",
            # Empty: each worker's own memory (ledger/settings.py).
            "REDIS_URL": REDIS_URL if shared_cache else "",
        }
    )
    return run.serving(
        [run.GUNICORN, "-c", run.APP / "ledger" / "gunicorn.conf.py", "ledger.wsgi"]
        + ["--bind", "127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", "-"],
        "load-gunicorn.log",
    )


SCENARIOS = [
    ("readers", "reader's mix"),
    ("shared", "reader's mix, cache shared in Redis"),
    ("revisiting", "reader's mix, revisiting (If-None-Match)"),
    ("uncached", "reader's mix, page cache off (every page rendered)"),
    ("ledger", "ledger: /items/ filtered + its CSV"),
    ("datasette", "Datasette: the same questions, page + CSV"),
]


def measure(label, database_url, dearest_first):
    asked = questions(database_url, dearest_first)
    mix = reader_mix(asked, *agreements_and_donors(database_url))
    figures = {"label": label, "questions": len(asked)} | {key: {} for key, _ in SCENARIOS}
    ledger_view = [
        [3, [f"/items/?{query}" for query, _ in asked], "page"],
        [1, [f"/items/?{query}&_export=csv" for query, _ in asked], "CSV"],
    ]
    with gunicorn(database_url) as (base, _):
        warm_up(base, mix + ledger_view)
        for users in USERS:
            log(f"{label}: {users} readers, the reader's mix")
            figures["readers"][users] = locust(base, mix, users, "mix")
            log(f"{label}: {users} readers, the same view as Datasette")
            figures["ledger"][users] = locust(base, ledger_view, users, "ledger")
            log(f"{label}: {users} revisiting readers")
            figures["revisiting"][users] = locust(base, mix, users, "revisit", revalidate=True)
    if redis_emptied():
        with gunicorn(database_url, shared_cache=True) as (base, _):
            warm_up(base, mix)
            for users in USERS:
                log(f"{label}: {users} readers, the reader's mix, cache shared in Redis")
                figures["shared"][users] = locust(base, mix, users, "shared")
    with gunicorn(database_url, page_cache=False) as (base, _):
        warm_up(base, mix)
        for users in USERS:
            log(f"{label}: {users} readers, the reader's mix, page cache off")
            figures["uncached"][users] = locust(base, mix, users, "uncached")
    sqlite_path = run.WORK / "load.sqlite3"
    os.environ["BENCH_DATABASE_URL"] = database_url
    run.DATABASE_URL = database_url
    log(f"{label}: SQLite copy for Datasette")
    run.build_sqlite(sqlite_path, "http://127.0.0.1")
    datasette_view = [
        [3, [f"/load/line_items?{urlencode(d | {'_size': '50'})}" for _, d in asked], "page"],
        [
            1,
            [
                f"/load/line_items.csv?{urlencode(d | {'_stream': 'on', '_size': 'max'})}"
                for _, d in asked
            ],
            "CSV",
        ],
    ]
    with run.datasette_server(sqlite_path) as (base, _):
        warm_up(base, datasette_view)
        for users in USERS:
            log(f"{label}: {users} readers of Datasette")
            figures["datasette"][users] = locust(base, datasette_view, users, "datasette")
    return figures


def ms(value):
    return "none finished" if value is None else f"{value:,.0f}"


def cell(figure):
    return (
        f"{figure['rps']:,.0f} | {ms(figure['p50'])} | {ms(figure['p95'])} | "
        f"{ms(figure['p99'])} | {figure['errors']:,} of {figure['requests']:,}"
    )


def report(results, started):
    lines = [
        START,
        "## Load: many readers at once",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC by `make load` on {run.machine(SERVING)}. "
        f"Code measured: {run.revision()}. gunicorn with `ledger/gunicorn.conf.py`, "
        "PostgreSQL, Locust (headless) and Datasette all on the same machine; each reader "
        f"opens a page every 1–2 s; {SECONDS} s per row after all readers have started. Times "
        "in ms at the client, to the last byte. The page cache (aid/caching.py) is in each "
        'worker\'s memory, as without REDIS_URL, but for "cache shared in Redis" (REDIS_URL '
        'set, Redis on the same machine); "page cache off" renders every page.',
        "",
    ]
    for figures in results:
        lines += [
            f"### {figures['label']}",
            "",
            f"Filtered pages and exports: one of {figures['questions']:,} questions drawn at "
            "random per request; agreements and donors likewise.",
            "",
            "| readers | scenario | requests/s | p50 | p95 | p99 | errors |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for users in USERS:
            for key, name in SCENARIOS:
                if users in figures[key]:
                    lines.append(f"| {users} | {name} | {cell(figures[key][users])} |")
            mine, theirs = figures["ledger"][users], figures["datasette"][users]
            both = mine["p95"] and theirs["p95"]
            ratio = f"{mine['p95'] / theirs['p95']:.2f}×" if both else "—"
            lines.append(f"| {users} | ratio ledger / Datasette, p95 | | | {ratio} | | |")
        lines.append("")
    lines.append(END)
    block = "\n".join(lines)
    text = run.RESULTS.read_text() if run.RESULTS.exists() else ""
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    run.RESULTS.write_text(text)


def main():
    for tool, how in ((run.GUNICORN, "make setup"), (LOCUST, "make load")):
        if not tool.exists():
            raise SystemExit(f"{tool} is missing: {how} installs it.")
    started = datetime.now(UTC)
    os.environ.update(run.ENV)
    run.manage("collectstatic", "--no-input", "-v0")  # hashed names, as production serves
    results = []
    for label, database_url, dearest_first in data_sets():
        results.append(measure(label, database_url, dearest_first))
        report(results, started)
        (run.WORK / "load.json").write_text(json.dumps(results, indent=1))
    log(f"{run.RESULTS} written")


if __name__ == "__main__":
    main()
