"""wixarchive's Python API: crawl Wix blogs, then read, search, diff and export the archive.

    import wixarchive

    with wixarchive.open("blog.db") as archive:
        for hit in wixarchive.search(archive, "sourdough starter", since="2024"):
            print(hit.title, hit.url)

Everything named in `__all__` is the public, documented surface (docs/api.md); the modules of
`archive` and `crawler` behind it are the implementation and may change between versions.

Importing this package is light (the standard library and the archive's own modules): the
extractor's HTML stack loads on the first `extract` or `clean`, sqlite-utils on the first use of
`Archive.db`, and Scrapy only ever runs in the crawler's child process.
"""

from __future__ import annotations

import importlib
from typing import Any

from archive import __version__
from archive.search import Hit, SearchError
from archive.site_match import NoSuchSite, SeveralSites
from archive.store import Archive, ArchiveError, ArchiveOutdated
from crawler.extract.record import Article, CleanedText
from wixarchive.api import (
    CrawlSummary,
    add_site,
    backup,
    check,
    clean,
    count,
    crawl,
    diff,
    export,
    extract,
    failing_sites,
    forget_site,
    import_files,
    list_sites,
    merge_sites,
    open,
    post_version,
    posts,
    recover,
    reextract,
    remove_site,
    run_due,
    runs,
    search,
    stats,
)

__all__ = [
    "Archive",
    "ArchiveError",
    "ArchiveOutdated",
    "Article",
    "CleanedText",
    "CrawlSummary",
    "Hit",
    "NoSuchSite",
    "RecoverBusy",
    "SearchError",
    "SeveralSites",
    "WaybackError",
    "__version__",
    "add_site",
    "backup",
    "check",
    "clean",
    "count",
    "crawl",
    "diff",
    "export",
    "extract",
    "failing_sites",
    "forget_site",
    "import_files",
    "list_sites",
    "merge_sites",
    "open",
    "post_version",
    "posts",
    "recover",
    "reextract",
    "remove_site",
    "run_due",
    "runs",
    "search",
    "stats",
]

# The exceptions of recover(), whose modules (warcio, the importer) load only when asked for:
# `import wixarchive` stays light.
_LAZY = {"RecoverBusy": "archive.recover", "WaybackError": "crawler.wayback"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'wixarchive' has no attribute {name!r}")
