"""What "verbatim" means: the differences a passage may have from its source's text, and no others.

aid.passages.passage_pattern() lists them: runs of whitespace, whitespace at the
passage's ends, and the kinds of quotation mark. Each is tested here, and so is a
sample of what is never read as the same. Then the check's outcomes, and the
highlighting of a source's text by the offsets a check recorded.
"""

import sys
import unicodedata

import pytest

from aid.passages import (
    DOUBLE_QUOTES,
    EMPTY,
    NO_TEXT,
    NOT_FOUND,
    SINGLE_QUOTES,
    check_passage,
    find_passage,
    passage_pattern,
)

TEXT = (
    "Belgium’s “largest” package: at least €977\u00a0million\r\n"
    "in military aid – and 30 F-16 jets… for the café's pilots by 2028."
)


def found(passage, text=TEXT):
    span = find_passage(text, passage)
    return None if span is None else text[span[0] : span[1]]


class TestReadAsTheSame:
    """Each documented difference, on its own: the passage is found, at the text's own words."""

    @pytest.mark.parametrize(
        "passage, in_text",
        [
            ("€977 million", "€977\u00a0million"),
            ("million in military", "million\r\nin military"),
            ("million\nin military", "million\r\nin military"),
            ("at  least\t€977", "at least €977"),
            ("Belgium’s\n“largest”", "Belgium’s “largest”"),
            ("  package: at least \n", "package: at least"),
        ],
        ids=[
            "space for a no-break space",
            "space for a line break (CR LF)",
            "LF for CR LF",
            "several spaces and a tab for one space",
            "line break for a space",
            "whitespace around the passage",
        ],
    )
    def test_whitespace(self, passage, in_text):
        assert found(passage) == in_text

    @pytest.mark.parametrize("quote", sorted(SINGLE_QUOTES))
    def test_each_single_quote_or_apostrophe_for_another(self, quote):
        assert found(f"Belgium{quote}s") == "Belgium’s"
        assert found(f"café{quote}s") == "café's"

    @pytest.mark.parametrize("quote", sorted(DOUBLE_QUOTES))
    def test_each_double_quote_for_another(self, quote):
        assert found(f"{quote}largest{quote}") == "“largest”"

    def test_the_groups_are_exactly_the_documented_characters(self):
        assert SINGLE_QUOTES == "'\u2018\u2019\u201a\u201b\u02bc"
        assert DOUBLE_QUOTES == '"\u201c\u201d\u201e\u201f'


class TestNothingElseIsNormalised:
    @pytest.mark.parametrize(
        "passage",
        [
            "belgium’s",
            "BELGIUM’S",
            "aid - and",
            "aid — and",
            "jets...",
            "cafe\u0301's",
            "«largest»",
            "Belgium′s",
            "''largest''",
            "€977million",
            "F- 16",
            "F\u201116",
            "F\u00ad-16",
            "F\u200b-16",
            "EUR 977 million",
            "Belgium’s “largest” package at least",
        ],
        ids=[
            "lower case",
            "upper case",
            "hyphen for an en dash",
            "em dash for an en dash",
            "three dots for an ellipsis",
            "decomposed accent",
            "guillemets",
            "prime for an apostrophe",
            "two apostrophes for a double quote",
            "space removed",
            "space added",
            "non-breaking hyphen",
            "soft hyphen",
            "zero-width space",
            "currency respelt",
            "punctuation dropped",
        ],
    )
    def test_refused(self, passage):
        assert found(passage) is None

    def test_every_other_character_matches_only_itself(self):
        """Across the Basic Multilingual Plane: no case, width or compatibility folding."""
        quotes = set(SINGLE_QUOTES + DOUBLE_QUOTES)
        folded = 0
        for point in range(0x21, 0x10000):
            char = chr(point)
            if char.isspace() or char in quotes or unicodedata.category(char) in ("Cs", "Cn"):
                continue
            pattern = passage_pattern(f"x{char}y")
            assert pattern.fullmatch(f"x{char}y"), char
            for variant in {
                char.swapcase(),
                unicodedata.normalize("NFKD", char),
                unicodedata.normalize("NFKC", char),
            } - {char}:
                folded += 1
                assert not pattern.fullmatch(f"x{variant}y"), (char, variant)
        assert folded > 3000  # the sweep did compare case and compatibility forms

    def test_whitespace_is_what_python_calls_whitespace(self):
        spaces = [chr(p) for p in range(sys.maxunicode + 1) if chr(p).isspace()]
        assert {"\u00a0", "\u202f", "\u2028", "\t", "\r", "\n"} <= set(spaces)
        for space in spaces:
            assert found(f"at{space}least", "at least") == "at least", hex(ord(space))
        assert found("at least", "at\u200bleast") is None  # zero-width space is not one


class TestCheck:
    def test_found_gives_the_offsets_of_the_first_occurrence(self):
        text = "one passage, then the same passage again"
        check = check_passage(text, "same passage")
        assert (check.found, check.start, check.end, check.reason) == (True, 22, 34, "")
        assert check_passage(text, "passage").start == 4

    @pytest.mark.parametrize(
        "text, passage, reason",
        [
            (TEXT, "Belgium pledges many jets.", NOT_FOUND),
            ("", "Belgium’s", NO_TEXT),
            (TEXT, " \n\t", EMPTY),
        ],
        ids=["not in the text", "no text", "only whitespace"],
    )
    def test_not_found_says_why(self, text, passage, reason):
        check = check_passage(text, passage)
        assert (check.found, check.start, check.end, check.reason) == (False, None, None, reason)
