"""The seed data: every figure comes from seeds/, is cited verbatim, and loads once."""

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from aid.choices import Precision, Qualifier, Stage
from aid.models import Agreement, Category, Citation, Donor, LineItem, Source

from .conftest import SEED_FIXTURE, SeedRows

SEEDS = Path(settings.SEEDS_DIR)


def test_seed_documents_are_unchanged_copies():
    """seeds/SHA256SUMS records the documents as received; none may be edited."""
    lines = (SEEDS / "SHA256SUMS").read_text().splitlines()
    assert len(lines) == len(list(SEEDS.glob("*.txt")))
    for line in lines:
        digest, name = line.split()
        assert hashlib.sha256((SEEDS / name).read_bytes()).hexdigest() == digest, name


def test_fixture_amounts_are_strings_not_floats():
    """A float in JSON would reach the Decimal field rounded; amounts are written as strings."""
    records = json.loads(Path(SEED_FIXTURE).read_text())
    amounts = [r["fields"]["amount"] for r in records if r["fields"].get("amount") is not None]
    assert amounts
    assert all(isinstance(a, str) for a in amounts)


@pytest.mark.django_db
class TestCitations:
    def test_every_passage_occurs_verbatim_in_its_seed_file(self, seeded):
        citations = Citation.objects.select_related("source")
        assert citations.count() > 0
        for citation in citations:
            text = (SEEDS / citation.source.file).read_text(encoding="utf-8")
            assert citation.passage in text, f"citation {citation.pk} is not verbatim"

    def test_every_source_is_a_seed_file(self, seeded):
        for source in Source.objects.all():
            assert (SEEDS / source.file).is_file(), source.file

    def test_every_figure_and_item_has_a_citation(self, seeded):
        assert not Agreement.objects.filter(citations__isnull=True).exists()
        assert not LineItem.objects.filter(citations__isnull=True).exists()

    def test_every_record_passes_model_validation(self, seeded):
        for model in (Donor, Source, Agreement, LineItem, Citation):
            for record in model.objects.all():
                record.full_clean()


@pytest.mark.django_db
class TestLoading:
    def test_loading_twice_leaves_one_copy_of_everything(self, seeded):
        models = (Donor, Category, Source, Agreement, LineItem, Citation)
        before = {m.__name__: m.objects.count() for m in models}
        call_command("loaddata", SEED_FIXTURE, verbosity=0)
        after = {m.__name__: m.objects.count() for m in models}
        assert after == before
        assert before["Agreement"] >= 7

    def test_the_suites_seed_is_what_the_command_writes(self, seeded):
        """The `seeded` fixture writes back the rows the first `manage.py seed` of the run
        wrote (tests/conftest.py SeedRows): the command, run again over them, finds
        nothing to add or change in any table."""
        SeedRows.load()  # at least once from the rows noted, whichever test came first
        tables = {model: SeedRows.table(model) for model in SeedRows.models()}
        assert tables[Citation] and tables[LineItem]
        call_command("seed", verbosity=0)
        assert {model: SeedRows.table(model) for model in SeedRows.models()} == tables

    def test_categories_exist_without_the_fixture(self, db):
        assert set(Category.objects.values_list("slug", flat=True)) == {
            "aircraft",
            "air-defence",
            "artillery",
            "ammunition",
            "armoured-vehicles",
            "anti-tank",
            "missiles",
            "drones",
            "naval",
            "vehicles",
            "equipment",
            "training",
            "funding",
        }


@pytest.mark.django_db
class TestFiguresAsTheSourcesStateThem:
    """The commitments the foundation issue names, read the way the documents give them."""

    def items(self, donor):
        return LineItem.objects.filter(agreement__donor__slug=donor)

    def test_spain_one_billion_this_year_and_five_over_three_years(self, seeded):
        amounts = {i.amount: i for i in self.items("spain").filter(currency="EUR")}
        assert set(amounts) == {Decimal("1000000000"), Decimal("5000000000")}
        this_year = amounts[Decimal("1000000000")]
        assert (this_year.period_start_year, this_year.period_end_year) == (2024, 2024)
        # "the next three years" is not given a start: vagueness is recorded, not resolved.
        three_years = amounts[Decimal("5000000000")]
        assert three_years.period_start_year is None
        assert three_years.period_text == "over the next three years"
        agreement = three_years.agreement
        assert (agreement.signed_on.isoformat(), agreement.signed_precision) == (
            "2024-05-27",
            Precision.DAY,
        )

    def test_belgium_keeps_at_least_and_the_jets(self, seeded):
        money = self.items("belgium").get(amount__isnull=False)
        assert (money.amount, money.currency, money.qualifier) == (
            Decimal("977000000"),
            "EUR",
            Qualifier.AT_LEAST,
        )
        jets = self.items("belgium").get(category__slug="aircraft")
        assert (jets.quantity, jets.period_end_year, jets.period_text) == (30, 2028, "by 2028")

    def test_portugal_at_least_126_million_and_three_coalitions(self, seeded):
        money = self.items("portugal").get(amount__isnull=False)
        assert (money.amount, money.qualifier, money.period_start_year) == (
            Decimal("126000000"),
            Qualifier.AT_LEAST,
            2024,
        )
        assert set(
            self.items("portugal")
            .filter(amount__isnull=True)
            .values_list("category__slug", flat=True)
        ) == {"aircraft", "naval", "ammunition"}

    def test_us_225_million_package_lists_each_item(self, seeded):
        package = Agreement.objects.get(donor__slug="united-states", amount=Decimal("225000000"))
        assert package.currency == "USD"
        assert package.announced_precision == Precision.MONTH
        descriptions = set(package.line_items.values_list("description", flat=True))
        assert len(descriptions) == 13
        assert {"missiles for HAWK air defence systems", "M113 armoured personnel carriers"} <= (
            descriptions
        )
        # The source prices only the package: no item invents a share of it.
        assert not package.line_items.filter(amount__isnull=False).exists()

    def test_us_two_billion_foreign_military_financing(self, seeded):
        item = self.items("united-states").get(amount=Decimal("2000000000"))
        assert item.currency == "USD"
        assert item.agreement.kind == "financing"

    def test_netherlands_approximately_400_million_for_cv90(self, seeded):
        item = self.items("netherlands").get()
        assert (item.amount, item.qualifier, item.category.slug) == (
            Decimal("400000000"),
            Qualifier.APPROXIMATELY,
            "armoured-vehicles",
        )

    def test_eu_five_billion_fund_for_2024_is_announced(self, seeded):
        item = self.items("european-union").get(amount=Decimal("5000000000"))
        assert (item.currency, item.period_start_year, item.stage) == ("EUR", 2024, Stage.ANNOUNCED)

    def test_vague_dates_are_not_made_exact(self, seeded):
        for agreement in Agreement.objects.exclude(announced_precision=Precision.DAY):
            assert agreement.notes, f"{agreement} has a vague date and no note on its reading"
