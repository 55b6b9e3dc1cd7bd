"""A line item's copy of its agreement's donor, date, status and headline (aid/triggers.py).

The public tables filter and count line items by these copies, so a copy that lagged
would show a draft's items to readers or count a packaged item twice. The database keeps
them, whatever writes the rows: these tests write them every way there is.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from aid.choices import Status
from aid.models import Agreement, LineItem
from aid.triggers import drifted_line_items

from .factories import category, make_agreement, make_donor, make_line_item

pytestmark = pytest.mark.django_db


def copies(item):
    return LineItem.objects.filter(pk=item.pk).values(
        "donor", "announced_on", "kind", "published", "covered_by_headline"
    )[0]


def expected(agreement):
    agreement.refresh_from_db()
    return {
        "donor": agreement.donor_id,
        "announced_on": agreement.announced_on,
        "kind": agreement.kind,
        "published": agreement.status == Status.PUBLISHED,
        "covered_by_headline": agreement.amount is not None,
    }


@pytest.fixture
def item():
    agreement = make_agreement(status=Status.DRAFT, announced_on=date(2024, 3, 5))
    return make_line_item(agreement=agreement)


def test_a_new_item_copies_its_agreement(item):
    assert copies(item) == expected(item.agreement)
    assert copies(item)["published"] is False
    # save() sets them on the instance too, not only in the database.
    assert (item.donor_id, item.announced_on, item.published) == (
        item.agreement.donor_id,
        date(2024, 3, 5),
        False,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"status": Status.PUBLISHED},
        {"announced_on": date(2023, 1, 1), "announced_precision": "year"},
        {"announced_on": None, "announced_precision": "unknown"},
        {"amount": Decimal("1000000"), "currency": "EUR"},
        {"kind": "financing"},
    ],
    ids=["status", "date", "no date", "headline", "kind"],
)
def test_a_queryset_update_of_the_agreement_reaches_its_items(item, change):
    """update() bypasses save(); the database still keeps the copies."""
    Agreement.objects.filter(pk=item.agreement_id).update(**change)
    assert copies(item) == expected(item.agreement)
    assert drifted_line_items() == 0


def test_a_new_donor_reaches_the_items(item):
    other = make_donor(name="Other donor", slug="other-donor")
    Agreement.objects.filter(pk=item.agreement_id).update(donor=other)
    assert copies(item)["donor"] == other.pk


def test_unpublishing_hides_the_items_at_once(item):
    agreement = item.agreement
    agreement.status = Status.PUBLISHED
    agreement.save()
    assert LineItem.objects.published().filter(pk=item.pk).exists()
    Agreement.objects.filter(pk=agreement.pk).update(status=Status.DRAFT)
    assert not LineItem.objects.published().filter(pk=item.pk).exists()


def test_copies_written_by_hand_are_overwritten(item):
    """Neither a script nor a bulk write can set a copy that disagrees."""
    LineItem.objects.filter(pk=item.pk).update(published=True, covered_by_headline=True)
    assert copies(item) == expected(item.agreement)


def test_moving_an_item_to_another_agreement_takes_that_agreements_values(item):
    published = make_agreement(status=Status.PUBLISHED, amount=Decimal(5), currency="EUR")
    LineItem.objects.filter(pk=item.pk).update(agreement=published)
    assert copies(item) == expected(published)


def test_bulk_create_without_the_copies_gets_them(item):
    rows = LineItem.objects.bulk_create(
        [
            LineItem(agreement=item.agreement, category=category(), description=f"bulk {n}")
            for n in range(3)
        ]
    )
    for row in rows:
        assert copies(row) == expected(item.agreement)


def test_the_seed_data_has_no_drift(seeded):
    """loaddata writes raw rows without save(): the database filled the copies."""
    assert LineItem.objects.count() > 0
    assert drifted_line_items() == 0
    assert LineItem.objects.filter(donor__isnull=True).count() == 0


def test_a_drift_is_detected_when_the_triggers_are_gone(item):
    """drifted_line_items() is what the tests above rely on: it can see a drift."""
    if connection.vendor == "postgresql":
        # The deferred foreign-key checks of the inserts must run before an ALTER TABLE.
        disable = [
            "SET CONSTRAINTS ALL IMMEDIATE",
            "ALTER TABLE aid_lineitem DISABLE TRIGGER aid_lineitem_copy_agreement",
        ]
    else:
        disable = ["DROP TRIGGER aid_lineitem_copy_agreement_update"]
    with connection.cursor() as cursor:
        for sql in disable:
            cursor.execute(sql)
    LineItem.objects.filter(pk=item.pk).update(published=True)
    assert drifted_line_items() == 1


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's triggers are put back by post_migrate"
)
def test_migrate_puts_sqlite_triggers_back_and_mends_drift(item):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER aid_lineitem_copy_agreement_update")
        cursor.execute("DROP TRIGGER aid_agreement_copy_to_items")
    Agreement.objects.filter(pk=item.agreement_id).update(status=Status.PUBLISHED)
    assert drifted_line_items() == 1
    call_command("migrate", verbosity=0)
    assert drifted_line_items() == 0
    Agreement.objects.filter(pk=item.agreement_id).update(status=Status.DRAFT)
    assert drifted_line_items() == 0
