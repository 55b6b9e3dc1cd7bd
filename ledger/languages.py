"""The readers' languages: English at the URLs of the contract, Ukrainian under /uk/.

Every public page has one URL per language: `/items/?donor=spain` is English and
`/uk/items/?donor=spain` Ukrainian, whatever the browser says, so a shared link shows what
its sender saw and any cache keeps the two apart. The admin is English only.

A reader is sent to their language once, on arriving at an English URL:

- a reader who chose a language with the switch on every page (a cookie) gets that one;
- otherwise the browser's Accept-Language decides: one that prefers Ukrainian to English
  is redirected (302) to the page's Ukrainian URL, filters and all;
- anyone else, and every export (never localised), stays on the English page.

Public responses vary on Accept-Language and Cookie, so a shared cache never serves the
English page where the redirect was due; the HTTP validators hold the language too
(aid/caching.py).
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import translate_url
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_from_path, get_language_from_request, override
from django.views.decorators.cache import never_cache

LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60


class ReaderLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (the language from the URL's prefix), and the redirect of a
    reader who prefers another language from an English public page to its twin."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "ledger_public", False):
            return None
        request.ledger_public_language = True
        if request.method not in ("GET", "HEAD") or "_export" in request.GET:
            return None
        if get_language_from_path(request.path_info):
            return None  # a language's own URL: what the reader asked for
        preferred = get_language_from_request(request, check_path=False)
        if preferred == settings.LANGUAGE_CODE:
            return None
        twin = translate_url(request.get_full_path(), preferred)
        if twin == request.get_full_path():
            return None
        response = HttpResponseRedirect(twin)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if getattr(request, "ledger_public_language", False):
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


@never_cache
def choose_language(request, code):
    """The language switch: remember the reader's choice and show the page in it.

    GET, so that the switch is a plain link that keeps the page's filters; it only sets
    a preference. `next` must be a path on this site (no open redirect).
    """
    languages = dict(settings.LANGUAGES)
    following = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        following, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        following = "/"
    if code not in languages:
        return HttpResponseRedirect(following)
    # The page is resolved in its own language (its prefix), then reversed in the chosen one.
    with override(get_language_from_path(following.split("?")[0]) or settings.LANGUAGE_CODE):
        twin = translate_url(following, code)
    response = HttpResponseRedirect(twin)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
    )
    return response
