"""`manage.py synthesize`: a synthetic ledger that keeps every rule a real one keeps.

Small sizes here; `make bench` runs it at a million line items.
"""

from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from aid import fx
from aid.choices import AidType, Basis, Status
from aid.management.commands.synthesize import (
    MAX_ITEMS_PER_AGREEMENT,
    SYNTHETIC_SLUG_PREFIX,
    SYNTHETIC_URL_PREFIX,
)
from aid.models import Agreement, Citation, Donor, LineItem, Money, Source
from aid.totals import figure_totals

from .factories import make_line_item

pytestmark = pytest.mark.django_db

ITEMS = 600


def synthesize(*args):
    out = StringIO()
    call_command("synthesize", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def synthetic(db):
    synthesize("--items", str(ITEMS))


def real_counts():
    return {
        "donors": Donor.objects.exclude(slug__startswith=SYNTHETIC_SLUG_PREFIX).count(),
        "agreements": Agreement.objects.exclude(
            donor__slug__startswith=SYNTHETIC_SLUG_PREFIX
        ).count(),
        "line items": LineItem.objects.exclude(
            agreement__donor__slug__startswith=SYNTHETIC_SLUG_PREFIX
        ).count(),
        "sources": Source.objects.exclude(url__startswith=SYNTHETIC_URL_PREFIX).count(),
        "citations": Citation.objects.exclude(
            agreement__donor__slug__startswith=SYNTHETIC_SLUG_PREFIX
        ).count(),
    }


class TestWhatItMakes:
    def test_exactly_the_items_asked_for_in_agreements_of_1_to_50(self, synthetic):
        assert LineItem.objects.count() == ITEMS
        sizes = Agreement.objects.annotate(n=Count("line_items")).values_list("n", flat=True)
        assert min(sizes) >= 1
        assert max(sizes) <= MAX_ITEMS_PER_AGREEMENT

    def test_dozens_of_donors_all_marked_synthetic(self, synthetic):
        assert Donor.objects.count() >= 24
        assert not Donor.objects.exclude(slug__startswith=SYNTHETIC_SLUG_PREFIX).exists()

    def test_every_agreement_cites_a_synthetic_source_by_url(self, synthetic):
        assert not Agreement.objects.filter(citations__isnull=True).exists()
        assert not Source.objects.exclude(url__startswith=SYNTHETIC_URL_PREFIX).exists()
        assert not Source.objects.exclude(file="").exists()

    def test_mostly_published_with_the_variety_readers_meet(self, synthetic):
        published = Agreement.objects.filter(status=Status.PUBLISHED).count()
        assert published >= 0.9 * Agreement.objects.count()
        currencies = set(LineItem.objects.exclude(currency="").values_list("currency", flat=True))
        assert {"EUR", "USD"} <= currencies and len(currencies) >= 4
        precisions = set(Agreement.objects.values_list("announced_precision", flat=True))
        assert {"day", "month"} <= precisions
        assert LineItem.objects.values("category").distinct().count() >= 10
        assert LineItem.objects.values("stage").distinct().count() == 4
        assert Agreement.objects.filter(amount__isnull=False).exists()

    def test_parts_belong_to_a_whole_of_the_same_donor(self, synthetic):
        parts = LineItem.objects.filter(part_of__isnull=False).select_related(
            "agreement", "part_of__agreement"
        )
        assert parts.exists()
        for part in parts:
            assert part.part_of.agreement.donor_id == part.agreement.donor_id
            assert part.part_of.part_of_id is None

    def test_a_sample_passes_full_clean(self, synthetic):
        for model in (Donor, Source, Agreement, Citation):
            for record in model.objects.order_by("?")[:20]:
                record.full_clean()
        items = LineItem.objects.order_by("?")[:30]
        parts = LineItem.objects.filter(part_of__isnull=False)[:10]
        for item in [*items, *parts]:
            item.full_clean()

    def test_a_later_save_gets_a_fresh_id(self, synthetic):
        """The ids were given explicitly; the sequences must have moved past them."""
        agreement = Agreement.objects.first()
        item = make_line_item(agreement=agreement)
        assert item.pk > LineItem.objects.exclude(pk=item.pk).order_by("-pk")[0].pk


class TestValues:
    def test_normalised_values_are_fx_convert_of_a_sample(self, synthetic):
        items = LineItem.objects.filter(amount__isnull=False).select_related("agreement")
        agreements = Agreement.objects.filter(amount__isnull=False)
        sample = [*items.order_by("?")[:100], *agreements.order_by("?")[:30]]
        assert len(sample) > 50
        for record in sample:
            conversion = fx.convert(record.amount, record.currency, record.value_date())
            assert conversion is not None
            assert record.value_eur == conversion.value_eur
            assert record.value_usd == conversion.value_usd
            assert record.ecb_currency_per_eur == conversion.currency_per_eur
            assert record.ecb_usd_per_eur == conversion.usd_per_eur
            assert record.rate_date == conversion.rate_date

    def test_unpriced_records_have_no_values(self, synthetic):
        for model in (LineItem, Agreement):
            unpriced = model.objects.filter(amount__isnull=True)
            assert unpriced.exists()
            for name in Money.MONEY_FIELDS:
                assert not unpriced.filter(**{f"{name}__isnull": False}).exists()

    def test_counted_values_are_what_recount_stores(self, synthetic):
        for agreement in Agreement.objects.all():
            stored = (agreement.counted_eur, agreement.counted_usd, agreement.counted_qualifier)
            agreement.recount()
            assert (agreement.counted_eur, agreement.counted_usd, agreement.counted_qualifier) == (
                stored
            ), agreement.pk

    def test_figure_totals_equal_an_independent_sum(self, synthetic):
        """Headlines at their stage, plus priced items that are neither parts nor in a package;
        military aid paid once in the totals, every other figure in what they leave out."""
        published = Agreement.objects.filter(status=Status.PUBLISHED)
        expected, left_out = defaultdict(Decimal), defaultdict(Decimal)

        def add(figure):
            if (figure.aid_type, figure.basis) == (AidType.MILITARY, Basis.ONCE):
                expected[figure.stage] += figure.value_eur
            else:
                left_out[(figure.aid_type, figure.basis, figure.stage)] += figure.value_eur

        for agreement in published.prefetch_related("line_items"):
            if agreement.amount is not None:
                add(agreement)
                continue
            for item in agreement.line_items.all():
                if item.amount is not None and item.part_of_id is None:
                    add(item)
        totals = figure_totals(published, "EUR")
        assert {total.stage: total.amount for total in totals} == dict(expected)
        assert left_out, "the synthetic ledger has figures of every kind"
        assert {(t.aid_type, t.basis, t.stage): t.amount for t in totals.left_out_rows} == dict(
            left_out
        )
        # The same money, agreement by agreement, through the stored counted values.
        assert sum(total.amount for total in totals) == sum(
            published.exclude(counted_eur=None).values_list("counted_eur", flat=True)
        )


class TestRealData:
    def test_refuses_a_database_with_real_records(self, seeded):
        before = real_counts()
        with pytest.raises(CommandError, match="real records"):
            synthesize("--items", "50")
        assert real_counts() == before
        assert not Donor.objects.filter(slug__startswith=SYNTHETIC_SLUG_PREFIX).exists()

    def test_adds_beside_real_records_when_told(self, seeded):
        before = real_counts()
        synthesize("--items", "50", "--allow-real-data")
        assert real_counts() == before
        synthetic = LineItem.objects.filter(
            agreement__donor__slug__startswith=SYNTHETIC_SLUG_PREFIX
        )
        assert synthetic.count() == 50

    def test_reset_deletes_only_synthetic_records(self, seeded):
        before = real_counts()
        synthesize("--items", "80", "--allow-real-data")
        synthesize("--items", "30", "--allow-real-data", "--reset")
        assert real_counts() == before
        assert (
            LineItem.objects.filter(
                agreement__donor__slug__startswith=SYNTHETIC_SLUG_PREFIX
            ).count()
            == 30
        )


def test_runs_add_up(db):
    synthesize("--items", "120")
    synthesize("--items", "80")
    assert LineItem.objects.count() == 200
    # Donors and weekly sources are reused, not made twice.
    assert Donor.objects.count() == Donor.objects.values("slug").distinct().count()
    assert Source.objects.count() == Source.objects.values("url").distinct().count()
