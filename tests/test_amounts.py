"""Amounts as analysts type them (aid/amounts.py): exact Decimals, or a message saying why not."""

from decimal import Decimal

import pytest

from aid.amounts import AmountError, amount_in_words, format_amount, parse_amount

READ = {
    "13,300,000,000": "13300000000",
    "13 300 000 000": "13300000000",
    "13\u00a0300\u00a0000\u00a0000": "13300000000",  # as pasted from a web page
    "13\u202f300\u202f000\u202f000": "13300000000",
    "13300000000": "13300000000",
    "13.3 billion": "13300000000",
    "13.3 Billion": "13300000000",
    "13.3bn": "13300000000",
    "13.3 bn": "13300000000",
    "500m": "500000000",
    "500 mn": "500000000",
    "1.5 million": "1500000",
    "2 thousand": "2000",
    "250k": "250000",
    "1,234.5": "1234.50",
    "0.07": "0.07",
    "1.23456789 million": "1234567.89",
    "0": "0",
    "  977,000,000 ": "977000000",
    "9,999,999,999,999,999.99": "9999999999999999.99",
    "0.000000001 billion": "1",
}


@pytest.mark.parametrize("typed, expected", READ.items(), ids=list(READ))
def test_reads_separators_and_words_exactly(typed, expected):
    amount = parse_amount(typed)
    assert isinstance(amount, Decimal)
    assert amount == Decimal(expected)
    # Exactly: the same digits, never a float's 13299999999.999998.
    assert str(amount) == expected


def test_exact_at_every_digit_where_a_float_would_round():
    # 18 significant digits, the column's: a float keeps about 16.
    assert parse_amount("1,234,567,890,123,456.78") == Decimal("1234567890123456.78")
    assert Decimal(float("1234567890123456.78")) != Decimal("1234567890123456.78")


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_a_blank_is_no_amount(blank):
    assert parse_amount(blank) is None


REFUSED = {
    "1,2,3": "ambiguous",
    "12.5.6": "ambiguous",
    "1,5": "ambiguous",  # a decimal comma, or a thousands comma with digits missing
    "1.500.000": "ambiguous",  # points grouping thousands
    "13,300 000": "ambiguous",  # two kinds of separator
    "1,30,00,000": "ambiguous",  # lakh grouping
    "12.": "ambiguous",
    "lots": "is not an amount",
    "about 5 million": "is not an amount",
    "€2 billion": "is not an amount",
    "1e9": "is not an amount",
    ".5": "is not an amount",
    "5 zillion": "“zillion” is not a word",
    "5 b": "“b” is not a word",
    "-5": "cannot be negative",
    "−5 million": "cannot be negative",
    "(5)": "cannot be negative",
    "1.234": "finer than a cent",
    "1.234567891 million": "finer than a cent",
    "99,999,999,999,999,999": "too large",
    "10 billion billion": "is not an amount",
    "100000000 billion": "too large",
    "9" * 40 + " bn": "too large",
}


@pytest.mark.parametrize("typed, message", REFUSED.items(), ids=list(REFUSED))
def test_refuses_what_it_cannot_read_for_certain(typed, message):
    with pytest.raises(AmountError) as refused:
        parse_amount(typed)
    assert message in str(refused.value)


def test_the_refusal_quotes_what_was_typed():
    with pytest.raises(AmountError, match="“1,2,3” is ambiguous: group digits in threes"):
        parse_amount("1,2,3")


@pytest.mark.parametrize(
    "amount, shown, words",
    [
        ("13300000000", "13,300,000,000", "13.3 billion"),
        ("500000000", "500,000,000", "500 million"),
        ("1500000", "1,500,000", "1.5 million"),
        ("977000000", "977,000,000", "977 million"),
        ("1234567.89", "1,234,567.89", ""),  # no shorter exact reading
        ("1234.50", "1,234.50", ""),
        ("2500", "2,500", "2.5 thousand"),
        ("999", "999", ""),
        ("1000000000000", "1,000,000,000,000", "1,000 billion"),
        ("0", "0", ""),
    ],
)
def test_shown_back_grouped_and_in_words(amount, shown, words):
    value = Decimal(amount)
    assert format_amount(value) == shown
    assert amount_in_words(value) == words
    # What is shown is read back as the same amount.
    assert parse_amount(shown) == value
    if words:
        assert parse_amount(words) == value


def test_nothing_shown_for_no_amount():
    assert format_amount(None) == amount_in_words(None) == ""
