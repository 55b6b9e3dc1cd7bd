"""The seed data's readings: each one recorded with its note and its verbatim passage.

Issue #10 read the two documents again; each test here pins one reading, so that a later
edit of the fixture cannot quietly undo it. The passages are checked against the files in
seeds/, not against the fixture's own copy.
"""

import json
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings

from aid.choices import AidType, Basis, Precision, Stage
from aid.models import Agreement, Citation, LineItem

from .conftest import SEED_FIXTURE

pytestmark = pytest.mark.django_db

WEEKLY_FILE = "002_c8fdc93dd4fbe3f3.txt"
WEEKLY = Path(settings.SEEDS_DIR, WEEKLY_FILE).read_text(encoding="utf-8")
RECORDS = json.loads(Path(SEED_FIXTURE).read_text(encoding="utf-8"))


def item(description_start):
    return LineItem.objects.get(description__startswith=description_start)


def passages(record):
    return [citation.passage for citation in record.citations.all()]


def assert_cited_verbatim(record, *fragments):
    """The record cites a passage of the weekly holding each fragment, and it is verbatim."""
    cited = passages(record)
    assert cited, f"{record} cites nothing"
    for passage in cited:
        assert passage in WEEKLY
    for fragment in fragments:
        assert any(fragment in passage for passage in cited), (record, fragment)


class TestFixtureIsExplicit:
    def test_every_figure_states_its_aid_type_and_basis(self):
        for record in RECORDS:
            if record["model"] in ("aid.agreement", "aid.lineitem"):
                fields = record["fields"]
                assert fields.get("aid_type") in AidType.values, record.get("pk")
                assert fields.get("basis") in Basis.values, record.get("pk")

    def test_every_agreement_states_its_headline_stage(self):
        for record in RECORDS:
            if record["model"] == "aid.agreement":
                assert record["fields"].get("stage") in Stage.values, record["pk"]


class TestUnitedStates61Billion:
    def test_share_not_stated_and_left_out_of_military_totals(self, seeded):
        aid = item("$61 billion in aid")
        assert aid.aid_type == AidType.MIXED
        assert not aid.is_counted
        assert "military share" in aid.notes
        assert_cited_verbatim(aid, "\\$61 billion in aid")

    def test_overview_leaves_it_out_and_says_so(self, client, seeded):
        totals = client.get("/").context["totals"]
        announced = totals.get(Stage.ANNOUNCED).amount
        assert announced < Decimal("10e9")  # not the €56 billion it is worth
        left_out = [t for t in totals.left_out_rows if t.aid_type == AidType.MIXED]
        assert len(left_out) == 1
        assert left_out[0].stage == Stage.ANNOUNCED
        assert left_out[0].amount == item("$61 billion in aid").value_eur
        assert "military share" in left_out[0].reason


class TestEuFrozenAssetProfits:
    def test_a_rate_per_year_whose_description_keeps_most_of(self, seeded):
        rate = item("most of the profits")
        assert "approximately €3 billion a year" in rate.description
        assert rate.basis == Basis.PER_YEAR
        assert (rate.amount, rate.currency) == (Decimal("3000000000.00"), "EUR")
        assert rate.qualifier == "approximately"
        assert "'most'" in rate.notes and "less than €3 billion a year" in rate.notes
        assert rate.implied_total is None  # no period bounds it
        assert_cited_verbatim(rate, "most of the profits", "approximately €3 billion a year")

    def test_never_in_a_lump_sum_total(self, client, seeded):
        rate = item("most of the profits")
        assert not rate.is_counted
        totals = client.get("/").context["totals"]
        committed = totals.get(Stage.COMMITTED)
        rows = [t for t in totals.left_out_rows if t.basis == Basis.PER_YEAR]
        assert [(t.stage, t.amount) for t in rows] == [(Stage.COMMITTED, rate.value_eur)]
        assert rows[0].display.endswith(" a year")
        # Adding the rate would have made the committed total approximately €3 billion more.
        counted = LineItem.objects.published().counted().filter(stage=Stage.COMMITTED)
        headlines = Agreement.objects.published().filter(amount__isnull=False)
        expected = sum(i.value_eur for i in counted) + sum(
            a.value_eur for a in headlines if a.stage == Stage.COMMITTED
        )
        assert committed.amount == expected


class TestUnitedStatesForeignMilitaryFinancing:
    def test_announced_not_committed(self, seeded):
        fund = item("an additional $2 billion in foreign military financing")
        assert fund.stage == Stage.ANNOUNCED
        assert fund.aid_type == AidType.MILITARY
        assert "will provide" in fund.notes and "announced" in fund.notes
        # From the first document, not the weekly.
        for citation in fund.citations.select_related("source"):
            assert citation.passage in citation.source.text
        assert any("announced a new fund" in p for p in passages(fund))


class TestUnitedStatesPackage:
    def test_headline_stage_is_set_in_the_fixture_with_its_reading(self, seeded):
        fields = next(
            r["fields"]
            for r in RECORDS
            if r["model"] == "aid.agreement" and r["fields"]["amount"] == "225000000.00"
        )
        assert fields["stage"] == Stage.COMMITTED
        assert "revealed the contents" in fields["notes"]

    def test_listed_items_cite_the_sentence_that_names_the_united_states(self, seeded):
        package = Agreement.objects.get(amount=Decimal("225000000"))
        listed = package.line_items.filter(citations__passage__startswith="- ").distinct()
        assert listed.count() == 8
        for line_item in listed:
            assert_cited_verbatim(line_item, "In addition, the United States will provide")
            assert "inside the package" in line_item.notes
            assert not line_item.is_counted  # the package's headline counts them


class TestMonthsReadFromTheWeekly:
    def test_each_says_the_weekly_carries_a_june_footnote(self, seeded):
        assert "07.06.2024" in WEEKLY
        weekly_months = Agreement.objects.filter(
            announced_precision=Precision.MONTH, citations__source__file=WEEKLY_FILE
        ).distinct()
        assert weekly_months.count() >= 5
        for agreement in weekly_months:
            assert "07.06.2024" in agreement.notes, agreement


class TestEuSecurityAgreement:
    def test_the_agreement_is_open_ended_and_2024_is_the_funds(self, seeded):
        agreement = Agreement.objects.get(
            title__startswith="Security agreement between Ukraine and the European Union"
        )
        assert (agreement.period_start_year, agreement.period_end_year) == (None, None)
        assert "long-term" in agreement.notes
        fund = item("Ukraine Support Fund budget")
        assert (fund.period_start_year, fund.period_end_year) == (2024, 2024)
        assert fund.stage == Stage.ANNOUNCED
        assert_cited_verbatim(fund, "will have a budget of €5 billion in 2024")


class TestDenmarkAndSwedenCv90:
    @pytest.mark.parametrize("slug", ["denmark", "sweden"])
    def test_their_initiative_is_recorded_unpriced(self, seeded, slug):
        agreement = Agreement.objects.get(donor__slug=slug)
        assert agreement.amount is None
        assert agreement.stage == Stage.COMMITTED
        (vehicles,) = agreement.line_items.all()
        assert vehicles.category.slug == "armoured-vehicles"
        assert vehicles.amount is None and vehicles.quantity is None
        assert vehicles.stage == Stage.COMMITTED
        assert_cited_verbatim(vehicles, "initiative of Denmark and Sweden to purchase CV90")
        assert_cited_verbatim(agreement, "initiative of Denmark and Sweden to purchase CV90")

    def test_public(self, client, seeded):
        for slug in ("denmark", "sweden"):
            assert client.get(f"/donors/{slug}/").status_code == HTTPStatus.OK


class TestEveryRecordStillCitesAVerbatimPassage:
    def test_every_citation_occurs_in_its_source(self, seeded):
        for citation in Citation.objects.select_related("source"):
            assert citation.passage in citation.source.text, citation.pk

    def test_every_published_figure_and_item_is_cited(self, seeded):
        for agreement in Agreement.objects.published():
            assert agreement.citations.exists(), agreement
        for line_item in LineItem.objects.published():
            assert line_item.citations.exists(), line_item
