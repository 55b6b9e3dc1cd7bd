from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class AidConfig(AppConfig):
    name = "aid"
    verbose_name = "Aid ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import triggers

        # SQLite only; PostgreSQL's triggers live in migration 0008 (aid/triggers.py says why).
        pre_migrate.connect(triggers.drop_sqlite_triggers, sender=self)
        post_migrate.connect(triggers.install_sqlite_triggers, sender=self)
