"""The agreement page's entry fields: amounts in words, currencies by code, line items by row.

- AmountField reads "13.3 billion" or "13,300,000,000" exactly (aid/amounts.py) and shows
  the amount back grouped; static/ledger/admin-entry.js shows the reading beside it.
- CurrencyField takes an ISO 4217 code in any case ("sek", " Sek "), typed with the help of
  one <datalist> per page (aid/admin_choices.py), not a select of 180 codes in every row.
- CitedLineItemField lets a citation name a line item of the same unsaved form by its row
  ("Line item row 2"), resolved once that row is saved (CitationFormSet in aid/admin.py).
- Row widgets are written in Python: an agreement's page has 50 rows of a dozen widgets,
  and Django renders each widget, and each option of a select, through its own template.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .admin_choices import SharedChoicesField, SharedChoicesIterator
from .amounts import AmountError, format_amount, parse_amount
from .iso import CURRENCIES

CURRENCY_LIST_ID = "iso-currencies"


class PythonRenderedInput:
    """An input written as Django's input.html writes it, without the template."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = widget["value"]
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            format_html(' value="{}"', shown) if shown is not None else "",
            flatatt(widget["attrs"]),
        )


class RowTextInput(PythonRenderedInput, forms.TextInput):
    pass


class RowNumberInput(PythonRenderedInput, forms.NumberInput):
    pass


class RowHiddenInput(PythonRenderedInput, forms.HiddenInput):
    pass


class RowSelect(forms.Select):
    """A select written as Django's select.html writes it, without a template per option.

    The options are written straight from the choices: 50 rows of five selects are 5,000
    options, and Django builds a dict and renders two templates for each.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        html = "".join(self.options_html(self.choices, selected, [False]))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe(html),  # noqa: S308 (every value and label escaped in options_html)
        )

    def options_html(self, choices, selected, found):
        for value, label in choices:
            if isinstance(label, list | tuple):
                inner = "".join(self.options_html(label, selected, found))
                yield f'<optgroup label="{escape(value)}">{inner}</optgroup>'
                continue
            value = "" if value is None else str(value)
            # As Django: in a single select, only the first option of the value is selected.
            chosen = value in selected and not found[0]
            found[0] = found[0] or chosen
            yield (
                f'<option value="{escape(value)}"{" selected" if chosen else ""}>'
                f"{escape(label)}</option>"
            )


class AmountInput(PythonRenderedInput, forms.TextInput):
    """A text input (a number input refuses "13.3 billion"), its amount shown grouped."""

    def __init__(self, attrs=None):
        defaults = {
            "class": "amount-input",
            "autocomplete": "off",
            "spellcheck": "false",
            "data-amount": "",
            "data-unread": _("Not an amount the ledger reads; saving says why."),
        }
        super().__init__(defaults | (attrs or {}))

    def format_value(self, value):
        # A typed value (a form shown again with errors) is shown as typed.
        if isinstance(value, str) or value is None:
            return super().format_value(value)
        return format_amount(value)


class AmountField(forms.Field):
    """An amount as an analyst types it: digits with separators, or in words (aid/amounts.py)."""

    widget = AmountInput

    def to_python(self, value):
        if not isinstance(value, str):
            return value
        try:
            return parse_amount(value)
        except AmountError as error:
            raise ValidationError(error.message, code="invalid", params=error.params) from None


class CurrencyInput(PythonRenderedInput, forms.TextInput):
    """A code typed with the page's list of currencies to pick from (one <datalist>)."""

    def __init__(self, attrs=None):
        defaults = {
            "class": "currency-input",
            "list": CURRENCY_LIST_ID,
            "size": "5",
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
        }
        super().__init__(defaults | (attrs or {}))


class CurrencyField(forms.CharField):
    """An ISO 4217 code, in any case and with spaces around it: "sek" and " Sek " are SEK."""

    widget = CurrencyInput
    default_error_messages = {
        "unknown": _("“%(value)s” is not an ISO 4217 currency code."),
    }

    def to_python(self, value):
        return super().to_python(value).upper()

    def validate(self, value):
        super().validate(value)
        if value and value not in CURRENCIES:
            raise ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": value}
            )


class RowReference(int):
    """Row N (counted from 1) of the line-item inline in the same POST, not saved yet."""

    PATTERN = re.compile(r"row-([1-9][0-9]{0,4})")

    @property
    def value(self):
        return f"row-{int(self)}"


ROW_LABEL = _("Line item row %(number)s")


class CitedLineItemIterator(SharedChoicesIterator):
    def __iter__(self):
        yield from super().__iter__()
        for number in self.field.new_rows:
            yield (RowReference(number).value, ROW_LABEL % {"number": number})

    def __len__(self):
        return super().__len__() + len(self.field.new_rows)


class CitedLineItemField(SharedChoicesField):
    """The agreement's saved line items, and the rows of new ones in the same form.

    A row is cleaned to a RowReference: its line item does not exist until the rows
    above it are saved, and CitationFormSet checks and resolves it.
    """

    iterator = CitedLineItemIterator
    new_rows = ()

    def to_python(self, value):
        match = RowReference.PATTERN.fullmatch(value) if isinstance(value, str) else None
        if match:
            return RowReference(match[1])
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, RowReference):
            return value.value
        return super().prepare_value(value)
