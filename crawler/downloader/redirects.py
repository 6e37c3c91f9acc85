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
from scrapy.http import Response

MAX_CHAIN_SHOWN = 4


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
        return _check_loop(request, super().process_response(request, response))
