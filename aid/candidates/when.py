"""Dates and periods as a passage states them, and never more precisely.

"On 27 May" gives a day and a month but no year: the engine returns exactly that, and the
caller supplies a year (the source's date, say) with a note saying so. "By 2028" is the end
of a period, not the date of a pledge; "this year" is kept as words.
"""

import calendar
import datetime
import re
from dataclasses import dataclass

from aid.choices import Precision

MONTHS = {name: number for number, name in enumerate(calendar.month_name) if name}
MONTHS["Sept"] = 9
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?:19[5-9]\d|20\d\d|2100)"

# Month names are matched with their capital: "the budget may increase" names no month.
DATE_PATTERNS = [
    re.compile(rf"\b(?P<y>{_YEAR})-(?P<m>0[1-9]|1[0-2])-(?P<d>[0-3]\d)\b"),
    re.compile(rf"(?<![\d.])(?P<d>[0-3]?\d)\.(?P<m>0?[1-9]|1[0-2])\.(?P<y>{_YEAR})\b"),
    re.compile(
        rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})\b"
        rf"(?:,?\s+(?P<y>{_YEAR})\b)?"
    ),
    re.compile(
        rf"\b(?P<month>{_MONTH})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?![\d.,]\d)"
        rf"(?:,?\s+(?P<y>{_YEAR})\b)?"
    ),
    re.compile(rf"\b(?P<month>{_MONTH}),?\s+(?P<y>{_YEAR})\b"),
    re.compile(
        rf"(?i:\b(?:in|on|since|during|early|mid-?|late|end of|beginning of|start of)\s+)"
        rf"(?:(?i:early|mid-?|late)\s+)?(?P<month>{_MONTH})\b"
    ),
]
# A date after these words is a deadline, not when something was promised.
DEADLINE = re.compile(r"(?i:\b(?:by|until|till|before|no later than)\s+(?:the\s+end\s+of\s+)?)$")
SAME_DAY = re.compile(r"(?i:\b(?:on )?the same day\b)")


@dataclass(frozen=True)
class PartialDate:
    """A date with only the parts the text states: any of year, month, day may be None."""

    year: int | None
    month: int | None
    day: int | None

    @property
    def precision(self):
        """The ledger's precision of the parts stated (a day without a year is still a day)."""
        if self.day:
            return Precision.DAY
        if self.month:
            return Precision.MONTH
        if self.year:
            return Precision.YEAR
        return Precision.UNKNOWN

    def __str__(self):
        parts = []
        if self.day:
            parts.append(str(self.day))
        if self.month:
            parts.append(calendar.month_name[self.month])
        parts.append(str(self.year) if self.year else "(year not stated)")
        return " ".join(parts)

    def resolve(self, default_year=None):
        """(date, precision, note) for a ledger field; the note says what was supplied.

        Without a year of its own and without a default, the date cannot be stored:
        (None, unknown, note).
        """
        year, note = self.year, ""
        if year is None:
            if default_year is None:
                return None, Precision.UNKNOWN, "The passage gives no year."
            year = default_year
            note = f"The passage gives no year; {default_year} is supplied, not stated."
        month = self.month or 1
        day = self.day or 1
        return datetime.date(year, month, day), self.precision, note


def _valid(year, month, day):
    if not month:
        return True
    if not day:
        return True
    # Without a year, 29 February is allowed: a leap year may be meant.
    return day <= calendar.monthrange(year or 2024, month)[1]


def find_dates(view, start, end):
    """Dates in view[start:end] as (start, end, PartialDate, is_deadline), in order.

    Where two readings overlap, the longer wins ("27 May 2024" over "May 2024").
    """
    found = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(view, start, end):
            groups = match.groupdict()
            month = groups.get("m")
            month = int(month) if month else MONTHS.get(groups.get("month") or "")
            day = int(groups["d"]) if groups.get("d") else None
            year = int(groups["y"]) if groups.get("y") else None
            if day is not None and not 1 <= day <= 31:
                continue
            if not _valid(year, month, day):
                continue
            m_start = match.start("month") if groups.get("month") and not day else match.start()
            found.append((m_start, match.end(), PartialDate(year, month, day)))
    found.sort(key=lambda item: (item[0], -(item[1] - item[0])))
    result, last_end = [], -1
    for d_start, d_end, value in found:
        if d_start < last_end:
            continue
        deadline = bool(DEADLINE.search(view[max(0, d_start - 30) : d_start]))
        result.append((d_start, d_end, value, deadline))
        last_end = d_end
    return result


# Period phrases that follow a figure: (pattern, reading). The reading gives the years.
PERIODS = [
    (
        rf"(?i:\b(?:from|between)\s+)(?P<a>{_YEAR})(?i:\s+(?:to|and|until|through)\s+)(?P<b>{_YEAR})",
        "range",
    ),
    (rf"(?i:\b(?:in|for|over|during)\s+)?(?P<a>{_YEAR})\s?[-–—/]\s?(?P<b>{_YEAR}|\d\d)\b", "range"),
    (rf"(?i:\bby\s+(?:the\s+end\s+of\s+)?)(?P<b>{_YEAR})\b", "end"),
    (rf"(?i:\b(?:until|till|through)\s+(?:the\s+end\s+of\s+)?)(?P<b>{_YEAR})\b", "end"),
    (rf"(?i:\b(?:from|since|starting(?:\s+in)?)\s+)(?P<a>{_YEAR})\b", "start"),
    (rf"(?i:\b(?:in|for|during)\s+)(?P<a>{_YEAR})\b", "year"),
    (r"(?i:\b(?:over|in|during|for)\s+the\s+(?:next|coming|following)\s+\w+\s+years\b)", "text"),
    (r"(?i:\bover\s+(?:\w+|\d+)\s+years\b)", "text"),
    (r"(?i:\b(?:this|next|the current|the coming)\s+year\b)", "text"),
]
PERIOD_PATTERNS = [(re.compile(pattern), reading) for pattern, reading in PERIODS]

# "€3 billion a year": an annual rate, not a total.
BASIS_AFTER = [
    (
        re.compile(
            r"(?i:\s*(?:a|per|each|every)\s+year\b|\s*annually\b|\s*per\s+annum\b|"
            r"\s*yearly\b)"
        ),
        "per-year",
    ),
    (re.compile(r"(?i:\s*(?:a|per|each|every)\s+month\b|\s*monthly\b)"), "per-month"),
]
BASIS_BEFORE = [
    (re.compile(r"(?i:\b(?:annual|yearly)\s+(?:\w+\s+){0,2}$)"), "per-year"),
    (re.compile(r"(?i:\bmonthly\s+(?:\w+\s+){0,2}$)"), "per-month"),
]


def find_period(view, start, end):
    """The first period phrase in view[start:end]: (start, end, text, first_year, last_year)."""
    best = None
    for pattern, reading in PERIOD_PATTERNS:
        match = pattern.search(view, start, end)
        if not match or (best and match.start() >= best[0]):
            continue
        groups = match.groupdict()
        first = int(groups["a"]) if groups.get("a") else None
        last = groups.get("b")
        if last and len(last) == 2 and first:
            last = first // 100 * 100 + int(last)
        last = int(last) if last else None
        if reading == "year":
            last = first
        if first and last and last < first:
            continue
        best = (match.start(), match.end(), re.sub(r"\s+", " ", match.group()), first, last)
    return best


def find_basis(view, figure_start, figure_end, limit):
    """("per-year" | "per-month", start, end) when the figure is a rate, else None."""
    for pattern, basis in BASIS_AFTER:
        match = pattern.match(view, figure_end, limit)
        if match:
            return (
                basis,
                figure_end + (len(match.group()) - len(match.group().lstrip())),
                match.end(),
            )
    before = view[max(0, figure_start - 40) : figure_start]
    for pattern, basis in BASIS_BEFORE:
        match = pattern.search(before)
        if match:
            return basis, figure_start - (len(before) - match.start()), figure_start
    return None
