"""Change history of ledger records (django-simple-history); readers see it in aid/corrections.py.

Every save of a donor, source, agreement, line item or citation keeps a
historical record: who, when, and the record's editable fields. Derived fields
(EUR and USD values, ECB rates, counted totals, timestamps) are left out: they
follow from the rest, and Agreement.recount() and refresh_values() write them
with queryset.update(), which keeps no history anyway.

Records loaded without history (fixtures, bulk loads) get a baseline on their
first change, so that the change has a "before".
"""

from django.db.models import signals
from simple_history.models import HistoricalRecords

BASELINE_REASON = "state before history was kept"


class LedgerHistoricalRecords(HistoricalRecords):
    """HistoricalRecords that keeps a baseline of a record first changed after a bulk load."""

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            signals.pre_save.connect(self.keep_baseline, sender=sender, weak=False)

    def keep_baseline(self, instance, raw=False, **kwargs):
        if raw or instance._state.adding or instance.pk is None:
            return
        model = type(instance)
        manager = getattr(model, self.manager_name)
        if manager.filter(**{model._meta.pk.attname: instance.pk}).exists():
            return
        before = model._default_manager.filter(pk=instance.pk).first()
        if before is None:
            return
        # Nobody made this state through the admin: attribute it to no one.
        before._history_user = None
        before._change_reason = BASELINE_REASON
        self.create_historical_record(before, "~")
