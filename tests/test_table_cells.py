"""A table page's cells are django-tables2's own, computed once per column (aid/cells.py).

The public tables render their cells without django-tables2's per-cell work; these tests
hold every cell of every public table to what django-tables2 itself renders for it, in
English and Ukrainian, and check that the per-column work is done once per page.
"""

import django_tables2 as tables
import pytest
from django.utils import translation
from django_tables2 import utils as tables_utils

from aid import cells
from aid.models import LineItem

pytestmark = pytest.mark.django_db

PAGES = [
    "/items/?per_page=500",
    "/items/?per_page=500&sort=-quantity",
    "/agreements/?per_page=500",
    "/donors/?per_page=500",
]


@pytest.mark.parametrize("language", ["en", "uk"])
@pytest.mark.parametrize("path", PAGES)
def test_every_cell_is_django_tables2s_own(seeded, client, path, language):
    prefix = "" if language == "en" else f"/{language}"
    table = client.get(prefix + path).context["table"]
    rows = list(table.paginated_rows)
    assert len(rows) > 5
    with translation.override(language):
        compared = 0
        for column in table.columns:
            cell = cells.cell_renderer(table, column)
            for row in rows:
                assert cell(row) == row.get_cell(column.name), (column.name, row.record.pk)
                compared += 1
    assert compared == len(rows) * len(table.columns)


def test_empty_values_show_the_columns_default(seeded, client):
    """An item without a quantity shows the default in its column, as django-tables2 does."""
    table = client.get("/items/?per_page=500&sort=quantity").context["table"]
    quantity = table.columns["quantity"]
    cell = cells.cell_renderer(table, quantity)
    empty = [row for row in table.paginated_rows if row.record.quantity is None]
    assert empty
    assert {cell(row) for row in empty} == {quantity.default}


def test_render_signatures_are_read_once_per_column_not_per_cell(seeded, client, monkeypatch):
    calls = []
    real = tables_utils.signature

    def counting(fn):
        calls.append(fn)
        return real(fn)

    monkeypatch.setattr(cells, "signature", counting)
    monkeypatch.setattr(tables_utils, "signature", counting)
    table = client.get("/items/").context["table"]
    assert len(table.page.object_list) > 10
    assert 0 < len(calls) <= len(table.columns)


class Plain(tables.Table):
    """Columns with no render method of their own: choices, relations, a property, a method."""

    stage = tables.Column()
    kind = tables.Column(accessor="agreement__kind")
    donor = tables.Column(accessor="agreement__donor__name")
    part_of = tables.Column(accessor="part_of__description")
    period = tables.Column(accessor="period_display")
    url = tables.Column(accessor="get_absolute_url")
    quantity = tables.Column(default="none")

    class Meta:
        model = LineItem
        fields = ()


def test_plain_columns_read_values_as_django_tables2_does(seeded):
    with translation.override("uk"):
        table = Plain(LineItem.objects.published().order_by("pk"))
        table.paginate(per_page=500)
        rows = list(table.paginated_rows)
        assert any(row.record.part_of_id for row in rows)
        assert any(row.record.quantity is None for row in rows)
        for column in table.columns:
            cell = cells.cell_renderer(table, column)
            assert [cell(row) for row in rows] == [row.get_cell(column.name) for row in rows]
