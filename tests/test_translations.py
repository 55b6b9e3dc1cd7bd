"""The interface in English and Ukrainian: complete catalogues, no English left on a Ukrainian
page, the data in its own language, numbers and dates in the reader's format, exports never
localised, and languages that caches keep apart.

The Ukrainian pages are checked text node by text node: every piece of the interface (the
text outside elements marked lang="en", which hold the records' own words) must be free of
English words; the failure lists each one found, with its page.
"""

import csv
import io
import os
import re
import shutil
from datetime import date
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from aid.choices import Status
from aid.dates import format_date
from aid.models import Agreement, Donor, Source

from .factories import make_agreement, make_citation, make_line_item

LOCALE = Path(settings.BASE_DIR) / "locale"
UKRAINIAN = LOCALE / "uk" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\w*\}")


def catalogue(path=UKRAINIAN):
    with path.open("rb") as source:
        return read_po(source)


class TestTheCatalogue:
    def test_every_message_is_translated_and_none_is_fuzzy(self):
        messages = [m for m in catalogue() if m.id]
        assert len(messages) > 250
        untranslated = [
            m.id
            for m in messages
            if not m.string or (isinstance(m.string, tuple) and not all(m.string))
        ]
        fuzzy = [m.id for m in messages if m.fuzzy]
        assert untranslated == [] and fuzzy == []

    def test_three_plural_forms(self):
        plural = catalogue()
        assert plural.num_plurals == 3
        for message in plural:
            if isinstance(message.id, tuple):
                assert len(message.string) == 3 and len(set(message.string)) >= 1, message.id

    def test_translations_keep_their_placeholders(self):
        """A placeholder lost or misspelt would raise, or print nothing, on a live page."""
        wrong = []
        for message in catalogue():
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            expected = set(PLACEHOLDER.findall(ids[-1]))
            wrong.extend(s for s in strings if set(PLACEHOLDER.findall(s)) != expected)
        assert wrong == []

    def test_the_catalogue_holds_every_message_of_the_code(self, tmp_path, settings):
        """Messages gathered afresh from the code and templates are all in locale/ already."""

        if not shutil.which("xgettext"):
            if os.environ.get("CI"):
                pytest.fail("CI must check the catalogue: install GNU gettext (.ci/run does)")
            pytest.skip("gathering messages needs GNU gettext (apt-get install gettext)")
        # makemessages writes into ./locale as well as LOCALE_PATHS: it runs in a copy of the
        # code, so that the checkout's catalogue is never rewritten by a test (CI runs the
        # suite twice at once).
        copy = tmp_path / "code"
        for part in ["aid", "ledger", "templates"]:
            shutil.copytree(settings.BASE_DIR / part, copy / part)
        (copy / "locale" / "uk" / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(UKRAINIAN, copy / "locale" / "uk" / "LC_MESSAGES" / "django.po")
        settings.LOCALE_PATHS = [copy / "locale"]
        # As `make locale`: the admin's copies of Django's templates keep Django's catalogue.
        copies = ["search_form", "pagination", "actions"]
        ignore = [".venv", "bench", "tests", "staticfiles", "locale"]
        ignore += [f"templates/admin/aid/{name}.html" for name in copies]
        cwd = Path.cwd()
        try:
            os.chdir(copy)
            call_command("makemessages", locale=["uk"], ignore_patterns=ignore, verbosity=0)
        finally:
            os.chdir(cwd)
        fresh = {
            m.id for m in catalogue(copy / "locale" / "uk" / "LC_MESSAGES" / "django.po") if m.id
        }
        kept = {m.id for m in catalogue() if m.id}
        assert fresh - kept == set(), "run `make locale` and translate the new messages"


# Every page a reader can reach, with the states that add text: errors, notices, pages.
def public_urls():
    agreements = [a.get_absolute_url() for a in Agreement.objects.published()]
    donors = [d.get_absolute_url() for d in Donor.objects.public()]
    sources = [s.get_absolute_url() for s in Source.objects.all()]
    return [
        "/",
        "/?category=air-defence",
        "/?donor=belgum&donor=spain&date_after=2024-13-45&currency=USD",
        "/items/",
        "/items/?per_page=3&page=2&sort=-eur",
        "/items/?donor=belgum&donor=spain&stage=bogus&q=jets&min_eur=lots&date_after=x",
        "/items/?min_eur=1&max_eur=9000000000&date_after=2024-05-01&date_before=2024-05-31",
        "/items/?aid_type=mixed&kind=appropriation&agreement=1&currency=XYZ&per_page=9999",
        "/items/?q=nothing-matches-this",
        "/agreements/",
        "/agreements/?category=aircraft&stage=committed&currency=USD",
        "/donors/",
        "/donors/?kind=eu-institution",
        *donors,
        *agreements,
        *sources,
        "/glossary/",
        "/changes/",
        "/no-such-page/",
    ]


# Words the interface keeps in Latin letters in Ukrainian: codes, parameter names and the
# names of weapon systems in the category definitions.
ALLOWED = {
    "per_page",
    "page",
    "_export",
    "csv",
    "json",
    "Stinger",
    "Javelin",
    # A format's name, as a source's page gives it.
    "Markdown",
}
LATIN_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def allowed(word):
    return word in ALLOWED or word.isupper() or any(c.isdigit() for c in word)


class InterfaceText(HTMLParser):
    """The text a reader meets that is not marked as in another language: text nodes, and
    the attributes read aloud or shown (title, aria-label, alt, placeholder)."""

    VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
    SPOKEN = ("title", "aria-label", "alt", "placeholder")

    def __init__(self, page_language):
        super().__init__()
        self.stack = [page_language]
        self.tags = []
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        language = attrs.get("lang", self.stack[-1])
        for name in self.SPOKEN:
            if attrs.get(name) and language == self.stack[0]:
                self.found.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.found.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append(language)
            self.tags.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID or tag not in self.tags:
            return
        while self.tags:
            self.stack.pop()
            if self.tags.pop() == tag:
                break

    def handle_data(self, data):
        if self.tags and self.tags[-1] in ("script", "style"):
            return
        if data.strip() and self.stack[-1] == self.stack[0]:
            self.found.append(data.strip())


def interface_text(html, language):
    parser = InterfaceText(language)
    parser.feed(html)
    return parser.found


def english_words(texts, data=()):
    """The words of these texts that are English, once `data` (records' names in <title>, what
    a reader typed) is taken out."""
    words = []
    for text in texts:
        for name in data:
            text = text.replace(name, "")
        words.extend(w for w in LATIN_WORD.findall(text) if not allowed(w))
    return words


@pytest.mark.django_db
class TestNoEnglishLeftInUkrainian:
    def corrections(self):
        """A published figure corrected, added and removed, so /changes/ has every kind of row."""
        agreement = make_agreement(status=Status.DRAFT, title="Corrected pledge")
        item = make_line_item(agreement=agreement, amount=Decimal("5000000"), currency="EUR")
        gone = make_line_item(agreement=agreement, description="Withdrawn item")
        make_citation(line_item=item)
        agreement.status = Status.PUBLISHED
        agreement.save()
        item.amount, item.description, item.quantity = Decimal("6000000"), "Revised item", 7
        item.save()
        make_line_item(agreement=agreement, description="Added item")
        gone.delete()
        agreement.amount = Decimal("999000000")
        agreement.save()

    def test_every_public_page(self, client, seeded):
        self.corrections()
        data = [a.title for a in Agreement.objects.all()] + [
            *Donor.objects.values_list("name", flat=True),
            *Source.objects.values_list("title", flat=True),
        ]
        left = {}
        for url in public_urls():
            response = client.get("/uk" + url)
            assert response.status_code in (HTTPStatus.OK, HTTPStatus.NOT_FOUND), url
            html = response.content.decode()
            assert '<html lang="uk">' in html, url
            title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
            body = html.replace(title, "")
            # What the reader typed into the URL is theirs, shown back as it came.
            typed = [value for _, value in parse_qsl(urlsplit(url).query) if len(value) > 1]
            words = english_words(interface_text(body, "uk"), typed) + english_words(
                [unescape(title)], data
            )
            if words:
                left["/uk" + url] = sorted(set(words))
        listed = "\n".join(f"{url}: {', '.join(words)}" for url, words in left.items())
        assert left == {}, f"English left in the Ukrainian interface:\n{listed}"

    def test_the_check_finds_english(self):
        """The test above can fail: an untranslated word outside lang="en" is found."""
        html = '<html lang="uk"><p>Позиції <span lang="en">Belgium</span> Line items</p></html>'
        assert english_words(interface_text(html, "uk")) == ["Line", "items"]

    def test_english_pages_have_no_ukrainian_outside_the_switch(self, client, seeded):
        for url in ["/", "/items/", "/agreements/4/", "/glossary/"]:
            html = client.get(url).content.decode()
            texts = interface_text(html, "en-gb")
            assert [t for t in texts if re.search("[а-яіїєґ]", t, re.I)] == [], url

    def test_a_bad_sort_is_explained_in_ukrainian(self, client, seeded):
        response = client.get("/uk/items/?sort=password")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "Невідомий стовпець" in response.content.decode()


@pytest.mark.django_db
class TestTheDataStaysInItsLanguage:
    def test_names_titles_and_passages_are_marked_english(self, client, seeded):
        html = client.get("/uk/agreements/2/").content.decode()
        assert '<h1 lang="en">Security cooperation agreement between Ukraine and Belgium</h1>' in (
            html
        )
        assert '<p lang="en">“' in html  # the quoted passage
        assert "Взято зобов’язання" in html  # its stage, translated

    def test_categories_and_stages_are_translated(self, client, seeded):
        body = client.get("/uk/items/?category=aircraft").content.decode()
        assert "Авіація" in body and "Взято зобов’язання" in body
        sentence = client.get("/uk/items/?category=aircraft&donor=belgium").context["sentence"]
        assert sentence == '1 позиція — донор: <span lang="en">Belgium</span>; категорія: Авіація'


@pytest.mark.django_db
class TestFormats:
    def test_amounts_follow_the_readers_format(self, client, seeded):
        english = client.get("/donors/belgium/").content.decode()
        ukrainian = client.get("/uk/donors/belgium/").content.decode()
        assert 'at least <span class="figure">EUR 977,000,000</span>' in english
        assert 'щонайменше <span class="figure">977\xa0000\xa0000 EUR</span>' in ukrainian

    def test_dates_follow_the_readers_format(self):
        with translation.override("uk"):
            assert format_date(date(2024, 5, 27), "day") == "27 травня 2024"
            assert format_date(date(2024, 5, 1), "month") == "травень 2024"
        with translation.override("en-gb"):
            assert format_date(date(2024, 5, 27), "day") == "27 May 2024"
            assert format_date(date(2024, 5, 1), "month") == "May 2024"

    @pytest.mark.parametrize(
        ("count", "expected"),
        [
            (1, "1 угода"),
            (2, "2 угоди"),
            (4, "4 угоди"),
            (5, "5 угод"),
            (11, "11 угод"),
            (12, "12 угод"),
            (21, "21 угода"),
            (22, "22 угоди"),
            (25, "25 угод"),
            (111, "111 угод"),
        ],
    )
    def test_three_plural_forms_in_use(self, count, expected):
        from aid.views import AgreementListView

        with translation.override("uk"):
            noun = AgreementListView.noun % {"count": count, "number": count}
        assert noun == expected

    def test_exports_are_never_localised(self, client, seeded):
        for path in ("/items/?_export=csv", "/agreements/?_export=json"):
            english = b"".join(client.get(path).streaming_content)
            ukrainian = b"".join(client.get("/uk" + path).streaming_content)
            assert english == ukrainian, path
        rows = list(
            csv.DictReader(
                io.StringIO(
                    b"".join(client.get("/uk/items/?_export=csv").streaming_content).decode()
                )
            )
        )
        assert all(row["url"].startswith("http://testserver/agreements/") for row in rows)
        assert any(row["amount"] == "977000000.00" for row in rows)


@pytest.mark.django_db
class TestChoosingALanguage:
    def test_english_urls_stay_as_they_are(self):
        assert reverse("aid:lineitem_list") == "/items/"
        with translation.override("uk"):
            assert reverse("aid:lineitem_list") == "/uk/items/"

    def test_a_browser_that_prefers_ukrainian_is_sent_to_the_ukrainian_page(self, client, seeded):
        response = client.get("/items/?donor=spain&sort=-eur", HTTP_ACCEPT_LANGUAGE="uk,en;q=0.8")
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == "/uk/items/?donor=spain&sort=-eur"
        assert {"Accept-Language", "Cookie"} <= vary(response)

    def test_others_stay_on_the_english_page(self, client, seeded):
        for accept in ("", "en-US,en;q=0.9", "de-DE,de;q=0.9", "en,uk;q=0.5"):
            response = client.get("/items/", HTTP_ACCEPT_LANGUAGE=accept)
            assert response.status_code == HTTPStatus.OK, accept
            assert '<html lang="en-gb">' in response.content.decode()

    def test_exports_and_the_admin_are_never_redirected(self, client, superuser_client, seeded):
        export = client.get("/items/?_export=csv", HTTP_ACCEPT_LANGUAGE="uk")
        assert export.status_code == HTTPStatus.OK
        admin = superuser_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="uk")
        assert admin.status_code == HTTPStatus.OK
        # The admin is in English only, whatever the browser prefers.
        assert '<html lang="en-gb"' in admin.content.decode()
        assert "Ledger records" in admin.content.decode()

    def test_the_switch_keeps_the_filters_and_remembers_the_choice(self, client, seeded):
        page = client.get("/uk/items/?donor=spain&category=funding")
        switch = re.search(r'href="(/language/en-gb/\?next=[^"]+)"', page.content.decode())
        response = client.get(switch.group(1).replace("&amp;", "&"), HTTP_ACCEPT_LANGUAGE="uk")
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == "/items/?donor=spain&category=funding"
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en-gb"
        # Chosen: the English page stays English for a browser that prefers Ukrainian.
        again = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="uk")
        assert again.status_code == HTTPStatus.OK
        # And back to Ukrainian.
        back = client.get("/language/uk/?next=/items/%3Fdonor%3Dspain")
        assert back["Location"] == "/uk/items/?donor=spain"
        assert client.get("/items/").status_code == HTTPStatus.FOUND

    @pytest.mark.parametrize(
        "following", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
    )
    def test_the_switch_is_no_open_redirect(self, client, following):
        response = client.get("/language/uk/", {"next": following})
        assert response["Location"] == "/uk/"

    def test_an_unknown_language_changes_nothing(self, client):
        response = client.get("/language/xx/", {"next": "/items/"})
        assert response["Location"] == "/items/"
        assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def vary(response):
    return {part.strip() for part in response.get("Vary", "").split(",")}


@pytest.mark.django_db
class TestCachesKeepLanguagesApart:
    def test_public_responses_vary_on_the_language(self, client, seeded):
        for url in ("/items/", "/uk/items/", "/"):
            response = client.get(url)
            assert {"Accept-Language", "Cookie"} <= vary(response), url

    def test_each_language_has_its_own_validator(self, client, seeded):
        english, ukrainian = client.get("/items/"), client.get("/uk/items/")
        assert english["ETag"] != ukrainian["ETag"]
        stale = client.get("/uk/items/", HTTP_IF_NONE_MATCH=english["ETag"])
        assert stale.status_code == HTTPStatus.OK

    @override_settings(LEDGER_SUMMARY_CACHE_SECONDS=3600)
    def test_shared_summaries_are_kept_per_language(self, client, seeded):
        """Facets and charts hold translated names: one language's must never show in the
        other's page."""
        assert "Авіація" in client.get("/uk/items/").content.decode()
        assert "Aircraft" in client.get("/items/").content.decode()
        assert "Авіація" not in client.get("/items/").content.decode()
        assert "Протиповітряна оборона" in client.get("/uk/").content.decode()
        assert "Air defence" not in re.sub(
            r'lang="en">[^<]*', "", client.get("/uk/").content.decode()
        )
