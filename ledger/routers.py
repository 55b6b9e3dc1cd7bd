"""Reads for the public from a read replica, when DATABASE_REPLICA_URL names one.

The public pages only read, and can be a moment behind the primary; the admin must read
what it has just written. So a request reads from the replica only once the public-cache
middleware has recognised a public view (aid/caching.py), and every request starts on the
primary again (the request_started signal, below). Writes always go to the primary;
migrations run on the primary only (the replica copies them).
"""

from contextvars import ContextVar

from django.conf import settings
from django.core.signals import request_started

REPLICA = "replica"
_public_read = ContextVar("ledger_public_read", default=False)


def read_from_replica():
    """This request is a public page's: its reads may go to the replica."""
    _public_read.set(True)


def read_from_primary(**kwargs):
    _public_read.set(False)


request_started.connect(read_from_primary, dispatch_uid="ledger.routers.read_from_primary")


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _public_read.get() and settings.LEDGER_READ_REPLICA:
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # One database, two connections to it: records from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
