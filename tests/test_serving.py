"""Production serving: `make serve` (gunicorn, WhiteNoise) and /healthz for load balancers."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from http import HTTPStatus

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from .test_settings import ROOT, manage

SECRET = "a-long-random-production-key-" + "k7Qz" * 12


class TestHealthz:
    @pytest.mark.django_db
    def test_ok_when_the_database_answers_and_every_migration_is_applied(self, client):
        response = client.get("/healthz")
        assert response.status_code == HTTPStatus.OK
        assert response.content == b"ok\n"
        assert response["Content-Type"] == "text/plain; charset=utf-8"

    @pytest.mark.django_db
    def test_never_cached_and_sets_no_cookie(self, client):
        response = client.get("/healthz")
        assert {"no-cache", "no-store", "must-revalidate", "max-age=0"} <= set(
            re.split(r",\s*", response["Cache-Control"])
        )
        assert not response.cookies

    @pytest.mark.django_db
    def test_head_is_answered_and_writes_are_refused(self, client):
        assert client.head("/healthz").status_code == HTTPStatus.OK
        assert client.post("/healthz").status_code == HTTPStatus.METHOD_NOT_ALLOWED

    @pytest.mark.django_db
    def test_answers_plain_http_where_pages_redirect_to_https(self, client, settings):
        settings.SECURE_SSL_REDIRECT = True
        assert client.get("/donors/").status_code == HTTPStatus.MOVED_PERMANENTLY
        assert client.get("/healthz").status_code == HTTPStatus.OK

    @pytest.mark.django_db
    def test_unavailable_while_a_migration_is_not_applied(self, client):
        # As after a deploy whose `migrate` has not run: the database lacks the newest one.
        recorder = MigrationRecorder(connection)
        newest = max(name for app, name in recorder.applied_migrations() if app == "aid")
        recorder.record_unapplied("aid", newest)

        response = client.get("/healthz")

        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert response.content == b"migrations not applied\n"

    @pytest.mark.parametrize(
        "database_url",
        [
            # Nothing listens on port 1 of the loopback: the connection is refused at once.
            "postgres://postgres@127.0.0.1:1/ledger",
            "sqlite:////nonexistent-directory/ledger.sqlite3",
        ],
        ids=["postgresql-refused", "sqlite-unopenable"],
    )
    def test_unavailable_when_the_database_does_not_answer(self, database_url):
        result = manage(
            "shell",
            "-c",
            "import json; from django.test import Client; r = Client().get('/healthz');"
            "print(json.dumps([r.status_code, r.content.decode(), r['Cache-Control']]))",
            DJANGO_SETTINGS_MODULE="tests.settings",
            DATABASE_URL=database_url,
        )
        assert result.returncode == 0, result.stderr
        status, body, cache_control = json.loads(result.stdout.strip().splitlines()[-1])
        assert status == HTTPStatus.SERVICE_UNAVAILABLE
        # What failed, in two words: no driver, host, port or exception text for the caller.
        assert body == "database unavailable\n"
        assert "no-store" in cache_control
        # The operator finds the reason in the log.
        assert "healthz: the database did not answer" in result.stderr


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url, headers=None):
    """(status, headers, body) of a GET, whatever the status."""
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def serve_environment(tmp_path, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUNICORN_")) and key not in {"DATABASE_URL", "PORT"}
    }
    return environment | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        # Plain HTTP on the loopback: in production the proxy in front redirects to HTTPS.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "WEB_CONCURRENCY": "2",
        **env,
    }


@pytest.fixture
def served(tmp_path):
    """`make serve` on a fresh SQLite database and a free port: its base URL and its log."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=serve_environment(tmp_path, DJANGO_SECRET_KEY=SECRET, PORT=str(port)),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if fetch(base + "/healthz")[0] == HTTPStatus.OK:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield base, process, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class TestMakeServe:
    def test_refuses_to_start_without_a_secret_key(self, tmp_path):
        result = subprocess.run(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=serve_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY is not set" in result.stderr
        # Refused before touching anything.
        assert not (tmp_path / "ledger.sqlite3").exists()

    def test_serves_pages_health_and_long_cached_hashed_static_files(self, served):
        base, process, log = served

        status, headers, page = fetch(base + "/")
        assert status == HTTPStatus.OK
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        # Migrated by `make serve` itself: health says every migration is applied.
        assert fetch(base + "/healthz")[:3:2] == (HTTPStatus.OK, b"ok\n")

        # The page links its stylesheet by a name with the content's hash in it.
        stylesheet = re.search(rb'href="(/static/ledger/ledger\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet, page[:600]
        status, headers, css = fetch(base + stylesheet.group(1).decode())
        assert status == HTTPStatus.OK
        assert css.startswith(b"/*") or b"{" in css
        cache_control = set(re.split(r",\s*", headers["Cache-Control"]))
        assert {"public", "immutable"} <= cache_control
        max_age = next(int(v.split("=")[1]) for v in cache_control if v.startswith("max-age="))
        assert max_age >= 365 * 24 * 60 * 60

        # Compressed for a reader whose browser accepts it.
        status, headers, _ = fetch(
            base + stylesheet.group(1).decode(), headers={"Accept-Encoding": "gzip"}
        )
        assert headers["Content-Encoding"] == "gzip"

        # The unhashed name may change content under the same URL, so it is cached briefly.
        status, headers, _ = fetch(base + "/static/ledger/ledger.css")
        assert status == HTTPStatus.OK
        assert "immutable" not in headers["Cache-Control"]

    def test_logs_each_request_and_stops_gracefully(self, served):
        base, process, log = served
        fetch(base + "/donors/")

        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=40)

        output = log.read_text()
        assert re.search(r'"GET /donors/ HTTP/1\.1" 200 \d+', output), output
        assert "Shutting down: Master" in output
