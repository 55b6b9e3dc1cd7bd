"""The ledger's domain: who promised Ukraine what, and where it is written.

Donor → Agreement → LineItem is the pledge; Source → Citation ties each figure
to the verbatim passage that states it. Every amount is a Decimal with an
ISO 4217 currency and a qualifier; every date carries its precision.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
    URLValidator,
)
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, Coalesce
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from . import documents, fx, passages
from .choices import (
    AgreementKind,
    AidType,
    Basis,
    DonorKind,
    Precision,
    Qualifier,
    Stage,
    Status,
    TextFormat,
    TextOrigin,
    category_name,
)
from .constraints import BatchedCheckConstraints
from .dates import format_date, iso_date, precision_constraints
from .history import LedgerHistoricalRecords
from .iso import COUNTRIES, CURRENCIES
from .money import format_money, format_value, left_out_reason, per_basis, total_qualifier

CURRENCY_CHOICES = [(code, code) for code in sorted(CURRENCIES)]
YEAR_VALIDATORS = [MinValueValidator(1991), MaxValueValidator(2100)]
# A sum of converted values, as stored and exported: two decimal places.
MONEY_TOTAL = models.DecimalField(max_digits=20, decimal_places=2)


class SlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        """Fixtures refer to donors and categories by slug, not by id."""
        return self.get(slug=slug)


class DonorQuerySet(SlugQuerySet):
    def public(self):
        """Donors with at least one published agreement; a draft's donor stays unseen."""
        # EXISTS per donor: an index probe each, not a pass over every agreement.
        return self.filter(
            models.Exists(Agreement.objects.published().filter(donor=models.OuterRef("pk")))
        )

    def with_counts(self):
        """Counts of published agreements and their line items.

        A subquery per donor over each table's own donor column (a line item carries a copy
        of its agreement's donor and status, aid/triggers.py), answered from their indexes:
        a join of donors, agreements and every line item took 0.7 s at a million items.
        """

        def count(queryset):
            return models.Subquery(
                queryset.filter(donor=models.OuterRef("pk"))
                .order_by()
                .values("donor")
                .annotate(n=models.Count("pk"))
                .values("n"),
                output_field=models.IntegerField(),
            )

        return self.annotate(
            agreement_count=Coalesce(count(Agreement.objects.published()), 0),
            item_count=Coalesce(count(LineItem.objects.published()), 0),
        )


class Donor(models.Model):
    """A country or institution that pledges aid."""

    name = models.CharField(
        max_length=100, unique=True, help_text="English short name, e.g. Spain."
    )
    slug = models.SlugField(
        max_length=100, unique=True, help_text="The name slugified, e.g. united-states."
    )
    kind = models.CharField(max_length=20, choices=DonorKind.choices, default=DonorKind.COUNTRY)
    iso_code = models.CharField(
        "ISO code",
        max_length=2,
        blank=True,
        help_text="ISO 3166-1 alpha-2, for countries only, e.g. ES.",
    )

    objects = DonorQuerySet.as_manager()
    history = LedgerHistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=DonorKind.COUNTRY) & Q(iso_code__in=sorted(COUNTRIES)))
                | (~Q(kind=DonorKind.COUNTRY) & Q(iso_code="")),
                name="aid_donor_iso_code_for_countries",
                violation_error_message=(
                    "A country needs its ISO 3166-1 alpha-2 code (e.g. ES for Spain); "
                    "an institution has none."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("aid:donor_detail", args=[self.slug])

    def natural_key(self):
        return (self.slug,)


class Category(models.Model):
    """A kind of aid: the ledger's fixed taxonomy (aircraft, air-defence, …)."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60, unique=True)
    definition = models.CharField(max_length=200, help_text="One line: what the category holds.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in lists.")

    objects = SlugQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        # The taxonomy is the ledger's own vocabulary: readers see it in their language.
        return category_name(self)

    def natural_key(self):
        return (self.slug,)


class Money(BatchedCheckConstraints, models.Model):
    """An amount as the source states it: Decimal, ISO 4217 currency, qualifier.

    Abstract: Agreement (its headline figure) and LineItem each hold one. An
    amount is optional, but an amount without a currency is not. Their many check
    constraints are validated in one query (aid/constraints.py).
    """

    amount = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message="An amount cannot be negative.")],
        help_text="In units of the currency, as a plain number: 977000000 for €977 million.",
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        choices=CURRENCY_CHOICES,
        error_messages={"invalid_choice": "%(value)s is not an ISO 4217 currency code."},
        help_text="ISO 4217 code, e.g. EUR. Required with an amount.",
    )
    qualifier = models.CharField(
        max_length=20,
        choices=Qualifier.choices,
        default=Qualifier.EXACT,
        help_text='What the source says of the amount: "at least €977 million" is at least.',
    )
    aid_type = models.CharField(
        "aid type",
        max_length=20,
        choices=AidType.choices,
        default=AidType.MILITARY,
        help_text=(
            "What the amount pays for. Totals count military aid; choose “mixed” when the "
            "source does not say how much of it is military (“$61 billion in aid”)."
        ),
    )
    basis = models.CharField(
        max_length=10,
        choices=Basis.choices,
        default=Basis.ONCE,
        help_text=(
            "Per year for a rate (“approximately €3 billion a year”): a rate is never "
            "added to one-off amounts."
        ),
    )
    # Normalised values, derived from the above on every save (see aid/fx.py).
    value_eur = models.DecimalField(
        "value in EUR", max_digits=20, decimal_places=2, null=True, blank=True, editable=False
    )
    value_usd = models.DecimalField(
        "value in USD", max_digits=20, decimal_places=2, null=True, blank=True, editable=False
    )
    ecb_currency_per_eur = models.DecimalField(
        "ECB rate (currency per EUR)",
        max_digits=18,
        decimal_places=6,
        null=True,
        blank=True,
        editable=False,
    )
    ecb_usd_per_eur = models.DecimalField(
        "ECB rate (USD per EUR)",
        max_digits=18,
        decimal_places=6,
        null=True,
        blank=True,
        editable=False,
    )
    rate_date = models.DateField("ECB rate date", null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="%(app_label)s_%(class)s_amount_not_negative",
                violation_error_message="An amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True, currency="")
                | (Q(amount__isnull=False) & ~Q(currency="")),
                name="%(app_label)s_%(class)s_amount_has_currency",
                violation_error_message=(
                    "An amount needs its currency, and a currency needs an amount."
                ),
            ),
            models.CheckConstraint(
                condition=Q(currency="") | Q(currency__in=sorted(CURRENCIES)),
                name="%(app_label)s_%(class)s_currency_is_iso_4217",
                violation_error_message="The currency must be an ISO 4217 code such as EUR or USD.",
            ),
            models.CheckConstraint(
                condition=Q(qualifier__in=Qualifier.values),
                name="%(app_label)s_%(class)s_qualifier_valid",
                violation_error_message="Unknown amount qualifier.",
            ),
            models.CheckConstraint(
                condition=Q(aid_type__in=AidType.values),
                name="%(app_label)s_%(class)s_aid_type_valid",
                violation_error_message="Unknown aid type.",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=Basis.values),
                name="%(app_label)s_%(class)s_basis_valid",
                violation_error_message="Unknown basis: an amount is paid once or per year.",
            ),
        ]

    @property
    def money_display(self):
        return per_basis(format_money(self.amount, self.currency, self.qualifier), self.basis)

    @property
    def eur_display(self):
        return per_basis(format_value(self.value_eur, "EUR", self.qualifier), self.basis)

    @property
    def usd_display(self):
        return per_basis(format_value(self.value_usd, "USD", self.qualifier), self.basis)

    @property
    def in_military_totals(self):
        """Whether this amount, were it counted, would enter the military totals."""
        return self.aid_type == AidType.MILITARY and self.basis == Basis.ONCE

    @property
    def left_out_reason(self):
        """Why this amount stays out of the military totals, or ''."""
        if self.amount is None or self.in_military_totals:
            return ""
        return left_out_reason(self.aid_type, self.basis)

    @property
    def implied_total(self):
        """A rate over a period both of whose ends are known: the amount times the years.

        An estimate, shown as such and never counted: the source states a rate.
        """
        start, end = self.period_start_year, self.period_end_year
        if self.basis != Basis.PER_YEAR or self.amount is None or not (start and end):
            return None
        return self.amount * (end - start + 1)

    @property
    def implied_total_display(self):
        total = self.implied_total
        if total is None:
            return ""
        return format_money(total, self.currency, self.qualifier)

    def value_date(self):
        """The date whose ECB rate converts this amount (see aid/fx.py)."""
        raise NotImplementedError

    def convert(self):
        """Set the normalised values from amount, currency and date."""
        conversion = fx.convert(self.amount, self.currency, self.value_date())
        self.value_eur = conversion.value_eur if conversion else None
        self.value_usd = conversion.value_usd if conversion else None
        self.ecb_currency_per_eur = conversion.currency_per_eur if conversion else None
        self.ecb_usd_per_eur = conversion.usd_per_eur if conversion else None
        self.rate_date = conversion.rate_date if conversion else None

    @property
    def conversion_note(self):
        """How the EUR and USD values were had, or why there are none."""
        if self.amount is None:
            return ""
        if self.value_eur is None:
            return fx.why_not_converted(self.currency, self.value_date())
        if self.currency == "EUR":
            return f"ECB rate of {self.rate_date:%-d %B %Y}: 1 EUR = {self.ecb_usd_per_eur} USD"
        return (
            f"ECB rates of {self.rate_date:%-d %B %Y}: 1 EUR = {self.ecb_currency_per_eur} "
            f"{self.currency} = {self.ecb_usd_per_eur} USD"
        )

    MONEY_FIELDS = (
        "value_eur",
        "value_usd",
        "ecb_currency_per_eur",
        "ecb_usd_per_eur",
        "rate_date",
    )


class Period(models.Model):
    """The years a pledge covers; either end may be unknown."""

    period_start_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=YEAR_VALIDATORS, help_text="First year covered."
    )
    period_end_year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=YEAR_VALIDATORS,
        help_text='Last year covered, or the deadline year ("by 2028" is 2028).',
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start_year__isnull=True)
                | Q(period_end_year__isnull=True)
                | Q(period_end_year__gte=F("period_start_year")),
                name="%(app_label)s_%(class)s_period_ends_after_start",
                violation_error_message="The period cannot end before it starts.",
            ),
        ]

    @property
    def period_display(self):
        start, end = self.period_start_year, self.period_end_year
        if start and end:
            return str(start) if start == end else f"{start}–{end}"
        if end:
            return f"until {end}"
        if start:
            return f"from {start}"
        return ""


# An amount the military totals add up: military aid, paid once. Other aid types, and
# rates ("€3 billion a year"), are totalled apart (aid/totals.py, left_out_totals).
MILITARY_LUMP_SUM = Q(aid_type=AidType.MILITARY, basis=Basis.ONCE)
# A line item's amount is a figure of its own when it is priced, not a part of another
# figure, and not inside an agreement whose headline amount already counts the whole.
FIGURE = Q(amount__isnull=False, part_of__isnull=True, covered_by_headline=False)
# A line item enters the (military) totals: a figure of its own, military, paid once.
COUNTED = FIGURE & MILITARY_LUMP_SUM
# An agreement's headline amount enters the totals on the same terms.
HEADLINE_COUNTED = Q(amount__isnull=False) & MILITARY_LUMP_SUM


class AgreementQuerySet(models.QuerySet):
    def published(self):
        """What readers may see. Every public query starts here."""
        return self.filter(status=Status.PUBLISHED)

    def live(self):
        """Agreements themselves, without the pending revisions of published ones."""
        return self.filter(revises__isnull=True)

    def revisions(self):
        """Pending revisions: working copies of published agreements (aid/revisions.py)."""
        return self.filter(revises__isnull=False)

    def waiting_for_review(self):
        """Drafts and revisions an analyst has handed over to a reviewer."""
        return self.filter(status=Status.READY)

    def publishable(self):
        """Agreements that may be published: those with at least one checked citation.

        The one rule for publishing (README, "The analysts' workflow"): a passage of a
        source, found verbatim in the source's stored text, states the agreement or one
        of its line items. Whatever publishes an agreement asks this first.
        """
        return self.filter(self._has_checked_citation())

    def unpublishable(self):
        """Agreements that may not be published: no checked citation (see publishable)."""
        return self.exclude(self._has_checked_citation())

    @staticmethod
    def _has_checked_citation():
        return models.Exists(Citation.objects.checked().filter(agreement=models.OuterRef("pk")))

    def with_related(self):
        return self.select_related("donor")

    def for_page(self):
        """With what an agreement's page shows: its line items and every citation's source."""
        return self.with_related().prefetch_related(
            models.Prefetch(
                "line_items",
                queryset=LineItem.objects.select_related("category", "part_of").prefetch_related(
                    models.Prefetch("citations", queryset=Citation.objects.with_source())
                ),
            ),
            models.Prefetch(
                "citations",
                queryset=Citation.objects.filter(line_item__isnull=True).with_source(),
                to_attr="own_citations",
            ),
        )

    def with_item_count(self):
        # A subquery, not a join: filters on line items must not multiply the count.
        items = (
            LineItem.objects.filter(agreement=models.OuterRef("pk"))
            .order_by()
            .values("agreement")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(item_count=Coalesce(models.Subquery(items), 0))

    def with_items_matching(self, **lookups):
        """Agreements with at least one line item matching the lookups."""
        return self.filter(pk__in=LineItem.objects.filter(**lookups).values("agreement"))

    def with_stage_values(self):
        """Each agreement's figures per stage, in EUR and USD: <stage>_eur, <stage>_usd.

        The headline amount at the headline stage, else the sum of the counted line
        items at each stage. Summing a column over agreements gives the overview's totals.
        """
        annotations = {}
        for stage in Stage.values:
            for currency in ("eur", "usd"):
                value = f"value_{currency}"
                items = (
                    LineItem.objects.counted()
                    .filter(agreement=models.OuterRef("pk"), stage=stage)
                    .order_by()
                    .values("agreement")
                    .annotate(total=models.Sum(value))
                    .values("total")
                )
                headline = models.Case(
                    models.When(HEADLINE_COUNTED & Q(stage=stage), then=F(value)),
                    default=None,
                )
                # Cast: otherwise each database prints the sum its own way (SQLite gave
                # 977000000, 209927225.230000 and 56424012579.7800 in one export).
                annotations[f"{stage}_{currency}"] = Cast(
                    Coalesce(headline, models.Subquery(items)), output_field=MONEY_TOTAL
                )
        return self.annotate(**annotations)


class Agreement(Money, Period):
    """One pledge instrument: a security agreement, an aid package, a financing, ….

    Its headline amount is the total the source gives for the instrument, when
    it gives one; the line items say what the instrument contains.
    """

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="agreements")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=AgreementKind.choices)
    announced_on = models.DateField(
        null=True, blank=True, help_text="Month precision: the 1st. Year precision: 1 January."
    )
    announced_precision = models.CharField(
        max_length=10, choices=Precision.choices, default=Precision.DAY
    )
    signed_on = models.DateField(null=True, blank=True)
    signed_precision = models.CharField(
        max_length=10, choices=Precision.choices, default=Precision.UNKNOWN
    )
    stage = models.CharField(
        "headline stage",
        max_length=20,
        choices=Stage.choices,
        default=Stage.COMMITTED,
        help_text="How far the headline amount has come; line items carry their own stages.",
    )
    summary = models.TextField(blank=True)
    notes = models.TextField(
        blank=True, help_text="The analyst's reading of anything vague in the sources."
    )
    status = models.CharField(
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text="Readers see published agreements only; a reviewer publishes.",
    )
    review_note = models.TextField(
        "reviewer's note",
        blank=True,
        editable=False,
        help_text="What the reviewer asked for when sending this back.",
    )
    # Optimistic locking: a save is refused when the row changed since the form was opened.
    version = models.PositiveIntegerField(default=1, editable=False)
    # A pending revision (aid/revisions.py) is a working copy of a published agreement:
    # edited like a draft, never published itself, merged into the agreement it revises
    # when a reviewer approves it. Readers see the agreement as published until then.
    revises = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="revision",
        help_text="The published agreement this working copy proposes to change.",
    )
    revises_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="The published agreement's version when this revision was opened.",
    )
    # What this agreement adds to agreement-level totals: its headline amount if
    # it has one, else the sum of its counted line items. Derived; see recount().
    counted_eur = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True, editable=False
    )
    counted_usd = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True, editable=False
    )
    counted_qualifier = models.CharField(
        max_length=20, choices=Qualifier.choices, default=Qualifier.EXACT, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgreementQuerySet.as_manager()
    # History keeps what analysts enter; derived values follow from it (aid/history.py).
    history = LedgerHistoricalRecords(
        excluded_fields=[
            *Money.MONEY_FIELDS,
            "counted_eur",
            "counted_usd",
            "counted_qualifier",
            "created_at",
            "updated_at",
            "revises",
            "revises_version",
        ]
    )

    class Meta:
        ordering = ["-announced_on", "title", "id"]
        permissions = [("publish_agreement", "Can publish and unpublish agreements")]
        # Each checked with EXPLAIN at a million line items (bench/README.md, "Indexes").
        indexes = [
            models.Index(fields=["announced_on"], name="aid_agreement_announced_idx"),
            # Published agreements of a donor in a date range: /agreements/, donor pages.
            models.Index(
                fields=["donor", "announced_on"],
                condition=Q(status=Status.PUBLISHED),
                name="aid_agr_pub_donor_date_idx",
            ),
            # Sorted by date or value with empty ones last: PostgreSQL only, made by
            # migration 0008 (SQLite refuses NULLS LAST in an index, and needs not say it).
            # Meta.ordering, which the admin's line-item list follows through its agreement.
            models.Index(fields=["-announced_on", "title", "id"], name="aid_agr_ordering_idx"),
        ]
        constraints = [
            *Money.Meta.constraints,
            *Period.Meta.constraints,
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values),
                name="aid_agreement_stage_valid",
                violation_error_message="Unknown stage.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values),
                name="aid_agreement_status_valid",
                violation_error_message="Unknown status.",
            ),
            models.CheckConstraint(
                condition=Q(revises__isnull=True) | ~Q(status=Status.PUBLISHED),
                name="aid_agreement_revision_never_published",
                violation_error_message=(
                    "A revision is never published itself: a reviewer approves it into the "
                    "agreement it revises."
                ),
            ),
            *precision_constraints("announced_on", "announced_precision", "announcement"),
            *precision_constraints("signed_on", "signed_precision", "signature"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.convert()
        super().save(*args, **kwargs)
        self.reconvert_items()

    def get_absolute_url(self):
        return reverse("aid:agreement_detail", args=[self.pk])

    @property
    def announced_display(self):
        return format_date(self.announced_on, self.announced_precision)

    @property
    def announced_iso(self):
        return iso_date(self.announced_on, self.announced_precision)

    @property
    def signed_display(self):
        return format_date(self.signed_on, self.signed_precision)

    @property
    def signed_iso(self):
        return iso_date(self.signed_on, self.signed_precision)

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED

    @property
    def is_revision(self):
        """A pending revision of a published agreement, not an agreement readers may see."""
        return self.revises_id is not None

    @property
    def is_publishable(self):
        """AgreementQuerySet.publishable, for one saved agreement: a checked citation."""
        return self.pk is not None and self.citations.checked().exists()

    @property
    def counted_display(self):
        return format_value(self.counted_eur, "EUR", self.counted_qualifier)

    def value_date(self):
        """The announcement date, else the earliest date of the sources it cites."""
        if self.announced_on is not None:
            return self.announced_on
        if self.pk is None:
            return None
        return (
            Source.objects.filter(citations__agreement=self, published_on__isnull=False)
            .order_by("published_on")
            .values_list("published_on", flat=True)
            .first()
        )

    def refresh_values(self):
        """Convert everything again: after loading fixtures, or when a source's date changes."""
        self.convert()
        Agreement.objects.filter(pk=self.pk).update(
            **{name: getattr(self, name) for name in Money.MONEY_FIELDS}
        )
        self.reconvert_items()

    def reconvert_items(self):
        """Convert the line items again at this agreement's date, then recount."""
        items = list(self.line_items.all())
        for item in items:
            item.agreement = self
            item.convert()
        LineItem.objects.bulk_update(items, Money.MONEY_FIELDS)
        self.recount()

    def recount(self):
        """Store what this agreement adds to totals: its headline, or its counted items once."""
        if self.amount is not None:
            # A headline counts the whole package; one outside the military totals (a rate,
            # or aid whose military share is not stated) leaves nothing to count.
            if self.in_military_totals:
                eur, usd, qualifier = self.value_eur, self.value_usd, self.qualifier
            else:
                eur, usd, qualifier = None, None, Qualifier.EXACT
        else:
            counted = list(
                self.line_items.counted().values_list("value_eur", "value_usd", "qualifier")
            )
            priced = [row for row in counted if row[0] is not None]
            eur = sum((row[0] for row in priced), Decimal(0)) if priced else None
            usd = sum((row[1] for row in priced), Decimal(0)) if priced else None
            qualifier = total_qualifier(row[2] for row in priced)
        self.counted_eur, self.counted_usd, self.counted_qualifier = eur, usd, qualifier
        Agreement.objects.filter(pk=self.pk).update(
            counted_eur=eur, counted_usd=usd, counted_qualifier=qualifier
        )


PUBLISHED = Q(published=True)


class LineItemQuerySet(models.QuerySet):
    def published(self):
        """What readers may see: the line items of published agreements."""
        return self.filter(published=True)

    def with_related(self):
        return self.select_related("agreement__donor", "category")

    def counted(self):
        """Line items whose amounts enter totals, each figure once.

        Not counted: an item without an amount; an item that is part of another
        figure (part_of); an item of an agreement whose headline amount already
        counts the whole.
        """
        return self.filter(COUNTED)

    def figures(self):
        """Line items whose amounts are figures of their own, whatever their aid type or basis.

        counted() is the part of these that the military totals add up.
        """
        return self.filter(FIGURE)


class LineItem(Money, Period):
    """One thing an agreement promises: "30 F-16 fighter jets by 2028", "€1 billion in 2024"."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="line_items")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="line_items")
    description = models.CharField(
        max_length=300, help_text='As the source words it, e.g. "F-16 fighter jets".'
    )
    quantity = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message="A quantity cannot be negative.")],
        help_text="How many, when the source says; e.g. 30.",
    )
    unit = models.CharField(max_length=40, blank=True, help_text="e.g. aircraft, shells.")
    period_text = models.CharField(
        "period as worded",
        max_length=100,
        blank=True,
        help_text='The period or deadline in the source\'s words: "by 2028", "in 2024".',
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.COMMITTED)
    part_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        help_text=(
            "The larger figure this one is a part of (€1 billion this year, of €5 billion "
            "over three years). Totals count the whole once and never the part."
        ),
    )
    notes = models.TextField(blank=True)
    # In a pending revision: the published agreement's line item this one is a copy of
    # (empty for one the revision adds). Approval matches them by it (aid/revisions.py).
    origin = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        db_index=False,
        related_name="+",
    )

    # Copied from the agreement, so that the public tables filter, sort and count line
    # items from one table and its indexes, without joining agreements for every row.
    # The database keeps them in step (aid/triggers.py: on every insert or update of a
    # line item, and when an agreement's donor, date, kind, status or headline changes);
    # save() sets them on the instance too. Never edited.
    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, null=True, editable=False, related_name="+"
    )
    announced_on = models.DateField(null=True, editable=False)
    kind = models.CharField(
        max_length=30, choices=AgreementKind.choices, default="", editable=False
    )
    published = models.BooleanField(default=False, editable=False)
    covered_by_headline = models.BooleanField(
        default=False,
        editable=False,
        help_text="The agreement's headline amount already counts this item.",
    )
    COPIED_FIELDS = ["donor", "announced_on", "kind", "published", "covered_by_headline"]

    objects = LineItemQuerySet.as_manager()
    history = LedgerHistoricalRecords(
        excluded_fields=[*Money.MONEY_FIELDS, *COPIED_FIELDS, "origin"]
    )

    class Meta:
        ordering = ["agreement", "id"]
        # Each checked with EXPLAIN at a million line items (bench/README.md, "Indexes").
        # The partial ones hold published items only: what the public tables read.
        # /items/ sorted by date (its default) or by EUR value, empty ones last: indexes
        # on PostgreSQL only, made by migration 0008 (SQLite refuses NULLS LAST in an index).
        indexes = [
            # Filters by donor, category and dates, and the facet counts of each
            # combination, read from the index (INCLUDE is PostgreSQL's; elsewhere ignored).
            # It holds what the page's summary reads too (aid/totals.py item_summary), so
            # that is counted from the index alone: at 10M line items the 46,000 rows of one
            # donor's category in a year lie on 11,000 heap pages (118 ms; bench/README.md §8).
            models.Index(
                fields=["donor", "category", "announced_on"],
                include=[
                    "kind",
                    "stage",
                    "qualifier",
                    "aid_type",
                    "basis",
                    "value_eur",
                    "amount",
                    "covered_by_headline",
                    "part_of",
                    "id",
                ],
                condition=PUBLISHED,
                name="aid_li_pub_donor_cat_sum_idx",
            ),
            models.Index(
                fields=["category", "announced_on"],
                include=["donor"],
                condition=PUBLISHED,
                name="aid_li_pub_cat_date_idx",
            ),
            models.Index(
                fields=["donor", "announced_on"],
                include=["category"],
                condition=PUBLISHED,
                name="aid_li_pub_donor_date_idx",
            ),
            # The admin's change list, filtered by category and stage.
            models.Index(
                fields=["category", "stage", "agreement"], name="aid_li_category_stage_idx"
            ),
            # Copies in pending revisions only: deleting a line item clears its copies'
            # origin without reading a million rows.
            models.Index(
                fields=["origin"], condition=Q(origin__isnull=False), name="aid_li_origin_idx"
            ),
        ]
        constraints = [
            *Money.Meta.constraints,
            *Period.Meta.constraints,
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values),
                name="aid_lineitem_stage_valid",
                violation_error_message="Unknown stage.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=False) | Q(unit=""),
                name="aid_lineitem_unit_needs_quantity",
                violation_error_message="A unit needs a quantity.",
            ),
            models.CheckConstraint(
                condition=~Q(part_of=F("pk")),
                name="aid_lineitem_not_part_of_itself",
                violation_error_message="A line item cannot be a part of itself.",
            ),
        ]

    def __str__(self):
        return self.description

    def save(self, *args, **kwargs):
        self.convert()
        self.copy_from_agreement()
        super().save(*args, **kwargs)
        self.agreement.recount()

    def get_absolute_url(self):
        return f"{self.agreement.get_absolute_url()}#item-{self.pk}"

    def delete(self, *args, **kwargs):
        agreement = self.agreement
        result = super().delete(*args, **kwargs)
        agreement.recount()
        return result

    @property
    def is_counted(self):
        """COUNTED, for one line item read from the database: whether it enters totals."""
        return self.is_figure and self.in_military_totals

    @property
    def is_figure(self):
        """FIGURE, for one line item: an amount of its own, not a part, not in a package."""
        return self.amount is not None and self.part_of_id is None and not self.covered_by_headline

    def copy_from_agreement(self):
        """Set the fields copied from the agreement (the database sets them too)."""
        agreement = self.agreement
        self.donor_id = agreement.donor_id
        self.announced_on = agreement.announced_on
        self.kind = agreement.kind
        self.published = agreement.status == Status.PUBLISHED
        self.covered_by_headline = agreement.amount is not None

    def value_date(self):
        return self.agreement.value_date()

    def clean(self):
        whole = self.part_of
        if whole is None:
            return
        if whole.part_of_id is not None:
            raise ValidationError(
                {"part_of": "That figure is itself a part; link to the whole it belongs to."}
            )
        if self.agreement_id and whole.agreement.donor_id != self.agreement.donor_id:
            raise ValidationError({"part_of": "A part belongs to a figure of the same donor."})
        if self.pk and self.parts.exists():
            raise ValidationError({"part_of": "This figure has parts of its own; it is a whole."})
        if whole.agreement_id != self.agreement_id and whole.agreement.is_revision:
            raise ValidationError(
                {"part_of": "That figure is in a pending revision; link to the published one."}
            )


class SourceQuerySet(models.QuerySet):
    def public(self):
        """Sources cited by a published agreement: what readers may open.

        EXISTS per source, not a join of every citation made DISTINCT: at a million line
        items the join took 115 ms, the probes 5 ms.
        """
        return self.filter(
            models.Exists(
                Citation.objects.filter(
                    source=models.OuterRef("pk"), agreement__status=Status.PUBLISHED
                )
            )
        )


# A source's link is followed by readers: a web address, never javascript:, data: or ftp:.
WEB_SCHEMES = ("http://", "https://")
WEB_URL_MESSAGE = "A source's URL is a web address starting with http:// or https://."


class Source(models.Model):
    """A document the ledger cites: a report, a press release, an agreement's text.

    Its text is stored in the ledger (`text`), whatever the document: pasted or
    uploaded by an analyst (aid/documents.py reads plain text, Markdown, HTML and
    PDF), or, for the seed documents, read from their file in seeds/. Every
    citation is checked against that stored text. A source known only by its URL
    has no text until an analyst stores a snapshot of it: the ledger never fetches
    a URL, and a source without text cannot be cited.
    """

    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(
        null=True, blank=True, help_text="Publication date, or the first day of the period covered."
    )
    period_end = models.DateField(
        null=True, blank=True, help_text="Last day covered, for a periodical such as a weekly."
    )
    file = models.CharField(
        "seed file",
        max_length=200,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", "A file name inside seeds/, without folders."
            )
        ],
        help_text=(
            "For a seed document only: its file inside seeds/, from which its text is loaded "
            "(seeds/SHA256SUMS checks the file), e.g. 002_c8fdc93dd4fbe3f3.txt."
        ),
    )
    url = models.URLField(
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"], message=WEB_URL_MESSAGE)],
        help_text="The document online, e.g. https://www.example.org/report.pdf.",
    )
    snapshot_taken_on = models.DateField(
        "text taken from the URL on",
        null=True,
        blank=True,
        help_text=(
            "For a web page: the day its text was copied from the URL. The ledger never "
            "fetches a URL; the stored text is what the page said that day."
        ),
    )
    notes = models.TextField(blank=True)

    # The document's text, as received (aid/documents.py). Set together by store().
    text = models.TextField(
        blank=True,
        editable=False,
        help_text="The document's text: every citation is checked against it; readers see it.",
    )
    text_format = models.CharField(
        "format", max_length=10, choices=TextFormat.choices, blank=True, editable=False
    )
    text_original = models.TextField(
        "HTML as received",
        blank=True,
        editable=False,
        help_text="The HTML the text was read from, kept as it came; empty for other formats.",
    )
    text_sha256 = models.CharField(
        "SHA-256",
        max_length=64,
        blank=True,
        editable=False,
        help_text="Of the document as received: the file's bytes, or the pasted text in UTF-8.",
    )
    text_origin = models.CharField(
        "text from", max_length=10, choices=TextOrigin.choices, blank=True, editable=False
    )
    text_file_name = models.CharField(
        "file name", max_length=200, blank=True, editable=False, help_text="As uploaded."
    )
    text_stored_at = models.DateTimeField("text stored at", null=True, blank=True, editable=False)

    # The long ones: left out of lists and of the rows that join a source (with_source).
    TEXT_BODIES = ["text", "text_original"]

    objects = SourceQuerySet.as_manager()
    history = LedgerHistoricalRecords()

    class Meta:
        ordering = ["-published_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(file__contains="/")
                & ~Q(file__contains="\\")
                & ~Q(file__startswith="."),
                name="aid_source_file_inside_seeds",
                violation_error_message="A source file is a plain name inside seeds/.",
            ),
            models.CheckConstraint(
                condition=~Q(text="") | ~Q(url="") | ~Q(file=""),
                name="aid_source_has_text_or_url",
                violation_error_message=(
                    "A source needs its text (paste it or upload the file) or a URL."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    Q(text="", text_format="", text_sha256="", text_origin="")
                    & Q(text_original="", text_file_name="", text_stored_at__isnull=True)
                )
                | (
                    ~Q(text="")
                    & Q(text_format__in=TextFormat.values, text_origin__in=TextOrigin.values)
                    & ~Q(text_sha256="")
                    & Q(text_stored_at__isnull=False)
                ),
                name="aid_source_text_recorded",
                violation_error_message=(
                    "A stored text has its format, SHA-256, origin and time; no text, none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(snapshot_taken_on__isnull=True) | (~Q(url="") & ~Q(text="")),
                name="aid_source_snapshot_of_a_url",
                violation_error_message=(
                    "The day a text was taken from the URL needs the URL and the text."
                ),
            ),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | (Q(published_on__isnull=False) & Q(period_end__gte=F("published_on"))),
                name="aid_source_period_ends_after_start",
                violation_error_message="The period covered cannot end before it starts.",
            ),
            # Whatever writes the row (the admin, a fixture, an import, the shell): a
            # javascript: link on a public page would run in readers' browsers.
            models.CheckConstraint(
                condition=Q(url="")
                | Q(url__istartswith=WEB_SCHEMES[0])
                | Q(url__istartswith=WEB_SCHEMES[1]),
                name="aid_source_url_is_a_web_address",
                violation_error_message=WEB_URL_MESSAGE,
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        text_changed = not self._state.adding and self.text_sha256 != getattr(
            self, "_loaded_sha256", None
        )
        super().save(*args, **kwargs)
        self._loaded_sha256 = self.text_sha256
        if text_changed:
            self.recheck_citations()

    def get_absolute_url(self):
        return reverse("aid:source_detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        source = super().from_db(db, field_names, values)
        # What the text was when read: save() re-checks the citations if it changes.
        source._loaded_sha256 = source.__dict__.get("text_sha256")
        return source

    @property
    def link(self):
        """The URL to link to, or '': pages link to web addresses only, whatever is stored."""
        return self.url if self.url.lower().startswith(WEB_SCHEMES) else ""

    @property
    def path(self):
        """The seed file inside seeds/, or None: a name that leads elsewhere is never followed."""
        return documents.seed_path(self.file)

    @property
    def has_text(self):
        return bool(self.text)

    def store(self, document, stored_at=None):
        """Hold a document's text (aid/documents.py) as this source's text."""
        self.text = document.text
        self.text_format = document.format
        self.text_original = document.original
        self.text_sha256 = document.sha256
        self.text_origin = document.origin
        self.text_file_name = document.name
        self.text_stored_at = stored_at or timezone.now()

    def load_seed_text(self):
        """Store the text of this source's seed file, as the format the source says or its name's.

        Loading the same file again keeps the time it was first stored.
        """
        document = documents.from_seed(self.file, self.text_format or None)
        stored_at = (
            Source.objects.filter(pk=self.pk, text_sha256=document.sha256)
            .values_list("text_stored_at", flat=True)
            .first()
            if self.pk
            else None
        )
        self.store(document, stored_at)

    def recheck_citations(self):
        """Check every citation of this source against its text again (after the text changed)."""
        citations = list(self.citations.all())
        for citation in citations:
            citation.source = self
            citation.locate()
        Citation.objects.bulk_update(citations, Citation.CHECK_FIELDS, batch_size=500)

    def clean(self):
        if self.file and (self.path is None or not self.path.is_file()):
            raise ValidationError({"file": f"There is no file named {self.file} in seeds/."})


@receiver(pre_save, sender=Source)
def load_seed_text(sender, instance, raw=False, **kwargs):
    """A seed source's text is its file's, stored whenever the source is saved without one.

    Also when loaddata saves it raw (fixtures/ledger.json names the file, not the
    text): a loaded seed source never lacks its text.
    """
    if instance.file and not instance.text:
        try:
            instance.load_seed_text()
        except documents.DocumentError as error:
            raise ValidationError({"file": str(error)}) from error


class CitationQuerySet(models.QuerySet):
    def with_source(self):
        """With each citation's source, but not the source's text (it can be megabytes)."""
        return self.select_related("source").defer(
            *(f"source__{name}" for name in Source.TEXT_BODIES)
        )

    def checked(self):
        """Citations whose passage was found in their source's stored text."""
        return self.filter(start__isnull=False)

    def unchecked(self):
        return self.filter(start__isnull=True)


NOT_PUBLISHABLE = (
    "An agreement cannot be published without at least one citation found verbatim in its "
    "source's stored text (a checked citation): add the passage of the source that states it."
)
NOT_VERBATIM = (
    "This passage does not occur verbatim in the source. Copy it exactly from the source's "
    "stored text, including punctuation; only whitespace and the kind of quotation marks "
    "(straight or curly) may differ."
)
NO_SOURCE_TEXT = (
    "This source has no stored text, so no passage can be checked against it: store its "
    "text first (paste it or upload the file on the source's page)."
)


class Citation(models.Model):
    """A verbatim passage of a source that supports an agreement or one of its line items.

    Every save checks the passage against the source's stored text
    (aid/passages.py says what may differ) and records where it was found, or why
    it was not. Only a checked citation lets an agreement be published
    (AgreementQuerySet.publishable); an unchecked one is shown to readers as not
    verified.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="citations")
    # Deleting a line item keeps its evidence: the passage then supports the agreement.
    line_item = models.ForeignKey(
        LineItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="citations",
        help_text="Leave empty when the passage supports the agreement as a whole.",
    )
    passage = models.TextField(
        help_text=(
            "Copied verbatim from the source's stored text, not paraphrased. Whitespace and "
            "straight or curly quotation marks may differ; nothing else."
        )
    )
    # Where the check found the passage in the source's text (character offsets), or why not.
    start = models.PositiveIntegerField(null=True, blank=True, editable=False)
    end = models.PositiveIntegerField(null=True, blank=True, editable=False)
    unchecked_reason = models.CharField(
        "why not checked", max_length=200, blank=True, editable=False
    )
    CHECK_FIELDS = ["start", "end", "unchecked_reason"]
    # In a pending revision: the published agreement's citation this one is a copy of.
    origin = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        db_index=False,
        related_name="+",
    )

    objects = CitationQuerySet.as_manager()
    # Where the passage was found follows from the passage and the text: not history.
    history = LedgerHistoricalRecords(excluded_fields=[*CHECK_FIELDS, "origin"])

    class Meta:
        ordering = ["agreement", "line_item", "id"]
        indexes = [
            models.Index(
                fields=["origin"], condition=Q(origin__isnull=False), name="aid_citation_origin_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True) & ~Q(unchecked_reason="")
                | Q(start__isnull=False, end__gt=F("start"), unchecked_reason=""),
                name="aid_citation_checked_or_why_not",
                violation_error_message=(
                    "A citation is either found in its source's text, from start to end, "
                    "or says why it is not."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.source}: “{self.passage[:60]}”"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._loaded = (self.source_id, self.passage)
        # An agreement without a date is converted at its sources' date, which this may change.
        if self.agreement.announced_on is None:
            self.agreement.refresh_values()

    def get_absolute_url(self):
        return f"{self.source.get_absolute_url()}#citation-{self.pk}"

    @classmethod
    def from_db(cls, db, field_names, values):
        citation = super().from_db(db, field_names, values)
        # As read: clean() holds an unchanged citation to the check it had (see there).
        citation._loaded = (citation.__dict__.get("source_id"), citation.__dict__.get("passage"))
        return citation

    @property
    def is_checked(self):
        return self.start is not None

    @property
    def check_display(self):
        if self.is_checked:
            return f"Found in the stored text at characters {self.start:,}–{self.end:,}."
        return f"Not verified: {self.unchecked_reason}"

    def locate(self):
        """Check the passage against the source's stored text; record where it is or why not."""
        check = passages.check_passage(self.source.text, self.passage)
        self.start, self.end, self.unchecked_reason = check.start, check.end, check.reason

    def is_new_or_changed(self):
        """Whether the source or the passage differs from what was read from the database.

        Not counting what a form does to a text it sends back unchanged: a browser sends
        each line end as CR LF, and the form trims the ends.
        """
        if self._state.adding or not hasattr(self, "_loaded"):
            return True
        source_id, passage = self._loaded

        def as_sent(text):
            return (text or "").replace("\r\n", "\n").strip()

        return source_id != self.source_id or as_sent(passage) != as_sent(self.passage)

    def clean(self):
        errors = {}
        if (
            self.line_item_id
            and self.agreement_id
            and self.line_item.agreement_id != self.agreement_id
        ):
            errors["line_item"] = "This line item belongs to another agreement."
        # A new or edited passage must be found. One that was saved before and is not
        # edited now stays as its check left it (an unchecked citation from before texts
        # were stored, say): shown as not verified, never refused on every later save of
        # its agreement; so it is not searched again here (saving checks it anyway).
        if self.source_id and self.passage and self.is_new_or_changed():
            self.locate()
            if not self.is_checked:
                if not self.source.has_text:
                    errors["source"] = NO_SOURCE_TEXT
                else:
                    errors["passage"] = NOT_VERBATIM
        if errors:
            raise ValidationError(errors)


@receiver(pre_save, sender=Citation)
def check_citation(sender, instance, raw=False, **kwargs):
    """Every save of a citation checks it, loaddata's raw saves too."""
    if raw:
        # Read the source as stored: a fixture's source is saved before its citations.
        source = Source.objects.filter(pk=instance.source_id).first()
        if source is None:
            instance.start = instance.end = None
            instance.unchecked_reason = passages.NO_TEXT
            return
        instance.source = source
    instance.locate()


class DataVersion(models.Model):
    """A number that changes whenever the ledger's data does: the public pages' freshness.

    One row. Database triggers bump it at the commit of any transaction that wrote a donor,
    category, source, agreement, line item or citation, whatever wrote it (aid/triggers.py),
    so that HTTP validators (ETag, Last-Modified) and the shared cache of whole-table
    summaries change with the data and never lag behind it (aid/caching.py). Drafts' writes
    bump it too: caches are refreshed more often than strictly needed, never less.
    """

    number = models.BigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="aid_dataversion_one_row"),
        ]

    def __str__(self):
        return f"data version {self.number} of {self.changed_at:%Y-%m-%d %H:%M:%S}"
