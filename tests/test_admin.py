"""The admin, as superusers and analysts use it.

Smoke tests open every aid page a superuser can reach; the analyst tests post
the agreement form as a browser would, inline line items and citations
included, and check what reaches the database.
"""

from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core import checks
from django.db import connection
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from aid.choices import AgreementKind, AidType, Basis, Precision, Qualifier, Stage, Status
from aid.models import Agreement, Category, Citation, Donor, LineItem, Source

from .factories import (
    SOURCE_PASSAGE,
    category,
    make_agreement,
    make_citation,
    make_donor,
    make_line_item,
    make_source,
)

pytestmark = pytest.mark.django_db

AID_MODELS = [Donor, Category, Agreement, LineItem, Source, Citation]


def admin_url(model, view, *args):
    return reverse(f"admin:aid_{model._meta.model_name}_{view}", args=args)


def model_id(model):
    return model._meta.model_name


@pytest.fixture
def analyst(django_user_model):
    user = django_user_model.objects.create_user("analyst", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Analysts"))
    return user


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def citation():
    """Belgium's agreement, its F-16 line item, and the passage that states both."""
    donor = make_donor(name="Belgium", slug="belgium", iso_code="BE")
    agreement = make_agreement(donor=donor, title="Belgium–Ukraine security agreement")
    line_item = make_line_item(agreement=agreement)
    return make_citation(agreement=agreement, line_item=line_item)


def record_of(model, citation):
    """The fixture's record of the given model."""
    return {
        Donor: citation.agreement.donor,
        Category: citation.line_item.category,
        Agreement: citation.agreement,
        LineItem: citation.line_item,
        Source: citation.source,
        Citation: citation,
    }[model]


def test_admin_configuration_passes_system_checks():
    # autocomplete_fields, list_filter paths and fieldsets are only checked here.
    assert checks.run_checks(tags=[checks.Tags.admin]) == []


class TestSuperuserSmoke:
    """Every aid page a superuser can open answers 200 and shows the fixture's records."""

    SEARCHES = {
        Donor: "belg",
        Category: "aircraft",
        Agreement: "F-16",  # a line item's description: the search follows the relation
        LineItem: "F-16",
        Source: "weekly",
        Citation: "977 million",
    }

    @pytest.mark.parametrize("model", AID_MODELS, ids=model_id)
    def test_change_list(self, superuser_client, citation, model):
        response = superuser_client.get(admin_url(model, "changelist"))
        assert response.status_code == HTTPStatus.OK
        assert record_of(model, citation) in response.context["cl"].result_list

    @pytest.mark.parametrize("model", AID_MODELS, ids=model_id)
    def test_search(self, superuser_client, citation, model):
        url = admin_url(model, "changelist")
        found = superuser_client.get(url, {"q": self.SEARCHES[model]})
        missed = superuser_client.get(url, {"q": "no such words anywhere"})
        assert found.status_code == missed.status_code == HTTPStatus.OK
        assert record_of(model, citation) in found.context["cl"].result_list
        assert list(missed.context["cl"].result_list) == []

    @pytest.mark.parametrize("model", AID_MODELS, ids=model_id)
    def test_every_list_filter_choice(self, superuser_client, citation, model):
        url = admin_url(model, "changelist")
        change_list = superuser_client.get(url).context["cl"]
        choices = [
            choice["query_string"]
            for spec in change_list.filter_specs
            for choice in spec.choices(change_list)
        ]
        assert len(choices) >= len(change_list.filter_specs)
        for query_string in choices:
            # An invalid filter redirects to ?e=1 instead of answering 200.
            response = superuser_client.get(url + query_string)
            assert response.status_code == HTTPStatus.OK, query_string

    @pytest.mark.parametrize("model", AID_MODELS, ids=model_id)
    def test_add_page(self, superuser_client, model):
        assert superuser_client.get(admin_url(model, "add")).status_code == HTTPStatus.OK

    @pytest.mark.parametrize("model", AID_MODELS, ids=model_id)
    def test_change_page(self, superuser_client, citation, model):
        record = record_of(model, citation)
        response = superuser_client.get(admin_url(model, "change", record.pk))
        assert response.status_code == HTTPStatus.OK
        assert response.context["original"] == record


class TestAgreementChangeList:
    def test_columns_show_precision_money_and_item_count(self, superuser_client, citation):
        make_line_item(agreement=citation.agreement, description="Artillery shells")
        response = superuser_client.get(admin_url(Agreement, "changelist"))
        assertContains(response, "28 May 2024")
        assertContains(response, "at least EUR 977,000,000")
        assertContains(response, '<td class="field-line_item_count">2</td>', html=True)

    def test_month_precision_is_shown_as_a_month(self, superuser_client):
        make_agreement(announced_on=date(2024, 5, 1), announced_precision=Precision.MONTH)
        response = superuser_client.get(admin_url(Agreement, "changelist"))
        assertContains(response, "May 2024")
        assertNotContains(response, "1 May 2024")

    def test_line_item_filter_neither_duplicates_rows_nor_miscounts_items(self, superuser_client):
        agreement = make_agreement()
        for description in ("F-16 fighter jets", "F-16 spare parts", "Sea King helicopters"):
            make_line_item(agreement=agreement, description=description)
        make_line_item(category=category("ammunition"), stage=Stage.DELIVERED)

        response = superuser_client.get(
            admin_url(Agreement, "changelist"),
            {"line_items__category__id__exact": category("aircraft").pk, "q": "F-16"},
        )

        rows = list(response.context["cl"].result_list)
        assert rows == [agreement]
        assert rows[0].item_count == 3

    def test_stage_filter(self, superuser_client, citation):
        delivered = make_line_item(stage=Stage.DELIVERED).agreement
        response = superuser_client.get(
            admin_url(Agreement, "changelist"), {"line_items__stage": Stage.DELIVERED}
        )
        assert list(response.context["cl"].result_list) == [delivered]

    def test_date_hierarchy_drills_down_to_a_year(self, superuser_client, citation):
        older = make_agreement(announced_on=date(2023, 2, 1), announced_precision=Precision.MONTH)
        response = superuser_client.get(
            admin_url(Agreement, "changelist"), {"announced_on__year": "2023"}
        )
        assert list(response.context["cl"].result_list) == [older]

    def test_full_result_count_is_not_computed(self, superuser_client, citation):
        response = superuser_client.get(admin_url(Agreement, "changelist"), {"q": "Belgium"})
        assert response.context["cl"].full_result_count is None
        assertNotContains(response, " total)")


class TestChangeListQueries:
    """A change list's queries do not grow with its rows: no query per row."""

    # Every list: the session, the user, the page's count and its rows. Agreements
    # add the donor and category filters' choices and two for the date hierarchy;
    # line items add the category and donor filters' choices. On PostgreSQL the
    # paginator first looks up the table's estimate (aid/paginators.py): too small
    # here to be used, so the table is counted too.
    ESTIMATE_LOOKUP = 1 if connection.vendor == "postgresql" else 0
    CEILINGS = {
        Agreement: 8 + ESTIMATE_LOOKUP,
        LineItem: 6 + ESTIMATE_LOOKUP,
        Citation: 4 + ESTIMATE_LOOKUP,
    }

    @pytest.mark.parametrize("model", CEILINGS, ids=model_id)
    @pytest.mark.parametrize("rows", [3, 30])
    def test_queries_are_bounded(
        self, superuser_client, django_assert_max_num_queries, model, rows
    ):
        source = make_source()
        for _ in range(rows):
            make_citation(source=source, line_item=make_line_item(agreement=make_agreement()))
        with django_assert_max_num_queries(self.CEILINGS[model]):
            response = superuser_client.get(admin_url(model, "changelist"))
        assert len(response.context["cl"].result_list) == rows


def management_form(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def inline_rows(prefix, rows):
    data = management_form(prefix, len(rows))
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    return data


def line_item_row(**fields):
    """A line item row as the tabular inline posts it."""
    return {
        "category": category("aircraft").pk,
        "description": "F-16 fighter jets",
        "quantity": "30",
        "unit": "aircraft",
        "amount": "",
        "currency": "",
        "qualifier": Qualifier.EXACT,
        "aid_type": AidType.MILITARY,
        "basis": Basis.ONCE,
        "period_start_year": "",
        "period_end_year": "2028",
        "period_text": "by 2028",
        "stage": Stage.COMMITTED,
    } | fields


def citation_row(source, **fields):
    return {"source": source.pk, "line_item": "", "passage": SOURCE_PASSAGE} | fields


def agreement_form(donor, line_items=(), citations=(), **fields):
    """The agreement page's POST: the agreement's fields and both inline formsets."""
    data = {
        "donor": donor.pk,
        "title": "Belgium–Ukraine security agreement",
        "kind": AgreementKind.SECURITY_AGREEMENT,
        "summary": "",
        "announced_on": "2024-05-28",
        "announced_precision": "day",
        "signed_on": "",
        "signed_precision": "unknown",
        "period_start_year": "2024",
        "period_end_year": "2028",
        "amount": "977000000",
        "currency": "EUR",
        "qualifier": Qualifier.AT_LEAST,
        "aid_type": AidType.MILITARY,
        "basis": Basis.ONCE,
        "notes": "",
        # The version the page was opened at (aid/locking.py); factory agreements are at 1.
        "base_version": "1",
        "stage": "committed",
        "status": "draft",
        "_save": "Save",
    } | fields
    return data | inline_rows("line_items", line_items) | inline_rows("citations", citations)


def form_errors(response):
    """The agreement page's errors, to say why a post that should have saved did not."""
    if not response.context:
        return None
    return [
        response.context["adminform"].form.errors,
        *(inline.formset.errors for inline in response.context["inline_admin_formsets"]),
    ]


def row_counts():
    return {model: model.objects.count() for model in (Agreement, LineItem, Citation)}


class TestAnalystAddsAnAgreement:
    def test_agreement_with_a_line_item_and_a_citation_is_saved(self, analyst_client):
        donor, source = make_donor(name="Belgium"), make_source()

        response = analyst_client.post(
            admin_url(Agreement, "add"),
            agreement_form(donor, [line_item_row()], [citation_row(source)]),
        )

        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        agreement = Agreement.objects.get()
        assert (agreement.donor, agreement.amount, agreement.qualifier) == (
            donor,
            Decimal("977000000"),
            Qualifier.AT_LEAST,
        )
        assert agreement.money_display == "at least EUR 977,000,000"
        line_item = agreement.line_items.get()
        assert (line_item.description, line_item.quantity, line_item.period_end_year) == (
            "F-16 fighter jets",
            30,
            2028,
        )
        citation = agreement.citations.get()
        assert (citation.source, citation.line_item, citation.passage) == (
            source,
            None,
            SOURCE_PASSAGE,
        )

    @pytest.mark.parametrize(
        "row, message",
        [
            (
                {"amount": "-5", "currency": "EUR"},
                "An amount cannot be negative.",
            ),
            (
                {"amount": "1000000", "currency": ""},
                "An amount needs its currency, and a currency needs an amount.",
            ),
            (
                {"amount": "", "currency": "EUR"},
                "An amount needs its currency, and a currency needs an amount.",
            ),
            (
                {"period_start_year": "2028", "period_end_year": "2024"},
                "The period cannot end before it starts.",
            ),
            ({"quantity": "", "unit": "aircraft"}, "A unit needs a quantity."),
        ],
        ids=[
            "negative amount",
            "amount without currency",
            "currency without amount",
            "period backwards",
            "unit without quantity",
        ],
    )
    def test_invalid_line_item_is_explained_and_nothing_is_written(
        self, analyst_client, row, message
    ):
        donor, source = make_donor(), make_source()
        before = row_counts()

        response = analyst_client.post(
            admin_url(Agreement, "add"),
            agreement_form(donor, [line_item_row(**row)], [citation_row(source)]),
        )

        assert response.status_code == HTTPStatus.OK
        assertContains(response, message)
        line_items = response.context["inline_admin_formsets"][0].formset
        assert line_items.prefix == "line_items"
        assert message in str(line_items.errors)
        assert row_counts() == before

    def test_invalid_headline_amount_is_explained(self, analyst_client):
        before = row_counts()
        response = analyst_client.post(
            admin_url(Agreement, "add"), agreement_form(make_donor(), amount="-1")
        )
        assert response.status_code == HTTPStatus.OK
        assert response.context["adminform"].form.errors["amount"] == [
            "An amount cannot be negative."
        ]
        assert row_counts() == before

    def test_date_precision_mismatch_is_explained(self, analyst_client):
        before = row_counts()
        response = analyst_client.post(
            admin_url(Agreement, "add"),
            agreement_form(make_donor(), announced_on="2024-05-28", announced_precision="month"),
        )
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "store it as the month&#x27;s first day")
        assert row_counts() == before

    def test_passage_not_in_the_source_is_explained(self, analyst_client):
        before = row_counts()
        response = analyst_client.post(
            admin_url(Agreement, "add"),
            agreement_form(
                make_donor(),
                [line_item_row()],
                [citation_row(make_source(), passage="Belgium pledges many jets.")],
            ),
        )
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "This passage does not occur verbatim in the source.")
        assert row_counts() == before


class TestCitationLineItemChoices:
    """A citation on the agreement page can support only that agreement's line items."""

    @pytest.fixture
    def citation(self):
        """The module's, of a draft: a published agreement is changed through a revision."""
        donor = make_donor(name="Belgium", slug="belgium", iso_code="BE")
        agreement = make_agreement(
            donor=donor, title="Belgium–Ukraine security agreement", status=Status.DRAFT
        )
        return make_citation(agreement=agreement, line_item=make_line_item(agreement=agreement))

    @staticmethod
    def line_item_field(response):
        citations = response.context["inline_admin_formsets"][1].formset
        assert citations.prefix == "citations"
        return citations.forms[0].fields["line_item"]

    def test_a_new_agreement_offers_no_line_items(self, analyst_client, citation):
        response = analyst_client.get(admin_url(Agreement, "add"))
        assert list(self.line_item_field(response).queryset) == []

    def test_an_agreement_offers_only_its_own_line_items(self, analyst_client, citation):
        own = make_line_item(agreement=citation.agreement, description="Sea King helicopters")
        make_line_item(description="Leopard 1 tanks")
        response = analyst_client.get(admin_url(Agreement, "change", citation.agreement.pk))
        assert set(self.line_item_field(response).queryset) == {citation.line_item, own}

    def test_another_agreements_line_item_is_refused(self, analyst_client, citation):
        elsewhere = make_line_item()
        agreement = citation.agreement
        before = row_counts()
        data = agreement_form(
            agreement.donor, [], [citation_row(citation.source, line_item=elsewhere.pk)]
        )

        response = analyst_client.post(admin_url(Agreement, "change", agreement.pk), data)

        assert response.status_code == HTTPStatus.OK
        assertContains(response, "Select a valid choice.")
        assert row_counts() == before

    def test_own_line_item_is_accepted(self, analyst_client, citation):
        agreement = citation.agreement
        data = agreement_form(
            agreement.donor,
            [],
            [citation_row(citation.source, line_item=citation.line_item.pk)],
            title=agreement.title,
        )

        response = analyst_client.post(admin_url(Agreement, "change", agreement.pk), data)

        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        assert agreement.citations.filter(line_item=citation.line_item).count() == 2

    def test_citation_admin_refuses_another_agreements_line_item(self, analyst_client, citation):
        elsewhere = make_line_item()
        response = analyst_client.post(
            admin_url(Citation, "add"),
            {
                "source": citation.source.pk,
                "agreement": citation.agreement.pk,
                "line_item": elsewhere.pk,
                "passage": SOURCE_PASSAGE,
            },
        )
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "This line item belongs to another agreement.")
        assert Citation.objects.count() == 1


class TestAnalystPermissions:
    @pytest.mark.parametrize(
        "url_name",
        [
            "admin:auth_user_changelist",
            "admin:auth_user_add",
            "admin:auth_group_changelist",
            "admin:auth_group_add",
        ],
    )
    def test_users_and_groups_are_forbidden(self, analyst_client, url_name):
        assert analyst_client.get(reverse(url_name)).status_code == HTTPStatus.FORBIDDEN

    def test_cannot_add_a_user(self, analyst_client, django_user_model):
        before = django_user_model.objects.count()
        response = analyst_client.post(
            reverse("admin:auth_user_add"),
            {"username": "intruder", "password1": "x8#kQ!pw-long", "password2": "x8#kQ!pw-long"},
        )
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert django_user_model.objects.count() == before

    def test_cannot_promote_themself(self, analyst_client, analyst):
        response = analyst_client.post(
            reverse("admin:auth_user_change", args=[analyst.pk]),
            {"username": analyst.username, "is_superuser": "on", "is_staff": "on"},
        )
        assert response.status_code == HTTPStatus.FORBIDDEN
        analyst.refresh_from_db()
        assert not analyst.is_superuser

    @pytest.mark.parametrize("model", [Donor, Agreement, LineItem, Source, Citation], ids=model_id)
    def test_ledger_records_can_be_added(self, analyst_client, model):
        assert analyst_client.get(admin_url(model, "add")).status_code == HTTPStatus.OK

    def test_agreements_cannot_be_deleted(self, analyst_client, citation):
        url = admin_url(Agreement, "delete", citation.agreement.pk)
        response = analyst_client.post(url, {"post": "yes"})
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert Agreement.objects.filter(pk=citation.agreement.pk).exists()

    def test_categories_are_read_only(self, analyst_client):
        aircraft = category("aircraft")
        assert analyst_client.get(admin_url(Category, "add")).status_code == HTTPStatus.FORBIDDEN
        response = analyst_client.get(admin_url(Category, "change", aircraft.pk))
        assert response.status_code == HTTPStatus.OK
        assert response.context["has_change_permission"] is False
        response = analyst_client.post(
            admin_url(Category, "change", aircraft.pk),
            {"slug": "aircraft", "name": "Planes", "definition": "x", "position": "1"},
        )
        assert response.status_code == HTTPStatus.FORBIDDEN
        aircraft.refresh_from_db()
        assert aircraft.name == "Aircraft"

    def test_superuser_may_add_a_category(self, superuser_client):
        response = superuser_client.post(
            admin_url(Category, "add"),
            {"slug": "space", "name": "Space", "definition": "Satellites.", "position": "20"},
        )
        assert response.status_code == HTTPStatus.FOUND
        assert Category.objects.filter(slug="space").exists()
