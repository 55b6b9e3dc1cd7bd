"""The ledger served by gunicorn in a subprocess, and a browser-like client for it.

For what Django's test client cannot show: requests that truly run at the same time
(several worker processes on one database, tests/test_concurrent_saves.py) and a server
whose database goes away and comes back (tests/test_outages.py, tests/test_faults.py).
The server runs the test settings (production's, with plain static files: no
collectstatic step) with everything else from the environment, as in production.
"""

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "served-test-password"
# A traceback in a page would show these.
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/')


def free_port():
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url):
    """The server's environment: this one without Django's settings, plus production's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DJANGO_SECRET_KEY="served-tests-only-secret-key-" + "s" * 40,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # The password of the users `prepare` makes (createsuperuser reads it).
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    return env


def manage(database_url, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


# A seed agreement made a draft by prepare(): staff edit it directly (a published one
# changes only through a reviewed revision), and readers never see it.
DRAFT_AGREEMENT = 5


def prepare(database_url, users=("alice",)):
    """Migrate and seed the database, with a superuser for each name and one draft."""
    manage(database_url, "migrate", "--no-input", "-v", "0")
    manage(database_url, "seed", "-v", "0")
    manage(
        database_url,
        "shell",
        "-c",
        "from aid.models import Agreement; "
        f"Agreement.objects.filter(pk={DRAFT_AGREEMENT}).update(status='draft')",
    )
    for name in users:
        manage(
            database_url,
            "createsuperuser",
            "--no-input",
            "--username",
            name,
            "--email",
            f"{name}@example.org",
        )


@contextmanager
def served_database(directory, suffix="served"):
    """A new, empty database of the kind the suite runs on; yields its URL.

    On SQLite, a file in `directory`. With DATABASE_URL on PostgreSQL, a database of its
    own on that server, named after the suite's (so that parallel runs do not collide),
    dropped afterwards.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{directory / 'ledger.sqlite3'}"
        return
    parts = urllib.parse.urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    maintenance = parts._replace(path="/postgres").geturl()

    def drop(connection):
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    with psycopg.connect(maintenance, autocommit=True) as connection:
        drop(connection)
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            drop(connection)


@contextmanager
def gunicorn(database_url, log_path, workers=2):
    """gunicorn serving the ledger on a free port; yields its base URL.

    Its output (access log, Django's log) goes to log_path. Sync workers, each one
    request at a time, as README's serving section runs it.
    """
    port = free_port()
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "ledger.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "2",
                "--access-logfile",
                "-",
            ],
            cwd=ROOT,
            env=environment(database_url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base, server, log_path)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_for(base, server, log_path, seconds=30):
    """Return once the server accepts connections; fail if it exits or never listens."""
    address = urllib.parse.urlsplit(base)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{Path(log_path).read_text()}")
        try:
            with socket.create_connection((address.hostname, address.port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not listen within {seconds} s")


@dataclass
class Response:
    status: int
    headers: dict
    body: str

    @property
    def has_traceback(self):
        return any(marker in self.body for marker in TRACEBACK_MARKERS)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class BehindTheProxy(http.cookiejar.DefaultCookiePolicy):
    """The browser speaks HTTPS to the proxy, so it sends its secure cookies."""

    def return_ok_secure(self, cookie, request):
        return True


class Browser:
    """A reader (or, logged in, a member of staff) with cookies, seeing every status as it is.

    It reaches the server as through README's TLS-terminating proxy: X-Forwarded-Proto says
    https, and secure cookies (production's) are sent.
    """

    def __init__(self, base, timeout=30):
        self.base = base
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar(BehindTheProxy())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects()
        )

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        headers = {"X-Forwarded-Proto": "https"}
        if data is not None:
            # A form posted from the ledger's own (HTTPS) pages, as CSRF protection checks.
            headers["Origin"] = self.base.replace("http://", "https://", 1)
        # The base is always http://127.0.0.1:<port>, never a scheme from outside.
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Response(response.status, dict(response.headers), read(response))
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, dict(error.headers), read(error))

    def get(self, path):
        return self.request(path)

    def post(self, path, data):
        return self.request(path, data)

    def log_in(self, username, password=PASSWORD):
        page = self.get("/admin/login/")
        fields = form_fields(page.body, "login-form")
        fields.update(username=username, password=password)
        response = self.post("/admin/login/?next=/admin/", fields)
        if response.status != 302:
            raise RuntimeError(f"{username} could not log in: {response.status}")


def read(response):
    return response.read().decode("utf-8", errors="replace")


class FormParser(HTMLParser):
    """What a browser would submit from one form, as it was rendered."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields = []
        self.select = None  # (name, multiple, options [(value, selected)])
        self.option = None
        self.textarea = None  # (name, [text])

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = (name, "multiple" in attrs, [])
        elif tag == "option" and self.select is not None:
            self.option = [attrs.get("value"), "selected" in attrs, []]
            self.select[2].append(self.option)
        elif tag == "textarea" and name:
            self.textarea = (name, [])

    def handle_data(self, data):
        if self.option is not None:
            self.option[2].append(data)
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            name, multiple, options = self.select
            values = [
                value if value is not None else "".join(text).strip()
                for value, selected, text in options
                if selected
            ]
            if not values and not multiple and options:
                first = options[0]
                values = [first[0] if first[0] is not None else "".join(first[2]).strip()]
            self.fields.extend((name, value) for value in values)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            # Browsers drop the newline that follows <textarea>.
            self.fields.append((name, "".join(text).removeprefix("\n")))
            self.textarea = None


def form_fields(html, form_id):
    """{name: value or [values]} of the form with this id, as a browser would post it."""
    parser = FormParser(form_id)
    parser.feed(html)
    fields = {}
    for name, value in parser.fields:
        if name in fields:
            previous = fields[name]
            fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[name] = value
    if not fields:
        raise ValueError(f"No form with id {form_id!r} on the page.")
    return fields
