"""Reading a document's text (aid/documents.py): each format analysts give, and what is refused.

Each bad input is refused with a message that says what is wrong; what reaches
the admin form is in tests/test_source_text.py.
"""

import codecs
import hashlib
import io

import pypdf
import pytest

from aid import documents
from aid.choices import TextFormat, TextOrigin
from aid.documents import DocumentError, from_paste, from_upload, html_to_text

from .factories import pdf_file, upload

PASSAGE = "Belgium will provide Ukraine with at least €977 million in military aid"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class TestPlainTextAndMarkdown:
    def test_a_text_file_is_stored_as_it_is(self):
        data = f"Title\r\n\r\n{PASSAGE}\u00a0and “quotes”.\n".encode()
        document = from_upload(upload("news.txt", data))
        assert document.text == data.decode("utf-8")  # line ends and spaces untouched
        assert (document.format, document.origin, document.name) == (
            TextFormat.PLAIN,
            TextOrigin.UPLOADED,
            "news.txt",
        )
        assert document.sha256 == sha256(data)
        assert document.original == ""

    @pytest.mark.parametrize("name", ["weekly.md", "WEEKLY.MARKDOWN"])
    def test_a_markdown_file_keeps_its_markup(self, name):
        data = "# Weekly\n\n**Belgium** will provide \\$225 million <b>now</b>.\n"
        document = from_upload(upload(name, data))
        assert (document.text, document.format) == (data, TextFormat.MARKDOWN)

    def test_a_utf8_byte_order_mark_is_dropped_the_digest_is_the_files(self):
        data = codecs.BOM_UTF8 + PASSAGE.encode()
        document = from_upload(upload("bom.txt", data))
        assert document.text == PASSAGE
        assert document.sha256 == sha256(data)

    @pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
    def test_utf16_with_a_byte_order_mark_is_read(self, encoding):
        bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
        document = from_upload(upload("wide.txt", bom + PASSAGE.encode(encoding)))
        assert document.text == PASSAGE

    def test_pasted_text_has_the_browsers_line_ends_undone(self):
        document = from_paste(f"First line\r\n{PASSAGE}\r\n", TextFormat.MARKDOWN)
        assert document.text == f"First line\n{PASSAGE}\n"
        assert (document.format, document.origin, document.name) == (
            TextFormat.MARKDOWN,
            TextOrigin.PASTED,
            "",
        )
        assert document.sha256 == sha256(document.text.encode("utf-8"))

    def test_pasted_text_of_another_format_is_refused(self):
        with pytest.raises(DocumentError, match="plain text, Markdown or HTML"):
            from_paste(PASSAGE, TextFormat.PDF)


HTML_PAGE = """<!DOCTYPE html>
<html><head><title>Not read: the title</title>
<meta charset="utf-8"><style>p { color: red }</style>
<script>var notRead = "<p>script</p>";</script></head>
<body>
<nav><ul><li>Home</li><li>News</li></ul></nav>
<h1>Belgium   and
Ukraine</h1>
<p>Belgium will provide Ukraine with <b>at least</b> €<span>977</span>&nbsp;million
   in military aid &amp; 30 <a href="/f16">F-16</a> jets.<br>A new line.</p>
<noscript>Not read either</noscript><template><p>Nor this</p></template>
<table><tr><th>Item</th><th>Qty</th></tr><tr><td>F-16</td><td>30</td></tr></table>
<pre>  kept   as
  it is</pre>
<div>Last <i>words</i></div>
</body></html>"""


class TestHTML:
    def test_what_a_reader_reads_and_nothing_else(self):
        assert html_to_text(HTML_PAGE) == (
            "Home\nNews\n\n"
            "Belgium and Ukraine\n\n"
            "Belgium will provide Ukraine with at least €977\u00a0million in military aid & 30 "
            "F-16 jets.\nA new line.\n\n"
            "Item\tQty\nF-16\t30\n\n"
            "  kept   as\n  it is\n\n"
            "Last words"
        )

    def test_an_uploaded_page_keeps_its_html_beside_the_text(self):
        document = from_upload(upload("page.html", HTML_PAGE))
        assert document.format == TextFormat.HTML
        assert document.original == HTML_PAGE
        assert document.text == html_to_text(HTML_PAGE)
        assert document.sha256 == sha256(HTML_PAGE.encode())

    def test_pasted_html_is_read_down_to_its_text(self):
        document = from_paste("<p>Belgium will <em>provide</em></p>", TextFormat.HTML)
        assert (document.text, document.original) == (
            "Belgium will provide",
            "<p>Belgium will <em>provide</em></p>",
        )

    @pytest.mark.parametrize(
        "declared, data, text",
        [
            ("windows-1252", "Caf\xe9 \x80977".encode("latin-1"), "Café €977"),
            # Browsers read a page labelled ISO-8859-1 as windows-1252 (WHATWG): € is 0x80.
            ("iso-8859-1", "Caf\xe9 \x80977".encode("latin-1"), "Café €977"),
            ("koi8-u", "Київ".encode("koi8-u"), "Київ"),
        ],
    )
    def test_a_declared_charset_is_honoured(self, declared, data, text):
        page = (
            b'<html><head><meta http-equiv="Content-Type" content="text/html; charset='
            + declared.encode()
            + b'"></head><body><p>'
            + data
            + b"</p></body></html>"
        )
        assert from_upload(upload("old.htm", page)).text == text


class TestPDF:
    def test_the_text_layer_is_read_page_after_page(self):
        data = pdf_file(
            [PASSAGE, "and 30 F-16 fighter jets by 2028 (see “note”)."],
            ["Second page: Spain’s €1 billion."],
        )
        document = from_upload(upload("agreement.pdf", data))
        assert document.text == (
            f"{PASSAGE}\nand 30 F-16 fighter jets by 2028 (see “note”).\n\n"
            "Second page: Spain’s €1 billion."
        )
        assert (document.format, document.sha256, document.original) == (
            TextFormat.PDF,
            sha256(data),
            "",
        )

    def test_a_pdf_without_text_is_refused_as_a_scan(self):
        with pytest.raises(DocumentError, match="may be a scan"):
            from_upload(upload("scan.pdf", pdf_file([])))

    def test_a_damaged_pdf_is_refused(self):
        with pytest.raises(DocumentError, match="could not be read as a PDF"):
            from_upload(upload("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog"))

    def test_a_file_named_pdf_that_is_not_one_is_refused(self):
        with pytest.raises(DocumentError, match="is not a PDF"):
            from_upload(upload("page.pdf", "<html>not a PDF</html>"))

    def test_an_encrypted_pdf_is_refused(self):
        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf_file([PASSAGE]))))
        writer.encrypt(user_password="secret", algorithm="RC4-128")
        locked = io.BytesIO()
        writer.write(locked)
        with pytest.raises(DocumentError, match="is encrypted"):
            from_upload(upload("locked.pdf", locked.getvalue()))


# An executable's first bytes: "MZ", then binary header fields full of zeros.
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + bytes(64)

BAD_FILES = {
    "empty file": ("news.txt", b"", "news.txt is empty."),
    "only whitespace": ("news.md", b" \n\t\n", "news.md holds no text."),
    "Latin-1, not UTF-8": (
        "news.txt",
        "Café".encode("latin-1"),
        "news.txt is not UTF-8 text: the byte 0xE9 at position 3 cannot be read as UTF-8",
    ),
    "program renamed .txt": ("setup.txt", EXECUTABLE, "setup.txt is not a text file"),
    "control characters": ("beep.txt", b"ring \x07 ring", "control character U+0007"),
    "unknown kind of file": ("report.docx", b"PK\x03\x04", "reads plain text, Markdown"),
    "HTML with no text": ("empty.html", b"<script>x()</script>", "empty.html holds no text."),
}


class TestRefused:
    @pytest.mark.parametrize("name, data, message", BAD_FILES.values(), ids=BAD_FILES)
    def test_bad_files_are_refused_saying_why(self, name, data, message):
        with pytest.raises(DocumentError) as refused:
            from_upload(upload(name, data))
        assert message in str(refused.value)

    def test_a_file_over_the_size_limit_is_refused_before_it_is_read(self):
        huge = upload("huge.txt", b"a" * (documents.MAX_UPLOAD_BYTES + 1))
        with pytest.raises(DocumentError, match="huge.txt is 10.0\xa0MB: files up to 10.0\xa0MB"):
            from_upload(huge)
        assert huge.tell() == 0  # not read

    def test_a_text_over_the_length_limit_is_refused(self):
        with pytest.raises(DocumentError, match="the ledger stores up to 2,000,000"):
            from_paste("a" * (documents.MAX_TEXT_CHARS + 1), TextFormat.PLAIN)

    def test_an_empty_paste_is_refused(self):
        with pytest.raises(DocumentError, match="the pasted text is empty"):
            from_paste("\r\n  \r\n", TextFormat.PLAIN)

    @pytest.mark.parametrize("name", ["../ledger/settings.py", "nope.txt", ""])
    def test_a_seed_name_outside_seeds_or_missing_is_refused(self, name):
        with pytest.raises(DocumentError, match="There is no file named"):
            documents.from_seed(name)
