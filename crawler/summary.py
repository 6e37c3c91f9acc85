"""The outcome of one site's crawl: computed once, recorded in crawl_runs and shown to the user."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

OUTCOMES = ("new", "changed", "unchanged", "deleted", "failed")


@dataclass
class CrawlSummary:
    site: str
    status: str  # "ok", "partial" (some pages failed), "failed", "interrupted"
    message: str
    pages_fetched: int = 0
    requests: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    peak_rss_mb: float | None = None

    @property
    def posts(self) -> int:
        return sum(self.counts.get(k, 0) for k in ("new", "changed", "unchanged"))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["posts"] = self.posts
        return data


def _connection_error(errors: list[str]) -> str | None:
    for error in errors:
        lowered = error.lower()
        if any(s in lowered for s in ("refused", "dns lookup", "timed out", "timeout",
                                      "no route", "unreachable")):
            return error
    return None


def summarize(site: str, stats: dict[str, Any], reason: str, errors: list[str]) -> CrawlSummary:
    """Decide the run's status from Scrapy's stats and the spider's error list."""
    counts = {k: int(stats.get(f"wixarchive/{k}", 0)) for k in OUTCOMES}
    counts["failed"] += int(stats.get("wixarchive/fetch_errors", 0))
    # Posts whose body no known layout gave (extracted generically): a new Wix layout to check.
    unknown_layout = int(stats.get("wixarchive/unknown_layout", 0))
    if unknown_layout:
        counts["unknown_layout"] = unknown_layout
    summary = CrawlSummary(site=site, status="ok", message="", counts=counts, errors=errors,
                           pages_fetched=int(stats.get("downloader/response_count", 0)),
                           requests=int(stats.get("downloader/request_count", 0)))
    posts = summary.posts
    if reason not in ("finished", "unreachable"):
        summary.status = "interrupted"
        summary.message = f"crawl interrupted ({reason}) after {posts} posts; run again to resume"
    elif posts == 0:
        summary.status = "failed"
        unreachable = _connection_error(errors)
        if unreachable and summary.pages_fetched == 0:
            summary.message = f"could not reach {site}: {unreachable.split(': ', 1)[-1]}"
        elif stats.get("wixarchive/pages/not-wix"):
            summary.message = f"{site} does not look like a Wix site: no Wix blog posts found"
        else:
            summary.message = (f"no Wix blog posts found at {site} "
                               "(no blog-posts sitemap, feed or listing with /post/ links)")
    else:
        if counts["failed"] and any("HTTP 404" not in e for e in errors):
            summary.status = "partial"
        summary.message = (f"{posts} posts: {counts['new']} new, {counts['changed']} changed, "
                           f"{counts['unchanged']} unchanged")
        if unknown_layout:
            summary.message += (f"; {unknown_layout} in an unknown page layout (body extracted "
                                "generically: check them)")
    return summary
