"""Entering an agreement on its admin page (issue #13): amounts in words, currencies by code,
a citation of a line item of the same unsaved form, and rows sent back unchanged.

Posted as a browser posts the page (tests/test_admin.py's helpers); the same entry in
Chromium is in tests/test_browser.py.
"""

import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from aid import revisions
from aid.choices import Status
from aid.models import Agreement, Citation, LineItem

from .factories import (
    SOURCE_PASSAGE,
    browser_post,
    decide,
    logged_in,
    make_agreement,
    make_citation,
    make_donor,
    make_line_item,
    make_source,
    make_user,
    propose,
)
from .test_admin import (
    admin_url,
    agreement_form,
    citation_row,
    form_errors,
    line_item_row,
    row_counts,
)

pytestmark = pytest.mark.django_db

JETS_PASSAGE = "30 F-16 fighter jets by 2028"


@pytest.fixture
def analyst_client(client):
    client.force_login(make_user("analyst", ["Analysts"]))
    return client


def add(client, line_items=(), citations=(), **fields):
    return client.post(
        admin_url(Agreement, "add"),
        agreement_form(make_donor(name="Belgium"), line_items, citations, **fields),
    )


def fill_new_row(data, prefix, offset, **fields):
    """Fill the offset-th new row of an inline in a page's POST, adding the row if needed."""
    index = int(data[f"{prefix}-INITIAL_FORMS"]) + offset
    data[f"{prefix}-TOTAL_FORMS"] = str(max(int(data[f"{prefix}-TOTAL_FORMS"]), index + 1))
    data |= {f"{prefix}-{index}-{name}": value for name, value in fields.items()}
    return index


def errors_of(response):
    return str(form_errors(response))


class TestAmountsInWords:
    def test_headline_and_line_items_in_words_are_stored_exactly(self, analyst_client):
        response = add(
            analyst_client,
            [
                line_item_row(amount="13.3 billion", currency="sek"),
                line_item_row(amount="500m", currency=" Eur "),
                line_item_row(amount="13 300 000 000", currency="SEK"),
            ],
            amount="1.5bn",
            currency="usd",
        )
        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        agreement = Agreement.objects.get()
        assert (agreement.amount, agreement.currency) == (Decimal("1500000000"), "USD")
        items = list(agreement.line_items.order_by("pk").values_list("amount", "currency"))
        assert items == [
            (Decimal("13300000000"), "SEK"),
            (Decimal("500000000"), "EUR"),
            (Decimal("13300000000"), "SEK"),
        ]

    @pytest.mark.parametrize(
        "typed, message",
        [
            ("1,2,3", "“1,2,3” is ambiguous"),
            ("12.5.6", "“12.5.6” is ambiguous"),
            ("lots", "“lots” is not an amount"),
            ("-5", "An amount cannot be negative."),
            ("99,999,999,999,999,999", "is too large"),
            ("1.2345", "finer than a cent"),
        ],
    )
    def test_an_unreadable_amount_is_explained_and_nothing_is_written(
        self, analyst_client, typed, message
    ):
        before = row_counts()
        response = add(analyst_client, [line_item_row(amount=typed, currency="EUR")])
        assert response.status_code == HTTPStatus.OK
        line_items = response.context["inline_admin_formsets"][0].formset
        assert message in str(line_items.errors[0]["amount"])
        # Shown again as typed, for the analyst to correct.
        assertContains(response, f'value="{typed}"', html=False)
        assert row_counts() == before

    def test_an_unreadable_headline_is_explained(self, analyst_client):
        response = add(analyst_client, amount="13,3 billion")
        assert response.status_code == HTTPStatus.OK
        assert "is ambiguous" in str(response.context["adminform"].form.errors["amount"])
        assert row_counts()[Agreement] == 0

    def test_after_saving_the_amount_is_shown_grouped_and_not_changed_by_saving_again(
        self, analyst_client
    ):
        add(analyst_client, [line_item_row(amount="13.3 billion", currency="SEK")])
        agreement = Agreement.objects.get()
        url = admin_url(Agreement, "change", agreement.pk)
        page = analyst_client.get(url)
        assertContains(page, 'name="line_items-0-amount" value="13,300,000,000"', html=False)
        assertContains(page, 'name="amount" value="977,000,000"', html=False)
        # The page's script shows the reading beside it: the input carries its hook.
        assertContains(page, "data-amount", count=4)  # headline, the row, a blank row, the template
        response = analyst_client.post(url, browser_post(page))
        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        item = agreement.line_items.get()
        assert item.amount == Decimal("13300000000")
        assert item.history.count() == 1  # the row was not saved again


class TestCurrencyCodes:
    @pytest.mark.parametrize("typed", ["sek", " Sek ", "SEK"])
    def test_any_case_is_the_iso_code(self, analyst_client, typed):
        response = add(analyst_client, [line_item_row(amount="1000", currency=typed)])
        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        assert LineItem.objects.get().currency == "SEK"

    @pytest.mark.parametrize("typed", ["xyz", "EURO", "€"])
    def test_an_unknown_code_is_named(self, analyst_client, typed):
        response = add(analyst_client, [line_item_row(amount="1000", currency=typed)])
        assert response.status_code == HTTPStatus.OK
        expected = f"“{typed.upper()}” is not an ISO 4217 currency code."
        assert [expected] == response.context["inline_admin_formsets"][0].formset.errors[0][
            "currency"
        ]
        assert "valid choice" not in errors_of(response)

    def test_the_headlines_unknown_code_is_named(self, analyst_client):
        response = add(analyst_client, currency="xyz")
        assert response.context["adminform"].form.errors["currency"] == [
            "“XYZ” is not an ISO 4217 currency code."
        ]

    def test_one_list_per_page_most_used_first(self, analyst_client):
        agreement = make_agreement(status=Status.DRAFT, amount=None, currency="")
        for currency in ["SEK", "SEK", "SEK", "SEK", "NOK", "NOK", "DKK"]:
            make_line_item(agreement=agreement, amount=Decimal(1), currency=currency)
        make_agreement(amount=Decimal(1), currency="DKK")
        make_agreement(amount=Decimal(1), currency="DKK")
        page = analyst_client.get(admin_url(Agreement, "change", agreement.pk))
        html = page.content.decode()
        assert html.count("<datalist") == 1
        datalist = re.search(r'<datalist id="iso-currencies">(.*?)</datalist>', html).group(1)
        codes = re.findall(r'value="([A-Z]{3})"', datalist)
        assert codes[:4] == ["SEK", "DKK", "NOK", "AED"]  # by use, then the rest A–Z
        assert len(codes) == len(set(codes)) > 170
        # Each row types its code against the list; no row carries a select of 180 codes.
        # The rows, a blank row, the template row, the headline.
        assert html.count('list="iso-currencies"') == 7 + 3
        assertNotContains(page, '<select name="line_items-0-currency"', html=False)

    def test_a_line_items_own_page_offers_the_list_too(self, superuser_client):
        item = make_line_item(agreement=make_agreement(status=Status.DRAFT))
        page = superuser_client.get(admin_url(LineItem, "change", item.pk))
        assertContains(page, '<datalist id="iso-currencies">', count=1, html=False)
        assertContains(page, 'list="iso-currencies"', count=1, html=False)


class TestCitingARowOfTheSameForm:
    def test_an_agreement_with_two_items_and_an_item_citation_is_entered_in_one_save(
        self, analyst_client
    ):
        source = make_source()
        response = add(
            analyst_client,
            [
                line_item_row(description="€977 million", amount="977m", currency="EUR"),
                line_item_row(description="F-16 fighter jets"),
            ],
            [
                citation_row(source, line_item="row-2", passage=JETS_PASSAGE),
                citation_row(source),
            ],
        )
        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        agreement = Agreement.objects.get()
        jets = agreement.line_items.get(description="F-16 fighter jets")
        cited = {(c.line_item, c.passage) for c in agreement.citations.all()}
        assert cited == {(jets, JETS_PASSAGE), (None, SOURCE_PASSAGE)}
        # Checked against the source's text, as every citation is.
        assert all(c.is_checked for c in agreement.citations.all())

    def test_the_add_page_offers_the_new_row(self, analyst_client):
        page = analyst_client.get(admin_url(Agreement, "add"))
        assertContains(page, '<option value="row-1">Line item row 1</option>', html=False)
        assertContains(page, 'data-row-label="Line item row %(number)s"', html=False)

    def test_a_changed_agreement_cites_a_new_row_and_its_saved_items(self, analyst_client):
        agreement = make_agreement(status=Status.DRAFT)
        saved = make_line_item(agreement=agreement, description="F-16 fighter jets")
        make_citation(agreement=agreement, line_item=saved)
        url = admin_url(Agreement, "change", agreement.pk)
        page = analyst_client.get(url)
        # The saved item by name, the blank row by its number (#2 on the page).
        assertContains(page, f'<option value="{saved.pk}">F-16 fighter jets</option>', html=False)
        assertContains(page, '<option value="row-2">Line item row 2</option>', html=False)
        data = browser_post(page)
        fill_new_row(data, "line_items", 0, **line_item_row(description="Leopard 1 tanks"))
        fill_new_row(data, "citations", 0, **citation_row(make_source(), line_item="row-2"))

        response = analyst_client.post(url, data)

        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        tanks = agreement.line_items.get(description="Leopard 1 tanks")
        assert tanks.citations.get().passage == SOURCE_PASSAGE
        assert saved.citations.count() == 1

    @pytest.mark.parametrize(
        "choice, message",
        [
            ("row-5", "There is no line item row 5: the line items above have 2 rows."),
            ("row-3", "There is no line item row 3"),
            ("row-99999", "There is no line item row 99999"),
        ],
    )
    def test_a_row_that_does_not_exist_is_explained(self, analyst_client, choice, message):
        before = row_counts()
        response = add(
            analyst_client,
            [line_item_row(), line_item_row(description="Leopard 1 tanks")],
            [citation_row(make_source(), line_item=choice)],
        )
        assert response.status_code == HTTPStatus.OK
        citations = response.context["inline_admin_formsets"][1].formset
        assert message in str(citations.errors[0]["line_item"])
        assert row_counts() == before

    @pytest.mark.parametrize("choice", ["row-0", "row-x", "row-", "2.5", "row-1; DROP"])
    def test_a_malformed_choice_is_refused(self, analyst_client, choice):
        response = add(
            analyst_client, [line_item_row()], [citation_row(make_source(), line_item=choice)]
        )
        assert response.status_code == HTTPStatus.OK
        assert "Select a valid choice" in errors_of(response)
        assert row_counts()[Agreement] == 0

    def test_an_empty_row_is_explained(self, analyst_client):
        agreement = make_agreement(status=Status.DRAFT)
        make_line_item(agreement=agreement)
        url = admin_url(Agreement, "change", agreement.pk)
        data = browser_post(analyst_client.get(url))
        fill_new_row(data, "citations", 0, **citation_row(make_source(), line_item="row-2"))
        response = analyst_client.post(url, data)
        assert response.status_code == HTTPStatus.OK
        assert "Line item row 2 is empty" in errors_of(response)
        assert agreement.citations.count() == 0

    @pytest.mark.parametrize("cite_by", ["row", "name"])
    def test_a_row_marked_for_deletion_is_explained(self, analyst_client, cite_by):
        agreement = make_agreement(status=Status.DRAFT)
        first = make_line_item(agreement=agreement)
        second = make_line_item(agreement=agreement, description="Leopard 1 tanks")
        url = admin_url(Agreement, "change", agreement.pk)
        data = browser_post(analyst_client.get(url), **{"line_items-1-DELETE": "on"})
        choice = "row-2" if cite_by == "row" else str(second.pk)
        fill_new_row(data, "citations", 0, **citation_row(make_source(), line_item=choice))

        response = analyst_client.post(url, data)

        assert response.status_code == HTTPStatus.OK
        assert "Line item row 2 is marked for deletion" in errors_of(response)
        assert list(agreement.line_items.all()) == [first, second]
        assert agreement.citations.count() == 0

    def test_the_passage_is_still_checked(self, analyst_client):
        response = add(
            analyst_client,
            [line_item_row()],
            [citation_row(make_source(), line_item="row-1", passage="Belgium sends 300 jets.")],
        )
        assert response.status_code == HTTPStatus.OK
        assert "This passage does not occur verbatim in the source." in errors_of(response)
        assert row_counts()[Agreement] == 0

    def test_a_revision_cites_its_new_row_and_readers_see_it_once_approved(self):
        """A published agreement changes through its revision; the row is cited there."""
        agreement = make_agreement(status=Status.DRAFT)
        make_citation(agreement=agreement, line_item=make_line_item(agreement=agreement))
        agreement.status = Status.PUBLISHED
        agreement.save()
        ana = logged_in(make_user("ana", ["Analysts"]))
        revision = propose(ana, agreement)
        url = admin_url(Agreement, "change", revision.pk)
        data = browser_post(ana.get(url), status=Status.READY)
        row = fill_new_row(data, "line_items", 0, **line_item_row(description="Leopard 1 tanks"))
        fill_new_row(
            data, "citations", 0, **citation_row(make_source(), line_item=f"row-{row + 1}")
        )

        response = ana.post(url, data)

        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        assert not agreement.line_items.filter(description="Leopard 1 tanks").exists()
        copy = revision.line_items.get(description="Leopard 1 tanks")
        assert copy.citations.get().agreement == revision
        rita = logged_in(make_user("rita", ["Reviewers"]))
        assert decide(rita, revision, "approve").status_code == HTTPStatus.FOUND
        tanks = agreement.line_items.get(description="Leopard 1 tanks")
        assert tanks.citations.get().agreement == agreement
        assert revisions.pending_revision(agreement) is None


class TestUnchangedRows:
    """Rows sent back as shown are not validated again, and not written; changed ones are."""

    def test_a_changed_row_is_validated_in_full(self, analyst_client):
        agreement = make_agreement(status=Status.DRAFT)
        for _ in range(3):
            make_line_item(agreement=agreement)
        url = admin_url(Agreement, "change", agreement.pk)
        data = browser_post(
            analyst_client.get(url),
            **{"line_items-1-quantity": "", "line_items-1-unit": "aircraft"},
        )
        response = analyst_client.post(url, data)
        assert response.status_code == HTTPStatus.OK
        assert "A unit needs a quantity." in errors_of(response)

    def test_a_row_of_another_agreement_is_refused(self, analyst_client):
        agreement = make_agreement(status=Status.DRAFT)
        make_line_item(agreement=agreement)
        other = make_line_item(agreement=make_agreement(status=Status.DRAFT))
        url = admin_url(Agreement, "change", agreement.pk)
        data = browser_post(
            analyst_client.get(url),
            **{"line_items-0-id": str(other.pk), "line_items-0-description": "Taken over"},
        )
        response = analyst_client.post(url, data)
        assert response.status_code == HTTPStatus.OK
        other.refresh_from_db()
        assert other.description == "F-16 fighter jets"

    def test_an_unchanged_unverified_citation_is_kept(self, analyst_client):
        agreement = make_agreement(status=Status.DRAFT)
        Citation.objects.bulk_create(
            [
                Citation(
                    agreement=agreement,
                    source=make_source(),
                    passage="Not in the text at all.",
                    unchecked_reason="The passage was not found in the source's text.",
                )
            ]
        )
        url = admin_url(Agreement, "change", agreement.pk)
        response = analyst_client.post(url, browser_post(analyst_client.get(url), notes="x"))
        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
