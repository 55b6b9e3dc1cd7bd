"""Source text stored in the ledger: given in the admin, loaded for the seeds, cited, shown.

An analyst pastes a document's text or uploads its file on the source's page;
the seed documents' texts are loaded from seeds/. Every citation is checked
against the stored text: an invented passage, or any passage of a source with
no text, is refused; an agreement is published only with a checked citation.
Citations made before texts were stored are checked by a migration and, if not
found, shown to readers as not verified, never as quotations. Every link to a
passage lands on an anchor that exists.
"""

import hashlib
from datetime import date
from html.parser import HTMLParser
from http import HTTPStatus
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

import aid.migrations
from aid import documents, passages
from aid.choices import Status, TextFormat, TextOrigin
from aid.models import NO_SOURCE_TEXT, Agreement, Citation, Source

from .conftest import SEED_FIXTURE
from .factories import (
    SOURCE_FILE,
    SOURCE_PASSAGE,
    browser_post,
    edit_agreement,
    make_agreement,
    make_citation,
    make_line_item,
    make_source,
    make_source_with_text,
    make_url_only_source,
    make_user,
    pdf_file,
    propose,
    review_url,
    upload,
)
from .test_admin import agreement_form, citation_row, form_errors, line_item_row

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.SEEDS_DIR)
SEED_DIGESTS = {
    name: digest
    for digest, name in (line.split() for line in (SEEDS / "SHA256SUMS").read_text().splitlines())
}
NEWS = (
    "Kyiv, 3 June. Sweden's government said it will provide Ukraine with “at least "
    "SEK 13.3 billion” in military aid this year.\n\nThe package includes air defence."
)
NEWS_PASSAGE = "it will provide Ukraine with “at least SEK 13.3 billion” in military aid"


def admin_url(model, view, *args):
    return reverse(f"admin:aid_{model._meta.model_name}_{view}", args=args)


def logged_in(*groups):
    browser = Client()
    browser.force_login(make_user("-".join(groups).lower() or "nobody", groups))
    return browser


@pytest.fixture
def analyst():
    return logged_in("Analysts")


@pytest.fixture
def reviewer():
    return logged_in("Reviewers")


def source_form(**fields):
    """The source page's POST: its fields, and the text given one way or none."""
    return {
        "title": "Sweden's 16th support package",
        "publisher": "Government Offices of Sweden",
        "published_on": "2024-06-03",
        "period_end": "",
        "url": "https://example.org/sweden-16",
        "snapshot_taken_on": "2024-06-04",
        "notes": "",
        "paste": "",
        "paste_format": TextFormat.PLAIN,
    } | fields


def legacy_citation(source, agreement, passage):
    """A citation as one made before texts were stored: saved unchecked, never validated."""
    citation = make_citation(source=source, agreement=agreement, passage=passage)
    assert not citation.is_checked
    return citation


class TestAnalystGivesTheText:
    def test_pasted_text_is_stored_with_its_record(self, analyst):
        response = analyst.post(admin_url(Source, "add"), source_form(paste=NEWS))
        assert response.status_code == HTTPStatus.FOUND, form_errors_of(response)
        source = Source.objects.get()
        assert source.text == NEWS
        assert (source.text_format, source.text_origin, source.text_file_name) == (
            TextFormat.PLAIN,
            TextOrigin.PASTED,
            "",
        )
        assert source.text_sha256 == hashlib.sha256(NEWS.encode()).hexdigest()
        assert source.text_stored_at is not None
        assert (source.url, source.snapshot_taken_on) == (
            "https://example.org/sweden-16",
            date(2024, 6, 4),
        )

    @pytest.mark.parametrize(
        "name, content, text_format, text",
        [
            ("sweden.txt", NEWS, TextFormat.PLAIN, NEWS),
            ("sweden.md", f"# Sweden\n\n{NEWS}", TextFormat.MARKDOWN, f"# Sweden\n\n{NEWS}"),
            (
                "sweden.html",
                "<html><head><title>T</title><script>x()</script></head><body><h1>Sweden</h1>"
                f"<p>{NEWS}</p></body></html>",
                TextFormat.HTML,
                f"Sweden\n\n{NEWS.replace(chr(10) * 2, ' ')}",
            ),
            (
                "sweden.pdf",
                pdf_file(["Sweden", *NEWS.split("\n")]),
                TextFormat.PDF,
                None,
            ),
        ],
        ids=["plain text", "Markdown", "HTML", "PDF"],
    )
    def test_each_format_is_uploaded(self, analyst, name, content, text_format, text):
        response = analyst.post(admin_url(Source, "add"), source_form(upload=upload(name, content)))
        assert response.status_code == HTTPStatus.FOUND, form_errors_of(response)
        source = Source.objects.get()
        assert (source.text_format, source.text_origin, source.text_file_name) == (
            text_format,
            TextOrigin.UPLOADED,
            name,
        )
        if text is not None:
            assert source.text == text
        # Whatever the format, the passage is found in what was stored.
        assert passages.find_passage(source.text, NEWS_PASSAGE)
        assert source.text_original == (content if text_format == TextFormat.HTML else "")

    BAD_FILES = {
        "empty file": ("news.txt", b"", "The submitted file is empty."),
        "wrong encoding": ("news.txt", "Café".encode("cp1252"), "is not UTF-8 text"),
        "program renamed .txt": ("setup.txt", b"MZ\x90\x00" + bytes(60), "not a text file"),
        "huge file": (
            "huge.txt",
            b"a" * (documents.MAX_UPLOAD_BYTES + 1),
            "files up to 10.0\xa0MB are read",
        ),
        "unreadable PDF": ("scan.pdf", b"%PDF-1.7\n%garbage", "could not be read as a PDF"),
    }

    @pytest.mark.parametrize("name, data, message", BAD_FILES.values(), ids=BAD_FILES)
    def test_a_bad_file_is_explained_and_nothing_is_stored(self, analyst, name, data, message):
        source = make_source_with_text(NEWS)
        before = Source.objects.values().get(pk=source.pk)
        response = analyst.post(
            admin_url(Source, "change", source.pk),
            source_form(upload=upload(name, data), title="Renamed"),
        )
        assert response.status_code == HTTPStatus.OK
        assertContains(response, message)
        assert Source.objects.values().get(pk=source.pk) == before

    def test_a_paste_too_long_for_the_form_says_to_upload_a_file(self, analyst):
        pasted = analyst.get(admin_url(Source, "add")).context["adminform"].form["paste"]
        assert "maxlength" not in str(pasted)  # a browser would cut the paste short silently
        response = analyst.post(
            admin_url(Source, "add"),
            source_form(paste="a" * (documents.MAX_PASTE_CHARS + 1)),
        )
        assert response.context["adminform"].form.errors["paste"] == [
            "The pasted text has 500,001 characters; up to 500,000 can be pasted. Upload a "
            "longer document as a file."
        ]
        assert not Source.objects.exists()

    def test_paste_and_upload_together_are_refused(self, analyst):
        response = analyst.post(
            admin_url(Source, "add"), source_form(paste=NEWS, upload=upload("a.txt", NEWS))
        )
        assertContains(response, "Give the text one way: paste it or upload a file, not both.")
        assert not Source.objects.exists()

    def test_a_web_pages_text_needs_the_day_it_was_taken(self, analyst):
        response = analyst.post(
            admin_url(Source, "add"), source_form(paste=NEWS, snapshot_taken_on="")
        )
        assertContains(response, "Give the day this text was taken from the URL")
        assert not Source.objects.exists()

    def test_a_url_alone_is_a_source_without_text(self, analyst):
        response = analyst.post(admin_url(Source, "add"), source_form(snapshot_taken_on=""))
        assert response.status_code == HTTPStatus.FOUND, form_errors_of(response)
        source = Source.objects.get()
        assert (source.text, source.text_sha256, source.text_stored_at) == ("", "", None)

    def test_neither_text_nor_url_is_refused(self, analyst):
        response = analyst.post(admin_url(Source, "add"), source_form(url="", snapshot_taken_on=""))
        assertContains(response, "A source needs its text (paste it or upload the file) or a URL.")
        assert not Source.objects.exists()

    def test_a_snapshot_day_without_a_text_is_refused(self, analyst):
        response = analyst.post(admin_url(Source, "add"), source_form())
        assertContains(
            response, "The day a text was taken from the URL needs the URL and the text."
        )
        assert not Source.objects.exists()

    def test_the_form_asks_for_no_file_on_the_server(self, analyst):
        seed = make_source()
        page = analyst.get(admin_url(Source, "change", seed.pk))
        form = page.context["adminform"].form
        assert "file" not in form.fields
        assert {"paste", "paste_format", "upload"} <= set(form.fields)
        assertContains(page, SOURCE_FILE)  # shown, read-only
        assertContains(page, "Belgium will provide Ukraine with at least €977 million")
        assertContains(page, "The ledger never fetches a URL")

    def test_a_seed_sources_text_cannot_be_replaced(self, analyst):
        seed = make_source()
        response = analyst.post(
            admin_url(Source, "change", seed.pk),
            source_form(url="", snapshot_taken_on="", paste="Another text", title=seed.title),
        )
        assertContains(response, f"seeds/{SOURCE_FILE}, and is loaded from there")
        seed.refresh_from_db()
        assert seed.text == (SEEDS / SOURCE_FILE).read_text(encoding="utf-8")

    def test_a_new_text_must_keep_every_checked_passage(self, analyst):
        source = make_source_with_text(NEWS)
        citation = make_citation(source=source, passage=NEWS_PASSAGE)
        response = analyst.post(
            admin_url(Source, "change", source.pk),
            source_form(paste="Sweden said nothing of the kind."),
        )
        assertContains(response, "1 passage(s) cited from this source are not in the new text")
        source.refresh_from_db()
        assert source.text == NEWS

        longer = f"Correction, 4 June.\n\n{NEWS}"
        response = analyst.post(admin_url(Source, "change", source.pk), source_form(paste=longer))
        assert response.status_code == HTTPStatus.FOUND, form_errors_of(response)
        citation.refresh_from_db()
        assert longer[citation.start : citation.end].startswith("it will provide Ukraine")
        assert citation.start == NEWS.index("it will") + len("Correction, 4 June.\n\n")

    def test_reverting_to_an_earlier_text_keeps_every_checked_passage(self, analyst):
        source = make_source_with_text(NEWS)
        corrected = f"{NEWS}\n\nCorrection: SEK 14 billion."
        response = analyst.post(
            admin_url(Source, "change", source.pk), source_form(paste=corrected)
        )
        assert response.status_code == HTTPStatus.FOUND, form_errors_of(response)
        source.refresh_from_db()
        assert make_citation(source=source, passage="Correction: SEK 14 billion.").is_checked
        first = source.history.earliest()
        url = reverse("admin:aid_source_simple_history", args=[source.pk, first.history_id])

        response = analyst.post(url, browser_post(analyst.get(url)))
        assertContains(response, "1 passage(s) cited from this source are not in the new text")
        source.refresh_from_db()
        assert source.text == corrected

        # Without that citation, the revert restores the first text, and checks again.
        kept = make_citation(source=source, passage=NEWS_PASSAGE)
        Citation.objects.filter(passage__startswith="Correction").delete()
        response = analyst.post(url, browser_post(analyst.get(url)))
        assert response.status_code == HTTPStatus.FOUND, form_errors_of(response)
        source.refresh_from_db()
        kept.refresh_from_db()
        assert source.text == NEWS
        assert NEWS[kept.start : kept.end] == NEWS_PASSAGE

    def test_storing_a_text_checks_the_citations_already_made(self, analyst):
        source = make_url_only_source()
        citation = legacy_citation(source, make_agreement(), NEWS_PASSAGE)
        assert citation.unchecked_reason == passages.NO_TEXT
        response = analyst.post(
            admin_url(Source, "change", source.pk), source_form(url=source.url, paste=NEWS)
        )
        assert response.status_code == HTTPStatus.FOUND, form_errors_of(response)
        citation.refresh_from_db()
        assert (citation.is_checked, citation.unchecked_reason) == (True, "")
        assert NEWS[citation.start : citation.end] == NEWS_PASSAGE


def form_errors_of(response):
    if not response.context or "adminform" not in response.context:
        return None
    return response.context["adminform"].form.errors


class TestCitationsAreChecked:
    @pytest.mark.parametrize("source_kind", ["seed", "pasted", "uploaded PDF"])
    def test_an_invented_passage_is_refused_whatever_the_source(self, analyst, source_kind):
        source = {
            "seed": make_source,
            "pasted": lambda: make_source_with_text(NEWS),
            "uploaded PDF": lambda: pdf_source([NEWS_PASSAGE]),
        }[source_kind]()
        before = Citation.objects.count()
        response = analyst.post(
            admin_url(Agreement, "add"),
            agreement_form(
                make_agreement().donor,
                [line_item_row()],
                [citation_row(source, passage="Sweden will provide 100 Gripen fighters.")],
            ),
        )
        assert response.status_code == HTTPStatus.OK
        assertContains(response, "This passage does not occur verbatim in the source.")
        assert Citation.objects.count() == before

    def test_a_url_only_source_cannot_be_cited_until_it_has_text(self, analyst):
        source = make_url_only_source()
        data = agreement_form(
            make_agreement().donor, [], [citation_row(source, passage=NEWS_PASSAGE)]
        )
        response = analyst.post(admin_url(Agreement, "add"), data)
        assertContains(response, "This source has no stored text")
        assert not Citation.objects.filter(source=source).exists()

        source.store(documents.from_paste(NEWS, TextFormat.PLAIN))
        source.snapshot_taken_on = date(2024, 6, 4)
        source.save()
        response = analyst.post(admin_url(Agreement, "add"), data)
        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        assert Citation.objects.get(source=source).is_checked

    def test_the_passage_is_stored_as_entered_and_found_where_the_text_has_it(self, analyst):
        source = make_source_with_text(NEWS)
        # Straight quotes and a line break where the text has curly ones and a space.
        entered = 'it will provide Ukraine with "at least\r\nSEK 13.3 billion" in military aid'
        response = analyst.post(
            admin_url(Agreement, "add"),
            agreement_form(make_agreement().donor, [], [citation_row(source, passage=entered)]),
        )
        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        citation = Citation.objects.get(source=source)
        assert citation.passage == entered
        assert NEWS[citation.start : citation.end] == NEWS_PASSAGE

    def test_a_citation_saved_before_texts_were_stored_stays_and_says_so(self, analyst):
        """An unchecked citation is kept through its agreement's saves, never passed as checked."""
        agreement = make_agreement(status=Status.DRAFT)
        make_citation(agreement=agreement)
        legacy = legacy_citation(make_url_only_source(), agreement, "An invented\npassage.")
        url = admin_url(Agreement, "change", agreement.pk)
        page = analyst.get(url)
        assertContains(page, f"Not verified: {passages.NO_TEXT}")
        forms = page.context["inline_admin_formsets"][1].formset.forms
        index = [form.instance.pk for form in forms].index(legacy.pk)
        # Sent back as a browser sends a text box it did not change: line ends as CR LF.
        as_sent = {f"citations-{index}-passage": "An invented\r\npassage."}
        response = analyst.post(url, browser_post(page, title="Renamed", **as_sent))
        assert response.status_code == HTTPStatus.FOUND, form_errors(response)
        legacy.refresh_from_db()
        assert legacy.is_checked is False

        # Edited, it must be found like any new passage.
        page = analyst.get(url)
        response = analyst.post(
            url, browser_post(page, **{f"citations-{index}-passage": "Still invented."})
        )
        assertContains(response, NO_SOURCE_TEXT[:40])

    def test_the_citation_admin_shows_and_filters_the_check(self, analyst):
        checked = make_citation()
        unchecked = legacy_citation(make_url_only_source(), make_agreement(), "Invented.")
        listing = analyst.get(admin_url(Citation, "changelist"), {"checked": "no"})
        assert list(listing.context["cl"].result_list) == [unchecked]
        listing = analyst.get(admin_url(Citation, "changelist"), {"checked": "yes"})
        assert list(listing.context["cl"].result_list) == [checked]
        page = analyst.get(admin_url(Citation, "change", checked.pk))
        assertContains(page, f"Found in the stored text at characters {checked.start:,}")


def pdf_source(lines):
    source = Source(title="A PDF", url="https://example.org/a.pdf")
    source.store(documents.from_upload(upload("a.pdf", pdf_file(lines))))
    source.snapshot_taken_on = date(2024, 6, 4)
    source.save()
    return source


class TestPublishing:
    """The one rule, Agreement.objects.publishable(): at least one checked citation."""

    @pytest.fixture
    def three(self):
        checked = make_agreement(status=Status.DRAFT, title="Checked")
        make_citation(agreement=checked)
        unchecked = make_agreement(status=Status.DRAFT, title="Only unchecked")
        legacy_citation(make_url_only_source(), unchecked, NEWS_PASSAGE)
        uncited = make_agreement(status=Status.DRAFT, title="Uncited")
        return checked, unchecked, uncited

    def test_the_rule(self, three):
        checked, unchecked, uncited = three
        assert set(Agreement.objects.publishable()) == {checked}
        assert set(Agreement.objects.unpublishable()) == {unchecked, uncited}
        assert [a.is_publishable for a in three] == [True, False, False]

    def test_the_publish_action_refuses_an_agreement_without_a_checked_citation(
        self, reviewer, three
    ):
        checked, unchecked, _ = three
        response = reviewer.post(
            admin_url(Agreement, "changelist"),
            {"action": "publish", "_selected_action": [checked.pk, unchecked.pk]},
            follow=True,
        )
        assertContains(response, "Nothing was published.")
        assertContains(response, "Only unchecked")
        assertContains(response, "citation found verbatim in its source")
        assert set(Agreement.objects.values_list("status", flat=True)) == {Status.DRAFT}

    def test_publishing_on_the_page_needs_a_checked_citation(self, reviewer, three):
        _, unchecked, _ = three
        url = admin_url(Agreement, "change", unchecked.pk)
        response = reviewer.post(
            url, browser_post(reviewer.get(url), status=Status.PUBLISHED), follow=True
        )
        # The edits are kept; the agreement stays a draft, and the page says why.
        assertContains(response, "cannot be published without at least one citation")
        unchecked.refresh_from_db()
        assert unchecked.status == Status.DRAFT

    def test_a_revision_left_with_unchecked_citations_only_is_not_approved(self, analyst):
        agreement = make_agreement()
        checked = make_citation(agreement=agreement)
        unchecked = legacy_citation(make_url_only_source(), agreement, NEWS_PASSAGE)
        # Published content is never changed in place...
        delete = admin_url(Citation, "delete", checked.pk)
        assert analyst.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
        # ... and a revision that drops its only checked citation cannot be approved.
        revision = propose(analyst, agreement)
        edit_agreement(analyst, revision, citations={checked: {"DELETE": "on"}}, status="ready")
        reviewer = logged_in("Reviewers")
        page = reviewer.get(review_url(revision))
        assertContains(page, "citation found verbatim in its source")
        version = page.context["agreement"].version
        reviewer.post(review_url(revision), {"decision": "approve", "version": version})
        assert Agreement.objects.filter(pk=revision.pk).exists()
        assert set(agreement.citations.all()) == {checked, unchecked}


def migration_module():
    """The migration that stored texts (found by name: the lead may renumber it)."""
    (path,) = Path(aid.migrations.__file__).parent.glob("*_source_text.py")
    return import_module(f"aid.migrations.{path.stem}"), path.stem


class TestMigration:
    def test_it_stores_seed_texts_and_checks_every_citation_deleting_nothing(self):
        seed = make_source()
        pasted = make_source_with_text(NEWS)
        url_only = make_url_only_source()
        agreement = make_agreement()
        from_seed = make_citation(source=seed, agreement=agreement)
        good = make_citation(source=pasted, agreement=agreement, passage=NEWS_PASSAGE)
        invented = make_citation(source=pasted, agreement=agreement, passage="Invented.")
        no_text = make_citation(source=url_only, agreement=agreement, passage=NEWS_PASSAGE)
        # As the migration finds them: the seed source without its text, nothing checked.
        Source.objects.filter(pk=seed.pk).update(
            text="",
            text_format="",
            text_sha256="",
            text_origin="",
            text_file_name="",
            text_stored_at=None,
        )
        Citation.objects.update(start=None, end=None, unchecked_reason="not checked yet")
        before = list(Citation.objects.order_by("pk").values_list("pk", "passage", "source"))

        module, name = migration_module()
        state = MigrationLoader(connection).project_state(("aid", name)).apps
        module.store_texts_and_check_citations(state, None)

        seed.refresh_from_db()
        seed_text = (SEEDS / SOURCE_FILE).read_text(encoding="utf-8")
        assert seed.text == seed_text
        assert seed.text_sha256 == SEED_DIGESTS[SOURCE_FILE]
        assert (seed.text_origin, seed.text_file_name) == (TextOrigin.SEED, SOURCE_FILE)
        checks = {
            c.pk: (c.start, c.end, c.unchecked_reason)
            for c in Citation.objects.filter(
                pk__in=[from_seed.pk, good.pk, invented.pk, no_text.pk]
            )
        }
        start = seed_text.index(SOURCE_PASSAGE)
        assert checks == {
            from_seed.pk: (start, start + len(SOURCE_PASSAGE), ""),
            good.pk: (NEWS.index(NEWS_PASSAGE), NEWS.index(NEWS_PASSAGE) + len(NEWS_PASSAGE), ""),
            invented.pk: (None, None, passages.NOT_FOUND),
            no_text.pk: (None, None, passages.NO_TEXT),
        }
        after = list(Citation.objects.order_by("pk").values_list("pk", "passage", "source"))
        assert after == before


@pytest.mark.django_db(transaction=True)
def test_the_migration_applies_to_a_database_holding_data():
    """Back to the migration before, with the seed data and a URL-only citation; then forward."""
    from django.apps import apps

    # A transactional test starts from tables emptied by the last one: migration data too.
    import_module("aid.migrations.0002_categories").load(apps, None)
    call_command("seed", verbosity=0)
    legacy = legacy_citation(make_url_only_source(), Agreement.objects.first(), "Invented.")
    module, _ = migration_module()
    (previous,) = module.Migration.dependencies

    call_command("migrate", *previous, verbosity=0)
    call_command("migrate", "aid", verbosity=0)

    assert not Source.objects.exclude(file="").filter(text="").exists()
    legacy.refresh_from_db()
    assert (legacy.is_checked, legacy.unchecked_reason) == (False, passages.NO_TEXT)
    assert Citation.objects.checked().count() == Citation.objects.count() - 1


class TestSeedTexts:
    def test_every_seed_source_holds_its_files_text(self, seeded):
        sources = Source.objects.exclude(file="")
        assert sources.count() == len(SEED_DIGESTS) == 2
        for source in sources:
            data = (SEEDS / source.file).read_bytes()
            assert source.text == data.decode("utf-8"), source.file
            assert source.text_sha256 == SEED_DIGESTS[source.file]
            assert hashlib.sha256(source.text.encode()).hexdigest() == SEED_DIGESTS[source.file]
            assert (source.text_origin, source.text_file_name) == (TextOrigin.SEED, source.file)
        formats = dict(Source.objects.values_list("file", "text_format"))
        assert formats == {
            "000_7e86e347368b4871.txt": TextFormat.PLAIN,
            "002_c8fdc93dd4fbe3f3.txt": TextFormat.MARKDOWN,
        }

    def test_every_seed_citation_is_checked_where_its_passage_is(self, seeded):
        citations = Citation.objects.select_related("source")
        assert citations.count() > 50
        for citation in citations:
            assert citation.is_checked, citation.unchecked_reason
            at = citation.source.text[citation.start : citation.end]
            assert at == citation.passage, citation.pk  # the seed passages are exact copies
        assert Agreement.objects.unpublishable().count() == 0

    def test_loaddata_alone_leaves_no_source_without_its_text(self):
        call_command("loaddata", SEED_FIXTURE, verbosity=0)
        assert not Source.objects.filter(text="").exists()
        assert not Citation.objects.unchecked().exists()

    def test_seeding_again_keeps_the_text_and_when_it_was_stored(self, seeded):
        before = list(Source.objects.values_list("pk", "text_sha256", "text_stored_at"))
        call_command("seed", verbosity=0)
        after = list(Source.objects.values_list("pk", "text_sha256", "text_stored_at"))
        assert after == before


class AnchorsAndLinks(HTMLParser):
    """The ids a page has and the links it gives (href, as written)."""

    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def read(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, url
    parser = AnchorsAndLinks()
    parser.feed(response.content.decode())
    return parser


class TestSourcePages:
    @pytest.fixture
    def with_legacy(self, seeded):
        """Beside the seed data: a published agreement citing a URL-only source, as #11 saw."""
        agreement = make_agreement(title="Published before texts were stored")
        make_citation(agreement=agreement)
        item = make_line_item(agreement=agreement, description="Invented jets")
        source = make_url_only_source(title="A news site")
        legacy = legacy_citation(source, agreement, "Sweden will provide 100 Gripen fighters.")
        Citation.objects.filter(pk=legacy.pk).update(line_item=item)
        pasted = make_source_with_text(NEWS, title="Swedish news")
        quoted = make_citation(
            source=pasted, agreement=agreement, passage=NEWS_PASSAGE.replace("“", '"')
        )
        return agreement, legacy, quoted

    def test_every_citation_link_lands_on_an_anchor_of_its_page(self, client, with_legacy):
        pages = [a.get_absolute_url() for a in Agreement.objects.published()]
        pages += [s.get_absolute_url() for s in Source.objects.filter(citations__isnull=False)]
        followed = 0
        for url in sorted(set(pages)):
            for href in read(client, url).links:
                target = urlsplit(href)
                if not target.fragment.startswith("citation-"):
                    continue
                ids = read(client, target.path or url).ids
                assert target.fragment in ids, f"{url} links to {href}, which has no anchor"
                followed += 1
        # Each citation from its agreement's page; each checked one from its source's list too.
        assert followed >= Citation.objects.count() + Citation.objects.checked().count()

    def test_the_source_page_lists_every_checked_passage(self, client):
        source = make_source_with_text(NEWS)
        citations = [
            make_citation(source=source, passage=passage)
            for passage in (NEWS_PASSAGE, "The package includes air defence.")
        ]
        body = client.get(source.get_absolute_url()).content.decode()
        assert "<dt>Cited passages</dt><dd>2, each highlighted below</dd>" in body
        for citation in citations:
            assert f'href="#citation-{citation.pk}"' in body
            assert f'id="citation-{citation.pk}"' in body
        assert body.count("<mark") == 2

    def test_a_passage_is_highlighted_at_the_place_its_check_found(self, client, with_legacy):
        _, _, quoted = with_legacy
        body = client.get(quoted.source.get_absolute_url()).content.decode()
        # The text's curly quotes are highlighted, though the passage has straight ones.
        assert (
            f'<span id="citation-{quoted.pk}" class="anchor"></span>'
            "it will provide Ukraine with “at least SEK 13.3 billion” in military aid</mark>"
        ) in body

    def test_an_unchecked_passage_is_marked_not_verified_never_quoted(self, client, with_legacy):
        agreement, legacy, _ = with_legacy
        body = client.get(legacy.source.get_absolute_url()).content.decode()
        assert "<dt>Cited passages</dt><dd>0; and 1 not verified" in body
        assert "The ledger holds no copy of this document's text" in body
        assert f'<div class="citation unverified" id="citation-{legacy.pk}">' in body
        assert f'Not verified: <span lang="en">{passages.NO_TEXT}</span>' in body

        body = client.get(agreement.get_absolute_url()).content.decode()
        assert "Not verified: this passage was not found" in body
        assert "“Sweden will provide 100 Gripen fighters.”" not in body
        assert "Sweden will provide 100 Gripen fighters." in body

    def test_a_source_cited_only_by_drafts_stays_private(self, client):
        source = make_source_with_text(NEWS)
        make_citation(
            source=source, agreement=make_agreement(status=Status.DRAFT), passage=NEWS_PASSAGE
        )
        assert client.get(source.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND

    def test_the_stored_text_is_shown_escaped(self, client):
        source = make_source_with_text(f"<script>alert(1)</script>\n{NEWS}")
        make_citation(source=source, passage=NEWS_PASSAGE)
        response = client.get(source.get_absolute_url())
        assertNotContains(response, "<script>alert(1)</script>")
        assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")
