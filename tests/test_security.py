"""Security: headers on every page, failed logins throttled, sessions that end, passwords
validated, production cookies secure, staff in their lane."""

import json
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aid.models import Agreement, Donor

from .factories import make_user
from .test_settings import manage

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "correct-horse-battery-staple"


def log_in(browser, username, password):
    return browser.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def logged_in(browser):
    return browser.get(reverse("admin:index")).status_code == HTTPStatus.OK


@pytest.fixture
def analyst():
    return make_user("ana", ["Analysts"], password=PASSWORD)


class TestLoginThrottling:
    def test_the_right_password_logs_in(self, analyst):
        browser = Client()
        response = log_in(browser, "ana", PASSWORD)
        assert response.status_code == HTTPStatus.FOUND
        assert logged_in(browser)

    def test_after_five_failures_even_the_right_password_is_refused(self, analyst):
        browser = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert log_in(browser, "ana", "guess").status_code == HTTPStatus.OK
        # The fifth failure locks.
        assert log_in(browser, "ana", "guess").status_code == HTTPStatus.TOO_MANY_REQUESTS

        response = log_in(browser, "ana", PASSWORD)

        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert b"Too many failed logins" in response.content
        assert not logged_in(browser)

    def test_fewer_failures_do_not_lock_and_a_success_forgets_them(self, analyst):
        browser = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            log_in(browser, "ana", "guess")
        assert log_in(browser, "ana", PASSWORD).status_code == HTTPStatus.FOUND
        browser.logout()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            log_in(browser, "ana", "guess")
        assert log_in(browser, "ana", PASSWORD).status_code == HTTPStatus.FOUND

    def test_a_lockout_is_of_that_username_from_that_address(self, analyst):
        make_user("bob", ["Analysts"], password=PASSWORD)
        attacker = Client(REMOTE_ADDR="203.0.113.9")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(attacker, "ana", "guess")
        # Another account from the same address, and the analyst from her own, still log in.
        assert log_in(attacker, "bob", PASSWORD).status_code == HTTPStatus.FOUND
        assert log_in(Client(REMOTE_ADDR="198.51.100.7"), "ana", PASSWORD).status_code == (
            HTTPStatus.FOUND
        )

    def test_an_administrator_lifts_lockouts(self, analyst):
        browser = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(browser, "ana", "guess")
        call_command("axes_reset", verbosity=0)
        assert log_in(browser, "ana", PASSWORD).status_code == HTTPStatus.FOUND


class TestStaffPermissions:
    @pytest.mark.parametrize("group", ["Analysts", "Reviewers"])
    @pytest.mark.parametrize(
        "url_name",
        [
            "admin:auth_user_changelist",
            "admin:auth_user_add",
            "admin:auth_group_changelist",
            "admin:auth_group_add",
            "admin:axes_accessattempt_changelist",
        ],
    )
    def test_users_groups_and_lockouts_are_for_administrators(self, group, url_name):
        browser = Client()
        browser.force_login(make_user("staff", [group]))
        assert browser.get(reverse(url_name)).status_code == HTTPStatus.FORBIDDEN


PRINT_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'debug': s.DEBUG, 'session': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE,"
    "'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
    "'limit': s.AXES_FAILURE_LIMIT, 'backend': s.AUTHENTICATION_BACKENDS[0],"
    "'middleware': s.MIDDLEWARE[-1]}))"
)


def settings_with(**env):
    result = manage("shell", "-c", PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_and_hsts_is_on():
    production = settings_with(
        DJANGO_SECRET_KEY="a-long-random-production-key-" + "k7Qz" * 12,
        DJANGO_ALLOWED_HOSTS="ledger.example.org",
    )
    assert production == {
        "debug": False,
        "session": True,
        "csrf": True,
        "hsts": 31536000,
        "subdomains": True,
        "limit": 5,
        "backend": "axes.backends.AxesStandaloneBackend",
        "middleware": "axes.middleware.AxesMiddleware",
    }


def test_development_over_plain_http_has_neither():
    development = settings_with(DJANGO_DEBUG="1")
    assert (development["session"], development["csrf"], development["hsts"]) == (False, False, 0)
    # Throttling stays on in development too.
    assert development["limit"] == 5


def csp_directives(response):
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


PUBLIC_PAGES = [
    "/",
    "/items/?donor=belgium",
    "/agreements/",
    "/agreement/",
    "/donors/",
    "/donor/",
    "/source/",
    "/changes/",
    "/no-such-page/",
]
EXPORTS = ["/items/?_export=csv", "/agreements/?_export=json", "/donors/?_export=csv"]
ADMIN_PAGES = [
    "/admin/",
    "/admin/aid/agreement/",
    "/admin/aid/agreement/{agreement}/change/",
    "/admin/aid/lineitem/?q=F-16",
    "/admin/aid/lineitem/{line_item}/change/",
    "/admin/aid/lineitem/import/",
    "/admin/auth/user/add/",
    "/admin/aid/agreement/{agreement}/history/",
]


def concrete(path, seeded_ids):
    """A path with its record filled in: /agreement/ is the first published agreement's page."""
    return {
        "/agreement/": f"/agreements/{seeded_ids['agreement']}/",
        "/donor/": f"/donors/{seeded_ids['donor']}/",
        "/source/": f"/sources/{seeded_ids['source']}/",
    }.get(path, path.format(**seeded_ids))


@pytest.fixture
def seeded_ids(seeded):
    agreement = Agreement.objects.published().order_by("pk").first()
    return {
        "agreement": agreement.pk,
        "line_item": agreement.line_items.order_by("pk").first().pk,
        "donor": Donor.objects.public().order_by("pk").first().slug,
        "source": agreement.citations.order_by("pk").first().source_id,
    }


class TestSecurityHeaders:
    """With DEBUG off, as in production, every response says what the browser may do."""

    def assert_secure_headers(self, response):
        assert not settings.DEBUG
        directives = csp_directives(response)
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert "unsafe-" not in response["Content-Security-Policy"]
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        permissions = dict(
            feature.split("=") for feature in response["Permissions-Policy"].split(", ")
        )
        assert permissions["camera"] == permissions["geolocation"] == "()"
        assert permissions["microphone"] == permissions["payment"] == "()"

    @pytest.mark.parametrize("path", PUBLIC_PAGES + EXPORTS)
    def test_public_pages_and_exports(self, client, seeded_ids, path):
        response = client.get(concrete(path, seeded_ids))
        assert response.status_code in {HTTPStatus.OK, HTTPStatus.NOT_FOUND}
        self.assert_secure_headers(response)

    @pytest.mark.parametrize("path", ["/", "/items/?donor=spain", "/uk/agreements/"])
    def test_a_page_answered_from_the_page_cache_too(self, client, seeded, path):
        client.get(path)
        response = client.get(path)
        assert response["X-Ledger-Page-Cache"] == "hit"
        self.assert_secure_headers(response)

    @pytest.mark.parametrize("path", ADMIN_PAGES)
    def test_admin_pages(self, superuser_client, seeded_ids, path):
        response = superuser_client.get(concrete(path, seeded_ids))
        assert response.status_code == HTTPStatus.OK
        self.assert_secure_headers(response)

    def test_admin_login_page(self, client):
        response = client.get(LOGIN)
        assert response.status_code == HTTPStatus.OK
        self.assert_secure_headers(response)

    def test_a_bad_request_too(self, client, seeded):
        response = client.get("/items/?sort=no-such-column")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        self.assert_secure_headers(response)


# What a policy without 'unsafe-inline' would block: code or style written into the page.
INLINE = re.compile(
    rb"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


class TestNothingInline:
    """The policy blocks inline code and style; the ledger's pages carry none to block."""

    @pytest.mark.parametrize("path", PUBLIC_PAGES)
    def test_public_pages(self, client, seeded_ids, path):
        page = client.get(concrete(path, seeded_ids)).content
        assert INLINE.findall(page) == []

    def test_charts_draw_with_attributes_and_classes(self, client, seeded_ids):
        page = client.get(concrete("/donor/", seeded_ids)).content
        assert b"<svg" in page
        assert INLINE.findall(page) == []

    # Not the history page: django-simple-history's list has one style="" (README, "Security
    # headers"); tests/test_browser.py checks that it is the only thing the policy blocks.
    @pytest.mark.parametrize("path", ADMIN_PAGES[:-1])
    def test_admin_pages(self, superuser_client, seeded_ids, path):
        page = superuser_client.get(concrete(path, seeded_ids)).content
        assert INLINE.findall(page) == []


class TestSessions:
    def test_a_staff_session_lasts_a_working_day_and_ends_with_the_browser(self, analyst):
        browser = Client()
        before = timezone.now()
        response = log_in(browser, "ana", PASSWORD)
        after = timezone.now()

        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        # No Max-Age or Expires: the browser forgets the cookie when it closes.
        assert (cookie["max-age"], cookie["expires"]) == ("", "")
        assert cookie["httponly"]
        session = Session.objects.get(session_key=cookie.value)
        working_day = timedelta(hours=8)
        assert before + working_day <= session.expire_date <= after + working_day

    def test_an_expired_session_asks_for_the_password_again(self, analyst):
        browser = Client()
        log_in(browser, "ana", PASSWORD)
        assert logged_in(browser)
        # A working day later.
        Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

        response = browser.get(reverse("admin:index"))

        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(LOGIN)

    def test_public_pages_set_no_cookie(self, client, seeded_ids):
        for path in PUBLIC_PAGES + EXPORTS:
            assert not client.get(concrete(path, seeded_ids)).cookies, path


class TestPasswordValidation:
    """The admin's own forms apply AUTH_PASSWORD_VALIDATORS; a weak password is refused."""

    ADD_USER = reverse("admin:auth_user_add")

    def add_user(self, browser, username, password):
        return browser.post(
            self.ADD_USER,
            {
                "username": username,
                "usable_password": "true",
                "password1": password,
                "password2": password,
                "_save": "Save",
            },
        )

    @pytest.mark.parametrize(
        "password, reason",
        [
            ("x7!kQ", "This password is too short"),
            ("password", "This password is too common"),
            ("81726354927", "This password is entirely numeric"),
            ("natalia-kovalenko", "The password is too similar to the username"),
        ],
    )
    def test_a_weak_password_is_refused_with_the_reason(self, superuser_client, password, reason):
        response = self.add_user(superuser_client, "natalia-kovalenko", password)

        assert response.status_code == HTTPStatus.OK
        assert reason in response.content.decode()
        assert not User.objects.filter(username="natalia-kovalenko").exists()

    def test_a_strong_password_adds_the_user(self, superuser_client):
        response = self.add_user(superuser_client, "natalia", PASSWORD)

        assert response.status_code == HTTPStatus.FOUND
        assert User.objects.get(username="natalia").check_password(PASSWORD)

    def test_changing_a_password_in_the_admin_is_validated_too(self, superuser_client, analyst):
        url = reverse("admin:auth_user_password_change", args=[analyst.pk])
        response = superuser_client.post(
            url, {"usable_password": "true", "password1": "password", "password2": "password"}
        )
        assert response.status_code == HTTPStatus.OK
        assert "This password is too common" in response.content.decode()
        analyst.refresh_from_db()
        assert analyst.check_password(PASSWORD)
