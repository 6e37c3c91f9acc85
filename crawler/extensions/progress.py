"""Progress on stderr while a crawl runs: per site and, when several sites are crawled at once
(see crawler.run.run_sites), in total.

Every site's Crawler has its own CrawlProgress; they share one board (a crawl process has one
stderr), which redraws one line on a terminal (the total, then the sites in progress) and, in
logs, writes a line per site in progress and a total line every LOG_INTERVAL.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any

from scrapy import signals

from archive.words import counted

# On a terminal the line is redrawn at most this often; in logs one line per interval.
TTY_INTERVAL = 0.2
LOG_INTERVAL = 10.0
COUNTS = ("new", "changed", "unchanged")


class _Board:
    def __init__(self) -> None:
        self.stream = sys.stderr
        self.tty = self.stream.isatty()
        self.last = time.monotonic()
        self.shown = False
        self.running: list[CrawlProgress] = []
        self.finished: list[CrawlProgress] = []  # the sites done (their stats stay readable)
        self.total = 1

    def update(self) -> None:
        now = time.monotonic()
        if now - self.last < (TTY_INTERVAL if self.tty else LOG_INTERVAL):
            return
        self.last = now
        self.shown = True
        several = self.total > 1
        if self.tty:
            parts = [self._total()] if several else []
            parts += [p.line(short=several) for p in self.running]
            width = shutil.get_terminal_size((120, 20)).columns - 1
            self.stream.write("\r\033[K" + " | ".join(parts)[:width])
        else:
            lines = [p.line(short=False) for p in self.running]
            if several:
                lines.append(self._total())
            self.stream.write("".join(line + "\n" for line in lines))
        self.stream.flush()

    def _total(self) -> str:
        counts = [p.counts() for p in self.running + self.finished]
        sums = {k: sum(c.get(k, 0) for c in counts) for k in ("pages", *COUNTS, "errors")}
        return (f"{len(self.finished)}/{self.total} sites done, {len(self.running)} running: "
                f"{counted(sums['pages'], 'page')}, {sums['new']} new, {sums['changed']} "
                f"changed, {sums['unchanged']} unchanged, {counted(sums['errors'], 'error')}")

    def done(self, progress: CrawlProgress) -> None:
        if progress in self.running:
            self.running.remove(progress)
            self.finished.append(progress)
        if not self.running and self.tty and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


_board = _Board()


class CrawlProgress:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.board = _board
        self.board.total = max(self.board.total,
                               crawler.settings.getint("WIXARCHIVE_SITES_TOTAL", 1))
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.update, signal=signals.item_scraped)
        crawler.signals.connect(self.update, signal=signals.response_received)
        crawler.signals.connect(self.finish, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProgress:
        return cls(crawler)

    def counts(self) -> dict[str, int]:
        get = self.crawler.stats.get_value
        return {"pages": get("downloader/response_count", 0),
                "errors": get("wixarchive/fetch_errors", 0),
                **{k: get(f"wixarchive/{k}", 0) for k in COUNTS}}

    def line(self, *, short: bool) -> str:
        c = self.counts()
        site = self.crawler.spider.site if self.crawler.spider else "?"
        # "1 pages, … 1 errors" read as a typo in a study's crawl log.
        if short:
            return f"{site} {counted(c['pages'], 'page')}"
        return (f"{site} {counted(c['pages'], 'page')}, {c['new']} new, {c['changed']} changed, "
                f"{c['unchanged']} unchanged, {counted(c['errors'], 'error')}")

    def opened(self, spider: Any) -> None:
        self.board.running.append(self)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.board.update()

    def finish(self, spider: Any, reason: str) -> None:
        self.board.done(self)
