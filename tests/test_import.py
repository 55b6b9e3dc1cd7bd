"""Bulk import of line items in the admin: preview, every problem by row and column, all or nothing.

The file is the /items/ export's CSV (aid/importing.py). Each test uploads it
through the admin as an analyst or a reviewer does: the upload gives a
dry-run preview, and only its confirmation writes.
"""

import csv
import io
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from aid import review
from aid.choices import Status
from aid.exports import LINE_ITEM_COLUMNS
from aid.importing import IGNORED_COLUMNS, IMPORTED_COLUMNS
from aid.models import Agreement, Citation, Donor, LineItem

from .factories import (
    category,
    decide,
    make_agreement,
    make_citation,
    make_donor,
    make_line_item,
    make_user,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:aid_lineitem_import")
CONFIRM_URL = reverse("admin:aid_lineitem_process_import")
HEADER = [column.name for column in LINE_ITEM_COLUMNS]


def export(client, query=""):
    response = client.get(f"/items/?_export=csv{query}")
    assert response.status_code == HTTPStatus.OK
    return b"".join(response.streaming_content)


def as_csv(rows, header=IMPORTED_COLUMNS):
    """A file with the given header; each row a dict of the cells it fills."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode("utf-8")


def upload(browser, content, name="items.csv"):
    """The preview of a file: the dry run, which writes nothing."""
    return browser.post(
        IMPORT_URL,
        {"import_file": SimpleUploadedFile(name, content, "text/csv"), "format": "0"},
    )


def confirm(browser, preview):
    assert preview.context.get("confirm_form") is not None, problems(preview)
    return browser.post(CONFIRM_URL, preview.context["confirm_form"].initial)


def import_file(browser, content):
    """Upload, look at the preview, confirm: the analyst's three steps."""
    preview = upload(browser, content)
    assert preview.status_code == HTTPStatus.OK
    response = confirm(browser, preview)
    assert response.status_code == HTTPStatus.FOUND
    return preview


def problems(preview):
    """Every problem the preview lists: {(row, column): [messages]}."""
    result = preview.context["result"]
    found = {}
    for row in result.invalid_rows:
        for column, messages in row.error_dict.items():
            found[(row.number, column)] = list(messages)
    for error in result.base_errors:
        found[(None, None)] = [str(error.error)]
    return found


def counts():
    return (Agreement.objects.count(), LineItem.objects.count(), Donor.objects.count())


@pytest.fixture
def analyst():
    browser = Client()
    browser.force_login(make_user("ana", ["Analysts"]))
    return browser


@pytest.fixture
def reviewer():
    browser = Client()
    browser.force_login(make_user("rita", ["Reviewers"]))
    return browser


@pytest.fixture
def belgium():
    return make_donor(name="Belgium", slug="belgium", iso_code="BE")


def new_row(**cells):
    return {
        "description": "Sea King helicopters",
        "donor_slug": "belgium",
        "agreement_title": "Belgian package",
        "agreement_kind": "aid-package",
        "category_slug": "aircraft",
        "quantity": "4",
        "unit": "helicopters",
        "amount": "1234567.89",
        "currency": "EUR",
        "qualifier": "at-least",
        "stage": "committed",
        "announced_on": "2024-05",
        "announced_precision": "month",
    } | cells


class TestColumns:
    def test_every_export_column_is_read_or_ignored(self):
        """A column added to the export must be classified here (aid/importing.py)."""
        assert sorted(IMPORTED_COLUMNS + IGNORED_COLUMNS) == sorted(HEADER)
        assert {"url", "donor_name", "category_name", "value_eur", "counted"} <= set(
            IGNORED_COLUMNS
        )

    def test_the_import_page_opens_and_explains_the_format(self, analyst):
        response = analyst.get(IMPORT_URL)
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "an unknown slug is an error, never a new donor")

    def test_the_change_list_offers_the_import(self, analyst):
        response = analyst.get(reverse("admin:aid_lineitem_changelist"))
        assertContains(response, IMPORT_URL)

    def test_only_users_who_may_add_line_items_import(self):
        viewer = make_user("viewer", [])
        browser = Client()
        browser.force_login(viewer)
        assert browser.get(IMPORT_URL).status_code == HTTPStatus.FORBIDDEN


class TestGoodImport:
    def test_new_agreement_and_line_items_are_drafts(self, analyst, belgium):
        content = as_csv(
            [
                new_row(),
                new_row(description="Spare parts", quantity="", unit="", amount="", currency=""),
            ]
        )
        preview = upload(analyst, content)
        assertContains(preview, "Sea King helicopters")
        # The preview writes nothing.
        assert not LineItem.objects.exists()

        confirm(analyst, preview)

        agreement = Agreement.objects.get()
        assert (agreement.title, agreement.donor, agreement.status) == (
            "Belgian package",
            belgium,
            Status.DRAFT,
        )
        assert str(agreement.announced_on) == "2024-05-01"
        item = agreement.line_items.get(description="Sea King helicopters")
        assert item.amount == Decimal("1234567.89")
        assert (item.quantity, item.unit, item.qualifier) == (4, "helicopters", "at-least")
        assert item.category == category("aircraft")
        assert agreement.line_items.count() == 2
        assert item.history.get().history_user.username == "ana"

    def test_a_reviewers_import_is_a_draft_too(self, reviewer, belgium):
        import_file(reviewer, as_csv([new_row()]))
        assert Agreement.objects.get().status == Status.DRAFT

    def test_rows_join_an_agreement_in_the_ledger(self, analyst, belgium):
        agreement = make_agreement(
            donor=belgium, title="Belgium–Ukraine security agreement", status=Status.DRAFT
        )
        make_citation(agreement=agreement)
        content = as_csv(
            [
                {
                    "description": "F-16 spare parts",
                    "agreement_id": agreement.pk,
                    "category_slug": "aircraft",
                }
            ]
        )
        import_file(analyst, content)
        assert agreement.line_items.get().description == "F-16 spare parts"
        agreement.refresh_from_db()
        # Agreement pages opened before the import cannot write back over it.
        assert agreement.version == 2

    def test_rows_with_one_new_agreement_id_make_one_agreement(self, analyst, belgium):
        rows = [new_row(agreement_id="501"), new_row(agreement_id="501", description="Boats")]
        import_file(analyst, as_csv(rows))
        assert list(Agreement.objects.values_list("pk", flat=True)) == [501]
        assert LineItem.objects.filter(agreement_id=501).count() == 2
        # The id sequences follow the ids the file gave (PostgreSQL).
        assert make_agreement().pk > 501

    def test_an_existing_line_item_is_updated(self, analyst):
        item = make_line_item(quantity=30, agreement=make_agreement(status=Status.DRAFT))
        row = {
            "id": item.pk,
            "description": item.description,
            "agreement_id": item.agreement_id,
            "category_slug": "aircraft",
            "quantity": "24",
            "unit": "aircraft",
            "stage": "delivered",
        }
        import_file(analyst, as_csv([row]))
        item.refresh_from_db()
        assert (item.quantity, item.stage) == (24, "delivered")
        assert item.history.latest().history_change_reason == "imported"

    def test_formula_neutralised_cells_are_read_back(self, analyst, belgium):
        content = as_csv([new_row(description="'=1+2 shells", unit="'-rounds", notes="'@note")])
        import_file(analyst, content)
        item = LineItem.objects.get()
        assert (item.description, item.unit, item.notes) == ("=1+2 shells", "-rounds", "@note")

    def test_a_byte_order_mark_is_accepted(self, analyst, belgium):
        import_file(analyst, b"\xef\xbb\xbf" + as_csv([new_row()]))
        assert LineItem.objects.count() == 1


class TestBadImport:
    def test_every_problem_is_listed_by_row_and_column_and_nothing_is_written(
        self, analyst, belgium
    ):
        existing = make_agreement(donor=belgium, title="Existing")
        rows = [
            new_row(),  # row 1 is fine
            new_row(donor_slug="atlantis", agreement_title="Atlantis deal"),
            new_row(category_slug="space-lasers"),
            new_row(amount="12abc"),
            new_row(amount="-5"),
            new_row(amount="100", currency=""),
            new_row(quantity="", unit="tanks"),
            new_row(agreement_title="Dated wrongly", announced_on="2024-05-28"),
            new_row(qualifier="roughly", stage="promised"),
            # Agreement columns left empty mean "as the agreement has them".
            new_row(
                agreement_id=existing.pk,
                agreement_title="Not its title",
                agreement_kind="",
                announced_on="",
                announced_precision="",
            ),
            new_row(quantity="3.5", description=""),
            new_row(
                agreement_title="Another", announced_on="2024-02-30", announced_precision="day"
            ),
        ]
        # Each its own line item: rows of one agreement are told apart by description.
        for number, row in enumerate(rows, start=1):
            if row["description"]:
                row["description"] = f"{row['description']} ({number})"
        before = counts()

        preview = upload(analyst, as_csv(rows))

        assert preview.status_code == HTTPStatus.OK
        assert preview.context.get("confirm_form") is None
        found = problems(preview)
        assert set(found) == {
            (2, "donor_slug"),
            (3, "category_slug"),
            (4, "amount"),
            (5, "amount"),
            (6, "currency"),
            (7, "unit"),
            (8, "announced_on"),
            (9, "qualifier"),
            (9, "stage"),
            (10, "agreement_title"),
            (11, "quantity"),
            (11, "description"),
            (12, "announced_on"),
        }
        assert found[(2, "donor_slug")] == [
            "There is no donor with slug “atlantis”. Add the donor in the admin first: "
            "an import never creates donors."
        ]
        assert found[(4, "amount")][0].startswith("“12abc” is not a plain number")
        assert found[(5, "amount")] == ["An amount cannot be negative."]
        assert found[(6, "currency")] == [
            "An amount needs its currency, and a currency needs an amount."
        ]
        assert found[(7, "unit")] == ["A unit needs a quantity."]
        assert "write it like 2024-05" in found[(8, "announced_on")][0]
        assert found[(10, "agreement_title")][0].startswith(
            f"Agreement {existing.pk} has agreement_title “Existing”, not “Not its title”."
        )
        # Shown as a table: row, line of the file, column, problem.
        assertContains(preview, "<td>space-lasers</td>", count=0)
        listed = sum(len(messages) for messages in found.values())
        assertContains(preview, '<tr class="import-problem">', count=listed)
        assertContains(preview, "<td>7</td><td>8</td><td>unit</td>", html=False)
        assert counts() == before
        assert not Donor.objects.filter(slug="atlantis").exists()

    def test_one_bad_row_among_good_ones_writes_nothing(self, analyst, belgium):
        rows = [new_row(description=f"Item {n}") for n in range(20)]
        rows[13] = new_row(category_slug="nope")
        before = counts()
        preview = upload(analyst, as_csv(rows))
        assert set(problems(preview)) == {(14, "category_slug")}
        assert counts() == before

    def test_a_file_that_stopped_importing_cleanly_at_confirmation_writes_nothing(
        self, analyst, belgium
    ):
        preview = upload(analyst, as_csv([new_row(), new_row(agreement_title="Second")]))
        # Meanwhile someone adds an agreement with the second row's title.
        make_agreement(donor=belgium, title="Second")
        before = counts()

        response = confirm(analyst, preview)

        assert response.status_code == HTTPStatus.FOUND
        assert response.url == IMPORT_URL
        messages = [str(m) for m in response.wsgi_request._messages]
        assert any("Nothing was imported" in message for message in messages)
        assert counts() == before

    @pytest.mark.parametrize(
        "header, message",
        [
            (
                ["description", "agreement_id", "category_slug", "amout"],
                "Unknown column(s): amout.",
            ),
            (["description", "agreement_id"], "Missing column(s): category_slug."),
            (
                ["description", "agreement_id", "category_slug", "unit", "unit"],
                "Repeated column(s): unit.",
            ),
        ],
    )
    def test_bad_headers(self, analyst, header, message):
        preview = upload(analyst, as_csv([{}], header=header))
        assert preview.status_code == HTTPStatus.OK
        assertContains(preview, message)
        assertNotContains(preview, "Traceback")
        assert preview.context.get("confirm_form") is None

    @pytest.mark.parametrize(
        "content",
        [b"", b"\xff\xfe\x00d\x00e", b'description,agreement_id\n"unclosed'],
        ids=["empty", "not utf-8", "broken quoting"],
    )
    def test_unreadable_files_are_explained(self, analyst, content):
        preview = upload(analyst, content)
        assert preview.status_code == HTTPStatus.OK
        assert preview.context["form"].errors or problems(preview)
        assert preview.context.get("confirm_form") is None
        assert counts() == (0, 0, 0)

    def test_a_duplicate_id_is_an_error(self, analyst, belgium):
        rows = [new_row(id="700"), new_row(id="700", description="Again")]
        assert set(problems(upload(analyst, as_csv(rows)))) == {(2, "id")}

    def test_a_line_item_is_not_moved(self, analyst):
        item = make_line_item()
        other = make_agreement()
        row = {
            "id": item.pk,
            "description": item.description,
            "agreement_id": other.pk,
            "category_slug": "aircraft",
        }
        found = problems(upload(analyst, as_csv([row])))
        assert "does not move line items" in found[(1, "agreement_id")][0]

    def test_a_title_two_agreements_share_needs_the_id(self, analyst, belgium):
        first = make_agreement(donor=belgium, title="Belgian package", status=Status.DRAFT)
        second = make_agreement(donor=belgium, title="Belgian package", status=Status.DRAFT)
        found = problems(upload(analyst, as_csv([new_row()])))
        assert found[(1, "agreement_id")] == [
            f"Several agreements of Belgium are titled “Belgian package” (ids {first.pk}, "
            f"{second.pk}): put the id of the one you mean in agreement_id."
        ]

    def test_rows_of_one_agreement_with_one_description_need_ids(self, analyst, belgium):
        rows = [new_row(), new_row(quantity="5")]
        found = problems(upload(analyst, as_csv(rows)))
        assert found == {
            (2, "description"): [
                "Row 1 has the same agreement and description: give each row the id of its "
                "line item, or describe them apart."
            ]
        }

    def test_a_description_two_line_items_share_needs_the_id(self, analyst):
        agreement = make_agreement(status=Status.DRAFT)
        for _ in range(2):
            make_line_item(agreement=agreement, description="155 mm shells")
        row = {
            "description": "155 mm shells",
            "agreement_id": agreement.pk,
            "category_slug": "ammunition",
        }
        found = problems(upload(analyst, as_csv([row])))
        assert found[(1, "description")] == [
            f"Agreement {agreement.pk} has 2 line items described “155 mm shells”: give the "
            "row the id of the one it changes."
        ]
        assert LineItem.objects.count() == 2


class TestIdempotent:
    """Importing the same file twice changes nothing the second time."""

    def test_a_file_without_ids_imported_twice(self, analyst, belgium):
        content = as_csv(
            [
                new_row(),
                new_row(description="Spare parts", quantity="", unit="", amount="", currency=""),
            ]
        )
        first = import_file(analyst, content)
        assert first.context["result"].totals["new"] == 2
        state = (counts(), LineItem.history.count(), Agreement.history.count())

        second = import_file(analyst, content)

        totals = second.context["result"].totals
        assert (totals["new"], totals["update"], totals["skip"]) == (0, 0, 2)
        assertContains(second, '<td class="import-type">Unchanged</td>', count=2, html=True)
        assert (counts(), LineItem.history.count(), Agreement.history.count()) == state

    def test_a_row_without_an_id_updates_the_line_item_of_its_description(self, analyst):
        item = make_line_item(agreement=make_agreement(status=Status.DRAFT), quantity=30)
        row = {
            "description": item.description,
            "agreement_id": item.agreement_id,
            "category_slug": "aircraft",
            "quantity": "24",
            "unit": "aircraft",
        }
        preview = import_file(analyst, as_csv([row]))
        assertContains(preview, '<td class="import-type">Update</td>', html=True)
        assert LineItem.objects.get() == item
        item.refresh_from_db()
        assert item.quantity == 24

    def test_a_title_in_the_ledger_is_joined_not_repeated(self, analyst, belgium):
        import_file(analyst, as_csv([new_row()]))
        import_file(analyst, as_csv([new_row(description="Boats", category_slug="naval")]))
        agreement = Agreement.objects.get()
        assert set(agreement.line_items.values_list("description", flat=True)) == {
            "Sea King helicopters",
            "Boats",
        }


class TestIntoPublished:
    """Rows that change a published agreement wait in its revision for a reviewer."""

    @pytest.fixture
    def published(self, belgium):
        agreement = make_agreement(
            donor=belgium, title="Belgium–Ukraine security agreement", status=Status.DRAFT
        )
        item = make_line_item(agreement=agreement, description="F-16 fighter jets")
        make_citation(agreement=agreement, line_item=item)
        agreement.status = Status.PUBLISHED
        agreement.save()
        return agreement

    @staticmethod
    def rows(agreement):
        jets = agreement.line_items.get()
        return [
            {
                "id": jets.pk,
                "description": jets.description,
                "agreement_id": agreement.pk,
                "category_slug": "aircraft",
                "quantity": "24",
                "unit": "aircraft",
            },
            {
                "description": "F-16 spare parts",
                "agreement_id": agreement.pk,
                "category_slug": "equipment",
            },
        ]

    def test_the_rows_go_into_its_revision(self, client, analyst, published):
        jets = published.line_items.get()
        page = client.get(published.get_absolute_url()).content
        content = as_csv(self.rows(published))

        preview = upload(analyst, content)
        assertContains(preview, "These agreements are published:")
        assertContains(preview, "a revision is opened for them")
        assert not Agreement.objects.revisions().exists()
        response = confirm(analyst, preview)

        shown = [str(m) for m in response.wsgi_request._messages]
        assert any("the file's changes to it are in its pending revision" in m for m in shown)
        jets.refresh_from_db()
        assert jets.quantity == 30
        assert published.line_items.count() == 1
        assert client.get(published.get_absolute_url()).content == page
        revision = Agreement.objects.get(revises=published)
        assert revision.line_items.get(origin=jets).quantity == 24
        assert revision.line_items.get(origin=None).description == "F-16 spare parts"
        assert revision.line_items.get(origin=None).history.get().history_user.username == "ana"

        # The same file again: nothing new, nothing changed, in the revision either.
        again = import_file(analyst, content)
        totals = again.context["result"].totals
        assert (totals["new"], totals["update"], totals["skip"]) == (0, 0, 2)
        assertContains(again, "into the revision already open")
        assert revision.line_items.count() == 2

    def test_two_rows_of_one_description_are_refused_there_too(self, analyst, published):
        row = {
            "description": "Spare parts",
            "agreement_id": published.pk,
            "category_slug": "equipment",
        }
        # The first row opens the revision; the second would otherwise update its line item.
        found = problems(upload(analyst, as_csv([row, row])))
        assert set(found) == {(2, "description")}
        assert not Agreement.objects.revisions().exists()

    def test_approved_they_reach_readers(self, client, analyst, reviewer, published):
        jets = published.line_items.get()
        import_file(analyst, as_csv(self.rows(published)))
        revision = Agreement.objects.get(revises=published)
        response = decide(reviewer, revision, "approve")
        assert "the revision is not ready for review" in " ".join(
            str(m) for m in response.wsgi_request._messages
        )
        review.mark_ready(revision)
        response = decide(reviewer, revision, "approve")
        assert response.url == reverse("admin:aid_agreement_change", args=[published.pk])
        jets.refresh_from_db()
        assert jets.quantity == 24
        assert published.line_items.count() == 2
        shown = client.get("/changes/").context["page"].object_list
        assert {(c.action, c.title) for c in shown} == {
            ("changed", "F-16 fighter jets"),
            ("added", "F-16 spare parts"),
        }


class TestRoundTrip:
    def test_reimporting_the_ledgers_own_export_changes_nothing(self, client, seeded, reviewer):
        content = export(client)
        history = LineItem.history.count()
        preview = import_file(reviewer, content)
        result = preview.context["result"]
        assert result.totals["skip"] == LineItem.objects.count()
        assert result.totals["new"] == result.totals["update"] == 0
        assert LineItem.history.count() == history
        # Unchanged rows open no revision of the published agreements.
        assert not Agreement.objects.revisions().exists()

    def test_export_import_into_an_empty_ledger_export_again(self, client, seeded, reviewer):
        """The same file, byte for byte, once a reviewer has cited and published the imports.

        An empty ledger here has its categories (a migration) and its donors and
        sources (entered first: an import never creates them). A CSV carries no
        citations, so the agreements arrive as drafts; the reviewer re-attaches
        the passages and publishes, and the export is the file imported.
        """
        exported = export(client)
        evidence = list(Citation.objects.values("source", "agreement", "line_item", "passage"))
        agreements = list(Agreement.objects.values_list("pk", flat=True))
        Citation.objects.all().delete()
        LineItem.objects.filter(part_of__isnull=False).delete()
        LineItem.objects.all().delete()
        Agreement.objects.all().delete()

        import_file(reviewer, exported)
        assert export(client) == exported.splitlines(keepends=True)[0]  # drafts: header only

        for row in evidence:
            make_citation(
                source_id=row["source"],
                agreement_id=row["agreement"],
                line_item_id=row["line_item"],
                passage=row["passage"],
            )
        response = reviewer.post(
            reverse("admin:aid_agreement_changelist"),
            {"action": "publish", "_selected_action": agreements},
        )
        assert response.status_code == HTTPStatus.FOUND

        assert export(client) == exported
