"""One django-tables2 Table per public list. Every column a reader can sort is whitelisted here.

Columns have a priority, as classes the stylesheet reads against the width the results
have (a container query, static/ledger/ledger.css): p1 always shows; p2 hides on a
narrow screen, p3 on a laptop's. What a hidden column held is folded into the row
(an item's agreement and period under its description) or is a converted value another
column shows. Exports are unaffected: they have their own columns (aid/exports.py).
On a phone, each row is a card whose cells carry their column's name (data-label).
"""

import django_tables2 as tables
from django.db.models import Case, F, Value, When
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from . import cells
from .choices import Stage
from .dates import format_period
from .models import Agreement, Donor, LineItem
from .money import format_money, format_number, format_value, per_basis

# The words of a sort option, ascending then descending.
SORT_TEXT = (pgettext_lazy("sort", "A to Z"), pgettext_lazy("sort", "Z to A"))
SORT_AMOUNT = (pgettext_lazy("sort", "smallest first"), pgettext_lazy("sort", "largest first"))
SORT_DATE = (pgettext_lazy("sort", "oldest first"), pgettext_lazy("sort", "newest first"))
STAGE_LABELS = dict(Stage.choices)
SORT_ORDER = (pgettext_lazy("sort", "first to last"), pgettext_lazy("sort", "last to first"))


def value_label(currency):
    """ "Value (EUR)", translated when shown (a column is declared once, at import)."""
    return lazy(lambda: gettext("Value (%(currency)s)") % {"currency": currency}, str)()


def attrs(*classes):
    """th and td attributes: a priority (p1, p2, p3) and "num" for figures."""
    names = " ".join(classes)
    return {"th": {"class": names}, "td": {"class": names}}


def data(text, url=None):
    """A value from the records, in their language (English), linked when it has a page."""
    if url:
        return format_html('<a href="{}" lang="en">{}</a>', url, text)
    return format_html('<span lang="en">{}</span>', text)


class NullsLastColumn(tables.Column):
    """Sorted in SQL by its accessor with empty values last either way, then by id.

    The id breaks ties so that paging is stable; the indexes that serve these sorts
    end in id too (aid/models.py).
    """

    def order(self, queryset, is_descending):
        expression = F(str(self.accessor).replace(".", "__"))
        expression = (
            expression.desc(nulls_last=True) if is_descending else expression.asc(nulls_last=True)
        )
        return queryset.order_by(expression, "pk"), True


class StageColumn(tables.Column):
    """Stages sorted in their own order (announced, committed, allocated, delivered)."""

    def order(self, queryset, is_descending):
        position = Case(
            *(When(stage=stage, then=Value(n)) for n, stage in enumerate(Stage.values)),
            default=Value(len(Stage.values)),
        )
        position = position.desc() if is_descending else position.asc()
        return queryset.order_by(position, "pk"), True


class LedgerTable(tables.Table):
    """Shared table behaviour: the primary key breaks ties so paging is stable."""

    class Meta:
        attrs = {"class": "ledger-table"}
        empty_text = _("No records match these filters.")
        template_name = "aid/table.html"

    # Each sortable column's words for its two directions (SORT_TEXT when not given).
    sort_words = {}

    def page_rows(self):
        """Each row of the page as the HTML of its cells (aid/cells.py: django-tables2's
        cells, with each column's work done once per page rather than once per cell)."""
        return cells.page_rows(self)

    def sort_options(self):
        """(value of `sort`, label, selected) for the sort control a phone can reach."""
        current = str(self.order_by[0]) if self.order_by else ""
        options = []
        for column in self.columns:
            if not column.orderable:
                continue
            up, down = self.sort_words.get(column.name, SORT_TEXT)
            for value, words in ((column.name, up), (f"-{column.name}", down)):
                label = pgettext_lazy("sort option: column, direction", "%(column)s, %(order)s")
                options.append(
                    (value, label % {"column": column.header, "order": words}, value == current)
                )
        return options

    def default_sort(self):
        return ",".join(self._meta.order_by) if self._meta.order_by else ""


class AmountColumn(NullsLastColumn):
    """An amount with its currency and qualifier; sorted by the number, empty ones last."""

    def __init__(self, **kwargs):
        kwargs.setdefault("verbose_name", _("Amount"))
        kwargs.setdefault("attrs", attrs("num", "p1"))
        super().__init__(accessor="amount", **kwargs)

    def render(self, record):
        shown = format_money(record.amount, record.currency, record.qualifier, html=True)
        return per_basis(shown, record.basis)


class ValueColumn(NullsLastColumn):
    """A normalised value (EUR or USD) with the source's qualifier; sorted in SQL, empties last."""

    def __init__(
        self, accessor, currency, qualifier="qualifier", basis="basis", priority="p2", **kwargs
    ):
        self.currency = currency
        self.qualifier_field = qualifier
        self.basis_field = basis
        kwargs.setdefault("verbose_name", value_label(currency))
        kwargs.setdefault("attrs", attrs("num", priority))
        super().__init__(accessor=accessor, **kwargs)

    def render(self, record, value):
        shown = format_value(value, self.currency, getattr(record, self.qualifier_field), html=True)
        return per_basis(shown, getattr(record, self.basis_field)) if self.basis_field else shown


class LineItemTable(LedgerTable):
    # Every sort ends in the id, so that ties fall the same way on every page and export.
    description = tables.Column(
        verbose_name=_("Description"), order_by=("description", "pk"), attrs=attrs("p1", "lead")
    )
    donor = tables.Column(
        accessor="agreement__donor",
        verbose_name=_("Donor"),
        order_by=("agreement__donor__name", "pk"),
        attrs=attrs("p1"),
    )
    category = tables.Column(
        verbose_name=_("Category"), order_by=("category__position", "pk"), attrs=attrs("p1")
    )
    amount = AmountColumn()
    eur = ValueColumn("value_eur", "EUR")
    usd = ValueColumn("value_usd", "USD", priority="p3")
    quantity = NullsLastColumn(verbose_name=_("Quantity"), attrs=attrs("num", "p3"))
    period = tables.Column(
        accessor="period_text", verbose_name=_("Period"), orderable=False, attrs=attrs("p3")
    )
    stage = StageColumn(verbose_name=_("Stage"), attrs=attrs("p1"))
    # The line item's copy of its agreement's date (aid/models.py): sorted without a join.
    announced = NullsLastColumn(
        accessor="announced_on",
        verbose_name=_("Announced"),
        empty_values=(),
        attrs=attrs("p1", "date"),
    )
    agreement = tables.Column(
        verbose_name=_("Agreement"), order_by=("agreement__title", "pk"), attrs=attrs("p3")
    )

    sort_words = {
        "category": SORT_ORDER,
        "amount": SORT_AMOUNT,
        "eur": SORT_AMOUNT,
        "usd": SORT_AMOUNT,
        "quantity": SORT_AMOUNT,
        "stage": SORT_ORDER,
        "announced": SORT_DATE,
    }

    class Meta(LedgerTable.Meta):
        model = LineItem
        fields = ()
        sequence = (
            "description",
            "donor",
            "category",
            "amount",
            "eur",
            "usd",
            "quantity",
            "period",
            "stage",
            "announced",
            "agreement",
        )
        order_by = ("-announced",)

    def agreement_url(self, agreement):
        """An agreement's page, reversed once per page: each row links to it three times
        (its item, its title under the description, the agreement column)."""
        urls = self.__dict__.setdefault("_agreement_urls", {})
        if agreement.pk not in urls:
            urls[agreement.pk] = agreement.get_absolute_url()
        return urls[agreement.pk]

    def render_description(self, record):
        """The description, and under it what the narrower layouts fold: quantity, agreement
        and period (their columns show only on a wide screen)."""
        agreement = record.agreement
        quantity = self.render_quantity(record) if record.quantity is not None else ""
        period = format_html("; {}", self.render_period(record)) if self.has_period(record) else ""
        agreement_url = self.agreement_url(agreement)
        return format_html(
            '{}<span class="fold fold-p3">{}</span><span class="fold fold-p3">{} {}{}</span>',
            # LineItem.get_absolute_url, without reversing the agreement's URL again.
            data(record.description, f"{agreement_url}#item-{record.pk}"),
            quantity,
            pgettext_lazy("in front of an agreement's title", "in"),
            data(agreement.title, agreement_url),
            period,
        )

    def render_donor(self, record):
        donor = record.agreement.donor
        return data(donor.name, donor.get_absolute_url())

    def render_category(self, record):
        return str(record.category)

    def render_quantity(self, record):
        number = format_number(record.quantity)
        return format_html("{} {}", number, data(record.unit)) if record.unit else number

    @staticmethod
    def has_period(record):
        return bool(record.period_text or record.period_display)

    def render_period(self, record):
        if record.period_text:
            return data(record.period_text)
        return format_period(record.period_start_year, record.period_end_year)

    def render_stage(self, record):
        # get_stage_display() hashes every stage's (lazy, so translated) label on each call.
        return str(STAGE_LABELS.get(record.stage, record.stage))

    def render_announced(self, record):
        return record.agreement.announced_display

    def render_agreement(self, record):
        return data(record.agreement.title, self.agreement_url(record.agreement))


class AgreementTable(LedgerTable):
    title = tables.Column(
        verbose_name=_("Title"), order_by=("title", "pk"), attrs=attrs("p1", "lead")
    )
    donor = tables.Column(
        verbose_name=_("Donor"), order_by=("donor__name", "pk"), attrs=attrs("p1")
    )
    kind = tables.Column(verbose_name=_("Kind"), order_by=("kind", "pk"), attrs=attrs("p2"))
    announced = NullsLastColumn(
        accessor="announced_on",
        verbose_name=_("Announced"),
        empty_values=(),
        attrs=attrs("p1", "date"),
    )
    amount = AmountColumn(verbose_name=_("Headline amount"))
    eur = ValueColumn(
        "counted_eur",
        "EUR",
        qualifier="counted_qualifier",
        basis=None,
        priority="p1",
    )
    usd = ValueColumn(
        "counted_usd",
        "USD",
        qualifier="counted_qualifier",
        basis=None,
        priority="p3",
    )
    item_count = tables.Column(
        verbose_name=_("Line items"), attrs=attrs("num", "p2"), order_by=("item_count", "pk")
    )

    sort_words = {
        "kind": SORT_ORDER,
        "announced": SORT_DATE,
        "amount": SORT_AMOUNT,
        "eur": SORT_AMOUNT,
        "usd": SORT_AMOUNT,
        "item_count": SORT_AMOUNT,
    }

    class Meta(LedgerTable.Meta):
        model = Agreement
        fields = ()
        sequence = ("title", "donor", "kind", "announced", "amount", "eur", "usd", "item_count")
        order_by = ("-announced",)

    def render_title(self, record):
        return format_html(
            '{}<span class="fold fold-p2">{}</span>',
            data(record.title, record.get_absolute_url()),
            record.get_kind_display(),
        )

    def render_donor(self, record):
        return data(record.donor.name, record.donor.get_absolute_url())

    def render_kind(self, record):
        return record.get_kind_display()

    def render_announced(self, record):
        return record.announced_display

    def render_item_count(self, record, value):
        url = reverse("aid:lineitem_list") + f"?agreement={record.pk}"
        return format_html('<a href="{}">{}</a>', url, format_number(value))


class DonorTable(LedgerTable):
    name = tables.Column(verbose_name=_("Name"), order_by=("name", "pk"), attrs=attrs("p1", "lead"))
    kind = tables.Column(verbose_name=_("Kind"), order_by=("kind", "pk"), attrs=attrs("p1"))
    iso_code = tables.Column(
        verbose_name=_("ISO code"), order_by=("iso_code", "pk"), attrs=attrs("p2")
    )
    agreement_count = tables.Column(
        verbose_name=_("Agreements"), attrs=attrs("num", "p1"), order_by=("agreement_count", "pk")
    )
    item_count = tables.Column(
        verbose_name=_("Line items"), attrs=attrs("num", "p1"), order_by=("item_count", "pk")
    )

    sort_words = {
        "kind": SORT_ORDER,
        "agreement_count": SORT_AMOUNT,
        "item_count": SORT_AMOUNT,
    }

    class Meta(LedgerTable.Meta):
        model = Donor
        fields = ()
        sequence = ("name", "kind", "iso_code", "agreement_count", "item_count")
        order_by = ("name",)

    def render_name(self, record):
        return data(record.name, record.get_absolute_url())

    def render_kind(self, record):
        return record.get_kind_display()

    def render_agreement_count(self, record, value):
        url = reverse("aid:agreement_list") + f"?donor={record.slug}"
        return format_html('<a href="{}">{}</a>', url, format_number(value))

    def render_item_count(self, record, value):
        url = reverse("aid:lineitem_list") + f"?donor={record.slug}"
        return format_html('<a href="{}">{}</a>', url, format_number(value))
