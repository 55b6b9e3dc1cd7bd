"""Cited passages: checked against their source's stored text, and highlighted in it.

A citation is checked by check_passage(): its passage must occur in the source's
stored text, verbatim up to the few differences passage_pattern() lists and no
others. Where it was found (character offsets into the stored text) is kept on
the citation; the source page highlights and anchors it there (aid/rendering.py).
The passage itself is never rewritten: it stays as the analyst entered it.
"""

import re
from dataclasses import dataclass

# Each group is read as one character: the straight form and its typographic variants.
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b\u02bc"  # ' ‘ ’ ‚ ‛ ʼ
DOUBLE_QUOTES = '"\u201c\u201d\u201e\u201f'  # " “ ” „ ‟
_QUOTE_CLASSES = {
    **dict.fromkeys(SINGLE_QUOTES, f"[{re.escape(SINGLE_QUOTES)}]"),
    **dict.fromkeys(DOUBLE_QUOTES, f"[{re.escape(DOUBLE_QUOTES)}]"),
}

NO_TEXT = "The source has no stored text to check the passage against."
NOT_FOUND = (
    "Not found in the source's stored text, even allowing for differences of whitespace "
    "and quotation marks."
)
EMPTY = "The passage is empty."


def passage_pattern(passage):
    """The regular expression a passage must match in its source's stored text.

    This is the ledger's one definition of "verbatim". Read as the same, and
    nothing else:

    1. Whitespace. A run of one or more whitespace characters in the passage
       matches a run of one or more in the text, whatever they are: spaces, tabs,
       line breaks (LF, CR LF, CR), no-break spaces (U+00A0, U+202F) and every
       other character Python's str.isspace() counts. A passage copied across a
       line break, or a no-break space typed as a space, still matches; but a space
       is never added where the text has none, nor removed where it has one.
    2. Whitespace at either end of the passage is not part of it.
    3. Single quotes and apostrophes: ' ‘ ’ ‚ ‛ ʼ (U+0027, U+2018, U+2019, U+201A,
       U+201B, U+02BC) match one another.
    4. Double quotes: " “ ” „ ‟ (U+0022, U+201C, U+201D, U+201E, U+201F) match one
       another.

    Everything else must be the very same character: letter case, accents (é is
    not e followed by a combining accent), dashes and hyphens (– is not -), the
    ellipsis (… is not ...), guillemets, primes, currency signs, Markdown escapes,
    zero-width and soft-hyphen characters. Returns None for a passage that is only
    whitespace.
    """
    words = passage.split()
    if not words:
        return None
    return re.compile(
        r"\s+".join("".join(_QUOTE_CLASSES.get(c) or re.escape(c) for c in w) for w in words)
    )


def find_passage(text, passage):
    """Where the passage first occurs in text, as (start, end) offsets, or None."""
    pattern = passage_pattern(passage)
    match = pattern.search(text) if pattern else None
    return match.span() if match else None


@dataclass(frozen=True)
class Check:
    """The outcome of checking a passage: where it was found, or why it was not."""

    start: int | None = None
    end: int | None = None
    reason: str = ""

    @property
    def found(self):
        return self.start is not None


def check_passage(text, passage):
    """Check a passage against a source's stored text (passage_pattern() says how)."""
    if not passage.strip():
        return Check(reason=EMPTY)
    if not text:
        return Check(reason=NO_TEXT)
    span = find_passage(text, passage)
    if span is None:
        return Check(reason=NOT_FOUND)
    return Check(*span)


# Highlighting ------------------------------------------------------------------------
