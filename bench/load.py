"""`make load`: many readers at once, against gunicorn on PostgreSQL, beside Datasette.

For each data set (the seed data, and LOAD_ITEMS synthetic line items, a million by default)
it serves the ledger as production does (`gunicorn -c ledger/gunicorn.conf.py`: sync workers,
2 per CPU + 1, DEBUG off) and drives it with Locust, headless, at 10, 50 and 200 concurrent
readers (LOAD_USERS), each opening a page every one to two seconds, for LOAD_SECONDS each:

1. *readers*: the public pages in a reader's mix (overview, tables filtered and not, an
   agreement, donors, the glossary, a filtered CSV export);
2. *same view*: the filtered /items/ page and its CSV, and the same page and CSV of Datasette
   serving a SQLite copy of the same published line items (bench/run.py builds it), at the
   same concurrency, one after the other on the same machine: the ratio of the two;
3. *revisiting readers*: the mix again, each reader sending If-None-Match for pages seen
   before, as a browser does: what the ledger's validators save (aid/caching.py).

It reports requests per second, p50/p95/p99 and errors into bench/results.md, between the
markers <!-- load --> and <!-- /load --> (`make bench` keeps that part). Locust and Datasette
live in bench/.venv, never in the project.

Environment: LOAD_USERS (default 10,50,200), LOAD_SECONDS (default 30), LOAD_ITEMS (default
1000000; 0 for the seed data only), BENCH_DATABASE_URL (the synthetic database; kept and
grown, as `BENCH_REUSE=1 make bench` does), LOAD_SEED_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/ledger_load, made again each run).
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
    """(label, database URL, the reader's filter on /items/, Datasette's, an agreement id)."""
    sets = [("seed data", prepare_seed(), {"donor": "belgium"}, {"donor_slug": "belgium"})]
    if ITEMS:
        ledger = {
            "donor": run.DONOR,
            "category": run.CATEGORY,
            "date_after": run.AFTER,
            "date_before": run.BEFORE,
            "sort": "-eur",
        }
        datasette = {
            "donor_slug": run.DONOR,
            "category_slug": run.CATEGORY,
            "announced_on__gte": run.AFTER,
            "announced_on__lte": run.BEFORE,
            "_sort_desc": "value_eur",
        }
        sets.append((f"{ITEMS:,} line items", prepare_synthetic(), ledger, datasette))
    return sets


def an_agreement_and_donor(database_url):
    with psycopg.connect(database_url) as connection:
        agreement, slug = connection.execute(
            """SELECT a.id, d.slug FROM aid_agreement a JOIN aid_donor d ON d.id = a.donor_id
               WHERE a.status = 'published' ORDER BY a.id LIMIT 1"""
        ).fetchone()
    return agreement, slug


def reader_mix(filtered, agreement, donor):
    query = urlencode(filtered)
    return [
        [4, "/", "overview"],
        [3, "/items/", "/items/"],
        [4, f"/items/?{query}", "/items/ filtered"],
        [3, "/agreements/", "/agreements/"],
        [2, f"/agreements/{agreement}/", "an agreement"],
        [1, "/donors/", "/donors/"],
        [2, f"/donors/{donor}/", "a donor"],
        [1, "/glossary/", "/glossary/"],
        [1, f"/items/?{query}&_export=csv", "filtered CSV"],
    ]


def locust(base, paths, users, label, revalidate=False):
    """One Locust run; its aggregated figures."""
    prefix = run.WORK / f"locust-{label}-{users}"
    env = {
        **os.environ,
        "LOAD_PATHS": json.dumps(paths),
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


def warm_up(base, paths):
    """Every page a few times per worker, before anything is measured: a worker's first
    request loads templates, translations and the shared cache (a cold start is not what a
    reader meets in a server that has been running)."""

    def get(path):
        with urlopen(base + path, timeout=120) as response:  # noqa: S310 - loopback
            response.read()

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(get, [path for _, path, _ in paths] * WORKERS * 2))


def number(text):
    return None if text == "N/A" else float(text)


def gunicorn(database_url):
    env_url = {"DATABASE_URL": database_url}
    run.ENV.update(env_url)
    return run.serving(
        [run.GUNICORN, "-c", run.APP / "ledger" / "gunicorn.conf.py", "ledger.wsgi"]
        + ["--bind", "127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", "-"],
        "load-gunicorn.log",
    )


def measure(label, database_url, filtered, datasette_filter):
    agreement, donor = an_agreement_and_donor(database_url)
    figures = {"label": label, "readers": {}, "revisiting": {}, "ledger": {}, "datasette": {}}
    query = urlencode(filtered)
    ledger_view = [[3, f"/items/?{query}", "page"], [1, f"/items/?{query}&_export=csv", "CSV"]]
    with gunicorn(database_url) as (base, _):
        warm_up(base, reader_mix(filtered, agreement, donor) + ledger_view)
        for users in USERS:
            log(f"{label}: {users} readers, the reader's mix")
            figures["readers"][users] = locust(
                base, reader_mix(filtered, agreement, donor), users, "mix"
            )
            log(f"{label}: {users} readers, the same view as Datasette")
            figures["ledger"][users] = locust(base, ledger_view, users, "ledger")
            log(f"{label}: {users} revisiting readers")
            figures["revisiting"][users] = locust(
                base, reader_mix(filtered, agreement, donor), users, "revisit", revalidate=True
            )
    sqlite_path = run.WORK / "load.sqlite3"
    os.environ["BENCH_DATABASE_URL"] = database_url
    run.DATABASE_URL = database_url
    log(f"{label}: SQLite copy for Datasette")
    run.build_sqlite(sqlite_path, "http://127.0.0.1")
    dquery = urlencode(datasette_filter | {"_size": "50"})
    cquery = urlencode(datasette_filter | {"_stream": "on", "_size": "max"})
    datasette_view = [
        [3, f"/load/line_items?{dquery}", "page"],
        [1, f"/load/line_items.csv?{cquery}", "CSV"],
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
        "in ms at the client, to the last byte.",
        "",
    ]
    for figures in results:
        lines += [
            f"### {figures['label']}",
            "",
            "| readers | scenario | requests/s | p50 | p95 | p99 | errors |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for users in USERS:
            for key, name in [
                ("readers", "reader's mix"),
                ("revisiting", "reader's mix, revisiting (If-None-Match)"),
                ("ledger", "ledger: /items/ filtered + its CSV"),
                ("datasette", "Datasette: the same page + CSV"),
            ]:
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
    for label, database_url, filtered, datasette_filter in data_sets():
        results.append(measure(label, database_url, filtered, datasette_filter))
        report(results, started)
        (run.WORK / "load.json").write_text(json.dumps(results, indent=1))
    log(f"{run.RESULTS} written")


if __name__ == "__main__":
    main()
