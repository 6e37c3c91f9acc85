"""Re-extraction: today's extraction and cleaning, run again over the stored captures.

No network: each post's page comes from its raw capture (archive/captures.py). A post gets a new
version only where the clean result changed; such versions are marked `source = 'reextract'`.
Work goes in batches of posts, each committed with the run's resume point (the `reextractions`
row), so a re-extraction killed at any moment resumes after the last committed batch, and a
batch cut short leaves nothing half-written.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from archive import captures
from archive.ingest import Fetch, save_batch
from archive.store import Archive, utc_now
from crawler.discover.urls import site_root

BATCH = 200  # posts per committed step
FAILURES_KEPT = 200  # failures named in the run's row and the summary


class Target(NamedTuple):
    """A post to re-extract and the capture to re-extract it from."""

    post_id: int
    url: str
    content_hash: str
    capture: str | None
    last_seen: str
    lastmod: str | None
    etag: str | None
    http_last_modified: str | None


@dataclasses.dataclass
class Result:
    posts: int = 0  # posts re-extracted from a capture
    changed: int = 0  # of which the clean result changed: a new version
    failed: int = 0  # capture missing, unreadable, or no longer a post
    without_capture: int = 0  # archived without captures (--no-capture, or before v10)
    failures: list[str] = dataclasses.field(default_factory=list)
    resumed: bool = False

    def counts(self) -> dict[str, int]:
        return {"posts": self.posts, "changed": self.changed, "failed": self.failed,
                "without_capture": self.without_capture}


def _site_filter(site: str | None) -> tuple[str, list[Any]]:
    if not site:
        return "", []
    return " AND p.site_id = (SELECT id FROM sites WHERE url = ?)", [site_root(site)]


def count_posts(archive: Archive, site: str | None, after: int = 0) -> int:
    where, params = _site_filter(site)
    return archive.conn.execute(f"SELECT count(*) FROM posts p WHERE p.id > ?{where}",
                                [after, *params]).fetchone()[0]


def _targets(archive: Archive, site: str | None, after: int) -> Iterator[list[Target]]:
    where, params = _site_filter(site)
    # The newest successful capture of the post's URL; else the one its version names.
    sql = (
        "SELECT p.id, p.url, p.content_hash, coalesce("
        " (SELECT c.record_id FROM captures c WHERE c.url = p.url AND c.status = 200"
        "  ORDER BY c.fetched_at DESC LIMIT 1),"
        " (SELECT v.capture FROM post_versions v WHERE v.post_id = p.id"
        "  AND v.version = p.version)),"
        " p.last_seen, p.lastmod, p.etag, p.http_last_modified "
        f"FROM posts p WHERE p.id > ?{where} ORDER BY p.id LIMIT ?")
    while True:
        rows = [Target(*row) for row in archive.conn.execute(sql, [after, *params, BATCH])]
        if not rows:
            return
        yield rows
        after = rows[-1].post_id


def _open_run(archive: Archive, site: str | None) -> tuple[int, int, Result]:
    """The unfinished re-extraction of the same scope to resume, or a new one."""
    scope = site_root(site) if site else None
    row = archive.conn.execute(
        "SELECT id, last_post_id, counts, failures FROM reextractions WHERE finished_at IS NULL "
        "AND site IS ? ORDER BY id DESC LIMIT 1", (scope,)).fetchone()
    if row is not None:
        counts = json.loads(row[2])
        result = Result(**{k: counts.get(k, 0) for k in Result().counts()},
                        failures=json.loads(row[3]), resumed=True)
        return row[0], row[1], result
    with archive.transaction() as conn:
        run_id = conn.execute("INSERT INTO reextractions (site, started_at) VALUES (?, ?)",
                              (scope, utc_now())).lastrowid
    return run_id, 0, Result()


def _fail(result: Result, url: str, reason: str) -> None:
    result.failed += 1
    if len(result.failures) < FAILURES_KEPT:
        result.failures.append(f"{url}: {reason}")


def _reextract_one(archive: Archive, directory: Path, target: Target,
                   result: Result) -> Fetch | None:
    from crawler.extract import extract_article  # the extractor only: no Scrapy

    if target.capture is None:
        result.without_capture += 1
        return None
    result.posts += 1
    try:
        payload = captures.read_payload(archive.conn, directory, target.capture)
        body = payload.decoded_body()
    except (captures.CaptureError, OSError, ValueError) as exc:
        _fail(result, target.url, str(exc))
        return None
    article = extract_article(body, target.url, content_type=payload.content_type)
    if article.page_kind != "post":
        reason = "; ".join(article.warnings) or f"extracted as a {article.page_kind} page"
        _fail(result, target.url, f"not extracted as a post ({reason})")
        return None
    article = dataclasses.replace(article, url=target.url)
    if article.content_hash() == target.content_hash:
        return None
    result.changed += 1
    # Dated by the post's last fetch: the capture read is the newest one of the page, and what
    # every fetch since confirmed (304 or unchanged lastmod). Validators stay as they were.
    return Fetch(article, target.last_seen, target.lastmod, target.etag,
                 target.http_last_modified, capture=target.capture, source="reextract")


def reextract(archive: Archive, *, site: str | None = None,
              progress: Callable[[int], None] | None = None,
              on_start: Callable[[int, Result], None] | None = None) -> Result:
    """Re-extract every post (of `site`) from its newest capture; resumes an unfinished run.

    `on_start(total, result)` is told how many posts remain and what a resumed run already
    counted; `progress(n)` after each batch of n posts."""
    directory = captures.captures_dir(archive.path)
    captures.recover(archive.conn, directory)  # a crawl killed mid-write: index what it left
    run_id, after, result = _open_run(archive, site)
    if on_start:
        on_start(count_posts(archive, site, after), result)
    for batch in _targets(archive, site, after):
        fetches = [f for t in batch if (f := _reextract_one(archive, directory, t, result))]
        with archive.transaction() as conn:
            if fetches:
                save_batch(conn, fetches, None, archive._site_id)
            conn.execute("UPDATE reextractions SET last_post_id = ?, counts = ?, failures = ? "
                         "WHERE id = ?", (batch[-1].post_id, json.dumps(result.counts()),
                                          json.dumps(result.failures, ensure_ascii=False),
                                          run_id))
        if progress:
            progress(len(batch))
    with archive.transaction() as conn:
        conn.execute("UPDATE reextractions SET finished_at = ?, counts = ? WHERE id = ?",
                     (utc_now(), json.dumps(result.counts()), run_id))
    return result
