"""Bulk import of line items from a CSV with the columns of the /items/ export.

django-import-export gives the admin its upload, dry-run preview and confirm
steps, and runs the import in one transaction; this module reads the rows
(README, "Importing line items"):

- The columns are the /items/ export's. Those the export computes (url,
  donor_name, category_name, the EUR/USD values and ECB rates, counted) are
  ignored; any other unknown column is an error, so that a misspelt header is
  never silently dropped. A missing optional column leaves that field as it is.
- Every problem is reported by row and column, and nothing is written unless
  every row is valid.
- Donors and categories are matched by slug. An unknown slug is an error: an
  import never creates a donor or a category.
- Importing a file twice changes nothing the second time. A row's `id` names a
  line item: an existing one is updated, or skipped as unchanged, and a new id
  is created with that id. A row without an id is the line item of its
  agreement with the same description, if the agreement has one (updated or
  unchanged); else a new line item. Two rows of one agreement with the same
  description and no id, or a description two line items share, are errors:
  the ids tell them apart. An import never moves a line item to another
  agreement.
- A row's `agreement_id` names its agreement. An agreement in the ledger is
  used as it is: the row's agreement columns may be empty, and where given must
  agree with it, since an import never changes an agreement. An id not in the
  ledger creates that agreement from the row's agreement columns (donor_slug,
  agreement_title, agreement_kind, announced_on, announced_precision), once;
  later rows with the same id join it. An empty agreement_id names the
  agreement of that donor and title: the ledger's, or one the file creates.
- New agreements are always drafts, whoever imports them: publishing needs a
  citation, and a CSV carries none. A reviewer adds the passages and publishes.
- A row that changes a PUBLISHED agreement goes into its pending revision
  (aid/revisions.py), opened if it has none, never into what readers see: a
  reviewer approves it. Its line items are matched in the revision, where one
  is open, and new ones get their ids when the revision is approved. Rows that
  change nothing open no revision.
- Cells that the export neutralised against spreadsheet formulas (a leading '
  before = + - @, a tab or a carriage return) are read back without the ', so
  that an export imports exactly. A text that itself began with ' followed by
  one of those characters cannot be told apart from a neutralised one, and
  loses its '.
"""

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.color import no_style
from django.db import connections
from import_export import fields, resources

from . import locking, revisions
from .choices import AgreementKind, AidType, Basis, Precision, Qualifier, Stage, Status
from .exports import FORMULA_PREFIXES, LINE_ITEM_COLUMNS
from .models import Agreement, Category, Donor, LineItem

IMPORTED = "imported"

# Read from the file, in the export's order.
IMPORTED_COLUMNS = [
    "id",
    "description",
    "donor_slug",
    "agreement_id",
    "agreement_title",
    "agreement_kind",
    "category_slug",
    "quantity",
    "unit",
    "amount",
    "currency",
    "qualifier",
    "aid_type",
    "basis",
    "period_start_year",
    "period_end_year",
    "period_text",
    "stage",
    "announced_on",
    "announced_precision",
    "notes",
    "part_of_id",
]
# Computed by the export from other columns or other records; never read.
IGNORED_COLUMNS = [
    column.name for column in LINE_ITEM_COLUMNS if column.name not in IMPORTED_COLUMNS
]
REQUIRED_COLUMNS = ["description", "category_slug", "agreement_id"]

AGREEMENT_COLUMNS = {
    "donor_slug": "donor",
    "agreement_title": "title",
    "agreement_kind": "kind",
    "announced_on": "announced_on",
    "announced_precision": "announced_precision",
}
# Line item fields read as they are, and the parser of each.
ITEM_FIELDS = {
    "description": "text",
    "quantity": "integer",
    "unit": "text",
    "amount": "decimal",
    "currency": "text",
    "period_start_year": "integer",
    "period_end_year": "integer",
    "period_text": "text",
    "notes": "text",
}
# A model error on these fields belongs to this column of the file.
FIELD_COLUMNS = {"category": "category_slug", "agreement": "agreement_id", "part_of": "part_of_id"}
AGREEMENT_FIELD_COLUMNS = {
    "donor": "donor_slug",
    "title": "agreement_title",
    "kind": "agreement_kind",
    "announced_on": "announced_on",
    "announced_precision": "announced_precision",
}
# Each database rule of a line item, and the column a row breaking it should fix.
CONSTRAINT_COLUMNS = {
    "aid_lineitem_amount_not_negative": "amount",
    "aid_lineitem_amount_has_currency": "currency",
    "aid_lineitem_currency_is_iso_4217": "currency",
    "aid_lineitem_qualifier_valid": "qualifier",
    "aid_lineitem_aid_type_valid": "aid_type",
    "aid_lineitem_basis_valid": "basis",
    "aid_lineitem_period_ends_after_start": "period_end_year",
    "aid_lineitem_stage_valid": "stage",
    "aid_lineitem_unit_needs_quantity": "unit",
    "aid_lineitem_not_part_of_itself": "part_of_id",
}
DATE_FORMATS = {
    Precision.DAY: re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    Precision.MONTH: re.compile(r"^(\d{4})-(\d{2})$"),
    Precision.YEAR: re.compile(r"^(\d{4})$"),
}
DATE_EXAMPLES = {Precision.DAY: "2024-05-28", Precision.MONTH: "2024-05", Precision.YEAR: "2024"}


def unneutralise(value):
    """The cell as it was before the export's formula neutralisation (aid/exports.py)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def choices_text(choices):
    return ", ".join(choices)


class Row:
    """One row of the file: its cells as text, and the problems found, by column."""

    def __init__(self, row):
        self.cells = {
            str(name).strip(): unneutralise("" if value is None else str(value).strip())
            for name, value in row.items()
            if name is not None
        }
        self.errors = defaultdict(list)

    def has(self, column):
        return column in self.cells

    def text(self, column):
        return self.cells.get(column, "")

    def error(self, column, message):
        self.errors[column].append(message)

    def integer(self, column):
        value = self.text(column)
        if value == "":
            return None
        if not re.fullmatch(r"\d+", value):
            self.error(column, f"“{value}” is not a whole number.")
            return None
        return int(value)

    def decimal(self, column):
        value = self.text(column)
        if value == "":
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or "e" in value.lower():
            self.error(
                column,
                f"“{value}” is not a plain number: write amounts like 977000000.00, "
                "without separators or symbols.",
            )
            return None
        return number

    def choice(self, column, choices, default=None):
        value = self.text(column)
        if value == "":
            return default
        if value not in choices.values:
            self.error(column, f"“{value}” is not one of {choices_text(choices.values)}.")
            return None
        return value

    def by_slug(self, column, model, noun, advice):
        slug = self.text(column)
        if slug == "":
            return None
        found = model.objects.filter(slug=slug).first()
        if found is None:
            self.error(column, f"There is no {noun} with slug “{slug}”. {advice}")
        return found

    def announced(self):
        """(date, precision) from announced_on and announced_precision, as exported."""
        text = self.text("announced_on")
        precision = self.choice("announced_precision", Precision)
        if self.errors.get("announced_precision"):
            return None, None
        if precision is None:
            # Left empty: the date's own form says how precise it is.
            matches = [p for p, form in DATE_FORMATS.items() if form.match(text)]
            precision = matches[0] if matches else (Precision.UNKNOWN if text == "" else None)
        if precision == Precision.UNKNOWN:
            if text:
                self.error("announced_on", "A date with precision unknown must be left empty.")
            return None, Precision.UNKNOWN
        form = DATE_FORMATS.get(precision)
        match = form.match(text) if form else None
        if match is None:
            wanted = DATE_EXAMPLES.get(precision, "2024-05-28, 2024-05 or 2024")
            self.error(
                "announced_on",
                f"“{text}” is not a date of precision {precision or 'day, month or year'}: "
                f"write it like {wanted}.",
            )
            return None, None
        year, month, day = (int(part) for part in (*match.groups(), 1, 1)[:3])
        try:
            return date(year, month, day), precision
        except ValueError:
            self.error("announced_on", f"“{text}” is not a date that exists.")
            return None, None


def errors_by_column(error, columns):
    """A model's ValidationError as {column: [messages]}."""
    found = defaultdict(list)
    for field, messages in error.message_dict.items():
        found[columns.get(field, field)].extend(messages)
    return found


class LineItemResource(resources.ModelResource):
    """Line items read from the /items/ export's columns; see the module's docstring."""

    # Shown in the preview beside the line item's own fields; import_instance() reads the row.
    agreement_id = fields.Field(attribute="agreement_id", column_name="agreement_id")
    part_of_id = fields.Field(attribute="part_of_id", column_name="part_of_id")
    donor_slug = fields.Field(attribute="agreement__donor__slug", column_name="donor_slug")
    agreement_title = fields.Field(attribute="agreement__title", column_name="agreement_title")
    agreement_kind = fields.Field(attribute="agreement__kind", column_name="agreement_kind")
    category_slug = fields.Field(attribute="category__slug", column_name="category_slug")
    announced_on = fields.Field(attribute="agreement__announced_iso", column_name="announced_on")
    announced_precision = fields.Field(
        attribute="agreement__announced_precision", column_name="announced_precision"
    )

    class Meta:
        model = LineItem
        fields = IMPORTED_COLUMNS
        import_order = IMPORTED_COLUMNS
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    # The whole file --------------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        self.seen_ids = {}
        self.seen_descriptions = {}
        self.agreements_by_id = {}
        self.agreements_by_title = {}
        self.touched_agreements = set()
        # Published agreement id -> (agreement, its revision, whether this import opened it).
        self.revised = {}
        headers = [str(header).strip() for header in dataset.headers or []]
        dataset.headers = headers
        known = set(IMPORTED_COLUMNS) | set(IGNORED_COLUMNS)
        problems = []
        unknown = [header for header in headers if header not in known]
        if unknown:
            problems.append(
                f"Unknown column(s): {', '.join(unknown)}. The columns are those of the "
                f"/items/ export: {', '.join(IMPORTED_COLUMNS)} (and, ignored, "
                f"{', '.join(IGNORED_COLUMNS)})."
            )
        missing = [column for column in REQUIRED_COLUMNS if column not in headers]
        if missing:
            problems.append(f"Missing column(s): {', '.join(missing)}.")
        repeated = sorted({header for header in headers if headers.count(header) > 1})
        if repeated:
            problems.append(f"Repeated column(s): {', '.join(repeated)}.")
        if problems:
            raise ValueError(" ".join(problems))

    def after_import(self, dataset, result, **kwargs):
        # For the preview and the confirmation's message (admin.LineItemAdmin).
        result.revised = [(agreement, opened) for agreement, _, opened in self.revised.values()]
        if kwargs.get("dry_run"):
            return
        # Rows that gave their own ids leave the id sequences behind (PostgreSQL).
        connection = connections[self.get_db_connection_name()]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Agreement, LineItem]):
                cursor.execute(statement)
        # Agreement pages opened before the import must not write back over it.
        locking.bump(self.touched_agreements)

    # One row ---------------------------------------------------------------------

    def get_or_init_instance(self, instance_loader, row):
        """The line item the row names: by its id, else by its agreement and description.

        A line item of a published agreement with a pending revision is read from the
        revision, where the file's change would go; one the revision removed comes back
        as a new copy of it.
        """
        cells = Row(row)
        value = cells.text("id")
        if value.isdigit():
            existing = LineItem.objects.filter(pk=int(value)).select_related("agreement").first()
        else:
            agreement = self.find_agreement(cells)
            existing = None
            if agreement is not None:
                found = list(
                    LineItem.objects.filter(
                        agreement=self.where_changes_go(agreement),
                        description=cells.text("description"),
                    ).select_related("agreement")[:2]
                )
                existing = found[0] if len(found) == 1 else None
        if existing is None:
            return self.init_instance(row), True
        revision = self.pending_revision(existing.agreement)
        if revision is None:
            return existing, False
        copy = LineItem.objects.filter(agreement=revision, origin=existing).first()
        if copy is None:
            return LineItem(agreement=revision, origin=existing), True
        return copy, False

    def find_agreement(self, cells):
        """The row's agreement if the ledger or an earlier row holds it; None, never an error."""
        agreement_id = cells.text("agreement_id")
        if agreement_id:
            if not agreement_id.isdigit():
                return None
            return self.agreements_by_id.get(int(agreement_id)) or (
                Agreement.objects.filter(pk=int(agreement_id)).first()
            )
        key = (cells.text("donor_slug"), cells.text("agreement_title"))
        if key in self.agreements_by_title:
            return self.agreements_by_title[key]
        found = list(self.titled(*key)[:2])
        return found[0] if len(found) == 1 else None

    @staticmethod
    def titled(donor_slug, title):
        return Agreement.objects.live().filter(donor__slug=donor_slug, title=title)

    def pending_revision(self, agreement):
        """The revision a change to this agreement goes into, if it is open; else None."""
        if agreement.pk in self.revised:
            return self.revised[agreement.pk][1]
        if not agreement.is_published:
            return None
        revision = revisions.pending_revision(agreement)
        if revision is not None:
            self.revised[agreement.pk] = (agreement, revision, False)
        return revision

    def where_changes_go(self, agreement):
        """The agreement, or the pending revision of a published one, as it is now."""
        return self.pending_revision(agreement) or agreement

    def revision_for(self, agreement):
        """The pending revision of a published agreement, opened if needed (once per import)."""
        if agreement.pk not in self.revised:
            existing = revisions.pending_revision(agreement)
            revision = existing or revisions.open_revision(agreement)
            self.revised[agreement.pk] = (agreement, revision, existing is None)
        return self.revised[agreement.pk][1]

    def dehydrate_id(self, item):
        # A copy in a revision is shown as the published line item it changes.
        if item.agreement_id and item.agreement.is_revision:
            return item.origin_id
        return item.pk

    def dehydrate_agreement_id(self, item):
        if item.agreement_id and item.agreement.is_revision:
            return item.agreement.revises_id
        return item.agreement_id

    def import_instance(self, instance, row, **kwargs):
        cells = Row(row)
        number = kwargs.get("row_number")
        item_id = cells.integer("id")
        if item_id is not None:
            if item_id in self.seen_ids:
                cells.error("id", f"Line item {item_id} is also in row {self.seen_ids[item_id]}.")
            else:
                self.seen_ids[item_id] = number
            # A new line item takes the row's id; a new copy in a revision gets its own.
            if instance.pk is None and instance.origin_id is None:
                instance.pk = item_id

        for column, kind in ITEM_FIELDS.items():
            if cells.has(column):
                setattr(instance, column, getattr(cells, kind)(column))
        for field in ("description", "unit", "currency", "period_text", "notes"):
            if getattr(instance, field) is None:
                setattr(instance, field, "")
        if cells.has("qualifier"):
            qualifier = cells.choice("qualifier", Qualifier)
            # The export leaves the qualifier of an item without an amount empty.
            if qualifier is not None or instance.pk is None or instance.amount is not None:
                instance.qualifier = qualifier or Qualifier.EXACT
        if cells.has("stage"):
            instance.stage = cells.choice("stage", Stage, default=Stage.COMMITTED)
        if cells.has("aid_type"):
            instance.aid_type = cells.choice("aid_type", AidType, default=AidType.MILITARY)
        if cells.has("basis"):
            basis = cells.choice("basis", Basis)
            # Like the qualifier, the export leaves the basis of an item without an amount empty.
            if basis is not None or instance.pk is None or instance.amount is not None:
                instance.basis = basis or Basis.ONCE

        category = cells.by_slug(
            "category_slug",
            Category,
            "category",
            "Categories: " + ", ".join(Category.objects.values_list("slug", flat=True)) + ".",
        )
        if category is not None:
            instance.category = category
        elif cells.text("category_slug") == "":
            cells.error("category_slug", "A line item needs its category.")

        agreement = self.agreement_for(cells, instance)
        if agreement is not None and instance.agreement_id is None:
            instance.agreement = agreement
        if agreement is not None and item_id is None:
            self.check_description(cells, instance, agreement, number)

        if cells.has("part_of_id"):
            instance.part_of = self.whole(cells, instance)

        self.validate_item(instance, cells)
        if cells.errors:
            raise ValidationError({column: messages for column, messages in cells.errors.items()})

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # import_instance() has validated the row, column by column.
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        agreement = instance.agreement
        if agreement.is_published:
            instance = self.into_revision(instance)
        else:
            if agreement.is_revision and agreement.revises_id not in self.revised:
                self.revised[agreement.revises_id] = (agreement.revises, agreement, False)
            self.touched_agreements.add(agreement.pk)
        instance._change_reason = IMPORTED
        super().save_instance(instance, instance.pk is None, row, **kwargs)

    def into_revision(self, item):
        """The change the row makes to a published agreement, as a change to its revision."""
        live = item.agreement
        revision = self.revision_for(live)
        copy = None
        if item.pk is not None:
            copy = LineItem.objects.filter(agreement=revision, origin=item.pk).first()
        if copy is None:
            copy = LineItem(agreement=revision, origin_id=item.pk)
        for name in revisions.LINE_ITEM_FIELDS:
            column = revisions.attname(LineItem, name)
            setattr(copy, column, getattr(item, column))
        copy.part_of = self.copy_in(revision, item.part_of) if item.part_of_id else None
        self.touched_agreements.add(revision.pk)
        return copy

    @staticmethod
    def copy_in(revision, item):
        """A line item as the revision holds it: its copy there, if it is of the same agreement."""
        if item.agreement_id != revision.revises_id:
            return item
        return LineItem.objects.filter(agreement=revision, origin=item).first() or item

    def whole(self, cells, instance):
        whole_id = cells.integer("part_of_id")
        if whole_id is None:
            return None
        whole = LineItem.objects.filter(pk=whole_id).first()
        if whole is None:
            cells.error(
                "part_of_id",
                f"There is no line item {whole_id}: the whole must be in the ledger already "
                "or in an earlier row of this file.",
            )
        elif instance.agreement_id is not None and instance.agreement.is_revision:
            whole = self.copy_in(instance.agreement, whole)
        return whole

    def check_description(self, cells, instance, agreement, number):
        """Without ids, one agreement's rows and line items are told apart by description."""
        description = cells.text("description")
        target = self.where_changes_go(agreement)
        # By the agreement the row names: its revision, opened by an earlier row, is the same.
        key = (agreement.pk, description)
        if key in self.seen_descriptions:
            cells.error(
                "description",
                f"Row {self.seen_descriptions[key]} has the same agreement and description: "
                "give each row the id of its line item, or describe them apart.",
            )
            return
        self.seen_descriptions[key] = number
        if instance.pk is None and instance.origin_id is None:
            shared = LineItem.objects.filter(agreement=target, description=description).count()
            if shared > 1:
                cells.error(
                    "description",
                    f"Agreement {agreement.pk} has {shared} line items described "
                    f"“{description}”: give the row the id of the one it changes.",
                )

    def validate_item(self, instance, cells):
        exclude = [field for field, column in FIELD_COLUMNS.items() if column in cells.errors]
        if any(column in cells.errors for column in AGREEMENT_COLUMNS):
            exclude.append("agreement")
        exclude += [field for field in ITEM_FIELDS if field in cells.errors]
        exclude += [
            field for field in ("qualifier", "stage", "aid_type", "basis") if field in cells.errors
        ]
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for column, messages in errors_by_column(error, FIELD_COLUMNS).items():
                for message in messages:
                    if message not in cells.errors[column]:
                        cells.error(column, message)
        for constraint in LineItem._meta.constraints:
            try:
                constraint.validate(LineItem, instance, exclude=set(exclude))
            except ValidationError as error:
                column = CONSTRAINT_COLUMNS.get(constraint.name, NON_FIELD_ERRORS)
                for message in error.messages:
                    if message not in cells.errors[column]:
                        cells.error(column, message)

    # The row's agreement ---------------------------------------------------------------

    def agreement_for(self, cells, item):
        agreement_id = cells.integer("agreement_id")
        if cells.errors.get("agreement_id"):
            return None
        if agreement_id is not None:
            agreement = self.agreements_by_id.get(agreement_id)
            if agreement is None:
                agreement = (
                    Agreement.objects.filter(pk=agreement_id).select_related("donor").first()
                )
            if agreement is not None:
                self.check_agreement(cells, agreement)
            else:
                agreement = self.new_agreement(cells, agreement_id)
            if agreement is not None:
                self.agreements_by_id[agreement_id] = agreement
        else:
            key = (cells.text("donor_slug"), cells.text("agreement_title"))
            agreement = self.agreements_by_title.get(key) or self.titled_agreement(cells, *key)
            if agreement is not None:
                self.check_agreement(cells, agreement)
            elif not cells.errors.get("agreement_id"):
                agreement = self.new_agreement(cells, None)
            if agreement is not None:
                self.agreements_by_title[key] = agreement
        # A copy in the agreement's revision belongs to the agreement too.
        home = item.agreement.revises_id or item.agreement_id if item.agreement_id else None
        if agreement is not None and home is not None and home != agreement.pk:
            cells.error(
                "agreement_id",
                f"Line item {item.origin_id or item.pk} belongs to agreement {home}: an import "
                "does not move line items between agreements.",
            )
        return agreement

    def titled_agreement(self, cells, donor_slug, title):
        """The ledger's agreement of this donor and title; None, with a reason if several."""
        if not (donor_slug and title):
            return None
        found = list(self.titled(donor_slug, title).order_by("pk")[:3])
        if len(found) > 1:
            ids = ", ".join(str(agreement.pk) for agreement in found)
            cells.error(
                "agreement_id",
                f"Several agreements of {found[0].donor} are titled “{title}” (ids {ids}): "
                "put the id of the one you mean in agreement_id.",
            )
            return None
        return found[0] if found else None

    def check_agreement(self, cells, agreement):
        """An existing agreement's columns may be empty; where given, they must match it."""
        stored = {
            "donor_slug": agreement.donor.slug,
            "agreement_title": agreement.title,
            "agreement_kind": agreement.kind,
            "announced_on": agreement.announced_iso,
            "announced_precision": agreement.announced_precision,
        }
        for column, value in stored.items():
            given = cells.text(column)
            if given and given != value:
                cells.error(
                    column,
                    f"Agreement {agreement.pk} has {column} “{value}”, not “{given}”. An import "
                    "does not change agreements: correct the file, or the agreement in the admin.",
                )

    def new_agreement(self, cells, agreement_id):
        """A draft agreement made from the row's agreement columns, or None with the reasons."""
        if self.user is not None and not self.user.has_perm("aid.add_agreement"):
            cells.error(
                "agreement_id", "You may not add agreements; ask a reviewer to import this."
            )
            return None
        donor = cells.by_slug(
            "donor_slug",
            Donor,
            "donor",
            "Add the donor in the admin first: an import never creates donors.",
        )
        if cells.text("donor_slug") == "":
            cells.error("donor_slug", "A new agreement needs its donor's slug.")
        title = cells.text("agreement_title")
        if title == "":
            cells.error("agreement_title", "A new agreement needs its title.")
        kind = cells.choice("agreement_kind", AgreementKind)
        if cells.text("agreement_kind") == "":
            cells.error(
                "agreement_kind",
                f"A new agreement needs its kind: one of {choices_text(AgreementKind.values)}.",
            )
        announced_on, precision = cells.announced()
        if any(cells.errors.get(column) for column in ("agreement_id", *AGREEMENT_COLUMNS)):
            return None
        agreement = Agreement(
            pk=agreement_id,
            donor=donor,
            title=title,
            kind=kind,
            announced_on=announced_on,
            announced_precision=precision,
            status=Status.DRAFT,
        )
        try:
            agreement.full_clean(validate_unique=False)
        except ValidationError as error:
            for column, messages in errors_by_column(error, AGREEMENT_FIELD_COLUMNS).items():
                for message in messages:
                    cells.error("announced_on" if column == NON_FIELD_ERRORS else column, message)
            return None
        agreement._change_reason = IMPORTED
        agreement.save()
        return agreement
