"""Source documents as readers read them: safe HTML, every cited passage highlighted in place.

render_document(text, text_format, citations) turns a source's stored text into HTML:
Markdown by markdown-it-py (CommonMark with tables; the raw HTML a document carries, such
as <b> or <a href>, is kept), any other format as paragraphs of plain text; then nh3 (the
Rust sanitiser ammonia) keeps only the tags and attributes a document needs, so nothing a
document holds can run or load anything. Each citation (an object with pk, start and end,
offsets into `text`, and its agreement) is highlighted (<mark>) and anchored
(#citation-<pk>) where its passage stands.

Rendering moves text around (`\\$` becomes `$`, `**` disappears), so offsets into the
source cannot be applied to the HTML. Instead, each passage's ends are marked in the text
before rendering with characters that no document holds (Unicode noncharacters, which
neither renderer nor sanitiser touches), and after sanitising each marked stretch of text is
wrapped in <mark>, one text node at a time, so that a passage across a paragraph break or a
bold word still gives valid HTML. The stored text and passages are never changed.

render_quote(passage, text_format) shows a cited passage as the document reads: a Markdown
passage's escapes, emphasis and block marks rendered ("\\$225 million" reads "$225 million",
"- M113 carriers" reads "M113 carriers"), as one run of inline text.
"""

import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

MARKDOWN = "markdown"

# The tags and attributes a document keeps. No images, scripts, styles, forms or frames:
# the page loads nothing from a document, and runs nothing of it.
BLOCK_TAGS = {
    *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre"),
    *("ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"),
}
INLINE_TAGS = {
    *("a", "abbr", "b", "i", "em", "strong", "code", "s", "del", "ins", "u"),
    *("sub", "sup", "small", "mark", "q", "cite", "span"),
}
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"colspan", "rowspan"}}
ATTRIBUTES["td"] = ATTRIBUTES["th"]
URL_SCHEMES = {"http", "https", "mailto"}
# A document's headings sit under the page's own "Text" heading (h2): h1 becomes h3.
HEADINGS = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6"}

markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

# A passage's ends, in the text before rendering: START or END, then the citation's number
# as three base-30 digits (27,000 citations a document). All are noncharacters (U+FDD0–EF).
START, END = "\ufdd0", "\ufdd1"
DIGITS = [chr(0xFDD2 + n) for n in range(30)]
MARKER = re.compile("([\ufdd0\ufdd1])([\ufdd2-\ufdef]{3})")
NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
ENCODED_NONCHARACTER = re.compile("%EF%B7%[9A][0-9A-F]", re.IGNORECASE)
# What opens a Markdown block at the start of a line: a passage's start marker goes after it,
# or the heading, list item or quotation would no longer be one.
BLOCK_OPENING = re.compile(r"[ \t]{0,3}(?:(?:#{1,6}|>|[-*+]|\d{1,9}[.)])(?:[ \t]+|$))*")


def source_format(source):
    """The format of a source's text as stored (Source.text_format), plain when none."""
    return source.text_format or "plain"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    citation: object


def spans_of(text, citations):
    """Each citation's place in the text: its stored offsets where it has them (start, end),
    else the first occurrence of its passage (a source without stored offsets); a citation
    found nowhere is left out."""
    spans = []
    for citation in citations:
        start, end = getattr(citation, "start", None), getattr(citation, "end", None)
        if start is None and citation.passage:
            found = text.find(citation.passage)
            start, end = (found, found + len(citation.passage)) if found >= 0 else (None, None)
        if start is not None and 0 <= start < end <= len(text):
            spans.append(Span(start, end, citation))
    return spans


def render_document(text, text_format, citations):
    """The text as safe HTML, each citation's passage highlighted and anchored."""
    spans = spans_of(text, citations)
    as_markdown = text_format == MARKDOWN and not NONCHARACTERS.search(text)
    marked = with_markers(text, spans, as_markdown)
    html = markdown.render(marked) if as_markdown else paragraphs(marked)
    html = nh3.clean(
        html,
        tags=BLOCK_TAGS | INLINE_TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    highlighter = Highlighter(spans)
    highlighter.feed(html)
    highlighter.close()
    return mark_safe("".join(highlighter.out))  # noqa: S308 (sanitised, then rebuilt escaped)


def render_quote(passage, text_format):
    """A cited passage as the document reads (inline Markdown rendered, sanitised)."""
    if text_format != MARKDOWN:
        return escape(passage)
    # Rendered as the document renders it (a passage that starts a list item reads without
    # its "- "), then kept to inline tags: a quote is one run of text.
    html = nh3.clean(
        markdown.render(passage),
        tags=INLINE_TAGS - {"a", "mark"},
        attributes={"abbr": {"title"}},
        url_schemes=URL_SCHEMES,
    )
    return mark_safe(re.sub(r"\s*\n\s*", " ", html).strip())  # noqa: S308 (sanitised)


def paragraphs(text):
    """Plain text as HTML: a blank line starts a paragraph, a line break stays one."""
    blocks = [block.strip("\n") for block in re.split(r"\n[ \t]*\n", text)]
    return "".join(
        f"<p>{escape(block, quote=False).replace(chr(10), '<br>' + chr(10))}</p>\n"
        for block in blocks
        if block.strip()
    )


def code(number):
    return "".join(DIGITS[number // 30**power % 30] for power in (2, 1, 0))


def with_markers(text, spans, as_markdown):
    """The text with each span's start and end marked, where rendering keeps them in place."""
    events = []
    for number, span in enumerate(spans):
        start, end = span.start, span.end
        # Whitespace at a passage's ends is no part of what a reader sees highlighted.
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if as_markdown:
            start = past_block_opening(text, start)
        events.append((end, 0, END + code(number)))
        events.append((start, 1, START + code(number)))
    # Inserted from the end, so that earlier offsets stay true; at one place, an end before
    # a start (a passage that ends where the next begins).
    for position, _, marker in sorted(events, reverse=True):
        text = text[:position] + marker + text[position:]
    return text


def past_block_opening(text, position):
    """A start at a line's opening (`# `, `> `, `- `, `1. `) moves past it."""
    line = text.rfind("\n", 0, position) + 1
    opening = BLOCK_OPENING.match(text, line)
    return max(position, opening.end()) if position <= opening.end() else position


class Highlighter(HTMLParser):
    """Rebuilds sanitised HTML with each marked stretch of text in <mark>, one text node at
    a time, and an anchor where each passage starts. A marker that rendering moved into an
    attribute (inside a link's address) counts at the next text."""

    def __init__(self, spans):
        super().__init__(convert_charrefs=True)
        self.spans = spans
        self.out = []
        self.open = []  # the spans whose passage the text is inside, in order of opening
        self.anchors = []  # citations whose anchor waits for their first visible text

    # Markers -------------------------------------------------------------------------

    def boundary(self, kind, digits):
        number = sum(
            DIGITS.index(digit) * 30**power for digit, power in zip(digits, (2, 1, 0), strict=True)
        )
        if number >= len(self.spans):
            return
        if kind == START:
            self.open.append(number)
            self.anchors.append(self.spans[number].citation)
        elif number in self.open:
            self.open.remove(number)

    def strip_markers(self, value):
        """An attribute's value without markers; the markers it held (raw, or percent-encoded
        in a link's address) take effect at the next text."""
        for kind, digits in MARKER.findall(unquote(value)):
            self.boundary(kind, digits)
        return ENCODED_NONCHARACTER.sub("", NONCHARACTERS.sub("", value))

    # Tags ------------------------------------------------------------------------------

    def tag(self, tag, attrs, closing=""):
        tag = HEADINGS.get(tag, tag)
        shown = "".join(
            f' {name}="{escape(self.strip_markers(value or ""))}"' for name, value in attrs
        )
        self.out.append(f"<{tag}{shown}{closing}>")

    def handle_starttag(self, tag, attrs):
        self.tag(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self.tag(tag, attrs)

    def handle_endtag(self, tag):
        self.out.append(f"</{HEADINGS.get(tag, tag)}>")

    # Text ------------------------------------------------------------------------------

    def handle_data(self, data):
        position = 0
        for match in MARKER.finditer(data):
            self.text(data[position : match.start()])
            self.boundary(*match.groups())
            position = match.end()
        self.text(data[position:])

    def text(self, piece):
        if not piece:
            return
        if not self.open or not piece.strip():
            # Between blocks (a newline between </li> and <li>) a <mark> would not be valid.
            self.out.append(self.anchor_html() if piece.strip() else "")
            self.out.append(escape(piece, quote=False))
            return
        titles = "; ".join(
            dict.fromkeys(title_of(self.spans[number].citation) for number in self.open)
        )
        shown = escape(piece, quote=False)
        self.out.append(f'<mark title="{escape(titles)}">{self.anchor_html()}{shown}</mark>')

    def anchor_html(self):
        anchors = "".join(
            f'<span id="citation-{citation.pk}" class="anchor"></span>' for citation in self.anchors
        )
        self.anchors = []
        return anchors

    def close(self):
        super().close()
        self.out.append(self.anchor_html())  # a passage at the very end: its anchor still


def title_of(citation):
    agreement = getattr(citation, "agreement", None)
    return getattr(agreement, "title", "") or ""
