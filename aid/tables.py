"""One django-tables2 Table per public list. Every column a reader can sort is whitelisted here."""

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html

from .models import Agreement, Donor, LineItem
from .money import format_value


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


NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


class LedgerTable(tables.Table):
    """Shared table behaviour: the primary key breaks ties so paging is stable."""

    class Meta:
        attrs = {"class": "ledger-table"}
        empty_text = "No records match these filters."
        template_name = "aid/table.html"

    def page_cells(self):
        """Each row of the page as (column header, <td> attributes, cell) triples.

        A column's header and attributes are worked out once per page, not once per
        cell: django-tables2 recomputes them on every access, a third of the page's
        rendering time. The columns' td attributes here do not depend on the record.
        """
        heads = [(column.header, column.attrs["td"].as_html()) for column in self.columns]
        for row in self.paginated_rows:
            yield [
                (header, attrs, cell)
                for (header, attrs), (_, cell) in zip(heads, row.items(), strict=True)
            ]


class AmountColumn(NullsLastColumn):
    """An amount with its currency and qualifier; sorted by the number, empty ones last."""

    def __init__(self, **kwargs):
        kwargs.setdefault("verbose_name", "Amount")
        kwargs.setdefault("attrs", NUM)
        super().__init__(accessor="amount", **kwargs)

    def render(self, record):
        return record.money_display


class ValueColumn(NullsLastColumn):
    """A normalised value (EUR or USD) with the source's qualifier; sorted in SQL, empties last."""

    def __init__(self, accessor, currency, qualifier="qualifier", **kwargs):
        self.currency = currency
        self.qualifier_field = qualifier
        kwargs.setdefault("verbose_name", f"Value ({currency})")
        kwargs.setdefault("attrs", NUM)
        super().__init__(accessor=accessor, **kwargs)

    def render(self, record, value):
        return format_value(value, self.currency, getattr(record, self.qualifier_field))


class LineItemTable(LedgerTable):
    # Every sort ends in the id, so that ties fall the same way on every page and export.
    description = tables.Column(
        linkify=lambda record: record.get_absolute_url(), order_by=("description", "pk")
    )
    donor = tables.Column(
        accessor="agreement__donor",
        linkify=lambda record: record.agreement.donor.get_absolute_url(),
        order_by=("agreement__donor__name", "pk"),
    )
    category = tables.Column(order_by=("category__position", "pk"))
    amount = AmountColumn()
    eur = ValueColumn("value_eur", "EUR")
    usd = ValueColumn("value_usd", "USD")
    quantity = NullsLastColumn(attrs=NUM)
    period = tables.Column(accessor="period_text", verbose_name="Period", orderable=False)
    stage = tables.Column(order_by=("stage", "pk"))
    # The line item's copy of its agreement's date (aid/models.py): sorted without a join.
    announced = NullsLastColumn(accessor="announced_on", verbose_name="Announced", empty_values=())
    agreement = tables.Column(
        linkify=lambda record: record.agreement.get_absolute_url(),
        order_by=("agreement__title", "pk"),
    )

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

    def render_quantity(self, record):
        return f"{record.quantity:,} {record.unit}".strip()

    def render_period(self, record):
        return record.period_text or record.period_display

    def render_announced(self, record):
        return record.agreement.announced_display


class AgreementTable(LedgerTable):
    title = tables.Column(linkify=True, order_by=("title", "pk"))
    donor = tables.Column(linkify=True, order_by=("donor__name", "pk"))
    kind = tables.Column(order_by=("kind", "pk"))
    announced = NullsLastColumn(accessor="announced_on", verbose_name="Announced", empty_values=())
    amount = AmountColumn(verbose_name="Headline amount")
    eur = ValueColumn(
        "counted_eur", "EUR", qualifier="counted_qualifier", verbose_name="Value (EUR)"
    )
    usd = ValueColumn(
        "counted_usd", "USD", qualifier="counted_qualifier", verbose_name="Value (USD)"
    )
    item_count = tables.Column(verbose_name="Line items", attrs=NUM, order_by=("item_count", "pk"))

    class Meta(LedgerTable.Meta):
        model = Agreement
        fields = ()
        sequence = ("title", "donor", "kind", "announced", "amount", "eur", "usd", "item_count")
        order_by = ("-announced",)

    def render_announced(self, record):
        return record.announced_display

    def render_item_count(self, record, value):
        url = reverse("aid:lineitem_list") + f"?agreement={record.pk}"
        return format_html('<a href="{}">{}</a>', url, value)


class DonorTable(LedgerTable):
    name = tables.Column(linkify=True, order_by=("name", "pk"))
    kind = tables.Column(order_by=("kind", "pk"))
    iso_code = tables.Column(verbose_name="ISO code", order_by=("iso_code", "pk"))
    agreement_count = tables.Column(
        verbose_name="Agreements", attrs=NUM, order_by=("agreement_count", "pk")
    )
    item_count = tables.Column(verbose_name="Line items", attrs=NUM, order_by=("item_count", "pk"))

    class Meta(LedgerTable.Meta):
        model = Donor
        fields = ()
        sequence = ("name", "kind", "iso_code", "agreement_count", "item_count")
        order_by = ("name",)

    def render_agreement_count(self, record, value):
        url = reverse("aid:agreement_list") + f"?donor={record.slug}"
        return format_html('<a href="{}">{}</a>', url, value)

    def render_item_count(self, record, value):
        url = reverse("aid:lineitem_list") + f"?donor={record.slug}"
        return format_html('<a href="{}">{}</a>', url, value)
