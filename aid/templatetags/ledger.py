"""Template filters for the public pages: amounts as HTML that never wraps inside a figure."""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.translation import get_language

from ..choices import Basis, category_definition
from ..dates import format_period
from ..money import format_money, format_number, format_value, per_basis
from ..rendering import render_quote, source_format

register = template.Library()


@register.filter
def money(record, which="amount"):
    """A record's amount ("amount"), or its value in EUR ("eur") or USD ("usd"), as HTML."""
    basis = getattr(record, "basis", Basis.ONCE)
    if which == "amount":
        shown = format_money(record.amount, record.currency, record.qualifier, html=True)
    else:
        value = getattr(record, f"value_{which}")
        shown = format_value(value, which.upper(), record.qualifier, html=True)
    return per_basis(shown, basis)


@register.filter
def counted_money(agreement):
    """What an agreement counts in the totals, in EUR (AgreementQuerySet's counted_eur)."""
    return format_value(agreement.counted_eur, "EUR", agreement.counted_qualifier, html=True)


@register.filter
def total_money(total):
    """A total (aid/totals.py) as HTML; a total of rates stays a rate."""
    shown = format_value(total.amount, total.currency, total.qualifier, html=True)
    return per_basis(shown, getattr(total, "basis", Basis.ONCE))


@register.filter
def number(value):
    """A count or quantity grouped in the reader's format (977,000 / 977 000)."""
    return "" if value is None else format_number(value)


@register.filter
def period(record):
    """The years a record covers ("2024–2028", "until 2028"), in the reader's language."""
    return format_period(record.period_start_year, record.period_end_year)


@register.filter
def definition(category):
    """What a category holds, in the reader's language."""
    return category_definition(category)


@register.simple_tag(takes_context=True)
def language_links(context):
    """This page in each language: its URL there (filters kept), and the switch to it.

    The switch goes through /language/<code>/ (ledger/languages.py), which remembers the
    choice: a reader whose browser prefers Ukrainian can still read the English pages.
    """
    request = context["request"]
    here = request.get_full_path()
    current = get_language()
    links = []
    for code, name in settings.LANGUAGES:
        twin = translate_url(here, code)
        links.append(
            {
                "code": code,
                "name": name,
                "url": request.build_absolute_uri(twin),
                "switch": f"{reverse('choose_language', args=[code])}?{urlencode({'next': here})}",
                "current": code == current,
            }
        )
    return links


@register.filter
def quote(citation):
    """A cited passage as its document reads: "$225 million", not "\\$225 million"."""
    return render_quote(citation.passage, source_format(citation.source))
