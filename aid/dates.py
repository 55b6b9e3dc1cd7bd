"""Dates that carry their precision.

"End of May" is not 31 May: a date known to the month is stored as the 1st with
precision "month", and shown as "May 2024". These helpers keep the pair of
fields (date, precision) consistent wherever a model has one.
"""

from django.db import models
from django.db.models import Q
from django.utils import dateformat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .choices import Precision

# Languages that write the names of months in lower case ("травень 2024").
LOWER_CASE_MONTHS = {"uk"}


def format_date(value, precision):
    """The date as precisely as the source gives it, in the reader's language: "27 May 2024",
    "May 2024", "2024"; "27 травня 2024", "травень 2024"."""
    if value is None or precision == Precision.UNKNOWN:
        return _("date unknown")
    if precision == Precision.YEAR:
        return f"{value.year}"
    if precision == Precision.MONTH:
        # F: the month's name as it stands alone (nominative); Django capitalises it.
        shown = dateformat.format(value, "F Y")
        return shown.lower() if get_language() in LOWER_CASE_MONTHS else shown
    # E: the month's name in a date ("27 травня", genitive); in English the same as F.
    return dateformat.format(value, "j E Y")


def format_period(start, end):
    """The years a pledge covers, in the reader's language: "2024–2028", "until 2028"."""
    if start and end:
        return str(start) if start == end else f"{start}–{end}"
    if end:
        return _("until %(year)s") % {"year": end}
    if start:
        return _("from %(year)s") % {"year": start}
    return ""


def iso_date(value, precision):
    """ISO 8601 truncated to the precision: 2024-05-27, 2024-05, 2024 or ''."""
    if value is None or precision == Precision.UNKNOWN:
        return ""
    if precision == Precision.YEAR:
        return f"{value.year:04d}"
    if precision == Precision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def precision_constraints(date_field, precision_field, label):
    """Check constraints that keep a (date, precision) pair truthful."""
    return [
        models.CheckConstraint(
            condition=Q(**{precision_field: Precision.UNKNOWN, f"{date_field}__isnull": True})
            | (
                Q(**{f"{precision_field}__in": [Precision.DAY, Precision.MONTH, Precision.YEAR]})
                & Q(**{f"{date_field}__isnull": False})
            ),
            name=f"%(app_label)s_%(class)s_{date_field}_matches_precision",
            violation_error_message=(
                f"The {label} date and its precision disagree: give a date with precision "
                "day, month or year, or leave the date empty with precision unknown."
            ),
        ),
        models.CheckConstraint(
            condition=~Q(**{precision_field: Precision.MONTH}) | Q(**{f"{date_field}__day": 1}),
            name=f"%(app_label)s_%(class)s_{date_field}_month_is_first_day",
            violation_error_message=(
                f"The {label} date is known only to the month: store it as the month's first day."
            ),
        ),
        models.CheckConstraint(
            condition=~Q(**{precision_field: Precision.YEAR})
            | Q(**{f"{date_field}__day": 1, f"{date_field}__month": 1}),
            name=f"%(app_label)s_%(class)s_{date_field}_year_is_first_january",
            violation_error_message=(
                f"The {label} date is known only to the year: store it as 1 January of that year."
            ),
        ),
    ]
