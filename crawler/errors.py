"""Failures the crawler treats as "the host cannot be reached" (shared by the spider and media)."""

from __future__ import annotations

from scrapy import exceptions as scrapy_errors
from twisted.internet.error import ConnectError, DNSLookupError, TimeoutError

# Scrapy >= 2.14 wraps Twisted's connection errors in its own exception types.
CONNECTION_ERRORS = (ConnectError, DNSLookupError, TimeoutError) + tuple(
    getattr(scrapy_errors, name) for name in
    ("DownloadConnectionRefusedError", "CannotResolveHostError", "DownloadTimeoutError")
    if hasattr(scrapy_errors, name)
)
