"""Read responses off the socket in larger pieces than Twisted's 64 KB.

A real Wix post page is ~0.9 MB (mostly inline CSS and JSON): at 64 KB a read, fetching it
takes ~14 reads, each a system call and a pass through Twisted's and Scrapy's HTTP layers in
Python. Reads of WIXARCHIVE_SOCKET_READ_BYTES took ~20% off the crawl process's reactor CPU on
the real pages (docs/benchmarks.md). Twisted has no per-connection setting, so this sets the
read size of its TCP client connections for the whole process; a crawl process opens no
other kind (it listens on nothing), and the size only ever grows.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import tcp


class SocketReads:
    """Enabled in EXTENSIONS; 0 leaves Twisted's read size as it is."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> SocketReads:
        size = crawler.settings.getint("WIXARCHIVE_SOCKET_READ_BYTES")
        if size > tcp.Client.bufferSize:
            tcp.Client.bufferSize = size
        return cls()
