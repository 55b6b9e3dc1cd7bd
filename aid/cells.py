"""A table page's cells as django-tables2 renders them, with each column's own work done once.

For every cell, django-tables2 (BoundRow.get_cell) builds an Accessor, resolves it by trying
a dictionary lookup that fails before the attribute lookup, looks up the model field for
its choices and inspects the render method's signature: about a third of a 550-cell page's
time (bench/README.md §7). Here each column gets one function of the row, made once per
page, that does only what depends on the record, with django-tables2's results: the
accessor's value (a choice's label where the field has choices), the column's default for
an empty value, the render method called with the arguments it names. A column this does
not cover (a link, a many-to-many column, a render method asking for the row or taking
**kwargs) is rendered by django-tables2 itself.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.safestring import mark_safe
from django_tables2.columns import ManyToManyColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import A, signature

# What a render method may ask for, and can be given without the row (BoundRow) itself.
WITHOUT_ROW = {"value", "record", "column", "bound_column", "table"}
# A cell as the table's template wrote it, with the whitespace it left around each.
CELL = '\n      <td data-label="{}" {}><span class="cell">{}</span></td>\n    '


def field_path(model, accessor):
    """The model fields an accessor walks through, or None when a step is not a plain field
    (a property, a method, an annotation, a to-many relation): those are resolved by
    django-tables2's Accessor, which calls what is callable."""
    fields = []
    for bit in accessor.bits:
        try:
            field = model._meta.get_field(bit)
        except (AttributeError, FieldDoesNotExist):
            return None
        if field.many_to_many or field.one_to_many:
            return None
        fields.append(field)
        if field.is_relation:
            model = field.related_model
    return fields or None


def value_getter(model, accessor):
    """record → the cell's value, as BoundRow._get_and_render_with finds it."""
    fields = field_path(model, accessor)
    if fields is None:

        def resolve(record):
            # As django-tables2: a label from get_FOO_display when the field has choices,
            # and no value (the column's default) when the lookup fails.
            path, _, last = accessor.rpartition(accessor.SEPARATOR)
            owner = A(path).resolve(record, quiet=True) if path else record
            if isinstance(owner, models.Model):
                display = getattr(owner, f"get_{last}_display", None)
                field = accessor.get_field(record)
                if display and getattr(field, "choices", ()):
                    return display()
            try:
                return accessor.resolve(record)
            except Exception:
                return None

        return resolve

    names = [field.name for field in fields]
    *path, last = names
    display = f"get_{last}_display" if fields[-1].choices else None

    def value(record):
        owner = record
        for name in path:
            owner = getattr(owner, name)
            if owner is None:
                return None
        return getattr(owner, display)() if display else getattr(owner, last)

    return value


def cell_renderer(table, bound_column):
    """row → the cell's content (before escaping), the same as row.get_cell(name)."""
    column = bound_column.column
    name = bound_column.name
    generic = lambda row: row.get_cell(name)  # noqa: E731
    if bound_column.link or isinstance(column, ManyToManyColumn | BaseLinkColumn):
        return generic
    args, catch_all = signature(bound_column.render)
    if catch_all or not set(args) <= WITHOUT_ROW:
        return generic
    model = getattr(table.data, "model", None)
    if model is None:
        return generic
    get_value = value_getter(model, A(bound_column.accessor))
    render = bound_column.render
    empty_values = column.empty_values
    default = bound_column.default
    fixed = {"column": column, "bound_column": bound_column, "table": table}

    def cell(row):
        record = row.record
        value = get_value(record)
        if value in empty_values:
            return default
        given = {"value": value, "record": record, **fixed}
        return render(**{arg: given[arg] for arg in args})

    return cell


def page_rows(table):
    """Each row of the table's page as the HTML of its cells (safe), in the table's template's
    layout: each cell's header and attributes as the template showed them, its content
    escaped and localised as `{{ cell }}` is."""
    columns = list(table.columns)
    context = Context(autoescape=True)
    heads = [
        (
            render_value_in_context(column.header, context),
            render_value_in_context(column.attrs["td"].as_html(), context),
            cell_renderer(table, column),
        )
        for column in columns
    ]
    for row in table.paginated_rows:
        cells = [
            CELL.format(header, attrs, render_value_in_context(cell(row), context))
            for header, attrs, cell in heads
        ]
        yield mark_safe("".join(cells))  # noqa: S308 - every part escaped above
