"""Normalised values: every amount also in EUR and in USD, at the ECB reference rate of its date.

The rates come from the European Central Bank's history as shipped inside the
`currencyconverter` package: nothing is fetched at run time, and the same
amount on the same date always converts the same way.

The rule (README, "Exchange rates"):
- The date of an amount is its agreement's announcement date. A date known only
  to the month or the year is stored as the period's first day, and that day's
  rate is used. An unknown date falls back to the earliest publication date of
  the sources the agreement cites.
- On a day without an ECB rate (weekends, TARGET holidays), the last rate
  published before it is used, looking back at most LOOKBACK_DAYS days.
- A currency the ECB does not quote, or a date before its history, gets no
  normalised value; the amount is kept as stated and the reason is shown.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from currency_converter import CurrencyConverter, RateNotFoundError
from django.utils.translation import gettext as _

LOOKBACK_DAYS = 10
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Conversion:
    """An amount's value in EUR and USD, and the ECB rates that gave it."""

    value_eur: Decimal
    value_usd: Decimal
    currency_per_eur: Decimal  # ECB quote for the amount's currency (1 for EUR)
    usd_per_eur: Decimal  # ECB quote for USD
    rate_date: date


@cache
def converter():
    # Reads the ECB history bundled with the package once per process.
    return CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False)


def ecb_rate(currency, on):
    """(rate, date) of the ECB quote for currency per EUR on `on` or the last day before it."""
    if currency == "EUR":
        return Decimal(1), on
    quotes = converter()
    if currency not in quotes.currencies:
        return None
    for back in range(LOOKBACK_DAYS + 1):
        day = on - timedelta(days=back)
        try:
            rate = quotes.convert(1, "EUR", currency, date=day)
        except RateNotFoundError:
            continue
        if rate is not None:
            # The ECB publishes a handful of significant digits; str() keeps exactly those.
            return Decimal(str(rate)), day
    return None


def convert(amount, currency, on):
    """The Conversion of an amount on a date, or None with no rate to be had."""
    if amount is None or not currency or on is None:
        return None
    own = ecb_rate(currency, on)
    usd = ecb_rate("USD", on)
    if own is None or usd is None:
        return None
    currency_per_eur, own_date = own
    usd_per_eur, usd_date = usd
    value_eur = amount / currency_per_eur
    value_usd = value_eur * usd_per_eur
    return Conversion(
        value_eur=value_eur.quantize(CENT, ROUND_HALF_EVEN),
        value_usd=value_usd.quantize(CENT, ROUND_HALF_EVEN),
        currency_per_eur=currency_per_eur,
        usd_per_eur=usd_per_eur,
        # EUR has a rate every day; the USD quote's date is the one that bounds it.
        rate_date=min(own_date, usd_date) if currency != "EUR" else usd_date,
    )


def why_not_converted(currency, on):
    """A reader's explanation for a missing normalised value."""
    if on is None:
        return _("not converted: no date for this amount or its sources")
    if currency != "EUR" and currency not in converter().currencies:
        return _("not converted: the ECB publishes no reference rate for %(currency)s") % {
            "currency": currency
        }
    return _("not converted: no ECB rate within %(days)s days before %(date)s") % {
        "days": LOOKBACK_DAYS,
        "date": on.isoformat(),
    }
