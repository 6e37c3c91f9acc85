"""The spider's incremental rule: when a sitemap lastmod lets a post be skipped."""

from __future__ import annotations

from archive.store import KnownPost
from crawler.spiders.wix import archived_since, unchanged_listed_post, unchanged_since_fetch


def known(lastmod: str | None, last_seen: str) -> KnownPost:
    return KnownPost(lastmod, None, None, "hash", None, last_seen)


def test_an_equal_lastmod_is_skipped() -> None:
    assert unchanged_since_fetch("2024-05-01", known("2024-05-01", "2024-05-03T08:00:00+00:00"))
    assert unchanged_since_fetch("2024-05-01", known("2024-05-01T10:00:00.000Z",
                                                     "2024-05-03T08:00:00+00:00"))
    stamp = "2024-05-01T10:00:00.000Z"
    assert unchanged_since_fetch(stamp, known(stamp, "2024-05-01T11:00:00+00:00"))


def test_an_older_lastmod_is_fetched() -> None:
    # A blog restored from a backup, or an edit reverted: its lastmod goes back in time.
    assert not unchanged_since_fetch("2024-04-30",
                                     known("2024-05-01", "2024-05-03T08:00:00+00:00"))
    assert not unchanged_since_fetch("2024-05-01T09:00:00.000Z",
                                     known("2024-05-01T10:00:00.000Z", "2024-05-03T08:00:00"))


def test_a_newer_or_missing_lastmod_is_fetched() -> None:
    assert not unchanged_since_fetch("2024-05-02", known("2024-05-01", "2024-05-03T08:00:00"))
    assert not unchanged_since_fetch(None, known("2024-05-01", "2024-05-03T08:00:00"))
    assert not unchanged_since_fetch("2024-05-02", known(None, "2024-05-03T08:00:00"))


def test_a_date_only_lastmod_on_the_day_of_the_last_fetch_is_fetched_again() -> None:
    # Edited later the same day, the sitemap still says that day: only a fetch can tell.
    assert not unchanged_since_fetch("2024-05-03", known("2024-05-03", "2024-05-03T08:00:00"))


def test_a_resumed_run_skips_what_the_run_it_resumes_archived_without_a_lastmod() -> None:
    """Through Redis the feed's posts are asked for before the sitemap names them, so they
    are stored with no lastmod: a resume (writer and workers killed) fetched them again."""
    since = "2024-05-03T08:00:00+00:00"
    fetched = known(None, "2024-05-03T08:05:00+00:00")
    assert archived_since("2024-05-03", fetched, since)
    assert archived_since("2024-05-03T08:01:00.000Z", fetched, since)
    assert not archived_since("2024-05-04", fetched, since)  # edited after it was fetched
    assert not archived_since("2024-05-03T09:00:00.000Z", fetched, since)
    assert not archived_since("2024-05-03", known(None, "2024-05-02T08:00:00+00:00"), since)
    assert not archived_since("2024-05-03", fetched, None)  # no run to resume
    # With a lastmod stored, it must be the sitemap's (a crawl without Redis stores it).
    assert archived_since("2024-05-03", known("2024-05-03", "2024-05-03T08:05:00"), since)
    assert not archived_since("2024-05-03", known("2024-05-02", "2024-05-03T08:05:00"), since)


def test_a_listed_post_is_skipped_only_when_archived_not_deleted_and_not_fetched_in_full() -> None:
    """The rule both spiders (with and without Redis) apply to a sitemap's post."""
    same = known("2024-05-01", "2024-05-03T08:00:00+00:00")
    assert unchanged_listed_post("2024-05-01", same, False, None)
    assert not unchanged_listed_post("2024-05-01", same, True, None)  # --refetch, lost capture
    assert not unchanged_listed_post("2024-05-01", None, False, None)  # never archived
    deleted = KnownPost("2024-05-01", None, None, "hash", "2024-05-04", "2024-05-03T08:00:00")
    assert not unchanged_listed_post("2024-05-01", deleted, False, None)
    resumed = known(None, "2024-05-03T08:00:00+00:00")
    assert unchanged_listed_post("2024-05-03", resumed, False, "2024-05-03T07:59:00+00:00")
