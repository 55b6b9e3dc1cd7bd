"""No lost edits: of two analysts who opened the same agreement, the second to save is refused.

Each test opens the agreement's admin page in two "tabs" (two logged-in
clients), and posts each tab's form as the browser would, fields and inline
rows as they were shown when the tab was opened. The agreement is a draft: a
published one is edited in its revision, under the same lock (tests/test_review.py).
"""

from decimal import Decimal
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains

from aid import locking
from aid.choices import Status
from aid.models import LineItem

from .factories import (
    browser_post,
    category,
    make_agreement,
    make_citation,
    make_line_item,
    make_user,
)

pytestmark = pytest.mark.django_db


def change_url(agreement):
    return reverse("admin:aid_agreement_change", args=[agreement.pk])


def tab(user, agreement):
    """A browser logged in as the user, with the agreement's page open: (client, page)."""
    browser = Client()
    browser.force_login(user)
    page = browser.get(change_url(agreement))
    assert page.status_code == HTTPStatus.OK
    return browser, page


@pytest.fixture
def agreement():
    draft = make_agreement(status=Status.DRAFT)
    citation = make_citation(
        line_item=make_line_item(agreement=draft, description="F-16 fighter jets")
    )
    return citation.agreement


@pytest.fixture
def alice():
    return make_user("alice", ["Analysts"])


@pytest.fixture
def bob():
    return make_user("bob", ["Analysts"])


def refusal(response):
    """The refusal shown on the page, or None if the save went through."""
    if response.status_code != HTTPStatus.OK:
        return None
    return " ".join(response.context["adminform"].form.non_field_errors())


class TestTwoTabs:
    def test_the_second_save_is_refused_and_the_first_kept(self, agreement, alice, bob):
        alice_tab, alice_page = tab(alice, agreement)
        bob_tab, bob_page = tab(bob, agreement)

        first = alice_tab.post(
            change_url(agreement), browser_post(alice_page, title="Corrected title")
        )
        second = bob_tab.post(
            change_url(agreement), browser_post(bob_page, amount="1000000", summary="Bob's")
        )

        assert first.status_code == HTTPStatus.FOUND
        assert second.status_code == HTTPStatus.OK
        message = refusal(second)
        assert message.startswith("Not saved: this agreement changed after you opened it.")
        assert "alice changed title" in message
        assertContains(second, "alice changed title")
        agreement.refresh_from_db()
        assert agreement.title == "Corrected title"
        assert agreement.amount == Decimal("977000000")
        assert agreement.summary == ""
        assert agreement.version == 2

    def test_after_reopening_the_page_the_edit_saves(self, agreement, alice, bob):
        alice_tab, alice_page = tab(alice, agreement)
        bob_tab, bob_page = tab(bob, agreement)
        alice_tab.post(change_url(agreement), browser_post(alice_page, title="Corrected title"))
        bob_tab.post(change_url(agreement), browser_post(bob_page, summary="Bob's"))

        reopened = bob_tab.get(change_url(agreement))
        response = bob_tab.post(change_url(agreement), browser_post(reopened, summary="Bob's"))

        assert response.status_code == HTTPStatus.FOUND
        agreement.refresh_from_db()
        assert (agreement.title, agreement.summary, agreement.version) == (
            "Corrected title",
            "Bob's",
            3,
        )

    def test_one_analyst_saving_twice_in_one_tab(self, agreement, alice):
        alice_tab, page = tab(alice, agreement)
        alice_tab.post(change_url(agreement), browser_post(page, title="First"))
        page = alice_tab.get(change_url(agreement))
        response = alice_tab.post(change_url(agreement), browser_post(page, title="Second"))
        assert response.status_code == HTTPStatus.FOUND
        agreement.refresh_from_db()
        assert agreement.title == "Second"

    def test_a_stale_inline_row_does_not_overwrite_a_line_item(self, agreement, alice, bob):
        item = agreement.line_items.get()
        alice_tab, alice_page = tab(alice, agreement)
        bob_tab, bob_page = tab(bob, agreement)

        alice_tab.post(
            change_url(agreement),
            browser_post(alice_page, **{"line_items-0-description": "F-16 jets (corrected)"}),
        )
        second = bob_tab.post(change_url(agreement), browser_post(bob_page, title="Bob's title"))

        assert "alice changed line item “F-16 jets (corrected)”" in refusal(second)
        item.refresh_from_db()
        assert item.description == "F-16 jets (corrected)"
        agreement.refresh_from_db()
        assert agreement.title != "Bob's title"

    def test_a_line_item_saved_on_its_own_page_meanwhile(self, agreement, alice, bob):
        item = agreement.line_items.get()
        bob_tab, bob_page = tab(bob, agreement)

        alice_browser = Client()
        alice_browser.force_login(alice)
        item_url = reverse("admin:aid_lineitem_change", args=[item.pk])
        item_page = alice_browser.get(item_url)
        saved = alice_browser.post(item_url, browser_post(item_page, quantity="24"))
        assert saved.status_code == HTTPStatus.FOUND

        second = bob_tab.post(change_url(agreement), browser_post(bob_page))
        assert "alice changed line item “F-16 fighter jets”" in refusal(second)
        item.refresh_from_db()
        assert item.quantity == 24

    def test_publishing_meanwhile_refuses_the_stale_page(self, alice):
        reviewer = make_user("rita", ["Reviewers"])
        agreement = make_citation(agreement=make_agreement(status=Status.DRAFT)).agreement
        alice_tab, alice_page = tab(alice, agreement)

        reviewing = Client()
        reviewing.force_login(reviewer)
        reviewing.post(
            reverse("admin:aid_agreement_changelist"),
            {"action": "publish", "_selected_action": [agreement.pk]},
        )
        agreement.refresh_from_db()
        assert agreement.is_published

        second = alice_tab.post(change_url(agreement), browser_post(alice_page, title="Late"))
        assert second.status_code == HTTPStatus.FOUND
        shown = [str(m) for m in second.wsgi_request._messages]
        assert any("is published, and readers see it as it is" in m for m in shown)
        agreement.refresh_from_db()
        assert agreement.title != "Late"


class TestVersion:
    def test_a_page_without_its_version_is_refused(self, agreement, alice):
        browser, page = tab(alice, agreement)
        data = browser_post(page, title="No version")
        del data["base_version"]
        response = browser.post(change_url(agreement), data)
        assert "does not say which version" in refusal(response)
        agreement.refresh_from_db()
        assert agreement.title != "No version"

    def test_claim_moves_to_the_next_version_once(self, agreement):
        assert locking.claim(agreement.pk, 1) == 2
        with pytest.raises(locking.EditConflict):
            locking.claim(agreement.pk, 1)
        agreement.refresh_from_db()
        assert agreement.version == 2

    def test_a_save_that_loses_the_race_after_its_check_writes_nothing(
        self, agreement, alice, bob, monkeypatch
    ):
        """Both saves pass the form's check; the UPDATE … WHERE version decides."""
        alice_tab, alice_page = tab(alice, agreement)
        bob_tab, bob_page = tab(bob, agreement)
        alice_tab.post(change_url(agreement), browser_post(alice_page, title="Alice's"))
        # Bob's check reads the version as it was when both pages were opened.
        monkeypatch.setattr(locking, "current_version", lambda pk, lock=False: 1)

        new_row = {
            "line_items-1-description": "New item",
            "line_items-1-category": category("ammunition").pk,
        }
        response = bob_tab.post(
            change_url(agreement), browser_post(bob_page, title="Bob's", **new_row)
        )

        assert response.status_code == HTTPStatus.FOUND
        assert response.url == change_url(agreement)
        shown = [str(m) for m in response.wsgi_request._messages]
        assert any("Not saved: this agreement changed" in m for m in shown)
        agreement.refresh_from_db()
        assert agreement.title == "Alice's"
        assert not LineItem.objects.filter(description="New item").exists()
