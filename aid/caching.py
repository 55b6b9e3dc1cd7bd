"""Caching of the public pages: HTTP validators for any cache, and a shared cache of summaries.

Public pages are the same for every reader and change only when the data does, so:

- Every public response carries validators from the data version (models.DataVersion,
  bumped by the database whenever a transaction that wrote the ledger commits): an `ETag`
  and a `Last-Modified`, with `Cache-Control: public, max-age=…, stale-while-revalidate=…`.
  A request whose `If-None-Match` (or `If-Modified-Since`) still holds is answered
  `304 Not Modified` before the view runs: one query, no rendering.
- Whole-table summaries (an unfiltered table's count, totals and facets; the unfiltered
  overview's figures) are kept in Django's cache (Redis when REDIS_URL is set, so every
  app server shares them; local memory otherwise) under a key holding the data version:
  a publication, or any write, makes the next request compute them again. Nothing has to
  be deleted, and no server can serve a summary older than the data it reads.
- Whole public pages are kept the same way, in the "pages" cache (settings.CACHES), under
  their version, language and address: a page many readers open (the overview a news
  story links to) is rendered once per data version, and every server answers it from
  the cache after that. A page is kept only if it is the same for every reader (it set no
  cookie, read no session, rendered no CSRF token, counted every facet in time) and is not
  streamed (an export); LEDGER_PAGE_CACHE=0 turns this off (`make bench` measures
  rendering so).

Only views marked `public` (aid/urls.py) are touched; the admin, previews and health
checks are not. Public reads go to the read replica when one is configured
(ledger/routers.py); this middleware is where a request is marked as such.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.deprecation import MiddlewareMixin
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language

from ledger import outages, routers

from .models import DataVersion

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Version:
    number: int
    changed_at: datetime | None

    @property
    def token(self):
        """Unique across a test database's flushes too: the number and the moment."""
        moment = int(self.changed_at.timestamp() * 1_000_000) if self.changed_at else 0
        return f"{self.number}.{moment}"


def current_version():
    """The data version as the (public) database sees it now."""
    row = DataVersion.objects.filter(pk=1).values_list("number", "changed_at").first()
    return Version(*row) if row else Version(0, None)


def public(view):
    """Marks a view as public: cacheable by anyone, read from the replica if there is one."""
    view.ledger_public = True
    return view


def request_version(request):
    """The version a public request was answered at, read once per request."""
    version = getattr(request, "ledger_version", None)
    if version is None:
        version = request.ledger_version = current_version()
    return version


def shared(request, name, compute, keep=None, per_language=True):
    """compute(), kept in the shared cache for this data version under `name`.

    keep(value): whether a value may be kept (a facet that ran out of time is computed
    again by the next request rather than shown without counts for the whole version).
    per_language: what is kept holds labels in the reader's language; False for plain
    figures, which every language then shares.
    A cache that cannot be reached (Redis restarting) costs the computation, never the page.
    """
    language = get_language() if per_language else "*"
    key = f"ledger:{request_version(request).token}:{language}:{name}"
    value = cache_get("default", key)
    if value is not None:
        return value
    value = compute()
    if keep is not None and not keep(value):
        return value
    cache_set("default", key, value)
    return value


def cache_get(alias, key):
    """What cache `alias` holds under key, or None: a cache that cannot be reached (Redis
    restarting, or not configured) costs the computation, never the page."""
    try:
        return caches[alias].get(key)
    except Exception as error:  # Redis' own errors
        logger.warning("Cache unavailable, computing %s: %s", key, error)
        return None


def cache_set(alias, key, value):
    try:
        caches[alias].set(key, value, timeout=settings.LEDGER_SUMMARY_CACHE_SECONDS)
    except Exception as error:
        logger.warning("Cache unavailable, not keeping %s: %s", key, error)


def page_key(request, version):
    """A public page's key in the page cache: its version, language and whole address.

    The same page for every reader of a language at a data version is what the ETag
    already promises any HTTP cache; the address is hashed with its host and scheme, so a
    page is never answered for another site's name or for a long query's raw text.
    """
    address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"page:{version.token}:{get_language()}:{address}"


def dont_keep_page(request):
    """This response is incomplete for a reason the next request may not meet (a count
    out of time): render it again rather than keep it for every reader of this version."""
    request.ledger_page_key = None


class PublicCacheMiddleware(MiddlewareMixin):
    """Validators and Cache-Control on public pages; 304 without running the view."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "ledger_public", False):
            return None
        routers.read_from_replica()
        if request.method not in ("GET", "HEAD"):
            return None
        try:
            version = request_version(request)
        except DatabaseError as error:
            if not outages.unreachable(error):
                raise
            # The view meets the same outage and is answered 503 (ledger/outages.py).
            return None
        # Weak: a proxy that compresses the body keeps a weak validator valid.
        request.ledger_etag = "W/" + quote_etag(f"{version.token}-{get_language()}")
        # HTTP dates have whole seconds: a fraction would make every If-Modified-Since older.
        request.ledger_last_modified = (
            int(version.changed_at.replace(tzinfo=version.changed_at.tzinfo or UTC).timestamp())
            if version.changed_at
            else None
        )
        response = get_conditional_response(
            request, etag=request.ledger_etag, last_modified=request.ledger_last_modified
        )
        if response is None and request.method == "GET" and settings.LEDGER_PAGE_CACHE:
            request.ledger_page_key = page_key(request, version)
            response = cache_get("pages", request.ledger_page_key)
            if response is not None:
                response.headers["X-Ledger-Page-Cache"] = "hit"
                request.ledger_page_key = None  # nothing to keep again
        if response is not None:
            self.add_validators(request, response)
        return response

    def process_response(self, request, response):
        if getattr(request, "ledger_etag", None) and response.status_code == 200:
            if response.cookies:
                # Something personal was set: no shared cache may keep it.
                patch_cache_control(response, private=True)
                return response
            self.add_validators(request, response)
            self.keep_page(request, response)
        return response

    @staticmethod
    def keep_page(request, response):
        key = getattr(request, "ledger_page_key", None)
        # A streamed export is never kept whole; a very long page is rendered again.
        if key is None or response.streaming:
            return
        # A page that read the reader's session or holds their CSRF token is theirs alone,
        # even before a cookie says so (the session's Vary is added outside this middleware).
        session = getattr(request, "session", None)
        if (session is not None and session.accessed) or request.META.get(
            "CSRF_COOKIE_NEEDS_UPDATE"
        ):
            return
        if len(response.content) > settings.LEDGER_PAGE_CACHE_MAX_BYTES:
            return
        response.headers["X-Ledger-Page-Cache"] = "miss"
        cache_set("pages", key, response)

    @staticmethod
    def add_validators(request, response):
        response.headers["ETag"] = request.ledger_etag
        if request.ledger_last_modified is not None:
            response.headers["Last-Modified"] = http_date(request.ledger_last_modified)
        patch_cache_control(
            response,
            public=True,
            max_age=settings.LEDGER_HTTP_MAX_AGE,
            stale_while_revalidate=settings.LEDGER_HTTP_STALE_WHILE_REVALIDATE,
        )
