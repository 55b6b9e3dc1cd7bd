"""Source documents read as documents: Markdown rendered, HTML made safe, every cited passage
highlighted and anchored where it stands, quotes as readers read them, passages unchanged.

aid/rendering.py takes (text, format, citations with offsets), so it is tested on its own
here with citations built for the purpose, and on the seed documents through the pages.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus

import pytest

from aid.models import Citation, Source
from aid.rendering import code, render_document, render_quote, source_format


@dataclass
class Agreement:
    title: str = "An agreement"


@dataclass
class Cited:
    """A citation as issue 11 stores it: its passage and its offsets into the text."""

    pk: int
    passage: str
    start: int | None = None
    end: int | None = None
    agreement: Agreement = field(default_factory=Agreement)


def cite(text, passage, pk=1):
    start = text.index(passage)
    return Cited(pk, passage, start, start + len(passage))


class Reading(HTMLParser):
    """The rendered document as a reader reads it: its text, which characters of it are
    highlighted, where each anchor stands, and whether its tags nest."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.text, self.marked, self.anchors, self.stack, self.tags = "", [], {}, [], []
        self.attributes = []
        self.feed(html)
        self.close()
        assert self.stack == [], f"unclosed: {self.stack}"

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)
        attrs = dict(attrs)
        if tag == "span" and attrs.get("id", "").startswith("citation-"):
            self.anchors[attrs["id"]] = len(self.text)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"</{tag}> does not close what is open"

    def handle_data(self, data):
        self.text += data
        self.marked.extend(["mark" in self.stack] * len(data))


def squeeze(text):
    return re.sub(r"\s+", " ", text).strip()


def read_from(reading, anchor, passage_text):
    """The text from an anchor as long as the passage reads, and whether all of it is marked."""
    start = reading.anchors[anchor]
    shown, marked, position = "", True, start
    wanted = squeeze(passage_text)
    while len(squeeze(shown)) < len(wanted) and position < len(reading.text):
        character = reading.text[position]
        shown += character
        marked &= reading.marked[position] or character.isspace()
        position += 1
    return squeeze(shown), marked


class TestMarkdown:
    TEXT = (
        "# The weekly\n\n"
        "**France** has provided Ukraine with boats.\n\n"
        "The US revealed a new \\$225 million package. It holds HAWK missiles.\n\n"
        "- first point\n- second point, in a list\n\n"
        'See <a href="https://example.org/a-very-long-address">the release</a> for more.\n'
    )

    def test_rendered_not_raw(self):
        html = render_document(self.TEXT, "markdown", [])
        assert "<h3>The weekly</h3>" in html
        assert "<strong>France</strong>" in html
        assert "$225 million" in html and "\\$" not in html
        assert "<li>second point, in a list</li>" in html
        assert 'href="https://example.org/a-very-long-address"' in html
        assert "**" not in html and "# The" not in html

    def test_each_passage_is_highlighted_and_anchored_where_it_stands(self):
        passages = [
            "**France** has provided Ukraine with boats.",
            "The US revealed a new \\$225 million package.",
            "second point, in a list",
        ]
        citations = [cite(self.TEXT, p, pk=n) for n, p in enumerate(passages, start=1)]
        # Across a paragraph and into a list: two blocks, each highlighted, tags well nested.
        citations.append(cite(self.TEXT, "It holds HAWK missiles.\n\n- first point", pk=9))
        reading = Reading(render_document(self.TEXT, "markdown", citations))
        for citation in citations[:3]:
            anchor = f"citation-{citation.pk}"
            assert anchor in reading.anchors
            rendered = Reading(render_quote(citation.passage, "markdown")).text
            assert read_from(reading, anchor, rendered) == (squeeze(rendered), True)
        assert read_from(reading, "citation-9", "It holds HAWK missiles. first point") == (
            "It holds HAWK missiles. first point",
            True,
        )
        # Nothing else is highlighted.
        unmarked = "".join(c for c, m in zip(reading.text, reading.marked, strict=True) if not m)
        assert "The weekly" in unmarked and "for more" in unmarked and "It holds" not in unmarked

    def test_a_passage_at_a_heading_keeps_the_heading(self):
        text = "# Military assistance\n\nSweden gives CV90s.\n"
        citation = cite(text, "Military assistance\n\nSweden gives CV90s.")
        html = render_document(text, "markdown", [citation])
        assert re.search(r"<h3><mark[^>]*><span id=\"citation-1\"", html)
        assert "<p><mark" in html

    def test_overlapping_and_adjacent_passages(self):
        text = "One two three four five six.\n"
        citations = [
            cite(text, "One two three", pk=1),
            cite(text, "three four", pk=2),
            cite(text, " five six.", pk=3),
        ]
        reading = Reading(render_document(text, "markdown", citations))
        assert set(reading.anchors) == {"citation-1", "citation-2", "citation-3"}
        sentence = range(len("One two three four five six."))
        assert all(reading.marked[n] or reading.text[n] == " " for n in sentence)

    def test_a_passage_whose_end_falls_inside_a_link_address(self):
        text = "Read [the release](https://example.org/release) today.\n"
        start = text.index("Read")
        citation = Cited(1, text[start : text.index("release)")], start, text.index("release)"))
        reading = Reading(render_document(text, "markdown", [citation]))
        assert "citation-1" in reading.anchors
        assert 'href="https://example.org/release"' in render_document(text, "markdown", [citation])

    def test_citations_beyond_thirty_keep_their_numbers(self):
        assert len({code(n) for n in range(2000)}) == 2000
        text = "\n\n".join(f"Sentence {n}." for n in range(40))
        citations = [cite(text, f"Sentence {n}.", pk=100 + n) for n in range(40)]
        reading = Reading(render_document(text, "markdown", citations))
        assert len(reading.anchors) == 40
        for n in range(40):
            assert read_from(reading, f"citation-{100 + n}", f"Sentence {n}.") == (
                f"Sentence {n}.",
                True,
            )


class TestSafety:
    EVIL = (
        "Hello <script>alert(1)</script> world.\n\n"
        '<img src="https://tracker.example/x.png" onerror="alert(2)">\n\n'
        '<a href="javascript:alert(3)" onclick="alert(4)">click</a>\n\n'
        "<iframe src=https://evil.example></iframe><style>body{display:none}</style>\n\n"
        '<p style="color:red">Styled</p> [link](javascript:alert(5))\n'
    )

    @pytest.mark.parametrize("text_format", ["markdown", "plain", "html"])
    def test_nothing_a_document_holds_can_run_or_load(self, text_format):
        citation = cite(self.EVIL, "world.\n\n")
        reading = Reading(render_document(self.EVIL, text_format, [citation]))
        assert not {"script", "img", "iframe", "style"} & set(reading.tags)
        assert not [name for name, _ in reading.attributes if name.startswith("on")]
        assert not [name for name, _ in reading.attributes if name == "style"]
        hrefs = [value for name, value in reading.attributes if name in ("href", "src")]
        assert all(href.startswith(("https://", "http://")) for href in hrefs), hrefs
        assert "citation-1" in reading.anchors

    def test_plain_text_is_text(self):
        text = "Not <b>bold</b> here & there.\n\nSecond paragraph\nwith a line break."
        html = render_document(text, "plain", [cite(text, "there.")])
        assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&amp; <mark" in html
        assert "<p>Second paragraph<br>" in html

    def test_a_text_holding_the_markers_own_characters_still_renders(self):
        text = "A strange \ufdd0 character, then the passage we cite.\n"
        html = render_document(text, "markdown", [cite(text, "the passage we cite.")])
        reading = Reading(html)
        assert read_from(reading, "citation-1", "the passage we cite.") == (
            "the passage we cite.",
            True,
        )
        assert reading.text.startswith("A strange")


class TestQuotes:
    def test_a_markdown_passage_reads_as_the_document_does(self):
        assert (
            render_quote("a new \\$225 million package", "markdown") == "a new $225 million package"
        )
        assert render_quote("**France** has provided", "markdown") == (
            "<strong>France</strong> has provided"
        )
        assert render_quote("<script>x</script> <a href=https://e.x>y</a>", "markdown") == "y"
        assert render_quote("- M113 carriers;\n\nNext.", "markdown") == "M113 carriers; Next."

    def test_a_plain_passage_is_shown_as_it_is(self):
        assert render_quote("a \\$5 <b>x</b>", "plain") == "a \\$5 &lt;b&gt;x&lt;/b&gt;"


@pytest.mark.django_db
class TestSeedDocuments:
    def test_every_cited_passage_is_highlighted_and_anchored(self, client, seeded):
        for source in Source.objects.all():
            reading = Reading(client.get(source.get_absolute_url()).content.decode())
            for citation in source.citations.all():
                anchor = f"citation-{citation.pk}"
                assert anchor in reading.anchors, (source.pk, citation.passage)
                rendered = Reading(render_quote(citation.passage, source_format(source))).text
                shown, marked = read_from(reading, anchor, rendered)
                assert shown == squeeze(rendered) and marked, citation.passage

    def test_the_weekly_is_rendered(self, client, seeded):
        body = client.get("/sources/2/").content.decode()
        document = body[body.index('<div class="document"') :]
        assert "<h3>INTERNATIONAL WEEKLY</h3>" in document
        assert "\\$" not in document and "**" not in document
        assert "&lt;b&gt;" not in document and "&lt;a href" not in document
        assert 'rel="noopener noreferrer nofollow"' in document

    def test_quotes_on_agreement_pages_read_as_the_document(self, client, seeded):
        citation = Citation.objects.filter(passage__contains="\\$225 million").first()
        body = client.get(citation.agreement.get_absolute_url()).content.decode()
        assert "new $225 million" in body and "\\$225" not in body
        # The stored passage is the document's own, byte for byte.
        assert "\\$225 million" in Citation.objects.get(pk=citation.pk).passage
        assert citation.passage in Source.objects.get(pk=citation.source_id).text
        france = Citation.objects.filter(passage__startswith="**France**").first()
        body = client.get(france.agreement.get_absolute_url()).content.decode()
        assert "“<strong>France</strong> has provided" in body

    def test_the_source_page_answers(self, client, seeded):
        assert client.get("/sources/1/").status_code == HTTPStatus.OK
        assert client.get("/uk/sources/2/").status_code == HTTPStatus.OK
