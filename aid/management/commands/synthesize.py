"""Fill the database with a synthetic ledger, in bulk: for benchmarks and load tests only.

    manage.py synthesize --items 1000000            # add a million synthetic line items
    manage.py synthesize --items 10000 --reset      # replace the synthetic records

How synthetic records are marked (the models have no field for it, so by name):
- every synthetic donor's slug starts with `synthetic-` (SYNTHETIC_SLUG_PREFIX), so the
  agreements, line items and citations under a synthetic donor are synthetic too;
- every synthetic source has no file and a URL starting with SYNTHETIC_URL_PREFIX; it has
  no stored text, so synthetic citations are recorded as not checked (with the reason).

The command refuses a database that holds real records (any other donor or source)
unless --allow-real-data is given; real records are then left untouched, and --reset
deletes only synthetic ones.

What is made, drawn from a seeded random generator so that two runs agree:
dozens of donors of skewed size, each with a home currency (mostly EUR or USD); weekly
source digests from 24 February 2022; agreements of 1 to 50 line items, about one in
fifty a draft, dated at day, month or year precision (or unknown), some with a headline
amount; line items in the 13 categories, at every stage and qualifier, some priced, some
counted in units, some parts of a larger figure of the same donor. Every agreement cites
its week's digest. The normalised values (aid/fx.py) and each agreement's counted total
(Agreement.recount) are computed here, in bulk, exactly as save() would compute them.

Rows go in with COPY on PostgreSQL (a million line items in a few minutes) and with
bulk_create elsewhere, in one transaction; PostgreSQL's statistics are refreshed after.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from aid import fx, passages
from aid.choices import (
    AgreementKind,
    AidType,
    Basis,
    DonorKind,
    Precision,
    Qualifier,
    Stage,
    Status,
)
from aid.models import Agreement, Category, Citation, Donor, LineItem, Source
from aid.money import total_qualifier

SYNTHETIC_SLUG_PREFIX = "synthetic-"
SYNTHETIC_URL_PREFIX = "https://example.org/synthetic/"

FIRST_DAY = date(2022, 2, 24)
MAX_ITEMS_PER_AGREEMENT = 50
DONOR_COUNT = 40
DRAFT_SHARE = 0.02
CENT = Decimal("0.01")

# Roughly how many units of each currency make one euro, so amounts look their size.
CURRENCY_SCALE = {
    "EUR": 1,
    "USD": 1.1,
    "GBP": 0.85,
    "NOK": 11.5,
    "DKK": 7.45,
    "SEK": 11.3,
    "PLN": 4.4,
    "CAD": 1.5,
    "JPY": 160,
}
# Donors' home currencies, by how many donors have each: mostly EUR, then USD.
HOME_CURRENCIES = {
    "EUR": 24,
    "USD": 3,
    "GBP": 2,
    "NOK": 2,
    "DKK": 2,
    "SEK": 2,
    "PLN": 2,
    "CAD": 2,
    "JPY": 1,
}
# fmt: off
COUNTRY_CODES = [
    "US", "DE", "GB", "NO", "DK", "SE", "PL", "CA", "JP", "NL", "FR", "BE", "ES", "IT", "FI",
    "EE", "LV", "LT", "CZ", "SK", "PT", "AT", "IE", "LU", "SI", "HR", "RO", "BG", "GR", "AU",
]
# fmt: on
CATEGORY_WEIGHTS = {
    "ammunition": 18,
    "equipment": 16,
    "funding": 12,
    "air-defence": 10,
    "artillery": 8,
    "armoured-vehicles": 8,
    "drones": 8,
    "vehicles": 6,
    "anti-tank": 5,
    "training": 4,
    "missiles": 3,
    "aircraft": 2,
    "naval": 2,
}
# (description, unit) by category; unit "" means the item is money or a service.
THINGS = {
    "aircraft": [("F-16 fighter jets", "aircraft"), ("transport helicopters", "helicopters")],
    "air-defence": [("air-defence systems", "systems"), ("interceptor missiles", "missiles")],
    "artillery": [("155 mm howitzers", "howitzers"), ("120 mm mortars", "mortars")],
    "ammunition": [("155 mm artillery shells", "shells"), ("small-arms rounds", "rounds")],
    "armoured-vehicles": [("infantry fighting vehicles", "vehicles"), ("tanks", "tanks")],
    "anti-tank": [("anti-tank missiles", "missiles"), ("anti-tank launchers", "launchers")],
    "missiles": [("long-range strike missiles", "missiles")],
    "drones": [("reconnaissance drones", "drones"), ("loitering munitions", "munitions")],
    "naval": [("patrol boats", "boats"), ("mine countermeasure vessels", "vessels")],
    "vehicles": [("military trucks", "trucks"), ("fuel trailers", "trailers")],
    "equipment": [("night-vision devices", "devices"), ("spare parts and maintenance", "")],
    "training": [("training of Ukrainian soldiers", "soldiers"), ("pilot training", "")],
    "funding": [("military aid", ""), ("contribution to a procurement fund", "")],
}
STAGE_WEIGHTS = {
    Stage.ANNOUNCED: 25,
    Stage.COMMITTED: 40,
    Stage.ALLOCATED: 15,
    Stage.DELIVERED: 20,
}
QUALIFIER_WEIGHTS = {
    Qualifier.EXACT: 60,
    Qualifier.AT_LEAST: 15,
    Qualifier.UP_TO: 15,
    Qualifier.APPROXIMATELY: 10,
}
# Most figures are military aid paid once; a few are of other types or rates per year, so
# that the totals' rules about them are exercised at scale too.
AID_TYPE_WEIGHTS = {
    AidType.MILITARY: 92,
    AidType.FINANCIAL: 3,
    AidType.HUMANITARIAN: 2,
    AidType.MIXED: 3,
}
BASIS_WEIGHTS = {Basis.ONCE: 97, Basis.PER_YEAR: 3}
PRECISION_WEIGHTS = {
    Precision.DAY: 75,
    Precision.MONTH: 14,
    Precision.YEAR: 6,
    Precision.UNKNOWN: 5,
}
KIND_WEIGHTS = {
    AgreementKind.AID_PACKAGE: 55,
    AgreementKind.SECURITY_AGREEMENT: 10,
    AgreementKind.FINANCING: 10,
    AgreementKind.FUND_CONTRIBUTION: 10,
    AgreementKind.JOINT_PROCUREMENT: 10,
    AgreementKind.APPROPRIATION: 5,
}


def synthetic_donors():
    return Donor.objects.filter(slug__startswith=SYNTHETIC_SLUG_PREFIX)


def synthetic_sources():
    return Source.objects.filter(file="", url__startswith=SYNTHETIC_URL_PREFIX)


def real_record_counts():
    """How many donors and sources are not synthetic (their agreements and items follow)."""
    return {
        "donors": Donor.objects.exclude(slug__startswith=SYNTHETIC_SLUG_PREFIX).count(),
        "sources": Source.objects.exclude(pk__in=synthetic_sources().values("pk")).count(),
    }


def delete_synthetic():
    """Delete every synthetic record, children first; real records stay.

    _raw_delete: one DELETE per table instead of the ORM collecting a million
    objects to cascade them one by one; the order below does the cascading.
    """
    donors = synthetic_donors()
    agreements = Agreement.objects.filter(donor__in=donors)
    items = LineItem.objects.filter(agreement__in=agreements)
    deleted = {}
    for name, queryset in [
        ("citations", Citation.objects.filter(agreement__in=agreements)),
        # A whole is PROTECTed from deletion while it has parts: unlink first.
        ("_parts", None),
        ("line items", items),
        ("agreements", agreements),
        ("donors", donors),
        # A source still cited by a real record is kept.
        ("sources", synthetic_sources().filter(citations__isnull=True)),
    ]:
        if queryset is None:
            items.filter(part_of__isnull=False).update(part_of=None)
            continue
        deleted[name] = queryset._raw_delete(queryset.db)
    return deleted


@cache
def rates(currency, day):
    """fx.convert's two ECB look-ups, once per (currency, day) instead of once per amount."""
    own = fx.ecb_rate(currency, day)
    usd = fx.ecb_rate("USD", day)
    if own is None or usd is None:
        return None
    (currency_per_eur, own_date), (usd_per_eur, usd_date) = own, usd
    rate_date = min(own_date, usd_date) if currency != "EUR" else usd_date
    return currency_per_eur, usd_per_eur, rate_date


def money_values(amount, currency, on):
    """The Money.MONEY_FIELDS of an amount, with fx.convert's arithmetic to the cent."""
    found = rates(currency, on) if amount is not None and currency and on else None
    if found is None:
        return (None, None, None, None, None)
    currency_per_eur, usd_per_eur, rate_date = found
    value_eur = amount / currency_per_eur
    return (
        value_eur.quantize(CENT, ROUND_HALF_EVEN),
        (value_eur * usd_per_eur).quantize(CENT, ROUND_HALF_EVEN),
        currency_per_eur,
        usd_per_eur,
        rate_date,
    )


class Table:
    """Rows for one model, written in batches: COPY on PostgreSQL, bulk_create elsewhere.

    Rows list the `fields` given; any other concrete field (one added to the model
    after this command was written) gets its default, or the command says what it lacks.
    """

    def __init__(self, model, fields):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        self.extra = []
        for other in model._meta.concrete_fields:
            if other in self.fields:
                continue
            if other.has_db_default():
                continue
            if not (other.has_default() or other.null or other.empty_strings_allowed):
                raise CommandError(
                    f"{model.__name__}.{other.name} has no default: teach synthesize to fill it."
                )
            # get_default() is "" for a text field without a default, None for a nullable one.
            value = other.get_db_prep_save(other.get_default(), connection)
            self.extra.append((other, value))
        self.rows = []
        self.written = 0
        self.next_id = (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1

    def take_id(self):
        self.next_id += 1
        return self.next_id - 1

    def add(self, *row):
        self.rows.append(row)

    def flush(self):
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            self.copy()
        else:
            self.bulk_create()
        self.written += len(self.rows)
        self.rows = []

    def copy(self):
        columns = [f.column for f in self.fields] + [f.column for f, _ in self.extra]
        quote = connection.ops.quote_name
        statement = (
            f"COPY {quote(self.model._meta.db_table)} "
            f"({', '.join(quote(c) for c in columns)}) FROM STDIN"
        )
        constants = tuple(value for _, value in self.extra)
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in self.rows:
                copy.write_row(row + constants)

    def bulk_create(self):
        names = [f.attname for f in self.fields]
        self.model.objects.bulk_create(
            [self.model(**dict(zip(names, row, strict=True))) for row in self.rows],
            batch_size=500,
        )

    def reset_sequence(self):
        """COPY gave explicit ids; the next save() must not collide with them."""
        statements = connection.ops.sequence_reset_sql(no_style(), [self.model])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def weighted(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def round_amount(value):
    """Two or three significant figures, as sources state amounts: 977000000, 1200000."""
    digits = len(str(int(value))) - 3
    step = 10 ** max(digits, 0)
    return Decimal(max(int(value) // step * step, 1000))


def at_precision(day, precision):
    if precision == Precision.MONTH:
        return day.replace(day=1)
    if precision == Precision.YEAR:
        return day.replace(month=1, day=1)
    if precision == Precision.UNKNOWN:
        return None
    return day


@dataclass
class SyntheticDonor:
    pk: int
    name: str
    currency: str
    weight: float
    # The donor's latest wholes (line item id, amount in EUR terms), for cross-agreement parts.
    wholes: list = field(default_factory=list)


class Synthesizer:
    """Draws the synthetic ledger and hands its rows to one Table per model."""

    def __init__(self, seed, batch_items, last_day, stdout):
        self.rng = random.Random(seed)  # noqa: S311 - not for security
        # Aid types and bases are drawn from a stream of their own, so that adding them left
        # every other draw, and so the benchmark's data, as it was.
        self.kinds = random.Random(f"{seed}:kinds")  # noqa: S311 - not for security
        self.batch_items = batch_items
        self.last_day = last_day
        self.stdout = stdout
        self.now = timezone.now()
        self.donors = Table(Donor, ["id", "name", "slug", "kind", "iso_code"])
        self.sources = Table(
            Source, ["id", "title", "publisher", "published_on", "period_end", "file", "url"]
        )
        self.agreements = Table(
            Agreement,
            [
                "id",
                "donor",
                "title",
                "kind",
                "announced_on",
                "announced_precision",
                "signed_on",
                "signed_precision",
                "stage",
                "summary",
                "notes",
                "status",
                "version",
                "amount",
                "currency",
                "qualifier",
                "aid_type",
                "basis",
                *Agreement.MONEY_FIELDS,
                "counted_eur",
                "counted_usd",
                "counted_qualifier",
                "period_start_year",
                "period_end_year",
                "created_at",
                "updated_at",
            ],
        )
        self.items = Table(
            LineItem,
            [
                "id",
                "agreement",
                "category",
                "description",
                "quantity",
                "unit",
                "period_text",
                "stage",
                "part_of",
                "notes",
                "amount",
                "currency",
                "qualifier",
                "aid_type",
                "basis",
                *LineItem.MONEY_FIELDS,
                "period_start_year",
                "period_end_year",
            ],
        )
        self.citations = Table(
            Citation, ["id", "source", "agreement", "line_item", "passage", "unchecked_reason"]
        )
        self.tables = [self.donors, self.sources, self.agreements, self.items, self.citations]
        self.categories = {
            c.slug: c.pk for c in Category.objects.all() if c.slug in CATEGORY_WEIGHTS
        } or {c.slug: c.pk for c in Category.objects.all()}
        if not self.categories:
            raise CommandError("There are no categories: run migrate first.")
        self.category_weights = {slug: CATEGORY_WEIGHTS.get(slug, 1) for slug in self.categories}

    # Donors and sources: made once, reused by later runs -------------------------

    def ensure_donors(self):
        existing = {d.slug: d for d in synthetic_donors()}
        currencies = [c for c, n in HOME_CURRENCIES.items() for _ in range(n)]
        donors = []
        for rank in range(1, DONOR_COUNT + 1):
            slug = f"{SYNTHETIC_SLUG_PREFIX}{rank:02d}"
            name = f"Synthetic donor {rank:02d}"
            # Institutions at a few ranks; countries take the ISO codes in turn.
            if rank % 10 == 5:
                kind, iso_code = (
                    DonorKind.EU_INSTITUTION if rank % 20 == 5 else DonorKind.MULTILATERAL,
                    "",
                )
            else:
                kind, iso_code = DonorKind.COUNTRY, COUNTRY_CODES[(rank - 1) % len(COUNTRY_CODES)]
            # The two largest donors pay in USD and EUR: most of the money is in those.
            currency = ("USD", "EUR")[rank - 1] if rank <= 2 else currencies[rank % len(currencies)]
            if slug in existing:
                pk = existing[slug].pk
            else:
                pk = self.donors.take_id()
                self.donors.add(pk, name, slug, kind, iso_code)
            # Zipf-like: the largest donor pledges about a fifth of all line items.
            donors.append(SyntheticDonor(pk, name, currency, 1 / rank))
        self.donors.flush()
        return donors

    def ensure_sources(self):
        """Weekly digests, Monday to Sunday, from the week of FIRST_DAY to last_day's."""
        existing = dict(synthetic_sources().values_list("url", "pk"))
        monday = FIRST_DAY - timedelta(days=FIRST_DAY.weekday())
        weeks = {}
        while monday <= self.last_day:
            url = f"{SYNTHETIC_URL_PREFIX}{monday.isoformat()}"
            pk = existing.get(url)
            if pk is None:
                pk = self.sources.take_id()
                title = f"Synthetic weekly digest, {monday:%-d %B %Y}"
                self.sources.add(
                    pk, title, "Synthetic", monday, monday + timedelta(days=6), "", url
                )
            weeks[monday] = pk
            monday += timedelta(days=7)
        self.sources.flush()
        return weeks

    # Agreements and their line items ----------------------------------------------

    def run(self, n_items):
        rng = self.rng
        donors = self.ensure_donors()
        weeks = self.ensure_sources()
        donor_weights = [d.weight for d in donors]
        span = (self.last_day - FIRST_DAY).days
        remaining = n_items
        pending = 0
        while remaining:
            # Skewed towards small agreements: mean about 15 items, at most 50.
            size = 1 + int((MAX_ITEMS_PER_AGREEMENT - 1) * rng.random() ** 2.5)
            size = min(size, remaining)
            donor = rng.choices(donors, weights=donor_weights)[0]
            day = FIRST_DAY + timedelta(days=rng.randrange(span + 1))
            week = day - timedelta(days=day.weekday())
            source_id = weeks[week]
            self.agreement(donor, day, week, size, source_id)
            remaining -= size
            pending += size
            if pending >= self.batch_items:
                self.flush()
                pending = 0
                self.stdout.write(f"  {n_items - remaining:,} of {n_items:,} line items")
        self.flush()
        for table in self.tables:
            table.reset_sequence()
        return {t.model._meta.verbose_name_plural: t.written for t in self.tables}

    def flush(self):
        for table in self.tables:
            table.flush()

    def agreement(self, donor, day, week, size, source_id):
        rng = self.rng
        pk = self.agreements.take_id()
        kind = weighted(rng, KIND_WEIGHTS)
        precision = weighted(rng, PRECISION_WEIGHTS)
        announced_on = at_precision(day, precision)
        signed_on, signed_precision = (
            (announced_on, precision)
            if precision == Precision.DAY and rng.random() < 0.5
            else (None, Precision.UNKNOWN)
        )
        # An agreement without a date is converted at its only source's date.
        value_date = announced_on or week
        status = Status.DRAFT if rng.random() < DRAFT_SHARE else Status.PUBLISHED
        start, end = self.period(day.year)

        # About a quarter give a headline total; their items then are mostly unpriced.
        headline = rng.random() < 0.25
        currency = donor.currency
        aid_type, basis = AidType.MILITARY, Basis.ONCE
        if headline:
            amount = self.amount(currency, size)
            qualifier = weighted(rng, QUALIFIER_WEIGHTS)
            headline_stage = weighted(rng, STAGE_WEIGHTS)
            aid_type = weighted(self.kinds, AID_TYPE_WEIGHTS)
            basis = weighted(self.kinds, BASIS_WEIGHTS)
        else:
            amount, qualifier, headline_stage = None, Qualifier.EXACT, Stage.COMMITTED
        values = money_values(amount, currency if headline else "", value_date)

        counted = self.line_items(pk, donor, size, headline, value_date, start, end)
        if headline and (aid_type, basis) != (AidType.MILITARY, Basis.ONCE):
            # A headline outside the military totals counts nothing (Agreement.recount).
            counted_eur, counted_usd, counted_qualifier = None, None, Qualifier.EXACT
        elif headline:
            counted_eur, counted_usd, counted_qualifier = values[0], values[1], qualifier
        else:
            priced = [row for row in counted if row[0] is not None]
            counted_eur = sum((row[0] for row in priced), Decimal(0)) if priced else None
            counted_usd = sum((row[1] for row in priced), Decimal(0)) if priced else None
            counted_qualifier = total_qualifier(row[2] for row in priced)

        kind_label = AgreementKind(kind).label
        self.agreements.add(
            pk,
            donor.pk,
            f"{kind_label} №{pk} from {donor.name}",
            kind,
            announced_on,
            precision,
            signed_on,
            signed_precision,
            headline_stage,
            f"Synthetic {kind_label.lower()} of {size} line item{'s' if size > 1 else ''}.",
            "",
            status,
            1,
            amount,
            currency if headline else "",
            qualifier,
            aid_type,
            basis,
            *values,
            counted_eur,
            counted_usd,
            counted_qualifier,
            start,
            end,
            self.now,
            self.now,
        )
        self.citations.add(
            self.citations.take_id(),
            source_id,
            pk,
            None,
            f"{donor.name} announced a {kind_label.lower()} for Ukraine (synthetic passage).",
            # Synthetic sources are URLs without a stored text: nothing to check against.
            passages.NO_TEXT,
        )

    def period(self, year):
        roll = self.rng.random()
        if roll < 0.5:
            return None, None
        if roll < 0.8:
            return year, year
        return year, year + self.rng.randrange(1, 5)

    def amount(self, currency, scale=1):
        """An amount of about €50,000 to €5 billion (log-uniform), in the currency's units."""
        euros = 10 ** self.rng.uniform(4.7, 8.5 + min(scale, 10) * 0.12)
        return round_amount(euros * CURRENCY_SCALE.get(currency, 1))

    def line_items(self, agreement_id, donor, size, headline, value_date, start, end):
        """Adds the agreement's line items; returns the counted ones' (eur, usd, qualifier)."""
        rng = self.rng
        ids = [self.items.take_id() for _ in range(size)]
        # Some agreements state a whole and its parts (€5 billion, of which €1 billion now).
        parts = rng.randrange(1, min(size, 4)) if size >= 3 and rng.random() < 0.08 else 0
        cross_part = (
            ids[-1] if donor.wholes and not parts and size >= 2 and rng.random() < 0.1 else None
        )
        counted = []
        for position, pk in enumerate(ids):
            slug = weighted(rng, self.category_weights)
            description, unit = rng.choice(THINGS.get(slug, [("aid", "")]))
            quantity = None
            if unit and rng.random() < 0.7:
                quantity = rng.choice((1, 2, 3, 4, 6, 8, 10, 12, 20, 30, 50, 100, 500, 1000))
                if slug == "ammunition":
                    quantity *= 1000
                description = f"{quantity:,} {description}"
            else:
                unit = ""
            priced = rng.random() < (0.25 if headline else 0.75)
            part_of = None
            if parts and position == 0:
                priced = True
                description = f"{description}, in all"
            elif parts and position <= parts:
                part_of = ids[0]
                description = f"{description}, of which"
            elif pk == cross_part:
                part_of = donor.wholes[-1]
                priced = True
            currency = donor.currency if rng.random() < 0.9 else rng.choice(("EUR", "USD"))
            amount = self.amount(currency) if priced else None
            qualifier = weighted(rng, QUALIFIER_WEIGHTS) if priced else Qualifier.EXACT
            aid_type = weighted(self.kinds, AID_TYPE_WEIGHTS)
            # Only a priced figure that is no part can be a rate: a part of a rate is no rate.
            basis = weighted(self.kinds, BASIS_WEIGHTS) if priced and not part_of else Basis.ONCE
            values = money_values(amount, currency if priced else "", value_date)
            stage = weighted(rng, STAGE_WEIGHTS)
            period_start, period_end = (
                (start, end) if rng.random() < 0.7 else self.period((value_date or FIRST_DAY).year)
            )
            self.items.add(
                pk,
                agreement_id,
                self.categories[slug],
                description,
                quantity,
                unit,
                period_words(period_start, period_end),
                stage,
                part_of,
                "",
                amount,
                currency if priced else "",
                qualifier,
                aid_type,
                basis,
                *values,
                period_start,
                period_end,
            )
            military_once = (aid_type, basis) == (AidType.MILITARY, Basis.ONCE)
            if priced and part_of is None and not headline and military_once:
                counted.append((values[0], values[1], qualifier))
        if parts:
            donor.wholes = [*donor.wholes[-9:], ids[0]]
        return counted


def period_words(start, end):
    if start is None:
        return ""
    if start == end:
        return f"in {start}"
    return f"from {start} to {end}"


class Command(BaseCommand):
    help = (
        "Add a synthetic ledger of N line items for benchmarks (donor slugs start with "
        f"'{SYNTHETIC_SLUG_PREFIX}', source URLs with '{SYNTHETIC_URL_PREFIX}')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, required=True, help="Line items to add.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the synthetic records first."
        )
        parser.add_argument(
            "--allow-real-data",
            action="store_true",
            help="Run even though the database holds real (non-synthetic) records.",
        )
        parser.add_argument("--seed", type=int, default=2022, help="Random seed (default 2022).")
        parser.add_argument(
            "--batch-size", type=int, default=50_000, help="Line items written per batch."
        )

    def handle(self, *args, items, reset, allow_real_data, seed, batch_size, **options):
        if items < 0:
            raise CommandError("--items must be zero or more.")
        real = real_record_counts()
        if any(real.values()) and not allow_real_data:
            raise CommandError(
                f"This database holds real records ({real['donors']} donors, "
                f"{real['sources']} sources); synthetic data would mix with them. "
                "Use an empty database, or pass --allow-real-data to add it anyway "
                f"(synthetic donors' slugs start with '{SYNTHETIC_SLUG_PREFIX}')."
            )
        started = time.monotonic()
        with transaction.atomic():
            if reset:
                deleted = delete_synthetic()
                summary = ", ".join(f"{n:,} {name}" for name, n in deleted.items())
                self.stdout.write(f"Deleted synthetic records: {summary}.")
            # Runs that add to earlier ones draw new records, not the same ones again.
            offset = LineItem.objects.count()
            synthesizer = Synthesizer(
                f"{seed}:{offset}",
                batch_size,
                last_rate_day(),
                self.stdout,
            )
            written = synthesizer.run(items)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Fresh statistics and visibility map, as autovacuum would leave them later.
            # (Not inside a caller's transaction, such as a test's: VACUUM cannot run there.)
            models_ = [Category, *(t.model for t in synthesizer.tables)]
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM (ANALYZE) {tables}")
        summary = ", ".join(f"{n:,} {name}" for name, n in written.items())
        self.stdout.write(f"Added {summary} in {time.monotonic() - started:.1f} s.")


def last_rate_day():
    """The last day the bundled ECB history quotes USD, or today: dates stay convertible."""
    try:
        last = fx.converter().bounds["USD"].last_date
    except (KeyError, AttributeError):
        last = date.today()
    return min(last, date.today())
