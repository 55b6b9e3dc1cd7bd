"""Money that adds up: ECB conversions, figures counted once, stages apart, qualifiers kept."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from aid import fx
from aid.choices import Precision, Qualifier, Stage
from aid.models import Agreement, LineItem
from aid.totals import figure_totals, item_totals

from .factories import make_agreement, make_citation, make_donor, make_line_item, make_source

pytestmark = pytest.mark.django_db

# ECB euro foreign exchange reference rates (units per EUR), as published.
ECB = {
    (date(2024, 5, 28), "USD"): Decimal("1.0882"),
    (date(2024, 5, 28), "GBP"): Decimal("0.8508"),
    (date(2024, 5, 31), "USD"): Decimal("1.0852"),
    (date(2024, 4, 30), "USD"): Decimal("1.0718"),
    (date(2024, 3, 28), "USD"): Decimal("1.0811"),
}
CENT = Decimal("0.01")


def body(response):
    return b"".join(response.streaming_content).decode()


class TestEcbConversion:
    def test_a_day_with_rates(self):
        converted = fx.convert(Decimal("1000000"), "GBP", date(2024, 5, 28))
        eur = (Decimal("1000000") / ECB[date(2024, 5, 28), "GBP"]).quantize(CENT)
        assert converted.value_eur == eur
        assert converted.value_usd == (
            Decimal("1000000") / ECB[date(2024, 5, 28), "GBP"] * ECB[date(2024, 5, 28), "USD"]
        ).quantize(CENT)
        assert (converted.currency_per_eur, converted.usd_per_eur) == (
            ECB[date(2024, 5, 28), "GBP"],
            ECB[date(2024, 5, 28), "USD"],
        )
        assert converted.rate_date == date(2024, 5, 28)

    def test_euros_keep_their_value(self):
        converted = fx.convert(Decimal("977000000"), "EUR", date(2024, 5, 28))
        assert converted.value_eur == Decimal("977000000.00")
        assert converted.value_usd == Decimal("977000000") * ECB[date(2024, 5, 28), "USD"]

    @pytest.mark.parametrize(
        ("day", "rate_day"),
        [
            (date(2024, 6, 1), date(2024, 5, 31)),  # a Saturday
            (date(2024, 5, 1), date(2024, 4, 30)),  # Labour Day, no fixing
            (date(2024, 4, 1), date(2024, 3, 28)),  # Easter Monday, after Good Friday
        ],
    )
    def test_a_day_without_rates_takes_the_last_rate_before_it(self, day, rate_day):
        converted = fx.convert(Decimal("100"), "USD", day)
        assert converted.rate_date == rate_day
        assert converted.usd_per_eur == ECB[rate_day, "USD"]

    def test_no_rate_no_value_and_a_reason(self):
        assert fx.convert(Decimal("100"), "UAH", date(2024, 5, 28)) is None
        assert "no reference rate for UAH" in fx.why_not_converted("UAH", date(2024, 5, 28))
        assert fx.convert(Decimal("100"), "USD", date(1995, 1, 2)) is None
        assert fx.convert(Decimal("100"), "USD", None) is None


class TestStoredValues:
    def test_item_is_converted_at_its_agreements_date(self):
        agreement = make_agreement(announced_on=date(2024, 5, 28), amount=None, currency="")
        item = make_line_item(agreement=agreement, amount=Decimal("100"), currency="USD")
        assert item.rate_date == date(2024, 5, 28)
        assert item.value_eur == (Decimal("100") / ECB[date(2024, 5, 28), "USD"]).quantize(CENT)
        assert "1 EUR = 1.0882 USD" in item.conversion_note

    def test_month_precision_uses_the_months_first_fixing(self):
        agreement = make_agreement(
            announced_on=date(2024, 5, 1),
            announced_precision=Precision.MONTH,
            amount=Decimal("225000000"),
            currency="USD",
        )
        assert agreement.rate_date == date(2024, 4, 30)
        assert agreement.value_eur == Decimal("209927225.23")

    def test_changing_the_date_or_currency_recomputes(self):
        agreement = make_agreement(announced_on=date(2024, 5, 28), amount=None, currency="")
        item = make_line_item(agreement=agreement, amount=Decimal("100"), currency="USD")
        agreement.announced_on = date(2024, 4, 30)
        agreement.save()
        item.refresh_from_db()
        assert item.rate_date == date(2024, 4, 30)
        item.currency = "EUR"
        item.save()
        item.refresh_from_db()
        assert item.value_eur == Decimal("100.00")

    def test_undated_agreement_uses_its_sources_date(self):
        agreement = make_agreement(
            announced_on=None,
            announced_precision=Precision.UNKNOWN,
            amount=Decimal("100"),
            currency="USD",
        )
        assert agreement.value_eur is None
        assert "no date" in agreement.conversion_note
        make_citation(agreement=agreement, source=make_source(published_on=date(2024, 5, 28)))
        agreement.refresh_from_db()
        assert agreement.rate_date == date(2024, 5, 28)

    def test_recompute_command_restores_every_value(self, seeded):
        LineItem.objects.update(value_eur=None, value_usd=None)
        Agreement.objects.update(counted_eur=None)
        call_command("recompute_values", verbosity=0)
        assert not LineItem.objects.filter(amount__isnull=False, value_eur__isnull=True).exists()
        spain = Agreement.objects.get(donor__slug="spain")
        assert spain.counted_eur == Decimal("5000000000.00")


class TestCountedOnce:
    def test_a_part_is_not_counted_beside_its_whole(self, seeded):
        spain = Agreement.objects.filter(donor__slug="spain")
        committed = figure_totals(spain).get(Stage.COMMITTED)
        assert committed.amount == Decimal("5000000000.00")  # not 6 billion
        assert committed.count == 1

    def test_a_package_priced_as_a_whole_counts_its_headline_once(self, seeded):
        package = Agreement.objects.get(amount=Decimal("225000000"))
        make_line_item(agreement=package, amount=Decimal("1000"), currency="USD")
        totals = figure_totals(Agreement.objects.filter(pk=package.pk), "USD")
        assert totals.get(Stage.COMMITTED).amount == Decimal("225000000.00")

    def test_a_part_must_belong_to_a_whole_of_the_same_donor(self):
        whole = make_line_item(amount=Decimal("5"), currency="EUR", quantity=None, unit="")
        part = make_line_item(agreement=whole.agreement, part_of=whole)
        with pytest.raises(ValidationError, match="itself a part"):
            make_line_item(agreement=whole.agreement, part_of=part).full_clean()
        elsewhere = make_agreement(donor=make_donor())
        with pytest.raises(ValidationError, match="same donor"):
            make_line_item(agreement=elsewhere, part_of=whole).full_clean()


class TestQualifiersAndStages:
    def test_a_sum_with_at_least_parts_is_at_least(self, seeded):
        belgium_and_spain = Agreement.objects.filter(donor__slug__in=["belgium", "spain"])
        committed = figure_totals(belgium_and_spain).get(Stage.COMMITTED)
        assert committed.qualifier == Qualifier.AT_LEAST
        assert committed.display == "at least EUR 5,977,000,000"

    def test_approximately_and_at_least_together_are_approximate(self):
        agreement = make_agreement(amount=None, currency="")
        make_line_item(
            agreement=agreement, amount=Decimal("1"), currency="EUR", qualifier=Qualifier.AT_LEAST
        )
        make_line_item(
            agreement=agreement, amount=Decimal("1"), currency="EUR", qualifier=Qualifier.UP_TO
        )
        total = item_totals(LineItem.objects.filter(agreement=agreement)).get(Stage.COMMITTED)
        assert total.qualifier == Qualifier.APPROXIMATELY

    def test_stages_are_never_added_together(self):
        agreement = make_agreement(amount=None, currency="")
        for stage in (Stage.COMMITTED, Stage.DELIVERED):
            make_line_item(agreement=agreement, amount=Decimal("10"), currency="EUR", stage=stage)
        totals = item_totals(LineItem.objects.filter(agreement=agreement))
        assert [(t.stage, t.amount) for t in totals] == [
            (Stage.COMMITTED, Decimal("10.00")),
            (Stage.DELIVERED, Decimal("10.00")),
        ]


class TestPublicTotals:
    def test_overview_totals_equal_the_sum_of_the_exported_rows(self, client, seeded):
        response = client.get("/")
        shown = {t.stage: t.amount for t in response.context["totals"]}
        rows = list(csv.DictReader(io.StringIO(body(client.get("/agreements/?_export=csv")))))
        for stage in Stage.values:
            exported = sum(Decimal(row[f"{stage}_eur"]) for row in rows if row[f"{stage}_eur"])
            assert shown.get(stage, Decimal(0)) == exported, stage
        assert shown[Stage.COMMITTED] > 0

    def test_items_export_marks_which_rows_are_counted(self, client, seeded):
        rows = list(csv.DictReader(io.StringIO(body(client.get("/items/?_export=csv")))))
        counted = sum(
            Decimal(r["value_eur"])
            for r in rows
            if r["counted"] == "true" and r["stage"] == Stage.COMMITTED
        )
        response = client.get("/items/")
        assert response.context["totals"].get(Stage.COMMITTED).amount == counted
        spain_part = next(
            r for r in rows if r["description"] == "€1 billion in military aid this year"
        )
        assert (spain_part["counted"], spain_part["value_eur"]) == ("false", "1000000000.00")

    def test_totals_in_usd_on_request(self, client, seeded):
        response = client.get("/agreements/?donor=united-states&currency=USD")
        committed = response.context["totals"].get(Stage.COMMITTED)
        assert committed.currency == "USD"
        # The $225 million package; the $2 billion fund is announced, the $61 billion of
        # "aid" has no stated military share: neither is a committed military figure.
        assert committed.amount == Decimal("225000000.00")
        announced = response.context["totals"].get(Stage.ANNOUNCED)
        assert announced.amount == Decimal("2000000000.00")
        assert "USD 225,000,000" in response.content.decode()

    def test_unknown_currency_is_a_notice_not_an_error(self, client, seeded):
        response = client.get("/items/?currency=XYZ")
        assert response.status_code == 200
        assert "showing EUR" in response.content.decode()

    def test_every_seed_amount_shows_its_values_and_rate(self, client, seeded):
        for agreement in Agreement.objects.all():
            page = client.get(agreement.get_absolute_url()).content.decode()
            for money in [agreement, *agreement.line_items.all()]:
                if money.amount is not None:
                    assert money.conversion_note in page.replace("&#x27;", "'")
                    assert money.eur_display in re.sub(r"<[^>]+>", "", page)


class TestValueFiltersAndSorting:
    def test_min_and_max_eur(self, client, seeded):
        response = client.get("/items/?min_eur=900000000&max_eur=1000000000&per_page=500")
        values = [row.record.value_eur for row in response.context["table"].page.object_list]
        assert values and all(Decimal(900_000_000) <= v <= Decimal(1_000_000_000) for v in values)

    def test_sort_by_eur_value(self, client, seeded):
        response = client.get("/agreements/?sort=-eur")
        values = [row.record.counted_eur for row in response.context["table"].page.object_list]
        priced = [v for v in values if v is not None]
        assert priced == sorted(priced, reverse=True) and values[-1] is None

    def test_a_bad_bound_is_shown_beside_the_filter(self, client, seeded):
        response = client.get("/items/?min_eur=lots")
        assert response.status_code == 200
        assert "A value in EUR is a number from 0 to" in response.content.decode()


class TestCharts:
    def chart(self, response, slug):
        return {
            row.label: row.total.amount
            for row in next(c for c in response.context["charts"] if c.slug == slug).rows
        }

    def test_by_donor_equals_each_donors_committed_total(self, client, seeded):
        by_donor = self.chart(client.get("/"), "by-donor")
        for slug, name in (("belgium", "Belgium"), ("united-states", "United States")):
            page = client.get(f"/donors/{slug}/")
            assert by_donor[name] == page.context["totals"].get(Stage.COMMITTED).amount

    def test_by_category_equals_the_filtered_items_table(self, client, seeded):
        by_category = self.chart(client.get("/"), "by-category")
        table = client.get("/items/?category=funding&stage=committed")
        assert by_category["Funding"] == table.context["totals"].get(Stage.COMMITTED).amount

    def test_by_month_adds_up_to_the_dated_total(self, client, seeded):
        response = client.get("/?date_after=2024-05-01&date_before=2024-05-31")
        by_month = self.chart(response, "by-month")
        assert list(by_month) == ["May 2024"]
        assert by_month["May 2024"] == response.context["totals"].get(Stage.COMMITTED).amount

    def test_charts_follow_the_filters(self, client, seeded):
        by_donor = self.chart(client.get("/?donor=belgium"), "by-donor")
        assert list(by_donor) == ["Belgium"]
