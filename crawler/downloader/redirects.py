"""Redirects that come back to a URL already on their chain fail as a loop, with the chain.

Scrapy bounds a chain at REDIRECT_MAX_TIMES, but a short cycle (A -> B -> A) never gets there:
the second request for A is dropped by the duplicate filter without a word, so the post would
vanish from the run unexplained. These subclasses of Scrapy's two redirect middlewares name it.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from w3lib.html import get_meta_refresh

MAX_CHAIN_SHOWN = 4
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
        return _check_loop(request, super().process_response(request, response))


class MetaRefreshLoopMiddleware(MetaRefreshMiddleware):
    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Request | Response:
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
