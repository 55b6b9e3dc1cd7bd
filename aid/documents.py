"""A source document's text, read from what an analyst pastes or uploads, or from seeds/.

Every way in ends in a Document: the text the ledger stores, checks citations
against and shows readers, with its format, its SHA-256 and where it came from.
What cannot be read as text is refused with a DocumentError whose message says
why and what to do; nothing is stored half-read, and nothing is fetched.

- Plain text and Markdown are stored as they are. They must be UTF-8 (a byte-order
  mark is dropped; UTF-16 with one is read too): the ledger does not guess an
  encoding, since a wrong guess would store a corrupted text without a word.
- HTML is read down to what a reader of the page reads (html_to_text), and the
  HTML as received is kept beside it. Its declared charset is honoured.
- PDF: the text layer, extracted by pypdf. A scan without one is refused.
"""

import codecs
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pypdf
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from .choices import TextFormat, TextOrigin

logger = logging.getLogger(__name__)

# A news item or an agreement is tens of kilobytes; a long report's PDF a few megabytes.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Longer than any document the ledger cites (the weekly digest is 33,000 characters).
MAX_TEXT_CHARS = 2_000_000
# A paste travels in the form's body, which Django caps at 2.5 MB (DATA_UPLOAD_MAX_MEMORY_SIZE):
# 500,000 characters fit even at four bytes each. A longer document is uploaded as a file.
MAX_PASTE_CHARS = 500_000

EXTENSIONS = {
    ".txt": TextFormat.PLAIN,
    ".text": TextFormat.PLAIN,
    ".md": TextFormat.MARKDOWN,
    ".markdown": TextFormat.MARKDOWN,
    ".html": TextFormat.HTML,
    ".htm": TextFormat.HTML,
    ".pdf": TextFormat.PDF,
}
ACCEPTED = ", ".join(EXTENSIONS)
PASTE_FORMATS = [TextFormat.PLAIN, TextFormat.MARKDOWN, TextFormat.HTML]

# Control characters a text document never holds (tab, line feed, vertical tab, form
# feed and carriage return are whitespace, and allowed). NUL cannot even be stored.
CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


class DocumentError(ValueError):
    """The document cannot be read as text; the message says why, for the analyst."""


@dataclass(frozen=True)
class Document:
    """A document's text as the ledger stores it, and what it was read from."""

    text: str
    format: str
    origin: str
    sha256: str  # of the document as received: the file's bytes, or the pasted text in UTF-8
    name: str = ""  # the uploaded or seed file's name
    original: str = ""  # the HTML as received, when the text was read from HTML


def from_paste(text, text_format):
    """Text pasted into the admin's form, in the format the analyst says it is."""
    if text_format not in PASTE_FORMATS:
        raise DocumentError("Pasted text is plain text, Markdown or HTML.")
    # A browser sends every line end of a form's text box as CR LF, whatever was pasted.
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise DocumentError("There is no text to store: the pasted text is empty.")
    original = text
    if text_format == TextFormat.HTML:
        text = html_to_text(original)
    return _document(
        text, text_format, TextOrigin.PASTED, original.encode("utf-8"), "the pasted text", original
    )


def from_upload(upload):
    """An uploaded file (Django's UploadedFile): its format is told by its name's extension."""
    name = Path(upload.name or "").name[:200]
    text_format = format_of(name)
    if upload.size > MAX_UPLOAD_BYTES:
        raise DocumentError(
            f"{name} is {filesizeformat(upload.size)}: files up to "
            f"{filesizeformat(MAX_UPLOAD_BYTES)} are read. Upload the part that is cited, "
            f"or paste its text."
        )
    return read_bytes(upload.read(), name, text_format, TextOrigin.UPLOADED)


def from_seed(name, text_format=None):
    """A document in seeds/, by its file name."""
    path = seed_path(name)
    if path is None or not path.is_file():
        raise DocumentError(f"There is no file named {name} in seeds/.")
    return read_bytes(path.read_bytes(), name, text_format or format_of(name), TextOrigin.SEED)


def seed_path(name):
    """The file of that name inside seeds/, or None: a name that leads elsewhere is not followed."""
    if not name:
        return None
    seeds = Path(settings.SEEDS_DIR).resolve()
    path = (seeds / name).resolve()
    return path if path.parent == seeds else None


def format_of(name):
    text_format = EXTENSIONS.get(Path(name).suffix.lower())
    if text_format is None:
        raise DocumentError(
            f"{name or 'This file'} is not a file the ledger can read: it reads plain text, "
            f"Markdown, HTML and PDF files ({ACCEPTED})."
        )
    return text_format


def read_bytes(data, name, text_format, origin):
    """A document's text from its bytes, in the given format."""
    if not data:
        raise DocumentError(f"{name} is empty.")
    original = ""
    if text_format == TextFormat.PDF:
        text = pdf_text(data, name)
    else:
        text = decode(data, name, text_format)
        if text_format == TextFormat.HTML:
            original, text = text, html_to_text(text)
    return _document(text, text_format, origin, data, name, original)


def _document(text, text_format, origin, data, name, original=""):
    if not text.strip():
        raise DocumentError(f"{name} holds no text.")
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentError(
            f"{name} holds {len(text):,} characters of text; the ledger stores up to "
            f"{MAX_TEXT_CHARS:,}. Store the part that is cited."
        )
    control = CONTROL.search(text)
    if control:
        raise DocumentError(
            f"{name} is not a text document: it holds the control character "
            f"U+{ord(control.group()):04X} at character {control.start():,}."
        )
    return Document(
        text=text,
        format=text_format,
        origin=origin,
        sha256=hashlib.sha256(data).hexdigest(),
        name="" if origin == TextOrigin.PASTED else name,
        original=original if text_format == TextFormat.HTML else "",
    )


# Decoding ----------------------------------------------------------------------------

# The WHATWG Encoding Standard reads these labels as windows-1252, as browsers do.
WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"}
DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode(data, name, text_format):
    """The document's bytes as text: UTF-8 (or UTF-16 with a byte-order mark); HTML's charset."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError(f"{name} is not readable UTF-16 text.") from None
    if b"\x00" in data:
        raise DocumentError(
            f"{name} is not a text file: it holds binary data (is it a program, an image or "
            f"an archive renamed?)."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        declared = declared_charset(data) if text_format == TextFormat.HTML else None
        if declared:
            try:
                return data.decode(declared)
            except UnicodeDecodeError:
                pass
        raise DocumentError(
            f"{name} is not UTF-8 text: the byte 0x{data[error.start]:02X} at position "
            f"{error.start:,} cannot be read as UTF-8. Save the file as UTF-8 (in most "
            f"editors: Save as…, Encoding: UTF-8) and upload it again."
        ) from None


def declared_charset(data):
    """The charset an HTML document declares in a meta tag near its top, if Python knows it."""
    match = DECLARED_CHARSET.search(data[:4096])
    if not match:
        return None
    label = match.group(1).decode("ascii").lower()
    label = "cp1252" if label in WINDOWS_1252_LABELS else label
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


# HTML --------------------------------------------------------------------------------

# Elements whose content a reader does not read on the page.
UNREAD = {"script", "style", "template", "noscript", "title", "svg", "iframe", "object"}
# Elements that start on a new line, and those set apart by a blank line.
BLOCKS = {
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header",
    "hr", "legend", "li", "main", "nav", "ol", "section", "summary", "table", "tbody",
    "tfoot", "thead", "tr", "ul",
}  # fmt: skip
PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}
PREFORMATTED = {"pre", "textarea", "listing", "plaintext"}
HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


class _Preformatted(str):
    """Text of a <pre>: its spaces are the document's own, never trimmed."""


class _TextReader(HTMLParser):
    """Collects what a reader of an HTML page reads, roughly as a browser's innerText does.

    Text outside <pre> has its runs of HTML whitespace collapsed to one space;
    blocks start on a new line, paragraphs and headings after a blank line, table
    cells are separated by a tab. No bullets or numbers are added to list items: a
    passage copied from the page in a browser has none. Entities are decoded;
    no-break spaces are kept as they are.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tokens = []  # strings, or an int: a break of that many line ends
        self.unread = 0
        self.preformatted = 0
        self.cells = 0

    def handle_starttag(self, tag, attrs):
        if tag in UNREAD:
            self.unread += 1
        elif tag == "br":
            self.tokens.append("\n")
        elif tag in ("td", "th"):
            if self.cells:
                self.tokens.append("\t")
            self.cells += 1
        else:
            self.block(tag)
            if tag == "tr":
                self.cells = 0
            if tag in PREFORMATTED:
                self.preformatted += 1

    def handle_startendtag(self, tag, attrs):
        # <br/>, <hr/>: void elements, never opened.
        if tag in UNREAD:
            return
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "td", "th"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in UNREAD:
            self.unread = max(self.unread - 1, 0)
            return
        if tag in PREFORMATTED:
            self.preformatted = max(self.preformatted - 1, 0)
        self.block(tag)

    def block(self, tag):
        if tag in PARAGRAPHS:
            self.tokens.append(2)
        elif tag in BLOCKS:
            self.tokens.append(1)

    def handle_data(self, data):
        if self.unread:
            return
        self.tokens.append(_Preformatted(data) if self.preformatted else HTML_SPACE.sub(" ", data))

    def text(self):
        out, pending = [], 0
        for token in self.tokens:
            if isinstance(token, int):
                pending = max(pending, token)
                continue
            if not isinstance(token, _Preformatted) and (
                pending or not out or out[-1].endswith((" ", "\n", "\t"))
            ):
                token = token.lstrip(" ")
            if not token:
                continue
            if pending and out:
                if not isinstance(out[-1], _Preformatted):
                    out[-1] = out[-1].rstrip(" ")
                out.append("\n" * pending)
            pending = 0
            out.append(token)
        return "".join(out).strip()


def html_to_text(html):
    """What a reader of the HTML page reads, as plain text (see _TextReader)."""
    reader = _TextReader()
    reader.feed(html)
    reader.close()
    return reader.text()


# PDF ---------------------------------------------------------------------------------


def pdf_text(data, name):
    """The text layer of a PDF, page after page, a blank line between pages."""
    if not data.startswith(b"%PDF-"):
        raise DocumentError(f"{name} is not a PDF: it does not begin as a PDF does.")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{name} is encrypted: save an unprotected copy and upload that.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as error:  # pypdf raises many kinds of error on a damaged file
        logger.info("PDF %s could not be read: %r", name, error)
        raise DocumentError(
            f"{name} could not be read as a PDF ({type(error).__name__}: {error})."
        ) from None
    text = "\n\n".join(page.strip("\n") for page in pages)
    if not text.strip():
        raise DocumentError(
            f"{name} has no text to read: it may be a scan (pictures of pages). The ledger "
            f"does not read text from images; paste the passage's page as text instead."
        )
    return text
