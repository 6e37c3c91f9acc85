"""One clear reason per failed request, for the run's errors: what happened and which limit
(setting) stopped it, instead of Scrapy's log-oriented messages or a bare exception name."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest
from scrapy.settings import BaseSettings
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionDone, ConnectionLost, ConnectionRefusedError
from twisted.internet.error import DNSLookupError as TwistedDNSLookupError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed, ResponseNeverReceived

from crawler.discover.sitemaps import LIMIT_NAME, unpacked_too_large
from crawler.summary import ROBOTS_FORBIDDEN


class RetryAfterTooLong(IgnoreRequest):
    """A 429 or 503 not retried: its Retry-After asks for a longer wait than
    WIXARCHIVE_RETRY_AFTER_MAX. The server answered, asking not to be asked now: for a
    robots.txt, unreachable (crawler.downloader.robots);
    raised by crawler.downloader.retry_after."""


def _types(scrapy_name: str, *twisted: type[BaseException]) -> tuple[type[BaseException], ...]:
    """Scrapy >= 2.14 raises its own exception types; 2.13 raises Twisted's."""
    found = getattr(scrapy_errors, scrapy_name, None)
    return (found, *twisted) if found else twisted


_TIMEOUTS = _types("DownloadTimeoutError", TwistedTimeoutError)
_CANCELLED = _types("DownloadCancelledError", CancelledError)
_LOST = _types("ResponseDataLossError", ConnectionLost, ConnectionDone)
_REFUSED = _types("DownloadConnectionRefusedError", ConnectionRefusedError)
_NO_SUCH_HOST = _types("CannotResolveHostError", TwistedDNSLookupError)
_EXPECTED_SIZE = "Expected to receive "
# What OpenSSL says when a TLS client meets a server speaking plain HTTP on that port.
_PLAIN_HTTP = ("wrong version number", "http request", "packet length too long")


# meta: a sitemap request, whose size limit is the sitemaps.org one (its download_maxsize),
# not DOWNLOAD_MAXSIZE; its messages say so, as crawler.discover.sitemaps's do.
SITEMAP_META = "wixarchive_sitemap"


def _mib(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


def _tries(request: Any, reason: str) -> str:
    """`reason` with the number of tries a retried request took: inside its own closing
    bracket when it ends in one ("(DOWNLOAD_TIMEOUT; 4 tries)"), not a second bracket after."""
    retries = request.meta.get("retry_times", 0) if request is not None else 0
    if not retries:
        return reason
    if reason.endswith(")"):
        return f"{reason[:-1]}; {retries + 1} tries)"
    return f"{reason} ({retries + 1} tries)"


def describe(failure: Failure, settings: BaseSettings) -> str:
    """The reason a request failed, in one line (without its URL)."""
    exc = failure.value
    request = getattr(failure, "request", None)
    maxsize = (request.meta.get("download_maxsize") if request is not None else None) \
        or settings.getint("DOWNLOAD_MAXSIZE")
    sitemap = request is not None and request.meta.get(SITEMAP_META)
    limit = LIMIT_NAME if sitemap else "DOWNLOAD_MAXSIZE"
    response = getattr(exc, "response", None)
    if response is not None:
        return _tries(request, f"HTTP {response.status}")
    if isinstance(exc, _TIMEOUTS):
        timeout = (request.meta.get("download_timeout") if request is not None else None) \
            or settings.getfloat("DOWNLOAD_TIMEOUT")
        return _tries(request, f"no complete answer within {timeout:g} s (DOWNLOAD_TIMEOUT)")
    if isinstance(exc, _CANCELLED):
        message = str(exc)
        if message.startswith(_EXPECTED_SIZE):
            declared = message[len(_EXPECTED_SIZE):].split(" ", 1)[0]
            return (f"body of {declared} bytes announced, over the {_mib(maxsize)} limit "
                    f"({limit})")
        return f"body over the {_mib(maxsize)} limit ({limit}): download stopped"
    if isinstance(exc, IgnoreRequest):
        cause = exc.__cause__
        if cause is not None and hasattr(cause, "decompressed_size"):  # HttpCompression's limit
            if sitemap:  # what a .xml.gz bomb says (crawler.discover.sitemaps)
                return f"sitemap {unpacked_too_large(cause.max_size)}"
            return (f"compressed body inflates past the {_mib(cause.max_size)} limit "
                    "(DOWNLOAD_MAXSIZE): a decompression bomb?")
        if str(exc) == "max redirections reached":
            return (f"more than {settings.getint('REDIRECT_MAX_TIMES')} redirects "
                    "(REDIRECT_MAX_TIMES)")
        return str(exc) or "request dropped"
    failed = _response_failed(exc)
    if failed is not None:
        tls = _tls_problem(failed)
        if tls:
            hint = " — is the site plain http?" if any(s in tls for s in _PLAIN_HTTP) else ""
            return _tries(request, f"TLS handshake failed ({tls}{hint})")
        if isinstance(failed, ResponseNeverReceived):
            return _tries(request, "connection lost before any answer")
        return _tries(request, "connection lost before the body was complete")
    if isinstance(exc, _LOST):
        return _tries(request, "connection lost before the body was complete")
    # Said so that whoever typed the address knows what to check: Twisted's own words
    # ("Connection was refused by other side: 111: Connection refused.") were a puzzle.
    address = urlsplit(request.url) if request is not None else None
    if isinstance(exc, _NO_SUCH_HOST):
        named = f"no host named {address.hostname}" if address else "no such host"
        return _tries(request, f"DNS lookup failed: {named} (check the address for a typo, "
                               "and that this computer is online)")
    if isinstance(exc, _REFUSED):
        return _tries(request, "connection refused: nothing answers at "
                               f"{address.netloc if address else 'that address'} (the server is "
                               "down, or the address or its port is wrong)")
    # Anything else: its message on one line (a run's errors are one line each).
    return " ".join(str(exc).split()) or failure.type.__name__


def robots_forbidden(failure: Failure) -> bool:
    """Whether the request was never sent because the site's robots.txt forbids it: a choice
    of politeness, no failure of the page (docs/crawling.md)."""
    return isinstance(failure.value, IgnoreRequest) and str(failure.value) == ROBOTS_FORBIDDEN


def tls_failed(failure: Failure) -> bool:
    """Whether the request failed in its TLS handshake: the host answers, but not as an https
    site (plain HTTP on that port, a broken certificate setup), so no other page of it will."""
    failed = _response_failed(failure.value)
    return failed is not None and _tls_problem(failed) is not None


def _response_failed(exc: BaseException | None) -> ResponseFailed | None:
    """Twisted's ResponseFailed behind `exc`: Scrapy >= 2.14 raises it wrapped in its own
    DownloadFailedError, whose message is only the repr of the Failures inside."""
    while exc is not None:
        if isinstance(exc, ResponseFailed):
            return exc
        exc = exc.__cause__
    return None


def _tls_problem(failed: ResponseFailed) -> str | None:
    """What OpenSSL said, when the connection failed in TLS (pyOpenSSL's SSL.Error: a list of
    (library, function, reason) tuples), e.g. "wrong version number"."""
    for reason in failed.reasons:
        error = getattr(reason, "value", reason)
        if type(error).__module__.startswith("OpenSSL"):
            details = error.args[0] if error.args else None
            if isinstance(details, list):
                said = [str(item[-1]) for item in details if isinstance(item, tuple) and item]
                if said:
                    return "; ".join(dict.fromkeys(said))
            return " ".join(str(error).split()) or type(error).__name__
    return None
