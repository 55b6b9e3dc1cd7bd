"""Aid types and bases: totals count military aid paid once, and say what they leave out.

These use records made here, not the seed data: the rules must hold for whatever an
analyst enters later.
"""

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection

from aid import exports, glossary
from aid.choices import AidType, Basis, Precision, Qualifier, Stage
from aid.exports import AGREEMENT_COLUMNS, LINE_ITEM_COLUMNS
from aid.models import Agreement, LineItem
from aid.totals import figure_totals

from .factories import (
    category,
    make_agreement,
    make_citation,
    make_donor,
    make_line_item,
    make_source,
)
from .test_admin import admin_url, agreement_form, citation_row, form_errors, line_item_row

pytestmark = pytest.mark.django_db


def money_item(agreement, amount, **fields):
    values = {
        "description": f"€{amount}",
        "quantity": None,
        "unit": "",
        "period_end_year": None,
        "period_text": "",
        "amount": Decimal(amount),
        "currency": "EUR",
        "qualifier": Qualifier.EXACT,
        "category": category("funding"),
    }
    return make_line_item(agreement=agreement, **(values | fields))


@pytest.fixture
def donor():
    return make_donor(name="Ruritania", slug="ruritania", iso_code="RO")


@pytest.fixture
def agreement(donor):
    """An agreement priced by its items: one of each kind of figure, all committed."""
    agreement = make_agreement(donor=donor, amount=None, currency="", qualifier=Qualifier.EXACT)
    money_item(agreement, "100000000", description="military, once")
    money_item(
        agreement,
        "3000000000",
        description="military, a year",
        basis=Basis.PER_YEAR,
        qualifier=Qualifier.APPROXIMATELY,
        period_start_year=2024,
        period_end_year=2027,
    )
    money_item(agreement, "61000000000", description="aid, share unstated", aid_type=AidType.MIXED)
    money_item(agreement, "500000000", description="budget support", aid_type=AidType.FINANCIAL)
    money_item(agreement, "7000000", description="relief", aid_type=AidType.HUMANITARIAN)
    make_citation(agreement=agreement)
    agreement.refresh_from_db()
    return agreement


class TestCounting:
    def test_only_military_lump_sums_are_counted(self, agreement):
        counted = LineItem.objects.filter(agreement=agreement).counted()
        assert [i.description for i in counted] == ["military, once"]
        assert agreement.counted_eur == Decimal("100000000.00")

    def test_totals_leave_the_others_out_each_in_its_own_type_basis_and_stage(self, agreement):
        totals = figure_totals(Agreement.objects.filter(pk=agreement.pk))
        assert [(t.stage, t.amount) for t in totals] == [(Stage.COMMITTED, Decimal("100000000"))]
        left_out = {(t.aid_type, t.basis): t.amount for t in totals.left_out_rows}
        assert left_out == {
            (AidType.MILITARY, Basis.PER_YEAR): Decimal("3000000000"),
            (AidType.FINANCIAL, Basis.ONCE): Decimal("500000000"),
            (AidType.HUMANITARIAN, Basis.ONCE): Decimal("7000000"),
            (AidType.MIXED, Basis.ONCE): Decimal("61000000000"),
        }

    def test_a_headline_of_mixed_aid_counts_neither_itself_nor_its_items(self, donor):
        package = make_agreement(
            donor=donor,
            amount=Decimal("61000000000"),
            currency="USD",
            qualifier=Qualifier.EXACT,
            aid_type=AidType.MIXED,
            stage=Stage.ANNOUNCED,
        )
        money_item(package, "1000000", currency="USD")
        package.refresh_from_db()
        assert package.counted_eur is None
        assert not LineItem.objects.filter(agreement=package).counted().exists()
        totals = figure_totals(Agreement.objects.filter(pk=package.pk))
        assert not totals
        (row,) = totals.left_out_rows
        assert (row.aid_type, row.stage, row.amount) == (
            AidType.MIXED,
            Stage.ANNOUNCED,
            package.value_eur,
        )

    def test_a_rate_with_both_years_shows_an_implied_total_it_never_counts(self, agreement):
        rate = LineItem.objects.get(agreement=agreement, description="military, a year")
        assert rate.implied_total == Decimal("12000000000")
        assert rate.money_display == "approximately EUR 3,000,000,000 a year"
        assert "rate per year" in rate.left_out_reason

    def test_agreement_page_says_why_each_figure_is_left_out(self, client, agreement):
        page = client.get(agreement.get_absolute_url()).content.decode()
        assert "Implied total over 2024–2027: approximately EUR 12,000,000,000" in page
        assert "Not in the military totals" in page
        assert "aid whose military share the source does not state" in page
        assert "financial aid, not military" in page
        assert "humanitarian aid, not military" in page


class TestPublicTables:
    def test_items_filter_by_aid_type(self, client, agreement):
        response = client.get("/items/?donor=ruritania&aid_type=financial")
        assert [row.record.description for row in response.context["table"].page] == [
            "budget support"
        ]
        assert response.context["totals"].get(Stage.COMMITTED) is None
        (row,) = response.context["totals"].left_out_rows
        assert row.aid_type == AidType.FINANCIAL
        assert "of aid type Financial" in response.context["sentence"]

    def test_items_aid_type_facet_counts_what_ticking_gives(self, client, agreement):
        response = client.get("/items/?donor=ruritania")
        (facet,) = [f for f in response.context["facets"] if f.name == "aid_type"]
        counts = {option.value: option.count for option in facet.options}
        for value, count in counts.items():
            ticked = client.get(f"/items/?donor=ruritania&aid_type={value}")
            assert ticked.context["count"] == count, value
        assert counts[AidType.MILITARY] == 2

    def test_agreements_filter_by_their_items_aid_type(self, client, agreement, donor):
        military_only = make_agreement(donor=donor, amount=None, currency="")
        money_item(military_only, "5")
        make_citation(agreement=military_only)
        response = client.get("/agreements/?donor=ruritania&aid_type=humanitarian")
        assert [row.record.pk for row in response.context["table"].page] == [agreement.pk]
        (facet,) = [f for f in response.context["facets"] if f.name == "aid_type"]
        counts = {option.value: option.count for option in facet.options}
        assert counts[AidType.MILITARY] == 2 and counts[AidType.HUMANITARIAN] == 1

    def test_an_unknown_aid_type_is_reported_and_refused_by_exports(self, client, agreement):
        response = client.get("/items/?aid_type=lethal")
        assert response.status_code == HTTPStatus.OK
        (facet,) = [f for f in response.context["facets"] if f.name == "aid_type"]
        assert facet.errors
        export = client.get("/items/?aid_type=lethal&_export=csv")
        assert export.status_code == HTTPStatus.BAD_REQUEST
        assert "aid_type" in export.content.decode()

    @pytest.mark.parametrize("url", ["/", "/items/", "/agreements/", "/donors/ruritania/"])
    def test_every_total_links_to_the_glossary(self, client, agreement, url):
        page = client.get(url).content.decode()
        assert 'href="/glossary/#counting"' in page
        assert "Not in these totals" in page

    def test_exports_carry_aid_type_and_basis(self, client, agreement):
        rows = list(
            csv.DictReader(
                io.StringIO(b"".join(client.get("/items/?donor=ruritania&_export=csv")).decode())
            )
        )
        by_description = {row["description"]: row for row in rows}
        assert by_description["military, a year"]["basis"] == Basis.PER_YEAR
        assert by_description["military, a year"]["counted"] == "false"
        assert by_description["aid, share unstated"]["aid_type"] == AidType.MIXED
        assert by_description["military, once"]["counted"] == "true"


class TestGlossary:
    def test_every_value_of_every_vocabulary_is_explained_and_anchored(self, client):
        page = client.get("/glossary/").content.decode()
        for prefix, choices in (
            ("stage", Stage),
            ("aid-type", AidType),
            ("basis", Basis),
            ("qualifier", Qualifier),
            ("precision", Precision),
        ):
            for value, label in choices.choices:
                assert f'id="{prefix}-{value}"' in page
                assert str(label) in page
        for anchor in ("counting", "stages", "aid-types", "basis", "qualifiers", "categories"):
            assert f'id="{anchor}"' in page

    def test_a_value_without_an_entry_is_refused(self):
        with pytest.raises(ValueError, match="humanitarian"):
            glossary.entries(AidType, {"military": "", "financial": "", "mixed": ""})

    def test_linked_from_every_page(self, client):
        assert 'href="/glossary/"' in client.get("/glossary/").content.decode()


# Every column holding an amount of money (rates and counts are not money).
MONEY = re.compile(
    r"^(amount|value_(eur|usd)|(announced|committed|allocated|delivered)_(eur|usd))$"
)
# PostgreSQL writes CSV with COPY, or with the Python writer when COPY cannot: test both.
WRITERS = ["copy", "python"] if connection.vendor == "postgresql" else ["python"]


class TestExportDecimals:
    """Every amount in every export is a plain decimal with two places, on both databases."""

    @pytest.fixture
    def awkward(self, donor):
        # Sums of values at odd exchange rates: what gave 977000000, 209927225.230000 and
        # 56424012579.7800 in one export before.
        agreement = make_agreement(
            donor=donor,
            amount=None,
            currency="",
            announced_on=date(2024, 3, 28),
            announced_precision=Precision.DAY,
        )
        for amount in ("977000000", "0.10", "0.20", "123456789.99"):
            money_item(agreement, amount, currency="SEK")
        money_item(agreement, "61000000000", currency="USD", stage=Stage.ANNOUNCED)
        package = make_agreement(donor=donor, amount=Decimal("225000000"), currency="USD")
        for agreement_ in (agreement, package):
            make_citation(agreement=agreement_)
        return agreement

    def cells(self, client, url, monkeypatch, python_writer=False):
        with monkeypatch.context() as patch:
            if python_writer:
                patch.setattr(exports, "copy_expressions", lambda *args: None)
            response = client.get(url)
            body = b"".join(response.streaming_content).decode()
        if "_export=json" in url:
            return json.loads(body)
        return list(csv.DictReader(io.StringIO(body)))

    @pytest.mark.parametrize("writer", WRITERS)
    @pytest.mark.parametrize("fmt", ["csv", "json"])
    @pytest.mark.parametrize(
        ("path", "columns"), [("/agreements/", AGREEMENT_COLUMNS), ("/items/", LINE_ITEM_COLUMNS)]
    )
    def test_two_places_everywhere(self, client, awkward, monkeypatch, path, columns, fmt, writer):
        python_writer = writer == "python" and connection.vendor == "postgresql"
        money_columns = [c.name for c in columns if MONEY.match(c.name)]
        assert len(money_columns) >= 3
        rows = self.cells(
            client, f"{path}?donor=ruritania&_export={fmt}", monkeypatch, python_writer
        )
        assert rows
        seen = 0
        for row in rows:
            for name in money_columns:
                value = row[name]
                if value in ("", None):
                    continue
                seen += 1
                assert isinstance(value, str), (name, value)
                assert re.fullmatch(r"\d+\.\d\d", value), (name, value)
        assert seen >= len(rows)


class TestEntry:
    def test_an_analyst_records_a_rate_and_aid_of_unstated_share_in_the_admin(
        self, superuser_client
    ):

        donor, source = make_donor(name="Ruritania", slug="ruritania", iso_code="RO"), make_source()
        rate = line_item_row(
            description="approximately €3 billion a year",
            quantity="",
            unit="",
            amount="3000000000",
            currency="EUR",
            qualifier=Qualifier.APPROXIMATELY,
            basis=Basis.PER_YEAR,
            period_end_year="",
            period_text="a year",
        )
        response = superuser_client.post(
            admin_url(Agreement, "add"),
            agreement_form(
                donor,
                [rate],
                [citation_row(source)],
                amount="61000000000",
                currency="USD",
                qualifier=Qualifier.EXACT,
                aid_type=AidType.MIXED,
                status="draft",
            ),
        )
        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        agreement = Agreement.objects.get(donor=donor)
        assert (agreement.aid_type, agreement.counted_eur) == (AidType.MIXED, None)
        line_item = agreement.line_items.get()
        assert (line_item.basis, line_item.is_counted) == (Basis.PER_YEAR, False)

    def test_an_unknown_aid_type_is_a_form_error_not_a_save(self, superuser_client):

        donor, source = make_donor(name="Ruritania", slug="ruritania", iso_code="RO"), make_source()
        response = superuser_client.post(
            admin_url(Agreement, "add"),
            agreement_form(donor, [], [citation_row(source)], aid_type="lethal", basis="weekly"),
        )
        assert response.status_code == HTTPStatus.OK
        errors = response.context["adminform"].form.errors
        assert "aid_type" in errors and "basis" in errors
        assert not Agreement.objects.filter(donor=donor).exists()
