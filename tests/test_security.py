"""Admin security: failed logins throttled, production cookies secure, staff in their lane."""

import json
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

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
