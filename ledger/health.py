"""/healthz: may a load balancer send this process readers?

Yes (200, "ok") when the database answers and every migration on disk is applied to it;
no (503) otherwise, so that a process started before `migrate` ran, or one that lost its
database, is taken out of rotation. The body says which, in a word or two, and nothing
else: no versions, no hosts, no exception text (that goes to the log).
"""

import logging
from http import HTTPStatus

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def unapplied_migrations():
    """How many migrations `migrate` would apply: what `migrate --check` looks at."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def answer(status, text):
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def healthz(request):
    try:
        unapplied = unapplied_migrations()
    except DatabaseError:
        logger.exception("healthz: the database did not answer")
        return answer(HTTPStatus.SERVICE_UNAVAILABLE, "database unavailable")
    if unapplied:
        logger.error("healthz: %d migrations are not applied", unapplied)
        return answer(HTTPStatus.SERVICE_UNAVAILABLE, "migrations not applied")
    return answer(HTTPStatus.OK, "ok")
