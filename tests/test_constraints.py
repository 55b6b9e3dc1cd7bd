"""The ledger's rules hold in the database, and model validation says why a record breaks one.

Each rule is checked twice. The database refuses the row itself (IntegrityError),
so a fixture load, a queryset update() or a script cannot slip past the forms.
full_clean(), which the admin's forms run, reports a message an analyst can act
on, attached to the field at fault or to the record as a whole.
"""

import json
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from aid.choices import DonorKind, Precision
from aid.models import WEB_URL_MESSAGE, Citation, Donor, LineItem, Source

from .factories import (
    SOURCE_FILE,
    SOURCE_PASSAGE,
    build_agreement,
    build_citation,
    build_donor,
    build_line_item,
    build_source,
    make_agreement,
    make_citation,
    make_line_item,
    make_source,
)

pytestmark = pytest.mark.django_db


class Case(NamedTuple):
    """One way of breaking a rule, and how the database and full_clean() answer it."""

    fields: dict[str, Any]
    constraint: str  # what the database's error names: the constraint, or the column
    error_field: str  # the key of full_clean()'s message_dict
    message: str  # part of the message, enough to be sure which rule spoke


def assert_database_refuses_create(instance, constraint):
    rows_before = type(instance).objects.count()
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        instance.save()
    assert type(instance).objects.count() == rows_before


def assert_database_refuses_update(instance, fields, constraint):
    """Saves the valid instance, then rewrites it through a queryset, bypassing save()."""
    instance.save()
    rows = type(instance).objects.filter(pk=instance.pk)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        rows.update(**fields)
    assert rows.filter(**fields).count() == 0


def assert_validation_explains(instance, error_field, message):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    errors = caught.value.message_dict
    assert list(errors) == [error_field], errors
    assert any(message in text for text in errors[error_field]), errors


MONEY = {"amount": Decimal("1000000000.00"), "currency": "EUR"}

MONEY_CASES = {
    "negative amount": Case(
        {"amount": Decimal("-1.00")},
        "amount_not_negative",
        "amount",
        "An amount cannot be negative.",
    ),
    "amount without currency": Case(
        {"currency": ""},
        "amount_has_currency",
        NON_FIELD_ERRORS,
        "An amount needs its currency, and a currency needs an amount.",
    ),
    "currency without amount": Case(
        {"amount": None},
        "amount_has_currency",
        NON_FIELD_ERRORS,
        "An amount needs its currency, and a currency needs an amount.",
    ),
    # "EUROS" would be refused for its length, by PostgreSQL as a DataError.
    "currency not ISO 4217": Case(
        {"currency": "ABC"},
        "currency_is_iso_4217",
        "currency",
        "ABC is not an ISO 4217 currency code.",
    ),
}

HOLDERS_OF_MONEY = pytest.mark.parametrize(
    "build", [build_agreement, build_line_item], ids=["agreement", "line item"]
)


class TestMoney:
    """Agreements and line items hold amounts the same way (the abstract Money model).

    MONEY_CASES name the end of each constraint's name; the model supplies its start.
    """

    @HOLDERS_OF_MONEY
    @pytest.mark.parametrize("case", MONEY_CASES.values(), ids=MONEY_CASES.keys())
    def test_database_refuses_create(self, build, case):
        instance = build(**(MONEY | case.fields))
        name = f"aid_{instance._meta.model_name}_{case.constraint}"
        assert_database_refuses_create(instance, name)

    @HOLDERS_OF_MONEY
    @pytest.mark.parametrize("case", MONEY_CASES.values(), ids=MONEY_CASES.keys())
    def test_database_refuses_update(self, build, case):
        instance = build(**MONEY)
        name = f"aid_{instance._meta.model_name}_{case.constraint}"
        assert_database_refuses_update(instance, case.fields, name)

    @HOLDERS_OF_MONEY
    @pytest.mark.parametrize("case", MONEY_CASES.values(), ids=MONEY_CASES.keys())
    def test_validation_explains(self, build, case):
        assert_validation_explains(build(**(MONEY | case.fields)), case.error_field, case.message)

    @HOLDERS_OF_MONEY
    @pytest.mark.parametrize(
        "fields",
        [
            MONEY,
            {"amount": Decimal("0"), "currency": "USD"},
            # SQLite keeps decimals as floats: exact to 15 digits, which tens of
            # billions with cents still are.
            {"amount": Decimal("60799999999.99"), "currency": "USD"},
            {"amount": None, "currency": ""},
        ],
        ids=["amount", "zero", "tens of billions", "no amount"],
    )
    def test_valid_amounts_are_accepted(self, build, fields):
        instance = build(**fields)
        instance.full_clean()
        instance.save()
        instance.refresh_from_db()
        assert (instance.amount, instance.currency) == (fields["amount"], fields["currency"])


class TestQuantity:
    def test_database_refuses_negative_quantity(self):
        # Django's own column check for a positive integer, not a named constraint.
        assert_database_refuses_create(build_line_item(quantity=-1), "quantity")

    def test_database_refuses_negative_quantity_on_update(self):
        assert_database_refuses_update(build_line_item(), {"quantity": -30}, "quantity")

    def test_validation_explains_negative_quantity(self):
        assert_validation_explains(
            build_line_item(quantity=-1),
            "quantity",
            "A quantity cannot be negative.",
        )

    def test_database_refuses_unit_without_quantity(self):
        assert_database_refuses_create(
            build_line_item(quantity=None, unit="aircraft"), "aid_lineitem_unit_needs_quantity"
        )

    def test_validation_explains_unit_without_quantity(self):
        assert_validation_explains(
            build_line_item(quantity=None, unit="aircraft"),
            NON_FIELD_ERRORS,
            "A unit needs a quantity.",
        )

    @pytest.mark.parametrize(
        "fields",
        [
            {"quantity": 30, "unit": "aircraft"},
            {"quantity": 0, "unit": ""},
            {"quantity": None, "unit": ""},
        ],
        ids=["with unit", "zero", "none"],
    )
    def test_valid_quantities_are_accepted(self, fields):
        line_item = build_line_item(**fields)
        line_item.full_clean()
        line_item.save()
        assert LineItem.objects.filter(pk=line_item.pk, quantity=fields["quantity"]).exists()


class TestPeriod:
    BACKWARDS = {"period_start_year": 2028, "period_end_year": 2024}

    @HOLDERS_OF_MONEY
    def test_database_refuses_period_ending_before_it_starts(self, build):
        instance = build(**self.BACKWARDS)
        assert_database_refuses_create(
            instance, f"aid_{instance._meta.model_name}_period_ends_after_start"
        )

    @HOLDERS_OF_MONEY
    def test_database_refuses_update_to_period_ending_before_it_starts(self, build):
        instance = build(period_start_year=2024, period_end_year=2024)
        assert_database_refuses_update(
            instance,
            {"period_end_year": 2023},
            f"aid_{instance._meta.model_name}_period_ends_after_start",
        )

    @HOLDERS_OF_MONEY
    def test_validation_explains_period_ending_before_it_starts(self, build):
        assert_validation_explains(
            build(**self.BACKWARDS), NON_FIELD_ERRORS, "The period cannot end before it starts."
        )

    @HOLDERS_OF_MONEY
    @pytest.mark.parametrize(
        "start, end",
        [(2024, 2024), (2024, 2028), (None, 2028), (2024, None), (None, None)],
        ids=["one year", "several years", "deadline only", "open-ended", "unknown"],
    )
    def test_valid_periods_are_accepted(self, build, start, end):
        instance = build(period_start_year=start, period_end_year=end)
        instance.full_clean()
        instance.save()
        instance.refresh_from_db()
        assert (instance.period_start_year, instance.period_end_year) == (start, end)


PRECISION_CASES = {
    "month precision not on the 1st": Case(
        {"announced_on": date(2024, 5, 15), "announced_precision": Precision.MONTH},
        "aid_agreement_announced_on_month_is_first_day",
        NON_FIELD_ERRORS,
        "date is known only to the month: store it as the month's first day",
    ),
    "year precision not on 1 January": Case(
        {"announced_on": date(2024, 5, 1), "announced_precision": Precision.YEAR},
        "aid_agreement_announced_on_year_is_first_january",
        NON_FIELD_ERRORS,
        "date is known only to the year: store it as 1 January of that year",
    ),
    "unknown precision with a date": Case(
        {"announced_on": date(2024, 5, 28), "announced_precision": Precision.UNKNOWN},
        "aid_agreement_announced_on_matches_precision",
        NON_FIELD_ERRORS,
        "The announcement date and its precision disagree",
    ),
    "day precision without a date": Case(
        {"announced_on": None, "announced_precision": Precision.DAY},
        "aid_agreement_announced_on_matches_precision",
        NON_FIELD_ERRORS,
        "The announcement date and its precision disagree",
    ),
    "signature month precision not on the 1st": Case(
        {"signed_on": date(2024, 5, 28), "signed_precision": Precision.MONTH},
        "aid_agreement_signed_on_month_is_first_day",
        NON_FIELD_ERRORS,
        "signature date is known only to the month: store it as the month's first day",
    ),
}


class TestDatePrecision:
    """A date carries its precision: "May 2024" is stored as 1 May, never as 31 May."""

    @pytest.mark.parametrize("case", PRECISION_CASES.values(), ids=PRECISION_CASES.keys())
    def test_database_refuses_create(self, case):
        assert_database_refuses_create(build_agreement(**case.fields), case.constraint)

    @pytest.mark.parametrize("case", PRECISION_CASES.values(), ids=PRECISION_CASES.keys())
    def test_database_refuses_update(self, case):
        assert_database_refuses_update(build_agreement(), case.fields, case.constraint)

    @pytest.mark.parametrize("case", PRECISION_CASES.values(), ids=PRECISION_CASES.keys())
    def test_validation_explains(self, case):
        assert_validation_explains(build_agreement(**case.fields), case.error_field, case.message)

    @pytest.mark.parametrize(
        "value, precision, shown",
        [
            (date(2024, 5, 27), Precision.DAY, "27 May 2024"),
            (date(2024, 5, 1), Precision.MONTH, "May 2024"),
            (date(2024, 1, 1), Precision.YEAR, "2024"),
            (None, Precision.UNKNOWN, "date unknown"),
        ],
        ids=["day", "month", "year", "unknown"],
    )
    def test_valid_dates_are_accepted(self, value, precision, shown):
        agreement = build_agreement(announced_on=value, announced_precision=precision)
        agreement.full_clean()
        agreement.save()
        agreement.refresh_from_db()
        assert agreement.announced_display == shown


DONOR_CASES = {
    "country without ISO code": Case(
        {"kind": DonorKind.COUNTRY, "iso_code": ""},
        "aid_donor_iso_code_for_countries",
        NON_FIELD_ERRORS,
        "A country needs its ISO 3166-1 alpha-2 code",
    ),
    "country with an unknown code": Case(
        {"kind": DonorKind.COUNTRY, "iso_code": "XX"},
        "aid_donor_iso_code_for_countries",
        NON_FIELD_ERRORS,
        "A country needs its ISO 3166-1 alpha-2 code",
    ),
    "institution with a code": Case(
        {"kind": DonorKind.EU_INSTITUTION, "iso_code": "EU"},
        "aid_donor_iso_code_for_countries",
        NON_FIELD_ERRORS,
        "an institution has none",
    ),
}


class TestDonorCountryCode:
    @pytest.mark.parametrize("case", DONOR_CASES.values(), ids=DONOR_CASES.keys())
    def test_database_refuses_create(self, case):
        assert_database_refuses_create(build_donor(**case.fields), case.constraint)

    @pytest.mark.parametrize("case", DONOR_CASES.values(), ids=DONOR_CASES.keys())
    def test_database_refuses_update(self, case):
        assert_database_refuses_update(build_donor(), case.fields, case.constraint)

    @pytest.mark.parametrize("case", DONOR_CASES.values(), ids=DONOR_CASES.keys())
    def test_validation_explains(self, case):
        assert_validation_explains(build_donor(**case.fields), case.error_field, case.message)

    @pytest.mark.parametrize(
        "kind, iso_code",
        [
            (DonorKind.COUNTRY, "ES"),
            (DonorKind.EU_INSTITUTION, ""),
            (DonorKind.MULTILATERAL, ""),
        ],
        ids=["country", "EU institution", "multilateral"],
    )
    def test_valid_donors_are_accepted(self, kind, iso_code):
        donor = build_donor(kind=kind, iso_code=iso_code)
        donor.full_clean()
        donor.save()
        assert Donor.objects.filter(pk=donor.pk, kind=kind, iso_code=iso_code).exists()


class TestSource:
    def test_database_refuses_source_without_text_or_url(self):
        assert_database_refuses_create(build_source(file=""), "aid_source_has_text_or_url")

    def test_validation_explains_source_without_text_or_url(self):
        assert_validation_explains(
            build_source(file=""),
            NON_FIELD_ERRORS,
            "A source needs its text (paste it or upload the file) or a URL.",
        )

    def test_database_refuses_a_text_without_its_format_digest_and_origin(self):
        assert_database_refuses_create(
            build_source(file="", text="Belgium will provide Ukraine"), "aid_source_text_recorded"
        )

    def test_database_refuses_a_record_of_a_text_that_is_not_there(self):
        assert_database_refuses_update(
            build_source(url="https://example.org/weekly-09"),
            {"text": ""},
            "aid_source_text_recorded",
        )

    def test_database_refuses_a_snapshot_date_without_a_text(self):
        assert_database_refuses_create(
            build_source(file="", url="https://example.org/a", snapshot_taken_on=date(2024, 6, 1)),
            "aid_source_snapshot_of_a_url",
        )

    def test_database_refuses_period_ending_before_publication(self):
        assert_database_refuses_create(
            build_source(period_end=date(2024, 5, 1)), "aid_source_period_ends_after_start"
        )

    def test_validation_explains_missing_file(self):
        assert_validation_explains(
            build_source(file="no-such-file.txt"),
            "file",
            "There is no file named no-such-file.txt in seeds/.",
        )

    @pytest.mark.parametrize("file", ["../ledger/settings.py", "seeds/x.txt"])
    def test_validation_refuses_a_path_outside_seeds(self, file):
        assert_validation_explains(build_source(file=file), "file", "without folders")

    def test_source_with_a_url_only_is_accepted(self):
        source = build_source(file="", url="https://example.org/weekly-09")
        source.full_clean()
        source.save()
        assert Source.objects.filter(pk=source.pk).exists()


NOT_WEB_ADDRESSES = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://example.org/report.pdf",
    "//example.org/report.pdf",
    "example.org/report.pdf",
]


class TestSourceUrl:
    """A source's URL is a web address, however the row is written: readers follow it."""

    @pytest.mark.parametrize("url", NOT_WEB_ADDRESSES)
    def test_database_refuses_create(self, url):
        assert_database_refuses_create(build_source(url=url), "aid_source_url_is_a_web_address")

    @pytest.mark.parametrize("url", NOT_WEB_ADDRESSES)
    def test_database_refuses_update(self, url):
        assert_database_refuses_update(
            build_source(), {"url": url}, "aid_source_url_is_a_web_address"
        )

    @pytest.mark.parametrize("url", NOT_WEB_ADDRESSES)
    def test_validation_explains(self, url):
        assert_validation_explains(build_source(url=url), "url", WEB_URL_MESSAGE)

    def test_a_fixture_cannot_load_one(self, tmp_path):
        fixture = tmp_path / "sources.json"
        fields = {"title": "Planted", "file": SOURCE_FILE, "url": "javascript:alert(1)"}
        fixture.write_text(json.dumps([{"model": "aid.source", "fields": fields}]))
        refused = pytest.raises(IntegrityError, match="aid_source_url_is_a_web_address")
        with refused, transaction.atomic():
            call_command("loaddata", fixture, verbosity=0)
        assert not Source.objects.filter(title="Planted").exists()

    @pytest.mark.parametrize("url", ["https://example.org/a?b=c#d", "HTTP://EXAMPLE.ORG/REPORT"])
    def test_web_addresses_are_accepted(self, url):
        source = build_source(url=url)
        source.full_clean()
        source.save()
        assert Source.objects.get(pk=source.pk).link == url

    def test_only_a_web_address_is_ever_a_link(self):
        # Defence in depth, for a row from before the constraint (see the migration).
        assert build_source(url="javascript:alert(1)").link == ""
        assert build_source(url="").link == ""


def url_migration():
    """(this migration's key, the aid migration before it), whatever its number."""
    executor = MigrationExecutor(connection)
    (key,) = [
        key
        for key in executor.loader.disk_migrations
        if key[0] == "aid" and key[1].endswith("_source_url_is_a_web_address")
    ]
    migration = executor.loader.disk_migrations[key]
    (before,) = [dependency for dependency in migration.dependencies if dependency[0] == "aid"]
    return key, before


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_the_end():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


# Migrations run outside the test's transaction: the tables are emptied afterwards, as after
# tests/test_browser.py (pytest-django runs such tests after all the others).
@pytest.mark.django_db(transaction=True)
class TestSourceUrlMigration:
    """Rows stored before the constraint: a URL that is not a web address is set aside."""

    def test_it_moves_into_the_notes_and_is_no_longer_a_link(self):
        key, before = url_migration()
        Old = migrate([before]).get_model("aid", "Source")
        planted = Old.objects.create(
            title="Planted", file=SOURCE_FILE, url="javascript:alert(1)", notes="Weekly."
        )
        kept = Old.objects.create(title="Fine", file="", url="https://example.org/fine")

        migrate_to_the_end()

        planted = Source.objects.get(pk=planted.pk)
        assert planted.url == ""
        assert planted.notes == (
            "Weekly.\n\nLink removed when URLs became web addresses only: javascript:alert(1)"
        )
        assert Source.objects.get(pk=kept.pk).url == "https://example.org/fine"

    def test_it_stops_and_names_a_source_the_url_was_the_only_copy_of(self):
        key, before = url_migration()
        Old = migrate([before]).get_model("aid", "Source")
        stranded = Old.objects.create(title="Only online", file="", url="javascript:void(0)")

        with pytest.raises(RuntimeError, match=r"Only online.*javascript:void\(0\).*migrate again"):
            migrate([key])

        # As the message says: give it a web address, and migrate again.
        Old.objects.filter(pk=stranded.pk).update(url="https://example.org/only-online")
        migrate_to_the_end()
        assert Source.objects.get(pk=stranded.pk).url == "https://example.org/only-online"


class TestCitation:
    """A citation quotes its source verbatim and supports its own agreement's items."""

    @pytest.mark.parametrize(
        "passage",
        [
            "Belgium will provide Ukraine with €977 million in military aid.",
            SOURCE_PASSAGE.replace("€", "EUR "),
            SOURCE_PASSAGE.replace("F-16", "F 16"),
        ],
        ids=["paraphrase", "currency respelt", "space for a hyphen"],
    )
    def test_validation_explains_passage_not_in_source(self, passage):
        assert_validation_explains(
            build_citation(passage=passage),
            "passage",
            "This passage does not occur verbatim in the source.",
        )

    def test_validation_explains_line_item_of_another_agreement(self):
        other_agreements_item = make_line_item()
        citation = build_citation(agreement=make_agreement(), line_item=other_agreements_item)
        assert_validation_explains(
            citation, "line_item", "This line item belongs to another agreement."
        )

    @pytest.fixture
    def postgresql(self):
        if connection.vendor != "postgresql":
            pytest.skip("a PostgreSQL trigger; on SQLite model validation guards this (above)")

    def test_database_refuses_line_item_of_another_agreement(self, postgresql):
        citation = build_citation(agreement=make_agreement(), line_item=make_line_item())
        refused = pytest.raises(IntegrityError, match="aid_citation_line_item_agreement")
        with refused, transaction.atomic():
            citation.save()
        assert not Citation.objects.filter(pk=citation.pk).exists()

    def test_database_refuses_moving_a_cited_line_item_to_another_agreement(self, postgresql):
        citation = make_citation(line_item=make_line_item())
        elsewhere = make_agreement()
        refused = pytest.raises(IntegrityError, match="aid_citation_line_item_agreement")
        with refused, transaction.atomic():
            LineItem.objects.filter(pk=citation.line_item_id).update(agreement=elsewhere)

    def test_deleting_a_line_item_keeps_its_passage_on_the_agreement(self):
        citation = make_citation(line_item=make_line_item())
        citation.line_item.delete()
        citation.refresh_from_db()
        assert citation.line_item is None and citation.agreement_id

    def test_validation_explains_a_source_without_text(self):
        citation = build_citation(source=make_source(file="", url="https://example.org/a"))
        assert_validation_explains(citation, "source", "This source has no stored text")

    def test_database_refuses_a_check_without_its_place_or_reason(self):
        assert_database_refuses_update(
            build_citation(), {"start": None}, "aid_citation_checked_or_why_not"
        )

    def test_database_refuses_an_empty_span(self):
        assert_database_refuses_update(
            build_citation(), {"end": 0, "start": 0}, "aid_citation_checked_or_why_not"
        )

    @pytest.mark.parametrize("on_line_item", [False, True], ids=["agreement", "line item"])
    def test_valid_citations_are_accepted(self, on_line_item):
        line_item = make_line_item() if on_line_item else None
        citation = build_citation(line_item=line_item)
        citation.full_clean()
        citation.save()
        assert Citation.objects.get(pk=citation.pk).passage == SOURCE_PASSAGE


class TestCheckConstraintsInOneQuery:
    """aid/constraints.py: a record's check constraints validated in one query, with Django's
    messages, each broken one reported."""

    def test_every_broken_constraint_is_reported_from_one_query(self, django_assert_num_queries):
        from .factories import build_line_item

        item = build_line_item(
            amount=Decimal("-5"), currency="", quantity=None, unit="aircraft", stage="sold"
        )
        # A savepoint, the SELECT, its release.
        with (
            transaction.atomic(),
            django_assert_num_queries(3),
            pytest.raises(ValidationError) as refused,
        ):
            item.validate_constraints()
        messages = set(refused.value.messages)
        assert messages == {
            "An amount cannot be negative.",
            "An amount needs its currency, and a currency needs an amount.",
            "A unit needs a quantity.",
            "Unknown stage.",
        }

    def test_the_same_verdicts_as_djangos_check_of_each(self):
        from django.db.models import Model

        from .factories import build_agreement, build_line_item

        records = [
            build_line_item(amount=Decimal("1"), currency="XYZ"),
            build_line_item(period_start_year=2028, period_end_year=2024),
            build_agreement(announced_on=date(2024, 5, 28), announced_precision=Precision.MONTH),
            build_agreement(signed_on=None),  # an empty date: its precision rules pass
            build_agreement(),
        ]
        for record in records:
            verdicts = []
            for validate in (type(record).validate_constraints, Model.validate_constraints):
                try:
                    validate(record)
                    verdicts.append(set())
                except ValidationError as error:
                    verdicts.append(set(error.messages))
            assert verdicts[0] == verdicts[1], record

    def test_an_excluded_field_is_not_checked(self):
        from .factories import build_line_item

        item = build_line_item(amount=Decimal("-5"), currency="EUR")
        item.validate_constraints(exclude={"amount"})
