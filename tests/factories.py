"""Builders for test records, with defaults that pass every model constraint.

Plain functions rather than factory_boy. `make_*` saves and returns the record;
`build_*` returns it unsaved (its parents saved), for tests that call
full_clean() or expect the database to refuse the row. Any field can be given
as a keyword argument; a parent that is not given is made with its defaults.
"""

import itertools
from datetime import date
from decimal import Decimal
from http import HTTPStatus

from django import forms
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from aid import documents
from aid.choices import AgreementKind, DonorKind, Precision, Qualifier, Stage, Status, TextFormat
from aid.models import Agreement, Category, Citation, Donor, LineItem, Source

# A weekly digest in seeds/; SOURCE_PASSAGE is copied from it verbatim.
SOURCE_FILE = "002_c8fdc93dd4fbe3f3.txt"
SOURCE_PASSAGE = (
    "Belgium will provide Ukraine with at least €977 million in military aid "
    "and 30 F-16 fighter jets by 2028."
)

# Names and slugs are unique; a counter keeps them so across one test run.
_serial = itertools.count(1)


def build_donor(**fields):
    serial = next(_serial)
    values = {
        "name": f"Donor {serial}",
        "slug": f"donor-{serial}",
        "kind": DonorKind.COUNTRY,
        "iso_code": "BE",
    }
    return Donor(**(values | fields))


def make_donor(**fields):
    donor = build_donor(**fields)
    donor.save()
    return donor


def build_agreement(**fields):
    values = {
        "title": f"Security agreement {next(_serial)}",
        "kind": AgreementKind.SECURITY_AGREEMENT,
        "announced_on": date(2024, 5, 28),
        "announced_precision": Precision.DAY,
        "amount": Decimal("977000000"),
        "currency": "EUR",
        "qualifier": Qualifier.AT_LEAST,
        "period_start_year": 2024,
        "period_end_year": 2028,
        # Published, so that public pages show it; tests of drafts say status=DRAFT.
        "status": Status.PUBLISHED,
    }
    if "donor" not in fields and "donor_id" not in fields:
        values["donor"] = make_donor()
    return Agreement(**(values | fields))


def make_agreement(**fields):
    agreement = build_agreement(**fields)
    agreement.save()
    return agreement


def category(slug="aircraft"):
    """One of the categories migration 0002 loads."""
    return Category.objects.get(slug=slug)


def build_line_item(**fields):
    values = {
        "description": "F-16 fighter jets",
        "quantity": 30,
        "unit": "aircraft",
        "period_end_year": 2028,
        "period_text": "by 2028",
        "stage": Stage.COMMITTED,
    }
    if "agreement" not in fields and "agreement_id" not in fields:
        values["agreement"] = make_agreement()
    if "category" not in fields and "category_id" not in fields:
        values["category"] = category()
    return LineItem(**(values | fields))


def make_line_item(**fields):
    line_item = build_line_item(**fields)
    line_item.save()
    return line_item


def build_source(**fields):
    values = {
        "title": "International Weekly №09, 15–31 May 2024",
        "published_on": date(2024, 5, 15),
        "period_end": date(2024, 5, 31),
        "file": SOURCE_FILE,
    }
    return Source(**(values | fields))


def make_source(**fields):
    source = build_source(**fields)
    source.save()
    return source


def make_source_with_text(text, text_format=TextFormat.PLAIN, **fields):
    """A source known by its URL, whose text an analyst pasted (not a seed file)."""
    values = {
        "file": "",
        "url": "https://example.org/news/1",
        "snapshot_taken_on": date(2024, 6, 1),
    }
    source = build_source(**(values | fields))
    source.store(documents.from_paste(text, text_format))
    source.save()
    return source


def make_url_only_source(**fields):
    """A source known only by its URL: no stored text, so nothing of it can be checked."""
    return make_source(**({"file": "", "url": "https://example.org/news/2"} | fields))


def build_citation(**fields):
    values = {"passage": SOURCE_PASSAGE}
    if "source" not in fields and "source_id" not in fields:
        values["source"] = make_source()
    if "agreement" not in fields and "agreement_id" not in fields:
        line_item = fields.get("line_item")
        values["agreement"] = line_item.agreement if line_item else make_agreement()
    return Citation(**(values | fields))


def make_citation(**fields):
    citation = build_citation(**fields)
    citation.save()
    return citation


def make_user(username, groups=(), password=None, **fields):
    """A staff user in the named groups ("Analysts", "Reviewers"), made by the migrations."""
    user = User.objects.create_user(username, password=password, **({"is_staff": True} | fields))
    user.groups.set(Group.objects.filter(name__in=groups))
    if len(groups) != user.groups.count():
        raise ValueError(f"Unknown group among {groups}")
    return user


def browser_post(response, **changes):
    """The POST a browser sends from an admin form as rendered, with some fields changed.

    Every form on the page (the object's, each inline's rows and management
    form) is sent as shown, the way a second browser tab still shows a page
    opened earlier.
    """
    data = {}

    def add(form):
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            elif isinstance(value, date):
                data[bound.html_name] = value.isoformat()
            else:
                data[bound.html_name] = "" if value is None else str(value)

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data | {"_save": "Save"} | changes


def upload(name, content):
    """A file as a browser uploads it: its name and its bytes (a str is sent as UTF-8)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return SimpleUploadedFile(name, data)


def pdf_file(*pages):
    """A PDF written by hand, one page per list of lines, in Helvetica (WinAnsi: € is there).

    Small and exact: a valid cross-reference table, one content stream per page,
    each line shown with Tj and moved down with T*.
    """

    def escape(line):
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    kids = " ".join(f"{4 + 2 * index} 0 R" for index in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for index, lines in enumerate(pages):
        shown = " ".join(f"({escape(line)}) Tj T*" for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 720 Td {shown} ET".encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * index} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# Review (aid/review.py, aid/revisions.py), through the admin as analysts and reviewers do.


def admin_change_url(agreement):
    return reverse("admin:aid_agreement_change", args=[agreement.pk])


def review_url(agreement):
    return reverse("admin:aid_agreement_review", args=[agreement.pk])


def logged_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


def propose(browser, agreement):
    """Choose "Propose a change" on a published agreement's page: its pending revision."""
    response = browser.post(reverse("admin:aid_agreement_propose", args=[agreement.pk]))
    assert response.status_code == HTTPStatus.FOUND, response
    revision = Agreement.objects.get(revises=agreement)
    assert response.url == admin_change_url(revision)
    return revision


def inline_row(page, prefix, record):
    """The index of the inline row that shows this record, or its copy in a revision."""
    (formset,) = [
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    ]
    for index, form in enumerate(formset.forms):
        if record.pk in (form.instance.pk, form.instance.origin_id):
            return index
    raise LookupError(f"No row of {prefix} shows {record!r}")


def edit_agreement(
    browser, agreement, items=None, citations=None, expect=HTTPStatus.FOUND, **fields
):
    """Open an agreement's (or a revision's) page and save it with changes, as a browser does.

    items and citations map a record (or the published record a revision's row copies)
    to the fields its inline row changes; fields are the agreement's own.
    """
    url = admin_change_url(agreement)
    page = browser.get(url)
    assert page.status_code == HTTPStatus.OK
    data = browser_post(page, **fields)
    for prefix, rows in (("line_items", items or {}), ("citations", citations or {})):
        for record, changes in rows.items():
            index = inline_row(page, prefix, record)
            data |= {f"{prefix}-{index}-{name}": value for name, value in changes.items()}
    response = browser.post(url, data)
    assert response.status_code == expect, response.context and [
        response.context["adminform"].form.errors,
        *(inline.formset.errors for inline in response.context["inline_admin_formsets"]),
    ]
    return response


def decide(browser, agreement, decision, **data):
    """Open the review page and take a decision on what it shows."""
    page = browser.get(review_url(agreement))
    assert page.status_code == HTTPStatus.OK
    version = page.context["agreement"].version
    return browser.post(review_url(agreement), {"decision": decision, "version": version} | data)
