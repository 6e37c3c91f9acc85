"""Redirects that come back to a URL already on their chain fail as a loop, with the chain.

Scrapy bounds a chain at REDIRECT_MAX_TIMES, but a short cycle (A -> B -> A) never gets there:
the second request for A is dropped by the duplicate filter without a word, so the post would
vanish from the run unexplained. These subclasses of Scrapy's two redirect middlewares name it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from w3lib.html import get_meta_refresh
from w3lib.url import safe_url_string

MAX_CHAIN_SHOWN = 4
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Scrapy looks for a <meta http-equiv="refresh"> in the first 4096 characters of a page only,
# but gets them from `response.text`, which decodes the whole body: ~0.8 ms for a real Wix page
# (~0.9 MB), in the reactor thread, for every page. At most 4 bytes a character, these bytes
# hold those characters.
META_REFRESH_CHARS = 4096
META_REFRESH_BYTES = 4 * META_REFRESH_CHARS


def _check_loop(request: Request, result: Request | Response) -> Request | Response:
    if not isinstance(result, Request):
        return result
    chain = [*request.meta.get("redirect_urls", []), request.url]
    if result.url in chain:
        shown = [*chain[-MAX_CHAIN_SHOWN:], result.url]
        raise IgnoreRequest(f"redirect loop: {' -> '.join(shown)}")
    return result


class RedirectLoopMiddleware(RedirectMiddleware):
    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Request | Response:
        result = super().process_response(request, response)
        if result is response and response.status in REDIRECT_STATUSES and not (
                request.meta.get("dont_redirect")
                or response.status in request.meta.get("handle_httpstatus_list", ())):
            _refuse_scheme(response)
        return _check_loop(request, result)


def _refuse_scheme(response: Response) -> None:
    """A redirect Scrapy did not follow because it leads off http(s) (file:, ftp:, data:):
    said as such, rather than left to fail as a bare "HTTP 302"."""
    location = response.headers.get("Location")
    if not location:
        return
    target = urljoin(response.url, safe_url_string(location))
    scheme = urlsplit(target).scheme.lower()
    if scheme not in ("http", "https"):
        raise IgnoreRequest(f"redirect to a {scheme}: URL refused (only http and https "
                            "are followed)")


class MetaRefreshLoopMiddleware(MetaRefreshMiddleware):
    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Request | Response:
        if "media_url" in request.meta:
            # An image, video or document is kept as it is: a meta refresh in a file served
            # as HTML is no page of the site to follow (it could lead anywhere).
            return response
        if isinstance(response, HtmlResponse) and not _has_meta_refresh(response,
                                                                        self._ignore_tags):
            return response  # what Scrapy's middleware returns too, without decoding it all
        return _check_loop(request, super().process_response(request, response))


def _has_meta_refresh(response: HtmlResponse, ignore_tags: list[str]) -> bool:
    """Whether the page's head has a meta refresh, decoding only the characters Scrapy reads
    (the encoding comes from the headers or the page's own declaration when it has one)."""
    head = response.body[:META_REFRESH_BYTES].decode(response.encoding, "replace")
    _, url = get_meta_refresh(head[:META_REFRESH_CHARS], response.url, response.encoding,
                              ignore_tags=ignore_tags)
    return url is not None
