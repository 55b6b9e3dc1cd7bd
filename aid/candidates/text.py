"""A document as the engine reads it: a reading view, and the passages it is cut into.

Citations must occur verbatim, so the engine never edits the text it cites. It reads a
*reading view* instead: a copy of the text of exactly the same length in which Markdown and
HTML noise (``\\$`` escapes, ``**bold**``, ``<a href>`` tags, ``<sup>`` footnote marks, URLs,
entities) is overwritten with spaces, character for character. Every offset in the reading
view is the same offset in the original, so a value is read from the clean copy and its
passage is cut from the original.
"""

import dataclasses
import html
import re
from dataclasses import dataclass

# Passages longer than this are cut at clause marks, then at spaces: a citation is a
# sentence, not a page (a document with no full stops is one "sentence").
MAX_PASSAGE = 1200


def _blank(match):
    return " " * (match.end() - match.start())


def _entity(match):
    """An HTML entity read as its character, padded to the entity's length."""
    char = html.unescape(match.group())
    if len(char) != 1 or char == match.group():
        return _blank(match)
    return char + " " * (match.end() - match.start() - 1)


# (what, pattern, replacement): applied in order, each keeping the text's length.
NOISE = [
    # A footnote mark and its number: "Times.<sup>4</sup>" must not read as 4 of anything.
    ("footnote mark", re.compile(r"<(sup|sub)\b[^<>]{0,200}>[^<]{0,200}</\1\s*>", re.I), _blank),
    # A tag whose "<" was escaped and then mangled ("<sup>&</sup>lt;sup>2</sup>").
    ("mangled footnote mark", re.compile(r"\blt;(sup|sub)>[^<\n]{0,200}</\1>"), _blank),
    ("HTML comment", re.compile(r"<!--.{0,2000}?-->", re.S), _blank),
    ("HTML tag", re.compile(r"</?[A-Za-z][^<>]{0,1000}>"), _blank),
    ("URL", re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]{1,2000}", re.I), _blank),
    ("HTML entity", re.compile(r"&(?:#\d{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z]{2,10});"), _entity),
    ("Markdown link target", re.compile(r"\]\([^()\s]{0,2000}\)"), _blank),
    ("Markdown escape", re.compile(r"\\(?=[!-/:-@\[-`{-~])"), _blank),
    ("Markdown heading", re.compile(r"^[ \t]{0,3}#{1,6}(?=[ \t])", re.M), _blank),
    ("Markdown quote", re.compile(r"^[ \t]{0,3}>", re.M), _blank),
    # Emphasis and code marks, but not a "* " bullet at the start of a line.
    ("emphasis", re.compile(r"(?:(?<=\S)|(?<!^)(?<![ \t]))[*_`~]+|[*_`~]+(?=\S)", re.M), _blank),
    ("Markdown link bracket", re.compile(r"\[(?=[^\]\n]{0,500}\])|(?<=\S)\]"), _blank),
]

# One character for one: typographic quotes to plain ones, odd spaces to a space, control
# characters (a binary file's bytes) to a space. Newlines stay: they separate blocks.
SAME_LENGTH = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": " ",
        "\ufeff": " ",
        "\t": " ",
        "\r": " ",
        "\x0b": " ",
        "\x0c": " ",
        **{code: " " for code in range(0x20) if code not in (0x0A,)},
        0x7F: " ",
    }
)


ODD_CHARACTERS = re.compile("[" + "".join(re.escape(chr(code)) for code in SAME_LENGTH) + "]")


def reading_view(text):
    """The text with its noise blanked out: same length, same offsets."""
    # re.sub over the few odd characters: str.translate visits every character in Python.
    view = ODD_CHARACTERS.sub(lambda match: match.group().translate(SAME_LENGTH), text)
    for _, pattern, replacement in NOISE:
        view = pattern.sub(replacement, view)
    assert len(view) == len(text)
    return view


@dataclass(frozen=True)
class Passage:
    """A sentence or list item: text[start:end] of the original document."""

    index: int
    start: int
    end: int
    kind: str  # "sentence", "list-item", "heading" or "footnote"
    block: int  # paragraphs and list items are blocks; sentences of one block share it
    section: int  # headings start sections; context never crosses one
    intro: int | None = None  # for a list item: the passage that introduces the list
    ends_open: bool = False  # ends with ":" or no full stop (a list may follow)


LIST_MARK = re.compile(
    r"[ \t]*(?:[-*+\u2022\u25aa\u25e6\u2013\u2014\u25cf]|\d{1,2}[.)]|[a-z][)])[ \t]+"
)
HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]")
# Superscript digits open a footnote line ("¹ Україна виконала…"), as does a <sup> mark.
FOOTNOTE = re.compile(r"[ \t]*(?:[\u00b9\u00b2\u00b3\u2070-\u2079]|<sup\b)")
SECTION_MARK = re.compile(r"[ \t]*\u25a0")  # "■ THE COURSE OF THE WAR": a digest's rubric
ENDS_SENTENCE = re.compile(r"[.!?;:][\"')\]]*\s*$")

# Words after which a full stop does not end the sentence.
ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof gen lt col maj capt adm sgt cpl st sen rep gov pres amb min
    no nos vol fig figs p pp para approx est inc ltd co corp vs cf al jr sr
    jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e
    """.split()
)
SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)")
NEXT_CHARACTER = re.compile(r"\s*(\S)")


def _lines(view):
    start = 0
    for line in view.split("\n"):
        yield start, start + len(line)
        start += len(line) + 1


def _blocks(text, view):
    """Paragraphs, list items, headings and footnotes, as (start, end, kind, section)."""
    blocks, section = [], 0
    current, last_line = None, ""  # current: [start, end, kind, section]
    for start, end in _lines(view):
        line, original = view[start:end], text[start:end]
        if not line.strip():
            current = None
            continue
        if HEADING.match(original) or SECTION_MARK.match(original):
            section += 1
            blocks.append([start, end, "heading", section])
            current = None
            continue
        if FOOTNOTE.match(original):
            kind = "footnote"
        elif LIST_MARK.match(line):
            kind = "list-item"
        else:
            kind = "sentence"
        continues = (
            current is not None
            and kind == "sentence"
            and current[2] != "footnote"
            and not ENDS_SENTENCE.search(last_line)
            and line.lstrip()[:1].islower()
        )
        if continues:
            current[1] = end  # a hard-wrapped line: the sentence goes on
        else:
            current = [start, end, kind, section]
            blocks.append(current)
        last_line = line
    return blocks


def _is_abbreviation(view, dot):
    word = re.search(r"([A-Za-z.]+)$", view[max(0, dot - 12) : dot])
    if not word:
        return False
    token = word.group(1).rstrip(".")
    # A single capital is an initial (J. Blinken); an inner dot marks U.S. or e.g.
    return token.lower() in ABBREVIATIONS or (len(token) == 1 and token.isupper()) or "." in token


def _sentences(view, start, end):
    """Sentence spans inside one block."""
    spans, position = [], start
    for match in SENTENCE_END.finditer(view, start, end):
        nxt = NEXT_CHARACTER.match(view, match.end(), end)
        if not nxt:
            continue
        following = nxt.group(1)
        if following.islower():
            continue
        if match.group().startswith(".") and _is_abbreviation(view, match.start()):
            continue
        spans.append((position, match.end()))
        position = match.end()
    spans.append((position, end))
    return spans


def _split_long(view, start, end):
    """Cut an over-long span at clause marks, then at spaces, so that no passage is huge."""
    if end - start <= MAX_PASSAGE:
        return [(start, end)]
    pieces, position = [], start
    while end - position > MAX_PASSAGE:
        window = view[position : position + MAX_PASSAGE]
        cut = max(window.rfind("; "), window.rfind(": "))
        if cut < MAX_PASSAGE // 3:
            cut = window.rfind(" ")
        if cut < MAX_PASSAGE // 3:
            cut = MAX_PASSAGE - 1
        pieces.append((position, position + cut + 1))
        position += cut + 1
    pieces.append((position, end))
    return pieces


def _trim(text, view, start, end):
    """Trim blank and blanked-out characters, keeping emphasis marks that hug the words.

    "**France** has provided …" keeps its leading "**": the passage stays a readable,
    balanced quotation of the original.
    """
    while start < end and view[start].isspace():
        start += 1
    while end > start and view[end - 1].isspace():
        end -= 1
    if start == end:
        return start, end
    while start > 0 and text[start - 1] in "*_" and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and text[end] in "*_":
        end += 1
    return start, end


def passages(text, view=None):
    """Cut the text into passages, in order; each is a verbatim slice of the text."""
    view = reading_view(text) if view is None else view
    result = []
    for block_index, (b_start, b_end, kind, section) in enumerate(_blocks(text, view)):
        spans = [(b_start, b_end)] if kind == "heading" else _sentences(view, b_start, b_end)
        for s_start, s_end in spans:
            for p_start, p_end in _split_long(view, s_start, s_end):
                p_start, p_end = _trim(text, view, p_start, p_end)
                if p_start == p_end or not any(ch.isalnum() for ch in view[p_start:p_end]):
                    continue
                first_of_item = kind == "list-item" and p_start <= b_start + 8
                result.append(
                    Passage(
                        index=len(result),
                        start=p_start,
                        end=p_end,
                        kind="list-item" if first_of_item or kind == "list-item" else kind,
                        block=block_index,
                        section=section,
                        ends_open=not ENDS_SENTENCE.search(view[p_start:p_end])
                        or view[p_start:p_end].rstrip().endswith(":"),
                    )
                )
    return _link_lists(result)


def _link_lists(result):
    """Give each list item the sentence that introduces its list, if one does.

    A list is introduced by the passage just before it when that passage ends open
    ("In addition, the United States will provide" or "… also said:").
    """
    linked, intro, previous = [], None, None
    for passage in result:
        if passage.kind == "list-item":
            if previous is not None and previous.kind == "sentence" and previous.ends_open:
                intro = previous.index
            elif previous is None or previous.kind != "list-item":
                intro = None
            linked.append(_with(passage, intro=intro))
        else:
            intro = None
            linked.append(passage)
        previous = passage
    return linked


def _with(passage, **changes):
    return dataclasses.replace(passage, **changes)
